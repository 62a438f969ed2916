"""TMP001: ``NamedTemporaryFile`` / ``TemporaryFile`` / ``SpooledTemporaryFile`` -> ``open()`` on a
helper path.

* ``with NamedTemporaryFile(suffix=S) as f: BODY`` (deletes on close) becomes::

      tmp_path = get_temp_path(WID, S)
      try:
          with open(tmp_path, "x+b") as f:
              BODY
      finally:
          cleanup_temp_path(tmp_path)

  ``TemporaryFile`` and ``SpooledTemporaryFile`` are handled as the deleting ``NamedTemporaryFile``.
* ``f = NamedTemporaryFile(...)`` that deletes, in a function, with ``f`` provably local: the call
  becomes ``open(get_temp_path(WID, S), M)`` and the rest of the block runs in
  ``try: ... finally: cleanup_temp_path(f.name)``. Elsewhere the deleting lifetime cannot be kept:
  unfixable.
* ``NamedTemporaryFile(delete=False, ...)`` anywhere becomes ``open(get_temp_path(WID, S, P), M')``;
  a cleanup is added only when the file provably stays local (see ``escape``).

``M'`` is the mode (default ``w+b``) made exclusive: ``w`` -> ``x``, ``r+`` -> ``x+``; ``r`` (read
only) and ``a`` (append) cannot be and leave the site unfixable. ``buffering``, ``encoding``,
``errors`` and ``newline`` are carried over to ``open()``; ``max_size`` (spooling to memory) and
``delete_on_close`` are dropped.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import libcst as cst

from tmplint.codemods import build
from tmplint.codemods.base import Site, SitePlan, TmplintCommand, Unfixable, WithItemRewrite, Wrap
from tmplint.codemods.escape import FILE, decide_cleanup, simple_assignment
from tmplint.codemods.rewrite import (
    CLEANUP, argument, bind_call, check_dir, cleanup_call, helper_call, maybe_cleanup, new_plan,
    reject_async_with, resolve_id, string_arguments,
)
from tmplint.codemods.signatures import OPEN_ARGUMENTS, BoundArguments, bool_argument

DEFAULT_MODE = '"x+b"'
#: attributes of tempfile's wrapper objects that a plain open() file does not have
WRAPPER_ONLY = frozenset({"file", "delete", "rollover", "_file", "_rolled", "_closer", "_max_size"})


def exclusive_mode(bound: BoundArguments) -> str:
    """The source text of the exclusive-create mode for ``open()``."""
    node = bound.node("mode")
    if node is None:
        return DEFAULT_MODE
    if not isinstance(node, cst.SimpleString):
        raise Unfixable("mode is not a string literal; cannot make it exclusive (x)")
    value = node.evaluated_value
    if not isinstance(value, str):
        raise Unfixable("mode is not a str literal")
    kinds = [c for c in value if c in "rwxa"]
    if any(c not in "rwxabt+" for c in value) or len(set(value)) != len(value) or len(kinds) != 1 \
            or ("b" in value and "t" in value):
        raise Unfixable(f"mode {value!r} is not a mode open() accepts")
    kind = kinds[0]
    if kind == "w":
        new = value.replace("w", "x")
    elif kind == "x":
        new = value
    elif kind == "r" and "+" in value:
        new = value.replace("r", "x")  # r+ on the new empty file == x+
    elif kind == "r":
        raise Unfixable(f"mode {value!r} is read-only; open() cannot create the file exclusively with it")
    else:
        raise Unfixable(f"append mode {value!r} cannot be made exclusive (x) without changing where writes go")
    return f"{node.prefix}{node.quote}{new}{node.quote}"


def _wrapper_api_used(engine: TmplintCommand, within: cst.CSTNode, name: str) -> Optional[str]:
    found: List[str] = []

    class Finder(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> None:
            if isinstance(node.value, cst.Name) and node.value.value == name and node.attr.value in WRAPPER_ONLY:
                found.append(node.attr.value)

    within.visit(Finder())
    return found[0] if found else None


def plan_temp_file(engine: TmplintCommand, site: Site) -> SitePlan:
    call = site.call
    bound = bind_call(site)
    reject_async_with(engine, call)
    check_dir(engine, bound)
    string_arguments(bound, ("suffix", "prefix"))
    mode = exclusive_mode(bound)
    deleting = True
    if site.function_name == "NamedTemporaryFile":
        delete = bool_argument(bound, "delete", True)
        if delete is None:
            raise Unfixable("delete= is not True or False; whether the file is deleted is unknown")
        if bool_argument(bound, "delete_on_close", True) is None:
            raise Unfixable("delete_on_close= is not True or False")
        deleting = delete
    wid = resolve_id(engine, site)
    helpers = ["get_temp_path"] + ([CLEANUP] if deleting else [])
    engine.check_names(call, helpers=helpers, builtins=["open"])

    def path_expr(updated: cst.Call) -> cst.BaseExpression:
        return helper_call("get_temp_path", wid, updated, bound)

    def open_expr(updated: cst.Call, path: cst.BaseExpression) -> cst.BaseExpression:
        keywords: List[Tuple[str, cst.BaseExpression]] = []
        for name in bound.order(OPEN_ARGUMENTS):
            value = argument(updated, bound, name)
            if value is not None:
                keywords.append((name, value))
        return build.call("open", [path, cst.SimpleString(mode)], keywords)

    plan = new_plan(engine, site, wid, helpers, bound)
    parent = engine.parent(call)
    if deleting:
        if isinstance(parent, cst.WithItem) and parent.item is call:
            with_node = engine.parent(parent)
            if not isinstance(with_node, cst.With):  # pragma: no cover - a WithItem's parent
                raise Unfixable("unexpected with statement")
            if parent.asname is not None and isinstance(parent.asname.name, cst.Name):
                used = _wrapper_api_used(engine, with_node.body, parent.asname.name.value)
                if used:
                    raise Unfixable(f"uses .{used} of tempfile's wrapper, which an open() file does not have")
            var = engine.fresh_name(with_node, "tmp_path")
            plan.with_item = WithItemRewrite(
                with_node, list(with_node.items).index(parent), "file", var, make_path=path_expr,
                open_expr=lambda updated: open_expr(updated, build.name(var)),
            )
            return plan
        found = simple_assignment(engine, call)
        if found is None or not isinstance(found[1].targets[0].target, cst.Name):
            raise Unfixable("the file is deleted when it is closed; only a `with` statement or a local "
                            "variable keeps that lifetime in a rewrite")
        statement, assign = found
        target = assign.targets[0].target
        if not isinstance(target, cst.Name):  # pragma: no cover - checked above
            raise Unfixable("not assigned to a name")
        block = engine.parent(statement)
        if block is not None:
            used = _wrapper_api_used(engine, block, target.value)
            if used:
                raise Unfixable(f"uses .{used} of tempfile's wrapper, which an open() file does not have")
        decision = decide_cleanup(engine, call, statement, [(target.value, FILE, target)])
        if decision.escape or not (decision.add or decision.existing):
            raise Unfixable(f"the file is deleted when it is closed, but {decision.escape or decision.reason}; "
                            "that lifetime cannot be kept")
        plan.replacements[call] = lambda updated: open_expr(updated, path_expr(updated))  # type: ignore[arg-type]
        name = target.value
        plan.wrap = Wrap(statement, lambda: cleanup_call(build.dotted(f"{name}.name")))
        return plan

    plan.replacements[call] = lambda updated: open_expr(updated, path_expr(updated))  # type: ignore[arg-type]
    found = simple_assignment(engine, call)
    target = found[1].targets[0].target if found is not None else None
    name_target = target if isinstance(target, cst.Name) else None
    if isinstance(parent, cst.WithItem):
        plan.note = "cleanup not added: a delete=False file opened in a `with` statement"
        return plan
    if name_target is not None:
        used = _wrapper_api_used(engine, engine.parent(found[0]) or found[0], name_target.value)  # type: ignore[index]
        if used:
            raise Unfixable(f"uses .{used} of tempfile's wrapper, which an open() file does not have")
    name_value = name_target.value if name_target is not None else ""
    maybe_cleanup(
        engine, site, plan, name_target, FILE,
        lambda: build.dotted(f"{name_value}.name"), "the file",
    )
    return plan


PLANNERS = {
    "tempfile.NamedTemporaryFile": plan_temp_file,
    "tempfile.TemporaryFile": plan_temp_file,
    "tempfile.SpooledTemporaryFile": plan_temp_file,
}


class FixNamedTemporaryFile(TmplintCommand):
    DESCRIPTION = ("TMP001: rewrite tempfile.NamedTemporaryFile/TemporaryFile/SpooledTemporaryFile into "
                   "open(get_temp_path(workflow_id, suffix), 'x...') with cleanup where the original deleted.")
    PLANNERS = PLANNERS
