"""TMP001: ``NamedTemporaryFile`` / ``TemporaryFile`` -> ``open_temp_file(WID, S, M)``; ``SpooledTemporaryFile``
-> the same call in the job dir.

``open_temp_file`` creates the file as ``tempfile`` does (``O_EXCL``, ``0o600``) and returns a file
object whose ``.name`` is the path, so permissions never get weaker than the original's.

* ``with NamedTemporaryFile(suffix=S) as f: BODY`` (deletes on close) becomes::

      tmp_file = open_temp_file(WID, S)
      try:
          with tmp_file as f:
              BODY
      finally:
          cleanup_temp_path(tmp_file.name)

  ``TemporaryFile`` is handled as the deleting ``NamedTemporaryFile``.
* ``f = NamedTemporaryFile(...)`` that deletes, in a function, with ``f`` provably local: the call
  becomes ``open_temp_file(...)`` and the rest of the block runs in
  ``try: ... finally: cleanup_temp_path(f.name)``.
* ``NamedTemporaryFile(delete=False, ...)`` becomes ``open_temp_file(...)``; a cleanup is added only
  when the file provably stays local (see ``escape``).
* Where the lifetime or the wrapper's API (``.file``, ``.rollover()``, ``delete=`` from a variable,
  a deleting file stored, returned or passed on, ``async with``) cannot be translated, and for every
  ``SpooledTemporaryFile`` (it stays in memory until it rolls over), the call keeps ``tempfile`` and
  gains ``dir=get_temp_dir(WID)`` (``job_dir``).

``mode``, ``buffering``, ``encoding``, ``errors`` and ``newline`` are carried over;
``delete_on_close`` is dropped.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import libcst as cst

from tmplint.codemods import build
from tmplint.codemods.base import Site, SitePlan, TmplintCommand, Unfixable, WithItemRewrite, Wrap
from tmplint.codemods.escape import FILE, decide_cleanup, simple_assignment
from tmplint.codemods.job_dir import LifetimeUnfixable, plan_in_job_dir
from tmplint.codemods.rewrite import (
    CLEANUP, argument, bind_call, check_dir, cleanup_call, maybe_cleanup, new_plan, resolve_id,
    string_arguments,
)
from tmplint.codemods.signatures import OPEN_ARGUMENTS, BoundArguments, bool_argument
from tmplint.codemods.workflow_id import WorkflowId

#: attributes of tempfile's wrapper objects that a plain open() file does not have
WRAPPER_ONLY = frozenset({"file", "delete", "rollover", "_file", "_rolled", "_closer", "_max_size"})


def open_temp_file_call(wid: WorkflowId, updated: cst.Call, bound: BoundArguments) -> cst.Call:
    """``open_temp_file(WID, suffix, mode, prefix=..., encoding=...)`` from the creator's arguments."""
    args: List[cst.BaseExpression] = [wid.make()]
    keywords: List[Tuple[str, cst.BaseExpression]] = []
    suffix, mode = argument(updated, bound, "suffix"), argument(updated, bound, "mode")
    if suffix is not None:
        args.append(suffix)
    if mode is not None:
        (args.append(mode) if suffix is not None else keywords.append(("mode", mode)))  # type: ignore[func-returns-value]
    for name in ("prefix", *bound.order(OPEN_ARGUMENTS)):
        value = argument(updated, bound, name)
        if value is not None:
            keywords.append((name, value))
    return build.call("open_temp_file", args, keywords)


