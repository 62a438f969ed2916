"""Does a temp path provably stay local? (docs/fix.md, "Cleanup")

The codemod adds ``finally: cleanup_temp_path(p)`` after ``fd, p = mkstemp()``, ``d = mkdtemp()``
or ``f = NamedTemporaryFile(delete=False)`` only when nothing can still need the path after the
enclosing block ends. Everything that could keep it alive counts as an escape:

* returned or yielded (also inside a tuple, an f-string, ``os.path.join(p, x)``, ``p + x``, ...);
* stored on an attribute, in a subscript, in a global, or in a container via ``append``, ``add``,
  ``put``, ``extend``, ``insert``, ``setdefault``, ``update``, ``register``, ``submit`` ...;
* handed to something that may outlive the call (``Thread``, ``Process``, ``Popen``, ``Timer``,
  ``create_task``, ``run_in_executor``, ``weakref.finalize`` ...), or to a temp object that deletes
  what it made inside the dir when it is collected (``NamedTemporaryFile(dir=d)``);
* captured by a nested function, lambda or class;
* used outside the rest of the block (after an ``if`` that made it, in a later loop turn), rebound,
  deleted, declared ``global``/``nonlocal``, or bound with ``:=``.

Aliases (``q = p``, ``out = os.path.join(p, "x")``, ``for x in [p]``) are followed with the same
rules. A value *computed from* the path by an arbitrary call (``open(p).read()``,
``json.load(...)``) does not carry the path. When the function already removes the path
(``os.unlink/os.remove/os.rmdir/shutil.rmtree/Path.unlink/cleanup_temp_path`` of it or of an
alias) that cleanup is kept and nothing is added. When unsure: no cleanup, and the summary says why
(the original left the file behind too, so that is never wrong).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import ComprehensionScope, FunctionScope, Scope

if TYPE_CHECKING:  # pragma: no cover
    from tmplint.codemods.base import TmplintCommand

#: methods that store their argument in a container (or register it for later)
CONTAINER_METHODS = frozenset({
    "append", "appendleft", "add", "put", "put_nowait", "extend", "extendleft", "insert",
    "setdefault", "update", "push", "register", "enqueue", "send", "set", "setattr", "__setitem__",
    "submit", "apply_async", "map_async", "starmap_async",
})
#: callables whose arguments may be used after the current function returned: threads and
#: processes, scheduled and deferred calls (``addCleanup(shutil.rmtree, d)``), and process-wide
#: state that keeps pointing at the path (``os.chdir``)
ASYNC_SINKS = frozenset({
    "Thread", "Process", "Timer", "Popen", "create_task", "ensure_future", "run_in_executor",
    "start_new_thread", "call_soon", "call_later", "call_at", "call_soon_threadsafe", "delay",
    "spawn", "finalize", "setattr", "partial", "addCleanup", "addClassCleanup", "addAsyncCleanup",
    "addModuleCleanup", "callback", "push_async_callback", "add_done_callback", "after", "after_idle",
    "defer", "chdir", "fchdir", "putenv", "symlink", "link",
})
#: objects that delete the file or dir they made (in ``dir=``) when they are closed or collected,
#: possibly after the block: removing their dir first would make that fail
SELF_DELETING = frozenset({"NamedTemporaryFile", "TemporaryFile", "SpooledTemporaryFile", "TemporaryDirectory"})
#: a function reference passed next to the path (``addCleanup(shutil.rmtree, d)``,
#: ``atexit.register(os.unlink, p)``): the path is removed later, by the code that is there
CLEANUP_REFERENCE_NAMES = frozenset({"unlink", "remove", "rmtree", "rmdir", "removedirs", "cleanup_temp_path"})
#: calls whose result is (still) the path, so the path flows on through them
PATH_FUNCTIONS = frozenset({
    "str", "bytes", "os.fspath", "os.fsencode", "os.fsdecode", "pathlib.Path", "pathlib.PurePath",
    "pathlib.PosixPath", "pathlib.PurePosixPath", "pathlib.WindowsPath", "pathlib.PureWindowsPath",
    "Path", "PurePath", "PosixPath", "PurePosixPath",
})
#: os.path functions whose result still names the path (not getsize, exists, ...)
_PATH_MODULE_FUNCTIONS = (
    "join", "abspath", "realpath", "normpath", "normcase", "expanduser", "expandvars", "dirname",
    "basename", "relpath", "split", "splitext", "splitdrive", "commonpath", "commonprefix",
)
PATH_FUNCTIONS = PATH_FUNCTIONS | frozenset(
    f"{module}.{function}" for module in ("os.path", "posixpath", "ntpath") for function in _PATH_MODULE_FUNCTIONS
)
#: calls that remove a path
CLEANUP_FUNCTIONS = frozenset({
    "os.unlink", "os.remove", "os.rmdir", "os.removedirs", "shutil.rmtree",
})
CLEANUP_NAMES = frozenset({"cleanup_temp_path"})
CLEANUP_METHODS = frozenset({"unlink", "rmdir"})
#: methods of a path (str or Path) whose result is not the path
NON_PATH_METHODS = frozenset({
    "startswith", "endswith", "exists", "is_file", "is_dir", "is_symlink", "stat", "lstat",
    "read_text", "read_bytes", "write_text", "write_bytes", "open", "count", "find", "rfind",
    "index", "rindex", "isdigit", "isalpha", "samefile", "touch", "mkdir", "chmod",
})

#: calls that use a path (or file) they are given and keep nothing of it once they return
SYNC_CONSUMERS = frozenset({
    "builtins.open", "builtins.print", "builtins.len", "builtins.repr", "builtins.bool", "builtins.hash",
    "builtins.isinstance", "builtins.issubclass", "builtins.id", "builtins.type", "builtins.format",
    "io.open", "codecs.open", "json.dump", "json.load", "pickle.dump", "pickle.load", "marshal.dump",
    "marshal.load", "gzip.open", "bz2.open", "lzma.open", "tarfile.open", "tarfile.is_tarfile",
    "zipfile.ZipFile", "zipfile.is_zipfile", "filecmp.cmp", "glob.glob", "fnmatch.fnmatch",
    "hashlib.file_digest", "mimetypes.guess_type", "subprocess.run", "subprocess.call",
    "subprocess.check_call", "subprocess.check_output", "subprocess.getoutput",
    "subprocess.getstatusoutput", "shutil.copyfileobj",
})
#: modules whose functions all use a path synchronously (their exceptions are ASYNC_SINKS,
#: checked first, and PATH_CARRIERS)
SYNC_CONSUMER_MODULES = ("os.", "os.path.", "posixpath.", "ntpath.", "shutil.", "stat.")
#: methods of any object that only read or write the file at the path, or log it, and return
SYNC_CONSUMER_METHODS = frozenset({
    "debug", "info", "warning", "warn", "error", "exception", "critical", "log",
    "extractall", "extract", "savefig", "imwrite", "imread", "to_csv", "to_parquet", "to_json",
    "to_excel", "to_pickle", "read_csv", "read_parquet", "read_json", "read_excel", "savez",
    "savez_compressed", "savetxt", "loadtxt", "upload_file", "download_file", "upload_fileobj",
    "download_fileobj",
})
#: calls whose result is a new value built from the path: the path flows on through them
PATH_CARRIERS = frozenset({
    "json.dumps", "shlex.quote", "shlex.join", "shutil.copy", "shutil.copy2", "shutil.copyfile",
    "shutil.copytree", "shutil.move", "os.path.join",
    # lazy: they read the dir when the caller iterates, not when they are called
    "glob.iglob", "os.scandir", "os.walk", "os.fwalk", "builtins.map", "builtins.filter", "builtins.zip",
    "builtins.iter", "builtins.enumerate", "builtins.reversed",
})
#: ``"...".format(p)``, ``", ".join([p])``: methods of a string literal whose result holds the path
STRING_CARRIER_METHODS = frozenset({"format", "join", "replace", "strip", "lstrip", "rstrip"})

#: kinds of tracked values: the path itself, or an open file object whose ``.name`` is the path
PATH, FILE = "path", "file"


@dataclass
class Decision:
    add: bool
    #: why no cleanup is added ("" when it is)
    reason: str = ""
    #: an existing cleanup call was found (kept, never doubled)
    existing: bool = False
    #: why the path is not provably local ("" when it is)
    escape: str = ""
    #: the existing cleanup is one statement of the block (``os.unlink(p)``) that can become the
    #: ``finally`` of a try around the statements before it
    convertible: Optional[cst.SimpleStatementLine] = None


@dataclass
class _State:
    escape: Optional[str] = None
    cleanup_line: Optional[int] = None
    aliases: List[Tuple[str, str, cst.Name]] = field(default_factory=list)


@dataclass
class _Flow:
    """A tracked value on its way up the tree: what it is, and how messages name it."""
    kind: str
    label: str
    state: _State


class Analysis:
    def __init__(self, engine: "TmplintCommand", function: cst.FunctionDef, statement: cst.BaseStatement,
                 block: cst.CSTNode, include_statement: bool = False) -> None:
        self.engine = engine
        self.function = function
        self.statement = statement
        self.block = block
        body = list(block.body)  # type: ignore[attr-defined]
        index = body.index(statement)
        self.rest = body[index + 1:]
        #: the statements where a use is local: the rest, and the statement itself when it is the
        #: ``with`` that made the file (its body uses the file)
        self.local = body[index:] if include_statement else self.rest
        self.function_scope: Optional[Scope] = engine.scope(function.body)

    # -- positions

    def _pos(self, node: cst.CSTNode) -> Tuple[Tuple[int, int], Tuple[int, int]]:
        where = self.engine.position(node)
        return (where.start.line, where.start.column), (where.end.line, where.end.column)

    def in_rest(self, node: cst.CSTNode) -> bool:
        if not self.local:
            return False
        start = self._pos(self.local[0])[0]
        end = self._pos(self.local[-1])[1]
        a, b = self._pos(node)
        return start <= a and b <= end

    def line(self, node: cst.CSTNode) -> int:
        return self.engine.line(node)

    # -- the walk

    def decide(self, tracked: Sequence[Tuple[str, str, cst.Name]]) -> Decision:
        state = _State()
        seen: Set[str] = set()
        work = list(tracked)
        first = True
        while work:
            name, kind, target = work.pop(0)
            if name in seen:
                continue
            seen.add(name)
            self._check_name(name, kind, target, state, original=first)
            first = False
            if state.escape:
                break
            work.extend(state.aliases)
            state.aliases = []
        if state.escape and state.cleanup_line is None:
            # the walk stopped at the escape; a removal further on still means "kept"
            state.cleanup_line = self._existing_cleanup_line(seen | {a[0] for a in state.aliases})
        if state.cleanup_line is not None:
            convertible = None if state.escape else self._lone_cleanup_statement(seen)
            return Decision(False, f"already removed by the function (line {state.cleanup_line}); kept",
                            existing=True, escape=state.escape or "", convertible=convertible)
        if state.escape:
            return Decision(False, state.escape, escape=state.escape)
        if not self.rest:
            return Decision(False, "the path is not used after it is made in its block")
        return Decision(True)

    def _lone_cleanup_statement(self, names: Set[str]) -> Optional[cst.SimpleStatementLine]:
        """The one statement of the rest of the block that only removes the path (``os.unlink(p)``,
        ``os.remove(f.name)``, ``shutil.rmtree(d)``, ``Path(p).unlink()``), when it is the only
        removal; a ``finally`` can do the same at the same point."""
        found = [s for s in self.rest if isinstance(s, cst.SimpleStatementLine) and len(s.body) == 1
                 and isinstance(s.body[0], cst.Expr) and isinstance(s.body[0].value, cst.Call)
                 and self._plain_removal(s.body[0].value, names)]
        if len(found) != 1 or self._existing_cleanup_line(names, until=found[0]) is not None:
            return None
        return found[0]

    def _removed_operand(self, call: cst.Call) -> Optional[cst.CSTNode]:
        """What a removal call removes: the first argument of ``os.unlink``/``os.remove``/
        ``shutil.rmtree``/``cleanup_temp_path`` ..., the path of ``p.unlink()``/``Path(p).rmdir()``;
        None for any other call."""
        func = call.func
        if self._call_names(call) & (CLEANUP_FUNCTIONS | CLEANUP_NAMES) or \
                (get_full_name_for_node(func) or "").rpartition(".")[2] in CLEANUP_NAMES:
            return call.args[0].value if call.args else None
        if isinstance(func, cst.Attribute) and func.attr.value in CLEANUP_METHODS:
            return func.value
        return None

    def _plain_removal(self, call: cst.Call, names: Set[str]) -> bool:
        """A removal of one of ``names`` that ``cleanup_temp_path`` does the same as: ``p.unlink()``
        (``missing_ok=``), or a function of the path alone (``shutil.rmtree(d, ignore_errors=True)``)."""
        operand = self._removed_operand(call)
        if operand is None or not _mentions(operand, names):
            return False
        keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        positional = [a.value for a in call.args if a.keyword is None and not a.star]
        if isinstance(call.func, cst.Attribute) and operand is call.func.value:
            return call.func.attr.value == "unlink" and not positional and set(keywords) <= {"missing_ok"}
        return len(positional) == 1 and set(keywords) <= {"ignore_errors"} and all(map(_is_true, keywords.values()))

    def _existing_cleanup_line(self, names: Set[str], until: Optional[cst.CSTNode] = None) -> Optional[int]:
        """The line of a removal of one of ``names`` (``os.unlink(p)``, ``shutil.rmtree(d)``,
        ``Path(p).unlink()``, ``os.remove(f.name)``) in the rest of the block, if any."""
        found: List[int] = []
        analysis = self

        class Finder(cst.CSTVisitor):
            def visit_Call(self, call: cst.Call) -> None:
                operand = analysis._removed_operand(call)
                if operand is not None and _mentions(operand, names):
                    found.append(analysis.line(call))

        for statement in self.rest:
            if statement is not until:
                statement.visit(Finder())
        return found[0] if found else None

    def _check_name(self, name: str, kind: str, target: cst.Name, state: _State, original: bool) -> None:
        scope = self.engine.scope(target)
        if scope is not self.function_scope or not isinstance(scope, FunctionScope):
            state.escape = f"`{name}` is not a local of the function (global or nonlocal)"
            return
        assignments = self.engine.in_source_order(scope.assignments[name])
        if not any(a.node is target for a in assignments):
            state.escape = f"`{name}` is not a local of the function (global or nonlocal)"
            return
        if original and len(assignments) != 1:
            other = next((a for a in assignments if a.node is not target), None)
            where = ""
            if other is not None and isinstance(other.node, cst.CSTNode):
                where = f" (line {self.line(other.node)})"
            state.escape = f"`{name}` is bound more than once in the function{where}"
            return
        for assignment in assignments:
            node = assignment.node
            if not original and isinstance(node, cst.CSTNode) and not self.in_rest(node):
                # an alias name also bound elsewhere: its other value may be used after the block
                if any(not self.in_rest(ref.node) for ref in assignment.references):
                    state.escape = f"`{name}` (an alias of the path) is used outside the block (line {self.line(node)})"
                    return
            for access in self.engine.in_source_order(assignment.references):
                self._check_access(name, kind, access, scope, state)
                if state.escape:
                    return

    def _check_access(self, name: str, kind: str, access, scope: Scope, state: _State) -> None:
        node = access.node
        if not isinstance(node, cst.CSTNode):
            return
        line = self.line(node)
        if not self.in_rest(node):
            state.escape = f"`{name}` is used outside the block it is made in (line {line})"
            return
        access_scope = access.scope
        while access_scope is not scope and isinstance(access_scope, ComprehensionScope):
            access_scope = access_scope.parent
        if access_scope is not scope:
            state.escape = f"`{name}` is captured by a nested function or lambda (line {line})"
            return
        if isinstance(self.engine.parent(node), cst.Del) or _in_del(self.engine, node):
            state.escape = f"`{name}` is deleted with del (line {line})"
            return
        # a generator expression reads the path when it is iterated, later: it stands for the path
        lazy = _enclosing_generator(self.engine, node) if access.scope is not scope else None
        self._flow(lazy or node, kind, state, f"`{name}`")

    def _flow(self, node: cst.CSTNode, kind: str, state: _State, label: str) -> None:
        """Follow where the value of ``node`` (a use of a tracked name) goes, one parent at a time."""
        flow = _Flow(kind, label, state)
        current: Optional[cst.CSTNode] = node
        while current is not None:
            parent = self.engine.parent(current)
            step = _FLOW_STEPS.get(type(parent))
            current = None if step is None else step(self, flow, current, parent)

    # -- one step of the flow per parent kind: the node the value goes on as, or None where it
    # stops (having set ``escape`` or ``cleanup_line`` when that is why)

    def _through_attribute(self, flow: _Flow, current: cst.CSTNode, parent: cst.Attribute) -> Optional[cst.CSTNode]:
        if current is not parent.value:
            return None
        grand = self.engine.parent(parent)
        is_call = isinstance(grand, cst.Call) and grand.func is parent
        if flow.kind == FILE:
            if parent.attr.value == "name" and not is_call:
                flow.kind = PATH
                flow.label = f"{flow.label[:-1]}.name`"
                return parent
            return None  # f.write(...), f.read() ...: not the path
        if not is_call:
            return parent
        if parent.attr.value in CLEANUP_METHODS:
            flow.state.cleanup_line = self.line(current)
            return None
        if parent.attr.value in NON_PATH_METHODS:
            return None
        return grand  # p.replace(...), Path(p).with_suffix(...): still a path

    def _through_subscript(self, flow: _Flow, current: cst.CSTNode, parent: cst.Subscript) -> Optional[cst.CSTNode]:
        return parent if current is parent.value else None

    def _into_subscript_key(self, flow: _Flow, current: cst.CSTNode, parent: cst.CSTNode) -> Optional[cst.CSTNode]:
        subscript = _up_to(self.engine, parent, cst.Subscript)
        if subscript is not None and _is_target(self.engine, subscript):
            flow.state.escape = f"{flow.label} is used as a key of a container (line {self.line(current)})"
        return None

    def _through_if_exp(self, flow: _Flow, current: cst.CSTNode, parent: cst.IfExp) -> Optional[cst.CSTNode]:
        return None if current is parent.test else parent

    def _through_container(self, flow: _Flow, current: cst.CSTNode, parent: cst.CSTNode) -> Optional[cst.CSTNode]:
        return parent

    def _into_argument(self, flow: _Flow, current: cst.CSTNode, parent: cst.Arg) -> Optional[cst.CSTNode]:
        call = self.engine.parent(parent)
        if not isinstance(call, cst.Call):
            return None
        line = self.line(current)
        names = self._call_names(call)
        simple = {n.rpartition(".")[2] for n in names}
        # a removal now, or a deferred one: addCleanup(shutil.rmtree, d)
        if names & CLEANUP_FUNCTIONS or simple & CLEANUP_NAMES or _passes_cleanup_reference(call, parent):
            flow.state.cleanup_line = line
            return None
        if simple & SELF_DELETING:
            flow.state.escape = (f"{flow.label} is handed to {next(iter(simple & SELF_DELETING))}(), which deletes "
                                 f"what it made in it when it is collected (line {line})")
            return None
        if names & PATH_FUNCTIONS:
            return call
        return self._into_other_call(flow, call, names, simple, line)

    def _into_other_call(self, flow: _Flow, call: cst.Call, names: Set[str], simple: Set[str],
                         line: int) -> Optional[cst.CSTNode]:
        """An argument of a call that neither removes the path nor is a path function."""
        method = call.func.attr.value if isinstance(call.func, cst.Attribute) else None
        if method in CONTAINER_METHODS:
            flow.state.escape = f"{flow.label} is stored in a container with .{method}() (line {line})"
            return None
        if simple & ASYNC_SINKS or (method in ASYNC_SINKS):
            sink = method or next(iter(simple & ASYNC_SINKS))
            flow.state.escape = f"{flow.label} is passed to {sink}(), which may use it later (line {line})"
            return None
        if names & PATH_CARRIERS or _string_carrier(call):
            return call
        if not _consumes_synchronously(names, method):
            callee = get_full_name_for_node(call.func) or "a call"
            flow.state.escape = (f"{flow.label} is passed to {callee}(), which may keep it after the function "
                                 f"returns (line {line})")
        return None

    def _into_return(self, flow: _Flow, current: cst.CSTNode, parent: cst.Return) -> Optional[cst.CSTNode]:
        flow.state.escape = f"{flow.label} is returned (line {self.line(current)})"
        return None

    def _into_yield(self, flow: _Flow, current: cst.CSTNode, parent: cst.Yield) -> Optional[cst.CSTNode]:
        flow.state.escape = f"{flow.label} is yielded (line {self.line(current)})"
        return None

    def _into_named_expr(self, flow: _Flow, current: cst.CSTNode, parent: cst.NamedExpr) -> Optional[cst.CSTNode]:
        flow.state.escape = f"{flow.label} is bound with := (line {self.line(current)})"
        return None

    def _into_assignment(self, flow: _Flow, current: cst.CSTNode,
                         parent: "cst.Assign | cst.AnnAssign | cst.AugAssign") -> Optional[cst.CSTNode]:
        if current is not parent.value:
            return None
        targets = [t.target for t in parent.targets] if isinstance(parent, cst.Assign) else [parent.target]
        line = self.line(current)
        for target in targets:
            self._bind(target, flow.kind, flow.state, line)
            if flow.state.escape:
                break
        return None

    def _into_for(self, flow: _Flow, current: cst.CSTNode, parent: cst.For) -> Optional[cst.CSTNode]:
        if current is parent.iter:
            self._bind(parent.target, PATH, flow.state, self.line(current))
        return None

    def _into_with_item(self, flow: _Flow, current: cst.CSTNode, parent: cst.WithItem) -> Optional[cst.CSTNode]:
        if current is parent.item and parent.asname is not None:
            self._bind(parent.asname.name, flow.kind, flow.state, self.line(current))
        return None

    def _bind(self, target: cst.BaseExpression, kind: str, state: _State, line: int) -> None:
        if isinstance(target, cst.Name):
            scope = self.engine.scope(target)
            if scope is not self.function_scope:
                state.escape = f"the path is stored in a global (line {line})"
                return
            state.aliases.append((target.value, kind, target))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind(element.value, PATH, state, line)
                if state.escape:
                    return
        elif isinstance(target, cst.StarredElement):
            self._bind(target.value, PATH, state, line)
        elif isinstance(target, cst.Attribute):
            state.escape = f"the path is stored on an attribute (line {line})"
        else:
            state.escape = f"the path is stored in a container (line {line})"

    def _call_names(self, call: cst.Call) -> Set[str]:
        names = set(self.engine.qualified_names(call.func))
        text = get_full_name_for_node(call.func)
        if text:
            names.add(text)
        return names


#: ``Analysis._flow``'s step for each kind of parent of the tracked value; any other parent
#: (a comparison, a condition, a statement of its own) keeps nothing of it
_FLOW_STEPS: Dict[type, Callable[[Analysis, _Flow, cst.CSTNode, Any], Optional[cst.CSTNode]]] = {
    cst.Attribute: Analysis._through_attribute,
    cst.Subscript: Analysis._through_subscript,
    **dict.fromkeys((cst.SubscriptElement, cst.Index, cst.Slice), Analysis._into_subscript_key),
    cst.IfExp: Analysis._through_if_exp,
    **dict.fromkeys((cst.BinaryOperation, cst.BooleanOperation, cst.FormattedStringExpression, cst.FormattedString,
                     cst.ConcatenatedString, cst.Await, cst.Element, cst.StarredElement, cst.DictElement,
                     cst.StarredDictElement, cst.List, cst.Tuple, cst.Set, cst.Dict, cst.ListComp, cst.SetComp,
                     cst.DictComp, cst.GeneratorExp, cst.CompFor, cst.From), Analysis._through_container),
    cst.Arg: Analysis._into_argument,
    cst.Return: Analysis._into_return,
    cst.Yield: Analysis._into_yield,
    cst.NamedExpr: Analysis._into_named_expr,
    **dict.fromkeys((cst.Assign, cst.AnnAssign, cst.AugAssign), Analysis._into_assignment),
    cst.For: Analysis._into_for,
    cst.WithItem: Analysis._into_with_item,
}


def _enclosing_generator(engine: "TmplintCommand", node: cst.CSTNode) -> Optional[cst.GeneratorExp]:
    """The outermost generator expression around ``node`` within its statement, if any."""
    found = None
    current = engine.parent(node)
    while current is not None and not isinstance(current, (cst.BaseStatement, cst.BaseSmallStatement)):
        if isinstance(current, cst.GeneratorExp):
            found = current
        current = engine.parent(current)
    return found


def _is_true(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def _mentions(node: cst.CSTNode, names: Set[str]) -> bool:
    """Whether ``node`` is one of ``names``, ``X.name``, or ``Path(X)``/``str(X)`` of one."""
    if isinstance(node, cst.Name):
        return node.value in names
    if isinstance(node, cst.Attribute) and node.attr.value == "name":
        return _mentions(node.value, names)
    if isinstance(node, cst.Call) and len(node.args) == 1:
        return _mentions(node.args[0].value, names)
    return False


def _consumes_synchronously(names: Set[str], method: Optional[str]) -> bool:
    if names & SYNC_CONSUMERS or method in SYNC_CONSUMER_METHODS:
        return True
    if method is not None and method.startswith("assert"):
        return True  # unittest's self.assert*(...)
    return any(name.startswith(SYNC_CONSUMER_MODULES) for name in names)


def _string_carrier(call: cst.Call) -> bool:
    func = call.func
    return isinstance(func, cst.Attribute) and func.attr.value in STRING_CARRIER_METHODS \
        and isinstance(func.value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString))


def _passes_cleanup_reference(call: cst.Call, argument: cst.Arg) -> bool:
    """Whether another argument of ``call`` is a removal function (``atexit.register(os.unlink, p)``)."""
    return any(arg is not argument and _reference_name(arg.value) in CLEANUP_REFERENCE_NAMES for arg in call.args)


def _reference_name(node: cst.BaseExpression) -> Optional[str]:
    """``rmtree`` for a bare function reference ``shutil.rmtree`` / ``rmtree`` (not a call)."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


