"""TMP006 (unsafe, only with ``--unsafe-fixes``): a hard-coded temp path inside a function with a
workflow id -> ``os.path.join(get_temp_dir(WID), rest)``.

``"/tmp/x.json"`` -> ``os.path.join(get_temp_dir(WID), "x.json")``; ``"/tmp"`` ->
``get_temp_dir(WID)``; ``f"/tmp/{name}.png"`` -> ``os.path.join(get_temp_dir(WID),
f"{name}.png")``; ``Path("/tmp") / x`` -> ``Path(get_temp_dir(WID)) / x``.

Unsafe because the path may be shared with another process on purpose. Left unfixable: literals
outside a function (module constants), bytes, implicitly concatenated strings, literals that are
compared or searched (``p.startswith("/tmp/")``, ``x == "/tmp"``), keys and patterns, and
f-strings whose temp dir is followed by an expression instead of ``/``.
"""
from __future__ import annotations

from typing import List, Optional, Sequence

import libcst as cst

from tmplint.codemods import build
from tmplint.codemods.base import Site, SitePlan, TmplintCommand, Unfixable
from tmplint.codemods.workflow_id import resolve
from tmplint.detector import temp_dir_prefix

#: str methods whose arguments are text to look for, not paths to create
TEXT_METHODS = frozenset({
    "startswith", "endswith", "replace", "removeprefix", "removesuffix", "split", "rsplit", "strip",
    "lstrip", "rstrip", "find", "rfind", "index", "rindex", "count", "partition", "rpartition",
    "match", "fullmatch", "search", "sub",
})


def _check_context(engine: TmplintCommand, node: cst.CSTNode) -> None:
    parent = engine.parent(node)
    if isinstance(parent, (cst.Comparison, cst.ComparisonTarget)):
        raise Unfixable("the literal is compared, not used as a path")
    if isinstance(parent, cst.Arg):
        call = engine.parent(parent)
        if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) \
                and call.func.attr.value in TEXT_METHODS:
            raise Unfixable(f"the literal is an argument of .{call.func.attr.value}(), not a path to create")
    if isinstance(parent, (cst.SubscriptElement, cst.Index, cst.Slice, cst.MatchValue, cst.MatchSingleton)):
        raise Unfixable("the literal is a key or pattern, not a path to create")
    if isinstance(parent, (cst.Element, cst.StarredElement)) and _searched_container(engine, engine.parent(parent)):
        raise Unfixable("the literal is an element of a list, tuple or set that is searched or iterated "
                        "(a list of system dirs), not a path to create")
    if isinstance(parent, cst.DictElement) and parent.key is node:
        raise Unfixable("the literal is a dict key, not a path to create")
    if isinstance(parent, cst.BinaryOperation) and parent.left is node and isinstance(parent.operator, cst.Modulo):
        raise Unfixable("the literal is a %-format string; the job dir could contain '%'")
    if isinstance(parent, cst.Attribute) and parent.value is node and parent.attr.value in ("format", "format_map"):
        raise Unfixable("the literal is a format string; the job dir could contain braces")


def _check_twins(engine: TmplintCommand, node: cst.CSTNode) -> None:
    """Unfixable when the same literal is compared or searched elsewhere in the function
    (``assert "/tmp" == t.format("/tmp")``): rewriting one of the two would break the pair."""
    if not isinstance(node, cst.SimpleString):
        return
    function = engine.enclosing_def(node)
    if function is None:
        return
    twins: List[cst.SimpleString] = []

    class Twins(cst.CSTVisitor):
        def visit_SimpleString(self, other: cst.SimpleString) -> None:
            if other is not node and other.evaluated_value == node.evaluated_value:
                twins.append(other)

    function.body.visit(Twins())
    for twin in twins:
        try:
            _check_context(engine, twin)
        except Unfixable as exc:
            raise Unfixable(f"the same literal is left on line {engine.line(twin)} ({exc}); rewriting only "
                            "this one would break what they do together") from None


def _searched_container(engine: TmplintCommand, container: cst.CSTNode) -> bool:
    """``x in ["/", "/tmp"]``, ``for d in ("/tmp", "/var/tmp")``: the container lists dirs to look for."""
    if not isinstance(container, (cst.List, cst.Tuple, cst.Set)):
        return False
    holder = engine.parent(container)
    if isinstance(holder, (cst.Comparison, cst.ComparisonTarget)):
        return True
    return isinstance(holder, (cst.For, cst.CompFor)) and holder.iter is container


def _check_literal(engine: TmplintCommand, node: cst.CSTNode) -> None:
    """Raise Unfixable unless ``node`` is a str literal inside a function."""
    if isinstance(node, cst.ConcatenatedString):
        raise Unfixable("an implicitly concatenated string is not split automatically")
    if not isinstance(node, (cst.SimpleString, cst.FormattedString)):
        raise Unfixable("not a string literal")
    if "b" in node.prefix.lower():
        raise Unfixable("a bytes literal is not rewritten (the helper makes str paths)")
    kind, _ = engine.enclosing(node)
    if kind != "function":
        raise Unfixable(f"the literal is at {kind} level (a shared constant?); only literals inside a "
                        "function with a workflow id are rewritten")


