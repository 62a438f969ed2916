"""Keep ``tempfile``'s own object, move it into the job dir: ``X(..., dir=get_temp_dir(WID))``.

Where a creator's lifetime or object API has no helper equivalent (a self-deleting file stored on
``self``, returned or passed on; ``TemporaryDirectory()`` used as an object; ``.rollover()``;
``delete=`` from a variable; a ``SpooledTemporaryFile`` that may roll over to disk; a
``functools.partial`` factory), the call stays exactly as it is and only gains
``dir=get_temp_dir(WID)``: the same object with the same lifetime, made in the job's dir. A
``dir=`` that names the system temp dir is replaced.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Optional

import libcst as cst

from tmplint.codemods import build
from tmplint.codemods.base import Site, SitePlan, Unfixable
from tmplint.codemods.signatures import ArgumentError, BoundArguments, bind
from tmplint.detector import JOB_DIR_CREATORS

if TYPE_CHECKING:  # pragma: no cover
    from tmplint.codemods.base import TmplintCommand

KEPT = "kept tempfile's lifetime, moved into the job dir"


class LifetimeUnfixable(Unfixable):
    """The helper cannot reproduce this object's lifetime or API; ``tempfile``'s own object can
    stay, made in the job dir (:func:`plan_in_job_dir`)."""


def rewrite_or_keep_in_job_dir(rewrite: "Callable[[TmplintCommand, Site], SitePlan]",
                               factory_reason: str) -> "Callable[[TmplintCommand, Site], SitePlan]":
    """A planner that tries ``rewrite`` and, where the lifetime cannot be translated (a factory
    reference, :class:`LifetimeUnfixable`), keeps tempfile's object in the job dir instead."""
    def plan(engine: "TmplintCommand", site: Site) -> SitePlan:
        if not isinstance(site.node, cst.Call):
            return plan_in_job_dir(engine, site, factory_reason)
        try:
            return rewrite(engine, site)
        except LifetimeUnfixable as exc:
            return plan_in_job_dir(engine, site, str(exc))

    return plan


def partial_call(engine: "TmplintCommand", node: cst.CSTNode) -> Optional[cst.Call]:
    """``functools.partial(tempfile.X, ...)`` when ``node`` is its first argument."""
    arg = engine.parent(node)
    call = engine.parent(arg) if isinstance(arg, cst.Arg) else None
    if not isinstance(call, cst.Call) or not call.args or call.args[0] is not arg or arg.keyword is not None:
        return None
    if engine.qualified_names(call.func) & {"functools.partial"}:
        return call
    return None


def _bind_partial(call: cst.Call, function: str) -> BoundArguments:
    """The partial's own arguments, mapped as ``function`` maps them (after the function)."""
    rest = call.with_changes(args=call.args[1:])
    try:
        bound = bind(rest, function)
    except ArgumentError as exc:
        raise Unfixable(str(exc)) from None
    return BoundArguments(function, {k: v + 1 for k, v in bound.indices.items()}, call)


def plan_in_job_dir(engine: "TmplintCommand", site: Site, why: str) -> SitePlan:
    """Add ``dir=get_temp_dir(WID)`` to the site's call (or to its ``functools.partial``)."""
    from tmplint.codemods.rewrite import bind_call, resolve_id

    if site.function_name not in JOB_DIR_CREATORS:
        raise Unfixable(why)
    if isinstance(site.node, cst.Call):
        call, bound = site.node, bind_call(site)
    else:
        found = partial_call(engine, site.node)
        if found is None:
            raise Unfixable(f"{why}; {site.finding.target} is used without being called")
        call, bound = found, _bind_partial(found, site.function_name)
    wid = resolve_id(engine, site)
    plan = SitePlan()
    plan.imports.extend(engine.helper_import("get_temp_dir"))
    wid.apply(plan)
    plan.note = f"{KEPT}: {why}"
    job_dir: Callable[[], cst.BaseExpression] = lambda: build.call("get_temp_dir", [wid.make()])  # noqa: E731
    if "dir" in bound.indices:
        index = bound.indices["dir"]
        plan.replacements[call] = lambda updated: _with_arg(updated, index, job_dir())  # type: ignore[arg-type]
        plan.removed.append(call.args[index].value)
    else:
        plan.replacements[call] = lambda updated: build.add_keyword(updated, "dir", job_dir())  # type: ignore[arg-type]
    return plan


def _with_arg(call: cst.Call, index: int, value: cst.BaseExpression) -> cst.Call:
    args = list(call.args)
    args[index] = args[index].with_changes(value=value)
    return call.with_changes(args=args)
