"""TMP005: ``os.path.join(tempfile.gettempdir(), name)`` -> ``os.path.join(get_temp_dir(WID), name)``;
``gettempdirb()`` -> ``os.fsencode(get_temp_dir(WID))``. Reads and writes of ``tempfile.tempdir`` are
reported only.

``gettempdir()`` is rewritten only where it is the base a scratch path is joined onto
(``os.path.join(gettempdir(), name)``, ``Path(gettempdir()) / name``, ``Path(gettempdir(), name)``)
with a name that is not fixed. Anywhere else its value is the machine's temp dir, not a scratch
location: a guard list (``['/', '/tmp', gettempdir()]``), a comparison (``path.startswith(...)``),
an argument or a variable, or one fixed file name that other code or processes may also open (a
shared state file, a lock, a cache). Moving those into a job's dir would remove a safety check or
split a rendezvous, so they are left with the reason.
"""
from __future__ import annotations

from typing import List, Sequence, Tuple

import libcst as cst

from tmplint.codemods import build
from tmplint.codemods.base import Site, SitePlan, TmplintCommand, Unfixable
from tmplint.codemods.rewrite import literal_texts, new_plan, resolve_id
from tmplint.codemods.signatures import literal_value


def plan_gettempdir(engine: TmplintCommand, site: Site) -> SitePlan:
    call = site.call
    if call.args:
        raise Unfixable(f"tempfile.{site.function_name}() takes no arguments")
    as_bytes = site.function_name == "gettempdirb"
    wid = resolve_id(engine, site)
    engine.check_names(call, helpers=["get_temp_dir"], modules=["os"] if as_bytes else [])
    check_joined_scratch_path(engine, call)
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


JOINS = frozenset({"os.path.join", "posixpath.join", "ntpath.join"})
PATHS = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.PurePosixPath"})
LEFT_AS_VALUE = ("gettempdir() is used as a value (compared, listed, passed on or stored), not as the base of "
                 "a scratch path; the machine's temp dir is left as it is")


def check_joined_scratch_path(engine: TmplintCommand, call: cst.Call) -> None:
    """Unfixable unless ``call`` is the base of a path joined from it with a name that varies."""
    outer = _outer_call(engine, call)
    parts, joined = _joined_parts(engine, outer)
    if any(isinstance(a, cst.Arg) and a.star for a in outer.args):
        raise Unfixable("the joined parts are unpacked with *")
    _check_varying_name(parts)
    _check_unique_name(engine, parts)
    if isinstance(engine.parent(joined), (cst.Comparison, cst.ComparisonTarget)):
        raise Unfixable(LEFT_AS_VALUE)


def _outer_call(engine: TmplintCommand, call: cst.Call) -> cst.Call:
    """The call ``call`` is the first positional argument of."""
    arg = engine.parent(call)
    outer = engine.parent(arg) if isinstance(arg, cst.Arg) else None
    if not (isinstance(outer, cst.Call) and outer.args and outer.args[0] is arg and arg.keyword is None):
        raise Unfixable(LEFT_AS_VALUE)
    return outer


def _joined_parts(engine: TmplintCommand, outer: cst.Call) -> Tuple[Sequence[cst.BaseExpression], cst.CSTNode]:
    """The parts joined onto the temp dir by ``outer`` (a join or a ``Path``), and the whole
    joined expression (``Path(gettempdir()) / name`` for a ``Path`` of the dir alone)."""
    names = engine.qualified_names(outer.func)
    if names & JOINS or (names & PATHS and len(outer.args) > 1):
        return [a.value for a in outer.args[1:]], outer
    if names & PATHS:
        division = engine.parent(outer)
        if not (isinstance(division, cst.BinaryOperation) and isinstance(division.operator, cst.Divide)
                and division.left is outer):
            raise Unfixable(LEFT_AS_VALUE)
        return [division.right], division
    raise Unfixable(LEFT_AS_VALUE)


def _check_varying_name(parts: Sequence[cst.BaseExpression]) -> None:
    """Unfixable when the joined name is fixed (or a lock): other jobs may share that file."""
    if any("lock" in text.lower() for part in parts for text in literal_texts(part)):
        raise Unfixable("a lock path under the system temp dir is shared by every job on purpose")
    if all(isinstance(literal_value(part), (str, bytes)) for part in parts):
        raise Unfixable("a fixed file name under the system temp dir may be opened by other code or processes "
                        "too (shared state, a cache or a lock): moving it into one job's dir would split it")


#: calls whose result differs on every call (or in every process): a name built from one is a
#: scratch file of this call, not a meeting point
UNIQUE_PER_CALL = frozenset({
    "uuid.uuid1", "uuid.uuid4", "os.getpid", "os.urandom", "time.time", "time.time_ns", "time.monotonic",
    "time.monotonic_ns", "time.perf_counter", "time.perf_counter_ns", "threading.get_ident",
    "secrets.token_hex", "secrets.token_urlsafe", "secrets.token_bytes", "secrets.randbits",
    "random.random", "random.randint", "random.randrange", "random.getrandbits", "random.choice",
    "random.choices", "random.sample", "datetime.datetime.now", "datetime.datetime.utcnow",
})


def _check_unique_name(engine: TmplintCommand, parts: Sequence[cst.BaseExpression]) -> None:
    """Unfixable unless the joined name is built from something unique to the call (a uuid, the pid,
    the time, random bits): any other name (a resource's hash, a URL key, a service name, a
    parameter) may be where processes and jobs meet: a lock, a cache, a pid file."""
    if not any(_unique_in(engine, part, follow=True) for part in parts):
        raise Unfixable("the name under the system temp dir is not unique to the call (no uuid, pid, time or "
                        "random part): processes or jobs may meet there on purpose (a lock, a cache, a pid "
                        "file), or collide there by accident; decide by hand")


def _unique_in(engine: TmplintCommand, node: cst.CSTNode, follow: bool) -> bool:
    """Whether ``node`` calls a UNIQUE_PER_CALL function, or (``follow``) uses a local assigned once
    from such an expression."""
    calls: List[cst.Call] = []
    names: List[cst.Name] = []

    class Collect(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            calls.append(call)

        def visit_Name(self, name: cst.Name) -> None:
            names.append(name)

    node.visit(Collect())
    if any(engine.qualified_names(call.func) & UNIQUE_PER_CALL for call in calls):
        return True
    return follow and any(_assigned_once_from_unique(engine, name) for name in names)


def _assigned_once_from_unique(engine: TmplintCommand, name: cst.Name) -> bool:
    scope = engine.scope(name)
    assignments = list(scope.assignments[name.value]) if scope is not None else []
    if len(assignments) != 1 or not isinstance(assignments[0].node, cst.Name):
        return False
    assign = engine.parent(engine.parent(assignments[0].node))
    return isinstance(assign, cst.Assign) and _unique_in(engine, assign.value, follow=False)


PLANNERS = {"tempfile.gettempdir": plan_gettempdir, "tempfile.gettempdirb": plan_gettempdir}


class FixGettempdir(TmplintCommand):
    DESCRIPTION = "TMP005: rewrite tempfile.gettempdir() into get_temp_dir(workflow_id)."
    PLANNERS = PLANNERS
