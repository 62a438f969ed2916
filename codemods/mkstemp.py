"""TMP002: ``fd, p = tempfile.mkstemp(suffix=S, prefix=P, text=T)`` -> ``fd, p = make_temp_file(WID, S, P,
text=T)``.

The helper returns the same ``(fd, path)`` pair. The original leaves the file behind, so a
``finally: cleanup_temp_path(p)`` around the rest of the block is added only when ``p`` provably
stays local (see ``escape``); otherwise the lifetime is left as it was and the summary says why.
"""
from __future__ import annotations

from typing import Optional

import libcst as cst

from tmplint.codemods import build
from tmplint.codemods.base import Site, SitePlan, TmplintCommand
from tmplint.codemods.escape import PATH, simple_assignment
from tmplint.codemods.rewrite import (
    bind_call, helper_call, maybe_cleanup, new_plan, resolve_id,
)


def _path_target(engine: TmplintCommand, call: cst.Call) -> Optional[cst.Name]:
    """``p`` in ``fd, p = mkstemp()``."""
    found = simple_assignment(engine, call)
    if found is None:
        return None
    target = found[1].targets[0].target
    if isinstance(target, (cst.Tuple, cst.List)) and len(target.elements) == 2:
        first, second = (e.value for e in target.elements)
        if not any(isinstance(e, cst.StarredElement) for e in target.elements) and isinstance(second, cst.Name):
            return second
    return None


def plan_mkstemp(engine: TmplintCommand, site: Site) -> SitePlan:
    call = site.call
    bound = bind_call(site)
    wid = resolve_id(engine, site)
    plan = new_plan(engine, site, wid, ["make_temp_file"], bound)
    plan.replacements[call] = lambda updated: helper_call(  # type: ignore[arg-type, return-value]
        "make_temp_file", wid, updated, bound, keywords=("text",))
    target = _path_target(engine, call)
    name = target.value if target is not None else ""
    maybe_cleanup(engine, site, plan, target, PATH, lambda: build.name(name), "the (fd, path) pair")
    return plan


PLANNERS = {"tempfile.mkstemp": plan_mkstemp}


class FixMkstemp(TmplintCommand):
    DESCRIPTION = "TMP002: rewrite tempfile.mkstemp() into make_temp_file(workflow_id, suffix, prefix)."
    PLANNERS = PLANNERS
