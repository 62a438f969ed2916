"""TMP004: ``tempfile.mktemp(suffix=S, prefix=P)`` -> ``get_temp_path(WID, S, P)``.

``get_temp_path`` returns a unique name in the job's own 0o700 dir, so the race ``mktemp`` is
flagged for is gone. An explicit ``dir=`` other than the system temp dir is left unfixable: the
rewrite would move the file.
"""
from __future__ import annotations

from tmplint.codemods.base import Site, SitePlan, TmplintCommand
from tmplint.codemods.rewrite import bind_call, helper_call, new_plan, resolve_id


def plan_mktemp(engine: TmplintCommand, site: Site) -> SitePlan:
    call = site.call
    bound = bind_call(site)
    wid = resolve_id(engine, site)
    plan = new_plan(engine, site, wid, ["get_temp_path"], bound)
    plan.replacements[call] = lambda updated: helper_call(  # type: ignore[arg-type, return-value]
        "get_temp_path", wid, updated, bound)
    return plan


PLANNERS = {"tempfile.mktemp": plan_mktemp}


class FixMktemp(TmplintCommand):
    DESCRIPTION = "TMP004: rewrite tempfile.mktemp() into get_temp_path(workflow_id, suffix, prefix)."
    PLANNERS = PLANNERS