def _wrapper_api_used(engine: TmplintCommand, within: cst.CSTNode, name: str) -> Optional[str]:
    found: List[str] = []

    class Finder(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> None:
            if isinstance(node.value, cst.Name) and node.value.value == name and node.attr.value in WRAPPER_ONLY:
                found.append(node.attr.value)

    within.visit(Finder())
    return found[0] if found else None


def plan_temp_file(engine: TmplintCommand, site: Site) -> SitePlan:
    if site.function_name == "SpooledTemporaryFile":
        return plan_in_job_dir(engine, site, "a SpooledTemporaryFile stays in memory until it rolls over; "
                                             "open() cannot do that")
    if not isinstance(site.node, cst.Call):
        return plan_in_job_dir(engine, site, "a factory that creates files when it is called")
    try:
        return _plan_open_temp_file(engine, site)
    except LifetimeUnfixable as exc:
        return plan_in_job_dir(engine, site, str(exc))


def _reject_wrapper_api(engine: TmplintCommand, within: Optional[cst.CSTNode], name: str) -> None:
    used = _wrapper_api_used(engine, within, name) if within is not None else None
    if used:
        raise LifetimeUnfixable(f"uses .{used} of tempfile's wrapper, which a plain file object does not have")


def _plan_open_temp_file(engine: TmplintCommand, site: Site) -> SitePlan:
    call = site.call
    bound = bind_call(site)
    check_dir(engine, bound)
    string_arguments(bound, ("suffix", "prefix"))
    item = engine.parent(call)
    if isinstance(item, cst.WithItem):
        with_node = engine.parent(item)
        if isinstance(with_node, cst.With) and with_node.asynchronous is not None:
            raise LifetimeUnfixable("used in an `async with` statement")
    deleting = True
    if site.function_name == "NamedTemporaryFile":
        delete = bool_argument(bound, "delete", True)
        if delete is None:
            raise LifetimeUnfixable("delete= is not True or False; whether the file is deleted is unknown")
        if bool_argument(bound, "delete_on_close", True) is None:
            raise LifetimeUnfixable("delete_on_close= is not True or False")
        deleting = delete
    wid = resolve_id(engine, site)
    helpers = ["open_temp_file"] + ([CLEANUP] if deleting else [])
    engine.check_names(call, helpers=helpers)
    plan = new_plan(engine, site, wid, helpers, bound)

    def file_expr(updated: cst.Call) -> cst.BaseExpression:
        return open_temp_file_call(wid, updated, bound)

    if deleting:
        return _plan_deleting(engine, call, plan, file_expr)
    plan.replacements[call] = file_expr  # type: ignore[assignment]
    found = simple_assignment(engine, call)
    target = found[1].targets[0].target if found is not None else None
    name_target = target if isinstance(target, cst.Name) else None
    if isinstance(item, cst.WithItem):
        plan.note = "cleanup not added: a delete=False file opened in a `with` statement"
        return plan
    if name_target is not None:
        _reject_wrapper_api(engine, engine.parent(found[0]) or found[0], name_target.value)  # type: ignore[index]
    name_value = name_target.value if name_target is not None else ""
    maybe_cleanup(
        engine, site, plan, name_target, FILE,
        lambda: build.dotted(f"{name_value}.name"), "the file",
    )
    return plan


def _plan_deleting(engine: TmplintCommand, call: cst.Call, plan: SitePlan, file_expr) -> SitePlan:
    """A file that deletes itself when closed: in a ``with``, or a local variable."""
    parent = engine.parent(call)
    if isinstance(parent, cst.WithItem) and parent.item is call:
        with_node = engine.parent(parent)
        if not isinstance(with_node, cst.With):  # pragma: no cover - a WithItem's parent
            raise Unfixable("unexpected with statement")
        if parent.asname is not None and isinstance(parent.asname.name, cst.Name):
            _reject_wrapper_api(engine, with_node.body, parent.asname.name.value)
        var = engine.fresh_name(with_node, "tmp_file")
        plan.with_item = WithItemRewrite(
            with_node, list(with_node.items).index(parent), "file", var, make_path=file_expr,
            open_expr=lambda updated: build.name(var), cleanup_target=lambda: build.dotted(f"{var}.name"),
        )
        return plan
    found = simple_assignment(engine, call)
    if found is None or not isinstance(found[1].targets[0].target, cst.Name):
        raise LifetimeUnfixable("the file is deleted when it is closed, and it is not made in a `with` "
                                "statement or assigned to a local variable")
    statement, assign = found
    target = assign.targets[0].target
    if not isinstance(target, cst.Name):  # pragma: no cover - checked above
        raise Unfixable("not assigned to a name")
    _reject_wrapper_api(engine, engine.parent(statement), target.value)
    decision = decide_cleanup(engine, call, statement, [(target.value, FILE, target)])
    if decision.escape or not (decision.add or decision.existing):
        raise LifetimeUnfixable(f"the file is deleted when it is closed, but {decision.escape or decision.reason}")
    plan.replacements[call] = file_expr
    name = target.value
    plan.wrap = Wrap(statement, lambda: cleanup_call(build.dotted(f"{name}.name")))
    return plan


PLANNERS = {
    "tempfile.NamedTemporaryFile": plan_temp_file,
    "tempfile.TemporaryFile": plan_temp_file,
    "tempfile.SpooledTemporaryFile": plan_temp_file,
}


class FixNamedTemporaryFile(TmplintCommand):
    DESCRIPTION = ("TMP001: rewrite tempfile.NamedTemporaryFile/TemporaryFile into open_temp_file(workflow_id, "
                   "suffix, mode) with cleanup where the original deleted; SpooledTemporaryFile and lifetimes "
                   "the helper cannot reproduce keep tempfile with dir=get_temp_dir(workflow_id).")
    PLANNERS = PLANNERS
