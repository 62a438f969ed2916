"""Pieces the per-rule planners share: binding arguments, building helper calls, cleanup."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, List, Optional, Sequence, Tuple

import libcst as cst

from tmplint.codemods import build
from tmplint.codemods.base import Site, SitePlan, Unfixable, Wrap
from tmplint.codemods.escape import Decision, decide_cleanup, simple_assignment
from tmplint.codemods.signatures import ArgumentError, BoundArguments, bind, is_none
from tmplint.codemods.workflow_id import WorkflowId, resolve

if TYPE_CHECKING:  # pragma: no cover
    from tmplint.codemods.base import TmplintCommand

CLEANUP = "cleanup_temp_path"


def bind_call(site: Site) -> BoundArguments:
    try:
        return bind(site.call, site.function_name)
    except ArgumentError as exc:
        raise Unfixable(str(exc)) from None


def argument(updated: cst.Call, bound: BoundArguments, name: str) -> Optional[cst.BaseExpression]:
    """The (updated) expression passed for ``name``; None when absent or a literal None."""
    if name not in bound.indices:
        return None
    value = updated.args[bound.indices[name]].value
    if is_none(value):
        return None
    return build.clean(value)


def helper_call(func: str, wid: WorkflowId, updated: cst.Call, bound: BoundArguments,
                keywords: Sequence[str] = ()) -> cst.Call:
    """``func(WID, suffix, prefix, kw=...)``: suffix/prefix positional as far as possible."""
    args: List[cst.BaseExpression] = [wid.make()]
    kwargs: List[Tuple[str, cst.BaseExpression]] = []
    suffix = argument(updated, bound, "suffix")
    prefix = argument(updated, bound, "prefix")
    if suffix is not None:
        args.append(suffix)
        if prefix is not None:
            args.append(prefix)
    elif prefix is not None:
        kwargs.append(("prefix", prefix))
    for name in keywords:
        value = argument(updated, bound, name)
        if value is not None:
            kwargs.append((name, value))
    return build.call(func, args, kwargs)


def cleanup_call(expr: cst.BaseExpression) -> cst.Call:
    return build.call(CLEANUP, [expr])


def new_plan(engine: "TmplintCommand", site: Site, wid: WorkflowId, helpers: Sequence[str],
             bound: Optional[BoundArguments] = None) -> SitePlan:
    """A plan that imports ``helpers`` and lets the imports the replaced call used (``tempfile``,
    and whatever a dropped ``dir=`` used) go when nothing else needs them."""
    plan = SitePlan()
    plan.imports.extend(engine.helper_import(*helpers))
    plan.removed.append(site.call.func)
    if bound is not None and bound.node("dir") is not None:
        plan.removed.append(bound.node("dir"))  # type: ignore[arg-type]
    wid.apply(plan)
    return plan


def maybe_cleanup(engine: "TmplintCommand", site: Site, plan: SitePlan, tracked_target: Optional[cst.Name],
                  kind: str, cleanup_expr: Callable[[], cst.BaseExpression], what: str) -> None:
    """Add a ``finally`` cleanup after the statement that made the path, or note why not."""
    found = simple_assignment(engine, site.call)
    if found is None or tracked_target is None:
        plan.note = f"cleanup not added: {what} is not assigned to a local name"
        return
    statement, _ = found
    decision = decide_cleanup(engine, site.call, statement, [(tracked_target.value, kind, tracked_target)])
    apply_cleanup_decision(engine, plan, site.call, statement, decision, cleanup_expr)


def apply_cleanup_decision(engine: "TmplintCommand", plan: SitePlan, call: cst.Call, statement: cst.BaseStatement,
                           decision: Decision, cleanup_expr: Callable[[], cst.BaseExpression]) -> None:
    """Wrap the rest of ``statement``'s block in ``try/finally`` when ``decision`` allows it (the
    ``finally`` replaces a lone existing removal), or note why the lifetime stays as it was."""
    if decision.add or decision.convertible is not None:
        plan.imports.extend(engine.helper_import(CLEANUP))
        plan.wrap = Wrap(statement, lambda: cleanup_call(cleanup_expr()), until=decision.convertible)
        if decision.convertible is not None:
            plan.note = f"cleanup moved into a finally: the removal on line {engine.line(decision.convertible)}"
            plan.removed.append(decision.convertible)
    elif decision.existing:
        plan.note = f"cleanup kept: {decision.reason.replace('; kept', '')}"
    else:
        plan.note = f"cleanup not added: {decision.reason}"


def resolve_id(engine: "TmplintCommand", site: Site) -> WorkflowId:
    return resolve(engine, site)
