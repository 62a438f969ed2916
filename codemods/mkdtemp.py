"""TMP003: ``d = tempfile.mkdtemp(suffix=S, prefix=P)`` -> ``d = make_temp_dir(WID, S, P)``.

The original leaves the dir behind, so a ``finally: cleanup_temp_path(d)`` around the rest of the
block is added only when ``d`` provably stays local (see ``escape``).
"""
from __future__ import annotations

import libcst as cst

from tmplint.codemods import build
from tmplint.codemods.base import Site, SitePlan, TmplintCommand
from tmplint.codemods.escape import PATH, simple_assignment
from tmplint.codemods.rewrite import (
    bind_call, helper_call, maybe_cleanup, new_plan, resolve_id,
)


def plan_mkdtemp(engine: TmplintCommand, site: Site) -> SitePlan:
    call = site.call
    bound = bind_call(site)
    wid = resolve_id(engine, site)
    plan = new_plan(engine, site, wid, ["make_temp_dir"], bound)
    plan.replacements[call] = lambda updated: helper_call(  # type: ignore[arg-type, return-value]
        "make_temp_dir", wid, updated, bound)
    found = simple_assignment(engine, call)
    target = found[1].targets[0].target if found is not None else None
    name_target = target if isinstance(target, cst.Name) else None
    name = name_target.value if name_target is not None else ""
    maybe_cleanup(engine, site, plan, name_target, PATH, lambda: build.name(name), "the dir")
    return plan


PLANNERS = {"tempfile.mkdtemp": plan_mkdtemp}


class FixMkdtemp(TmplintCommand):
    DESCRIPTION = "TMP003: rewrite tempfile.mkdtemp() into make_temp_dir(workflow_id, suffix, prefix)."
    PLANNERS = PLANNERS
