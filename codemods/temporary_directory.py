"""TMP003: ``with TemporaryDirectory() as d: BODY`` ->
``d = make_temp_dir(WID)`` then ``try: BODY finally: cleanup_temp_path(d)``.

When ``d`` is rebound inside the body, has no plain name, or is missing, a fresh variable
(``tmp_dir``) holds the path and the ``as`` target is bound from it. ``TemporaryDirectory()``
outside a ``with`` (its object API: ``.name``, ``.cleanup()``, a finalizer) and
``delete=False`` (3.12) keep ``tempfile``, made in the job dir (``job_dir``).
"""
from __future__ import annotations

import libcst as cst

from tmplint.codemods.base import Site, SitePlan, TmplintCommand, Unfixable, WithItemRewrite
from tmplint.codemods.job_dir import LifetimeUnfixable, rewrite_or_keep_in_job_dir
from tmplint.codemods.rewrite import (
    CLEANUP, bind_call, helper_call, new_plan, resolve_id,
)
from tmplint.codemods.signatures import bool_argument


def _rebound_inside(engine: TmplintCommand, with_node: cst.With, target: cst.Name) -> bool:
    scope = engine.scope(target)
    if scope is None:
        return True
    for assignment in scope.assignments[target.value]:
        node = assignment.node
        if node is not target and isinstance(node, cst.CSTNode) and engine.contains(with_node, node):
            return True
    for assignment in scope.assignments[target.value]:
        for access in assignment.references:
            if isinstance(engine.parent(access.node), cst.Del) and engine.contains(with_node, access.node):
                return True
    return False


def _plan_make_temp_dir(engine: TmplintCommand, site: Site) -> SitePlan:
    call = site.call
    bound = bind_call(site)
    if bool_argument(bound, "delete", True) is not True:
        raise LifetimeUnfixable("TemporaryDirectory(delete=...) other than True")
    if bool_argument(bound, "ignore_cleanup_errors", False) is not False:
        raise LifetimeUnfixable("ignore_cleanup_errors= lets the removal fail silently; cleanup_temp_path raises")
    item = engine.parent(call)
    if not (isinstance(item, cst.WithItem) and item.item is call):
        raise LifetimeUnfixable("TemporaryDirectory() used as an object (.name, .cleanup(), removal when "
                                "it is collected)")
    with_node = engine.parent(item)
    if not isinstance(with_node, cst.With):  # pragma: no cover - a WithItem's parent
        raise Unfixable("unexpected with statement")
    if with_node.asynchronous is not None:
        raise LifetimeUnfixable("used in an `async with` statement")
    wid = resolve_id(engine, site)
    plan = new_plan(engine, site, wid, ["make_temp_dir", CLEANUP], bound)
    target = item.asname.name if item.asname is not None else None
    if isinstance(target, cst.Name) and not _rebound_inside(engine, with_node, target):
        var, bind_target = target.value, False
    else:
        var, bind_target = engine.fresh_name(with_node, "tmp_dir"), target is not None
    plan.with_item = WithItemRewrite(
        with_node, list(with_node.items).index(item), "dir", var,
        make_path=lambda updated: helper_call("make_temp_dir", wid, updated, bound),
        bind_target=bind_target,
    )
    return plan


plan_temporary_directory = rewrite_or_keep_in_job_dir(_plan_make_temp_dir,
                                                      "a factory that creates dirs when it is called")

PLANNERS = {"tempfile.TemporaryDirectory": plan_temporary_directory}


class FixTemporaryDirectory(TmplintCommand):
    DESCRIPTION = ("TMP003: rewrite `with tempfile.TemporaryDirectory() as d` into make_temp_dir(workflow_id) "
                   "with a try/finally cleanup where the with ended.")
    PLANNERS = PLANNERS
