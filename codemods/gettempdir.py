"""TMP005: ``tempfile.gettempdir()`` -> ``get_temp_dir(WID)``; ``gettempdirb()`` ->
``os.fsencode(get_temp_dir(WID))``. Reads and writes of ``tempfile.tempdir`` are reported only."""
from __future__ import annotations

import libcst as cst

from tmplint.codemods import build
from tmplint.codemods.base import Site, SitePlan, TmplintCommand, Unfixable
from tmplint.codemods.rewrite import new_plan, resolve_id


def plan_gettempdir(engine: TmplintCommand, site: Site) -> SitePlan:
    call = site.call
    if call.args:
        raise Unfixable(f"tempfile.{site.function_name}() takes no arguments")
    as_bytes = site.function_name == "gettempdirb"
    wid = resolve_id(engine, site)
    engine.check_names(call, helpers=["get_temp_dir"], modules=["os"] if as_bytes else [])
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
