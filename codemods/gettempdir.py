"""TMP005: ``os.path.join(tempfile.gettempdir(), name)`` -> ``os.path.join(get_temp_dir(WID), name)``;
``gettempdirb()`` -> ``os.fsencode(get_temp_dir(WID))``. Reads and writes of ``tempfile.tempdir`` are
reported only.

``gettempdir()`` is rewritten only where it is the base a scratch path is joined onto
(``os.path.join(gettempdir(), name)``, ``Path(gettempdir()) / name``, ``Path(gettempdir(), name)``)
with a name that is not fixed. Anywhere else its value is the machine's temp dir, not a scratch
location: a guard list (``['/', '/tmp', gettempdir()]``), a comparison (``path.startswith(...)``),
an argument or a variable, or one fixed file name that other code or processes may also open (a
shared state file, a lock, a cache). Moving those into a job's dir would remove a safety check or
split a rendezvous, so they are left with the reason. ``site_facts`` judges all that from ``ast``
before planning (``tmplint check``'s ``fixable`` reads the same), so the planner only rewrites.
"""
from __future__ import annotations

import libcst as cst

from tmplint.codemods import build
from tmplint.codemods.base import Site, SitePlan, TmplintCommand
from tmplint.codemods.rewrite import new_plan, resolve_id


def plan_gettempdir(engine: TmplintCommand, site: Site) -> SitePlan:
    call = site.call
    as_bytes = site.function_name == "gettempdirb"
    wid = resolve_id(engine, site)
    if as_bytes:
        engine.check_names(call, modules=["os"])
    plan = new_plan(engine, site, wid, ["get_temp_dir"])

    def replacement(updated: cst.CSTNode) -> cst.CSTNode:
        expr: cst.BaseExpression = build.call("get_temp_dir", [wid.make()])
        if as_bytes:
            expr = build.call("os.fsencode", [expr])
        return expr

    plan.replacements[call] = replacement
    if as_bytes:
        plan.imports.extend(engine.module_import(call, "os"))
    return plan


PLANNERS = {"tempfile.gettempdir": plan_gettempdir, "tempfile.gettempdirb": plan_gettempdir}


class FixGettempdir(TmplintCommand):
    DESCRIPTION = "TMP005: rewrite tempfile.gettempdir() into get_temp_dir(workflow_id)."
    PLANNERS = PLANNERS
