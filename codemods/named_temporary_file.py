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
from tmplint.codemods.escape import FILE, PATH, decide_cleanup, simple_assignment
from tmplint.codemods.job_dir import LifetimeUnfixable, plan_in_job_dir, rewrite_or_keep_in_job_dir
from tmplint.codemods.rewrite import (
    CLEANUP, apply_cleanup_decision, argument, bind_call, cleanup_call, helper_call, maybe_cleanup,
    new_plan, resolve_id,
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


def plan_temp_file(engine: TmplintCommand, site: Site) -> SitePlan:
    if site.function_name == "SpooledTemporaryFile":
        return plan_in_job_dir(engine, site, "a SpooledTemporaryFile stays in memory until it rolls over; "
                                             "open() cannot do that")
    return _open_or_keep(engine, site)


def _reject_wrapper_api(within: Optional[cst.CSTNode], name: str) -> None:
    """LifetimeUnfixable when code in ``within`` uses ``name.file``, ``.rollover()`` ... (tempfile's
    wrapper API, which the helper's plain file object does not have)."""
    found: List[str] = []

    class Finder(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> None:
            if isinstance(node.value, cst.Name) and node.value.value == name and node.attr.value in WRAPPER_ONLY:
                found.append(node.attr.value)

    if within is not None:
        within.visit(Finder())
    if found:
        raise LifetimeUnfixable(f"uses .{found[0]} of tempfile's wrapper, which a plain file object does not have")


def _plan_open_temp_file(engine: TmplintCommand, site: Site) -> SitePlan:
    call = site.call
    bound = bind_call(site)
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
    if not deleting and isinstance(item, cst.WithItem) and item.item is call:
        return _plan_delete_false_with(engine, site, bound, wid)
    helpers = ["open_temp_file"] + ([CLEANUP] if deleting else [])
    plan = new_plan(engine, site, wid, helpers, bound)

    def file_expr(updated: cst.Call) -> cst.BaseExpression:
        return open_temp_file_call(wid, updated, bound)

    if deleting:
        return _plan_deleting(engine, call, plan, file_expr)
    plan.replacements[call] = file_expr  # type: ignore[assignment]
    found = simple_assignment(engine, call)
    target = found[1].targets[0].target if found is not None else None
    name_target = target if isinstance(target, cst.Name) else None
    if isinstance(item, cst.WithItem):  # an item's call argument: NamedTemporaryFile(...).name
        plan.note = "cleanup not added: a delete=False file opened inside a `with` item"
        return plan
    if name_target is not None:
        _reject_wrapper_api(engine.parent(found[0]) or found[0], name_target.value)  # type: ignore[index]
    name_value = name_target.value if name_target is not None else ""
    maybe_cleanup(
        engine, site, plan, name_target, FILE,
        lambda: build.dotted(f"{name_value}.name"), "the file",
    )
    return plan


def _plan_delete_false_with(engine: TmplintCommand, site: Site, bound: BoundArguments, wid: WorkflowId) -> SitePlan:
    """``with NamedTemporaryFile(delete=False) as tmp: ...``: the file outlives the ``with``; it is
    removed in a ``finally`` after the code that uses it, when its path stays in the function. A
    body that only takes the name becomes ``out = get_temp_path(WID, S)`` when the later code only
    creates or writes the file (it would not find an existing empty file)."""
    call = site.call
    item = engine.parent(call)
    with_node = engine.parent(item)
    if not isinstance(item, cst.WithItem) or not isinstance(with_node, cst.With):  # pragma: no cover
        raise Unfixable("unexpected with statement")
    target = item.asname.name if item.asname is not None else None
    name_only = _name_taken(engine, with_node, target)
    if name_only is not None:
        plan = _plan_name_only(engine, site, bound, wid, with_node, name_only)
        if plan is not None:
            return plan
    plan = new_plan(engine, site, wid, ["open_temp_file"], bound)
    plan.replacements[call] = lambda updated: open_temp_file_call(wid, updated, bound)  # type: ignore[arg-type]
    if not isinstance(target, cst.Name):
        plan.note = "cleanup not added: the file has no name in the `with` statement"
        return plan
    _reject_wrapper_api(engine.parent(with_node), target.value)
    decision = decide_cleanup(engine, call, with_node, [(target.value, FILE, target)], include_statement=True)
    name = target.value
    apply_cleanup_decision(engine, plan, call, with_node, decision, lambda: build.dotted(f"{name}.name"))
    return plan


def _name_taken(engine: TmplintCommand, with_node: cst.With,
                target: Optional[cst.BaseAssignTargetExpression]) -> Optional[Tuple[cst.SimpleStatementLine, cst.Name]]:
    """``(statement, out)`` when the ``with`` has one item and its body is only ``out = tmp.name``,
    and ``tmp`` is not used anywhere else."""
    if len(with_node.items) != 1 or not isinstance(target, cst.Name):
        return None
    body = build.as_statements(with_node.body)
    if len(body) != 1 or not isinstance(body[0], cst.SimpleStatementLine) or len(body[0].body) != 1:
        return None
    assign = body[0].body[0]
    if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1
            and isinstance(assign.targets[0].target, cst.Name)
            and isinstance(assign.value, cst.Attribute) and assign.value.attr.value == "name"
            and isinstance(assign.value.value, cst.Name) and assign.value.value.value == target.value):
        return None
    scope = engine.scope(target)
    if scope is None or any(len(a.references) != 1 for a in scope.assignments[target.value]) \
            or len(scope.assignments[target.value]) != 1:
        return None
    return body[0], assign.targets[0].target  # type: ignore[return-value]


def _plan_name_only(engine: TmplintCommand, site: Site, bound: BoundArguments, wid: WorkflowId,
                    with_node: cst.With, name_only: Tuple[cst.SimpleStatementLine, cst.Name]) -> Optional[SitePlan]:
    statement, out = name_only
    if not _only_created_later(engine, with_node, out):
        return None
    plan = new_plan(engine, site, wid, ["get_temp_path"], bound)
    index = list(with_node.items).index(engine.parent(site.call))  # type: ignore[arg-type]
    header = with_node.body.header if isinstance(with_node.body, cst.IndentedBlock) else None
    trailing = statement.trailing_whitespace if statement.trailing_whitespace.comment else header
    # both lines had a comment: the with line's goes above the assignment, nothing is lost
    moved = [cst.EmptyLine(indent=True, comment=header.comment)] \
        if header is not None and header.comment is not None and trailing is not header else []

    def replace_with(updated: cst.With) -> cst.SimpleStatementLine:
        made = helper_call("get_temp_path", wid, updated.items[index].item, bound)  # type: ignore[arg-type]
        return build.assign(out.value, made, trailing=trailing, leading=[*updated.leading_lines, *moved])

    plan.replacements[with_node] = replace_with  # type: ignore[assignment]
    decision = decide_cleanup(engine, site.call, with_node, [(out.value, PATH, out)], include_statement=True)
    apply_cleanup_decision(engine, plan, site.call, with_node, decision, lambda: build.name(out.value))
    return plan


#: calls that create (or overwrite) the file at a path they are given, by the argument's position
CREATES = {
    "builtins.open": 0, "io.open": 0, "os.replace": 1, "os.rename": 1, "shutil.copy": 1, "shutil.copy2": 1,
    "shutil.copyfile": 1, "shutil.move": 1,
}


def _only_created_later(engine: TmplintCommand, with_node: cst.With, out: cst.Name) -> bool:
    """Whether every later use of ``out`` makes the file itself (``open(out, "w")``, a
    destination, a subprocess argument) or removes it, so a path without a file behaves the same."""
    scope = engine.scope(out)
    if scope is None:
        return False
    for assignment in scope.assignments[out.value]:
        for access in assignment.references:
            if not _creates_or_removes(engine, access.node):
                return False
    return True


def _creates_or_removes(engine: TmplintCommand, node: cst.CSTNode) -> bool:
    arg = engine.parent(node)
    holder = arg
    while isinstance(engine.parent(holder), (cst.Element, cst.List, cst.Tuple)):
        holder = engine.parent(holder)
    call = engine.parent(holder) if isinstance(holder, (cst.Arg, cst.Element, cst.List, cst.Tuple)) else None
    if isinstance(holder, (cst.List, cst.Tuple)) and isinstance(engine.parent(holder), cst.Arg):
        call = engine.parent(engine.parent(holder))
    if not isinstance(call, cst.Call):
        return False
    names = engine.qualified_names(call.func)
    if any(n.startswith("subprocess.") for n in names) or names & {"os.unlink", "os.remove"}:
        return True
    for name, position in CREATES.items():
        if name in names and isinstance(arg, cst.Arg) and position < len(call.args) and call.args[position] is arg:
            if name.endswith("open"):
                mode = call.args[1].value if len(call.args) > 1 else None
                return isinstance(mode, cst.SimpleString) and str(mode.evaluated_value)[:1] in ("w", "x")
            return True
    return False


def _plan_deleting(engine: TmplintCommand, call: cst.Call, plan: SitePlan, file_expr) -> SitePlan:
    """A file that deletes itself when closed: in a ``with``, or a local variable."""
    parent = engine.parent(call)
    if isinstance(parent, cst.WithItem) and parent.item is call:
        with_node = engine.parent(parent)
        if not isinstance(with_node, cst.With):  # pragma: no cover - a WithItem's parent
            raise Unfixable("unexpected with statement")
        if parent.asname is not None and isinstance(parent.asname.name, cst.Name):
            _reject_wrapper_api(with_node.body, parent.asname.name.value)
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
    _reject_wrapper_api(engine.parent(statement), target.value)
    decision = decide_cleanup(engine, call, statement, [(target.value, FILE, target)])
    if decision.escape or not (decision.add or decision.existing):
        raise LifetimeUnfixable(f"the file is deleted when it is closed, but {decision.escape or decision.reason}")
    plan.replacements[call] = file_expr
    name = target.value
    plan.wrap = Wrap(statement, lambda: cleanup_call(build.dotted(f"{name}.name")),
                     through=_closing_statement(engine, statement, name))
    return plan


def _closing_statement(engine: TmplintCommand, statement: cst.SimpleStatementLine,
                       name: str) -> Optional[cst.SimpleStatementLine]:
    """The statement ``name.close()`` later in the same block, where the original file was
    deleted: the cleanup runs right after it, not at the end of the block."""
    block = engine.parent(statement)
    body = list(getattr(block, "body", ()))
    for later in body[body.index(statement) + 1:]:
        if isinstance(later, cst.SimpleStatementLine) and len(later.body) == 1 \
                and isinstance(later.body[0], cst.Expr) and isinstance(later.body[0].value, cst.Call):
            func = later.body[0].value.func
            if isinstance(func, cst.Attribute) and func.attr.value == "close" \
                    and isinstance(func.value, cst.Name) and func.value.value == name:
                return later
    return None


_open_or_keep = rewrite_or_keep_in_job_dir(_plan_open_temp_file, "a factory that creates files when it is called")

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