def _up_to(engine: "TmplintCommand", node: cst.CSTNode, kind: type) -> Optional[cst.CSTNode]:
    current: Optional[cst.CSTNode] = node
    while current is not None and not isinstance(current, kind):
        current = engine.parent(current)
    return current


def _is_target(engine: "TmplintCommand", node: cst.CSTNode) -> bool:
    current = node
    parent = engine.parent(current)
    while isinstance(parent, (cst.Tuple, cst.List, cst.Element, cst.StarredElement)):
        current, parent = parent, engine.parent(parent)
    if isinstance(parent, cst.AssignTarget):
        return True
    if isinstance(parent, (cst.AugAssign, cst.AnnAssign)) and parent.target is current:
        return True
    if isinstance(parent, cst.For) and parent.target is current:
        return True
    return isinstance(parent, cst.Del)


def _in_del(engine: "TmplintCommand", node: cst.CSTNode) -> bool:
    current = engine.parent(node)
    while isinstance(current, (cst.Tuple, cst.List, cst.Element)):
        current = engine.parent(current)
    return isinstance(current, cst.Del)


# --------------------------------------------------------------------------- entry point


def simple_assignment(engine: "TmplintCommand", call: cst.Call) -> Optional[Tuple[cst.SimpleStatementLine, cst.Assign]]:
    """``(line, assign)`` when ``call`` is the whole value of a one-statement line ``TARGET = call``."""
    assign = engine.parent(call)
    if not isinstance(assign, cst.Assign) or assign.value is not call or len(assign.targets) != 1:
        return None
    line = engine.parent(assign)
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    return line, assign


def decide_cleanup(engine: "TmplintCommand", call: cst.Call, statement: cst.BaseStatement,
                   tracked: Sequence[Tuple[str, str, cst.Name]], include_statement: bool = False) -> Decision:
    """May a ``finally`` cleanup be added around the rest of ``statement``'s block?
    ``include_statement``: uses inside ``statement`` itself (the ``with`` that made a file) are local."""
    function = engine.enclosing_def(call)
    kind, _ = engine.enclosing(call)
    if function is None or kind != "function":
        return Decision(False, "not inside a function (the path may be used after this code runs)")
    if engine.enclosing_def(statement) is not function:
        return Decision(False, "not a statement of the function")
    block = engine.parent(statement)
    if not isinstance(block, cst.IndentedBlock):
        return Decision(False, "the statement is not in an indented block")
    return Analysis(engine, function, statement, block, include_statement).decide(tracked)