def _split_string(node: cst.SimpleString, temp_dirs: Sequence[str]) -> Optional[cst.SimpleString]:
    """The literal's part after its temp dir and ``/`` (None when it is the temp dir itself)."""
    raw = node.raw_value
    value = node.evaluated_value
    directory = temp_dir_prefix(value if isinstance(value, str) else "", temp_dirs)
    if directory is None or not (raw == directory or raw.startswith(directory + "/")):
        raise Unfixable("cannot split the literal at the temp dir")
    if raw == directory:
        return None
    return node.with_changes(value=f"{node.prefix}{node.quote}{raw[len(directory) + 1:]}{node.quote}")


def _split_f_string(node: cst.FormattedString, temp_dirs: Sequence[str]) -> Optional[cst.FormattedString]:
    """The f-string's part after its temp dir and ``/`` (None when it is the temp dir itself)."""
    parts = list(node.parts)
    first = parts[0] if parts else None
    if not isinstance(first, cst.FormattedStringText):
        raise Unfixable("the f-string does not start with text")
    directory = temp_dir_prefix(first.value, temp_dirs)
    if directory is None:
        raise Unfixable("cannot split the f-string at the temp dir")
    if first.value == directory:
        if len(parts) > 1:
            raise Unfixable("the temp dir is followed by an expression, not a path separator")
        return None
    if not first.value.startswith(directory + "/"):
        raise Unfixable("cannot split the f-string at the temp dir")
    remaining = first.value[len(directory) + 1:]
    return node.with_changes(parts=([first.with_changes(value=remaining)] if remaining else []) + parts[1:])


def _is_concatenation_head(node: cst.CSTNode, parent: Optional[cst.CSTNode]) -> bool:
    """``node`` is the left operand of ``+`` (``"/tmp/pipeline/" + job_id``)."""
    return isinstance(node, cst.SimpleString) and isinstance(parent, cst.BinaryOperation) \
        and parent.left is node and isinstance(parent.operator, cst.Add)


def plan_literal(engine: TmplintCommand, site: Site) -> SitePlan:
    node = site.node
    _check_literal(engine, node)
    _check_context(engine, node)
    _check_twins(engine, node)
    temp_dirs = engine.config.all_temp_dirs
    rest: Optional[cst.BaseString]
    if isinstance(node, cst.SimpleString):
        rest = _split_string(node, temp_dirs)
    else:
        rest = _split_f_string(node, temp_dirs)
    wid = resolve(engine, site)
    engine.check_names(node, helpers=["get_temp_dir"], modules=["os"] if rest is not None else [])
    plan = SitePlan()
    plan.imports.extend(engine.helper_import("get_temp_dir"))
    if rest is not None:
        plan.imports.extend(engine.module_import(node, "os"))
    wid.apply(plan)

    def replacement(updated: cst.CSTNode) -> cst.CSTNode:
        temp_dir = build.call("get_temp_dir", [wid.make()])
        if rest is None:
            return temp_dir
        return build.call("os.path.join", [temp_dir, rest.deep_clone()])

    parent = engine.parent(node)
    if rest is not None and _is_concatenation_head(node, parent):
        # "/tmp/pipeline/" + job_id -> os.path.join(get_temp_dir(WID), "pipeline", job_id)
        plan.replacements[parent] = lambda updated: _joined_concatenation(  # type: ignore[arg-type]
            build.call("get_temp_dir", [wid.make()]), rest, updated)
    else:
        plan.replacements[node] = replacement
    return plan


def _joined_concatenation(temp_dir: cst.BaseExpression, rest: cst.SimpleString,
                          updated: cst.BinaryOperation) -> cst.BaseExpression:
    text = rest.raw_value
    right = updated.right.deep_clone()
    if not text:  # "/tmp/" + name
        parts = [right]
    elif text.endswith("/"):  # "/tmp/dir/" + name
        parts = [rest.with_changes(value=f"{rest.prefix}{rest.quote}{text.rstrip('/')}{rest.quote}"), right]
    else:  # "/tmp/pre_" + name: the name is part of the file name
        parts = [cst.BinaryOperation(left=rest.deep_clone(), operator=updated.operator, right=right)]
    return build.call("os.path.join", [temp_dir, *parts])


PLANNERS = {"literal": plan_literal}


class FixLiteralPaths(TmplintCommand):
    DESCRIPTION = ("TMP006 (unsafe): rewrite hard-coded temp dir literals inside functions into "
                   "os.path.join(get_temp_dir(workflow_id), rest).")
    PLANNERS = PLANNERS

    def __init__(self, context, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        # asking for this command is asking for the unsafe fix
        kwargs["unsafe_fixes"] = True
        super().__init__(context, *args, **kwargs)
