"""The detector: one ``ast`` pass per file that yields findings.

Everything reads this module: the flake8 plugin, ``tmplint check`` and the ``tmplint fix``
codemods (which rewrite exactly the sites found here, located by position).
"""
from __future__ import annotations

import ast
import bisect
import dataclasses
import functools
import itertools
import re
import tokenize
import unicodedata
import warnings
from typing import Callable, Dict, FrozenSet, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from flake8.defaults import NOQA_FILE, NOQA_INLINE_REGEXP

from tmplint.config import Config
from tmplint.findings import Finding  # noqa: F401 - defined apart so a warm run need not import the detector
from tmplint.prefilter import Prefilter, prefilter_for
from tmplint.registry import RULES
from tmplint.sources import line_start_offsets, split_lines
from tmplint.toplevel import class_body_starts, names_are_ascii, statement_starts, universal_newlines

#: the stdlib ``tempfile`` signatures: function -> (positional-or-keyword parameters in order,
#: keyword-only parameters). The union over the supported Python versions: ``delete_on_close``
#: (NamedTemporaryFile) and ``delete`` (TemporaryDirectory) are 3.12+. The codemods bind
#: arguments with it too (``codemods.signatures``).
SIGNATURES: Dict[str, Tuple[Tuple[str, ...], Tuple[str, ...]]] = {
    "NamedTemporaryFile": (
        ("mode", "buffering", "encoding", "newline", "suffix", "prefix", "dir", "delete"),
        ("errors", "delete_on_close"),
    ),
    "TemporaryFile": (
        ("mode", "buffering", "encoding", "newline", "suffix", "prefix", "dir"),
        ("errors",),
    ),
    "SpooledTemporaryFile": (
        ("max_size", "mode", "buffering", "encoding", "newline", "suffix", "prefix", "dir"),
        ("errors",),
    ),
    "mkstemp": (("suffix", "prefix", "dir", "text"), ()),
    "mkdtemp": (("suffix", "prefix", "dir"), ()),
    "mktemp": (("suffix", "prefix", "dir"), ()),
    "TemporaryDirectory": (("suffix", "prefix", "dir", "ignore_cleanup_errors"), ("delete",)),
    "gettempdir": ((), ()),
    "gettempdirb": ((), ()),
}
_CREATOR_CODES = {
    "NamedTemporaryFile": "TMP001", "TemporaryFile": "TMP001", "SpooledTemporaryFile": "TMP001",
    "mkstemp": "TMP002", "mkdtemp": "TMP003", "TemporaryDirectory": "TMP003", "mktemp": "TMP004",
}
#: tempfile function -> (rule code, position of ``dir`` in its signature)
CREATORS: Dict[str, Tuple[str, int]] = {
    name: (code, SIGNATURES[name][0].index("dir")) for name, code in _CREATOR_CODES.items()
}
TEMPDIR_GETTERS = frozenset({"tempfile.gettempdir", "tempfile.gettempdirb"})
#: names ``from tempfile import *`` binds (tempfile.__all__)
TEMPFILE_ALL = frozenset(
    list(CREATORS)
    + ["TMP_MAX", "gettempprefix", "tempdir", "gettempdir", "gettempprefixb", "gettempdirb"]
)
TEMP_ENV_VARS = frozenset(RULES["TMP007"].needles.literals)
#: calls that read an environment variable (its name is the first argument, or ``key=``)
ENV_GETTERS = frozenset(
    {"os.getenv", "os.getenvb", "os.environ.get", "os.environ.setdefault", "os.environ.pop",
     "os.environb.get", "os.environb.setdefault", "os.environb.pop"}
)
#: getters that also set or delete the variable: with their value thrown away (a bare
#: ``os.environ.pop("TMPDIR", None)`` statement) they only set or delete it, which is no read
ENV_MUTATORS = frozenset({"os.environ.setdefault", "os.environ.pop", "os.environb.setdefault", "os.environb.pop"})
ENV_MAPPINGS = frozenset({"os.environ", "os.environb"})


#: creators whose own object ``tmplint fix`` can keep, made in the job dir (``dir=``): a
#: ``functools.partial`` factory of one is fixable too
JOB_DIR_CREATORS = frozenset({"NamedTemporaryFile", "TemporaryFile", "SpooledTemporaryFile", "TemporaryDirectory"})


class DetectorError(Exception):
    """A file that cannot be decoded or parsed; the message says why."""


# --------------------------------------------------------------------------- prefilter


# --------------------------------------------------------------------------- scopes


#: the value of a binding that is a same-file constant meaning "no dir=": None or a temp dir
NO_DIR = "<no dir>"


class Binding:
    """One binding of a tracked name: where it happens in the walk (``seq``), what it binds (the
    qualified name of an import, :data:`NO_DIR`, or "" for any other value), whether it runs only
    on some paths (inside ``if``/``try``/loops, or a ``global`` import inside a function), and for
    ``name = other`` the reference it copies."""

    __slots__ = ("seq", "qualname", "conditional", "alias")

    def __init__(self, seq: int, qualname: str, conditional: bool,
                 alias: "Optional[Tuple[Scope, str, Tuple[str, ...], int]]" = None) -> None:
        self.seq = seq
        self.qualname = qualname
        self.conditional = conditional
        self.alias = alias

    def value(self, seen: Set[int]) -> str:
        """What it binds; ``seen``: the copies already followed in this resolution (each is
        followed once, so cycles like ``def f(): tempfile = tempfile`` end)."""
        if self.alias is None:
            return self.qualname
        if id(self) in seen:
            return ""
        seen.add(id(self))
        scope, base, attrs, seq = self.alias
        resolved = scope.resolve(base, seq, seen)
        return ".".join((resolved, *attrs)) if resolved else ""


class Scope:
    """The names one scope binds, for resolving which module a name refers to."""

    __slots__ = ("parent", "kind", "bindings", "globals", "nonlocals")

    def __init__(self, parent: Optional["Scope"], kind: str) -> None:
        self.parent = parent
        #: "module", "function", "class" or "comprehension"
        self.kind = kind
        #: name -> its bindings, in walk order
        self.bindings: Dict[str, List[Binding]] = {}
        self.globals: Set[str] = set()
        self.nonlocals: Set[str] = set()

    def bind(self, name: str, qualname: str = "", seq: int = 0, conditional: bool = False,
             alias: "Optional[Tuple[Scope, str, Tuple[str, ...], int]]" = None) -> None:
        self.bindings.setdefault(name, []).append(Binding(seq, qualname, conditional, alias))

    def module(self) -> "Scope":
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def target(self, name: str) -> "Scope":
        """The scope a binding of ``name`` here lands in (``global`` / ``nonlocal`` names)."""
        if name in self.globals:
            return self.module()
        if name in self.nonlocals:
            # the nearest enclosing function that has the name (classes do not count)
            nearest = None
            scope = self.parent
            while scope is not None and scope.kind != "module":
                if scope.kind == "function":
                    if name in scope.globals or name in scope.nonlocals:
                        return scope.target(name)
                    if name in scope.bindings:
                        return scope
                    nearest = nearest or scope
                scope = scope.parent
            return nearest or self
        return self

    def resolve(self, name: str, at: Optional[int] = None, seen: Optional[Set[int]] = None) -> Optional[str]:
        """The qualified name ``name`` refers to here (``tempfile``, ``os.path.join``), or None
        when it is a local, a parameter, a builtin or anything that is not an import.

        ``at`` is where the use is in the walk: module, class and comprehension code runs in
        order, so only the bindings before it count there (a later ``def mkdtemp`` does not
        rebind an earlier use); a function body runs later, when its enclosing scopes are done,
        and a name bound anywhere in a function is local in all of it."""
        scope: Optional[Scope] = self.target(name)
        if scope is not self:
            at = None
        first = True
        while scope is not None:
            if first or scope.kind != "class":
                bindings = scope.bindings.get(name)
                if bindings and at is not None and scope.kind != "function":
                    bindings = [b for b in bindings if b.seq < at]
                if bindings:
                    return _reaching(bindings, set() if seen is None else seen)
                if scope.kind == "module" and name in scope.bindings:
                    return None  # used before the module binds it
            first = False
            if scope.kind == "function":
                at = None
            scope = scope.parent
        return None


def _reaching(bindings: Sequence[Binding], seen: Set[int]) -> Optional[str]:
    """What the bindings that may reach a use bind: those from the last one that runs on every
    path on. One import among them (with fallbacks: ``except ImportError: tempfile = None``) is
    that import; a constant is :data:`NO_DIR` only when every binding is."""
    last = 0
    for index, binding in enumerate(bindings):
        if not binding.conditional:
            last = index
    values = {binding.value(seen) for binding in bindings[last:]}
    if len(values) > 1:  # None or a temp dir only sometimes: any other value
        values = {"" if value == NO_DIR else value for value in values}
    imports = values - {""}
    return next(iter(imports)) if len(imports) == 1 else None


def _is_type_checking(test: ast.AST) -> bool:
    """``if TYPE_CHECKING:`` / ``if typing.TYPE_CHECKING:`` (any module's ``TYPE_CHECKING``)."""
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING" and isinstance(test.value, ast.Name)


#: SpooledTemporaryFile methods that write it to a file in its dir (the system temp dir without one)
_ROLLS_OVER = frozenset({"rollover", "fileno"})


def _target_key(node: ast.AST) -> Optional[Tuple[str, ...]]:
    """``f`` -> ("f",), ``self.f`` -> ("self", "f"); None for anything else."""
    parts: List[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return tuple(reversed(parts))


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _takes_rollover(region: ast.AST, keys: Set[Tuple[str, ...]]) -> bool:
    """Whether ``region`` has ``X.rollover`` or ``X.fileno`` for one of the targets ``keys``."""
    return bool(keys) and any(
        isinstance(child, ast.Attribute) and child.attr in _ROLLS_OVER and _target_key(child.value) in keys
        for child in ast.walk(region)
    )


def _innermost_function(top: ast.AST, node: ast.AST) -> Optional[ast.AST]:
    """The innermost function or lambda in ``top`` whose source range holds ``node``."""
    where = (node.lineno, node.col_offset)  # type: ignore[attr-defined]
    best: Optional[ast.AST] = None
    for child in ast.walk(top):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            if (child.lineno, child.col_offset) <= where <= (child.end_lineno, child.end_col_offset):  # type: ignore[operator]
                if best is None or (child.lineno, child.col_offset) > (best.lineno, best.col_offset):  # type: ignore[attr-defined]
                    best = child
    return best


def _enclosing_statement(tree: ast.Module, node: ast.AST) -> Optional[ast.stmt]:
    """The top-level statement of ``tree`` (with its decorators) that holds ``node``."""
    line = node.lineno  # type: ignore[attr-defined]
    for statement in tree.body:
        start = min([statement.lineno] + [d.lineno for d in getattr(statement, "decorator_list", ())])
        if start <= line <= statement.end_lineno:  # type: ignore[operator]
            return statement
    return None


def _is_zero(node: ast.AST) -> bool:
    """A literal ``max_size`` that never rolls a SpooledTemporaryFile over (0, or any false
    number: tempfile tests ``if max_size and file.tell() > max_size``)."""
    return (
        isinstance(node, ast.Constant)
        and (node.value is None or isinstance(node.value, (int, float)))
        and not node.value
    )


def _all_args(args: ast.arguments) -> List[ast.arg]:
    result = list(getattr(args, "posonlyargs", [])) + list(args.args) + list(args.kwonlyargs)
    result += [a for a in (args.vararg, args.kwarg) if a is not None]
    return result


# --------------------------------------------------------------------------- temp paths


def temp_dir_prefix(text: str, temp_dirs: Sequence[str]) -> Optional[str]:
    """The temp dir ``text`` starts with on a path boundary (``/tmp``, ``/tmp/x``), else None; the
    longest one when several configured dirs match (``/tmp/scratch`` before ``/tmp``)."""
    if not text.startswith("/"):
        return None
    found = None
    for directory in temp_dirs:
        if text.startswith(directory) and (len(text) == len(directory) or text[len(directory)] == "/") \
                and (found is None or len(directory) > len(found)):
            found = directory
    return found


def literal_text(node: ast.AST) -> Optional[str]:
    """The leading literal text of a str/bytes constant or f-string, else None."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return node.value
        if isinstance(node.value, bytes):
            return node.value.decode("latin-1")
        return None
    if isinstance(node, ast.JoinedStr):
        first = node.values[0] if node.values else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
        return "" if first is None else None
    return None


#: :func:`judge_dir` verdicts
EXACT_TEMP_DIR = "exact"
DERIVED_TEMP_DIR = "derived"
#: calls that build a path from their first argument (``Path("/tmp")``, ``os.path.join("/tmp", x)``),
#: recognised by name: whatever they are, their argument is already a temp path
_PATH_BUILDERS = frozenset({"Path", "PurePath", "PosixPath", "PurePosixPath", "join", "fspath", "str"})


def node_span(node: ast.AST) -> Tuple[int, int, int, int]:
    """(line, col, end line, end col) of ``node`` as ``ast`` gives them (the end falls back to the
    start where ``ast`` has none): the span a :class:`Finding` of ``node`` carries."""
    return (node.lineno, node.col_offset,  # type: ignore[attr-defined]
            getattr(node, "end_lineno", None) or node.lineno,  # type: ignore[attr-defined]
            getattr(node, "end_col_offset", None) or node.col_offset)  # type: ignore[attr-defined]


def attribute_chain(node: ast.AST) -> Optional[Tuple[str, Tuple[str, ...]]]:
    """``a.b.c`` -> ("a", ("b", "c")); None when the chain does not start at a name."""
    attrs: List[str] = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    return (node.id, tuple(reversed(attrs))) if isinstance(node, ast.Name) else None


def judge_dir(node: ast.AST, temp_dirs: Sequence[str], qualname: Callable[[ast.AST], Optional[str]]) -> Optional[str]:
    """Whether a creator's ``dir`` value is the system temp dir; the one judge of that fact (the
    codemods take its verdict from the finding). :data:`EXACT_TEMP_DIR` when it is that dir and
    nothing else a rewrite could lose: a str literal in a temp dir, an f-string without fields,
    ``tempfile.gettempdir()``, ``tempfile.tempdir``, a same-file constant that is None or a temp
    dir (:data:`NO_DIR`). :data:`DERIVED_TEMP_DIR` when it is built on one: bytes, an f-string
    with fields, ``gettempdirb()``, ``Path("/tmp")``, ``os.path.join("/tmp", x)``,
    ``"/tmp/" + x``, ``Path("/tmp") / x``, ``(d := "/tmp")``. None for anything else.
    ``qualname`` resolves a name or attribute chain (None when it is not an import)."""
    if isinstance(node, (ast.Constant, ast.JoinedStr)):
        return _judge_literal(node, temp_dirs)
    if isinstance(node, ast.NamedExpr):
        return DERIVED_TEMP_DIR if judge_dir(node.value, temp_dirs, qualname) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.Add)):
        return DERIVED_TEMP_DIR if judge_dir(node.left, temp_dirs, qualname) else None
    if isinstance(node, ast.Call):
        return _judge_call(node, temp_dirs, qualname)
    return EXACT_TEMP_DIR if qualname(node) in ("tempfile.tempdir", NO_DIR) else None


def _judge_literal(node: ast.AST, temp_dirs: Sequence[str]) -> Optional[str]:
    text = literal_text(node)
    if text is None or temp_dir_prefix(text, temp_dirs) is None:
        return None
    if isinstance(node, ast.JoinedStr):
        return EXACT_TEMP_DIR if all(isinstance(v, ast.Constant) for v in node.values) else DERIVED_TEMP_DIR
    return EXACT_TEMP_DIR if isinstance(node.value, str) else DERIVED_TEMP_DIR  # type: ignore[attr-defined]


def _judge_call(node: ast.Call, temp_dirs: Sequence[str], qualname: Callable[[ast.AST], Optional[str]]) -> Optional[str]:
    called = qualname(node.func)
    if called in TEMPDIR_GETTERS and not node.args and not node.keywords:
        return EXACT_TEMP_DIR if called == "tempfile.gettempdir" else DERIVED_TEMP_DIR
    name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
    if name in _PATH_BUILDERS and node.args and judge_dir(node.args[0], temp_dirs, qualname):
        return DERIVED_TEMP_DIR
    return None


def _env_key(call: ast.Call) -> Optional[str]:
    """The variable an environment getter reads: its first argument or ``key=``."""
    if call.args:
        return literal_text(call.args[0])
    for keyword in call.keywords:
        if keyword.arg == "key":
            return literal_text(keyword.value)
    return None


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


# --------------------------------------------------------------------------- the pass

#: modules whose names the rules look up; only names bound from these are tracked
_TEMPFILE_MODULES = ("tempfile",)
_ENV_MODULES = ("os",)
#: tracked only in sources that spell ``partial``, and then only ``functools`` and ``partial``
_PARTIAL_MODULES = ("functools",)
_PARTIALS = frozenset({"functools.partial"})
#: builtins whose arguments (or tuples / ``|`` unions of them) are classes, not calls
_TYPE_CHECKS = frozenset({"isinstance", "issubclass"})
_FIELDS: Dict[type, Tuple[str, ...]] = {}


def _child_fields(node_type: type) -> Tuple[str, ...]:
    fields = _FIELDS.get(node_type)
    if fields is None:
        fields = _FIELDS[node_type] = tuple(f for f in node_type._fields if f not in ("ctx", "type_comment"))
    return fields


def _imported_names(tree: ast.Module, modules: Tuple[str, ...], lines: Optional[Sequence[int]] = None) -> Set[str]:
    """Names that some import anywhere in the module binds to ``modules`` or their members
    (with ``lines``: see :func:`import_statements`)."""
    names: Set[str] = set()
    for node in import_statements(tree, lines):
        if isinstance(node, ast.Import):
            names.update(_import_bindings(node, modules))
        else:
            names.update(_import_from_bindings(node, modules))
    return names


def import_statements(tree: ast.Module, lines: Optional[Sequence[int]] = None) -> Iterator[ast.stmt]:
    """Every ``import`` and ``from ... import`` statement of the module, anywhere in it.

    Only statements are walked (imports are statements), which is much cheaper than a full walk;
    with ``lines`` (where a module's name is), only statements spanning one of them.
    """
    stack: List[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if lines is not None and type(node) in _STATEMENTS and not _spans_a_line(node, lines):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        else:
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                stack.extend(getattr(node, field, ()))


def _import_bindings(node: ast.Import, modules: Tuple[str, ...]) -> List[str]:
    """The names ``import a.b`` / ``import a.b as c`` binds to one of ``modules``."""
    return [alias.asname or alias.name.split(".")[0] for alias in node.names if alias.name.split(".")[0] in modules]


def _import_from_bindings(node: ast.ImportFrom, modules: Tuple[str, ...]) -> Set[str]:
    """The names ``from m import x`` binds to members of one of ``modules`` (of ``functools``,
    only ``partial``); relative imports are the project's own modules."""
    names: Set[str] = set()
    if node.level or not node.module or node.module.split(".")[0] not in modules:
        return names
    for alias in node.names:
        if alias.name == "*":
            names.update(TEMPFILE_ALL if node.module == "tempfile" else ())
            names.update({"partial"} if node.module == "functools" else ())
        elif node.module != "functools" or alias.name == "partial":
            names.add(alias.asname or alias.name)
    return names


class FindingPass:
    """One walk over a module in source order.

    It tracks scopes only for the names some import binds to ``tempfile`` (or ``os`` when TMP007
    is on), records every use of those names, and checks every literal on the way. Uses are
    resolved when the walk is done, because a name assigned anywhere in a function is local in
    the whole function (so ``def f(): tempfile.x(); tempfile = 1`` is not the module).
    """

    def __init__(self, config: Config, path: str, tracked: Set[str], lines: Optional[Sequence[int]] = None) -> None:
        #: sorted lines where a tracked name or a temp literal may be: statements without one are
        #: skipped (they cannot hold a finding, nor a binding of a tracked name); None: walk all
        self.lines = lines
        self.temp_dirs = config.all_temp_dirs
        self.env_rule = "TMP007" in config.enabled_codes
        self.path = path
        self.tracked = tracked
        #: (node, scope, base name, attribute chain, kind, seq) with kind "call" / "ref" /
        #: "subscript" / "type"; ``seq`` orders uses and bindings as the code runs
        self.uses: List[Tuple[ast.AST, Scope, str, Tuple[str, ...], str, int]] = []
        self.seq = 0
        #: how many ``if``/``try``/loop bodies of the current scope the walk is in
        self.branch = 0
        #: names passed as a creator's ``dir`` that are not tracked: a same-file constant that is
        #: None or a temp dir means no ``dir=`` (see :func:`find_findings`)
        self.dir_names: Set[str] = set()
        #: calls whose value is thrown away (expression statements)
        self.discarded: Set[int] = set()
        self.literals: List[Tuple[ast.AST, str]] = []
        self.findings: List[Finding] = []
        #: nodes reported under another finding (a creator's temp ``dir=``)
        self.skip: Set[int] = set()
        #: references that are ``functools.partial(tempfile.X, ...)`` factories without a ``dir``:
        #: ``tmplint fix`` gives the partial ``dir=get_temp_dir(WID)``
        self.partial_factories: Set[int] = set()
        self.scopes: Dict[int, Scope] = {}
        self.tree = ast.Module(body=[], type_ignores=[])
        #: walking an annotation: references there create nothing
        self.in_annotation = False
        #: walking the body of ``if TYPE_CHECKING:``: its imports bind names that do not exist at run time
        self.type_checking = False
        #: ids of references in a class position (``isinstance(x, tempfile.SpooledTemporaryFile)``)
        self.type_refs: Set[int] = set()
        self._handlers = {
            ast.FunctionDef: self._function, ast.AsyncFunctionDef: self._function,
            ast.Lambda: self._function, ast.ClassDef: self._class,
            ast.ListComp: self._comprehension, ast.SetComp: self._comprehension,
            ast.DictComp: self._comprehension, ast.GeneratorExp: self._comprehension,
            ast.Import: self._import, ast.ImportFrom: self._import,
            ast.Global: self._global, ast.Nonlocal: self._global,
            ast.Name: self._name, ast.Attribute: self._attribute, ast.Call: self._call,
            ast.Subscript: self._subscript, ast.NamedExpr: self._named_expr,
            ast.Expr: self._expr, ast.Constant: self._literal, ast.JoinedStr: self._joined_str,
            ast.ExceptHandler: self._binder, ast.AnnAssign: self._ann_assign, ast.If: self._if,
            ast.Assign: self._assign, ast.For: self._branch, ast.AsyncFor: self._branch,
            ast.While: self._branch, ast.Try: self._branch,
        }
        for name in ("TryStar", "Match"):
            if hasattr(ast, name):
                self._handlers[getattr(ast, name)] = self._branch
        if hasattr(ast, "TypeAlias"):
            self._handlers[ast.TypeAlias] = self._type_alias
        for name in ("MatchAs", "MatchStar", "MatchMapping"):
            if hasattr(ast, name):
                self._handlers[getattr(ast, name)] = self._binder

    # -- walking

    def run(self, tree: ast.Module) -> List[Finding]:
        self.tree = tree
        module = Scope(None, "module")
        self.scopes[id(tree)] = module
        self._children(tree, module)
        self._resolve()
        return self.findings

    def _walk(self, node: ast.AST, scope: Scope) -> None:
        if self.lines is not None and type(node) in _STATEMENTS and not _spans_a_line(node, self.lines):
            return
        handler = self._handlers.get(type(node))
        if handler is None:
            self._children(node, scope)
        else:
            handler(node, scope)

    def _children(self, node: ast.AST, scope: Scope) -> None:
        walk = self._walk
        for field in _child_fields(type(node)):
            value = getattr(node, field, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        walk(item, scope)
            elif isinstance(value, ast.AST):
                walk(value, scope)

    def _all(self, nodes: Iterable[Optional[ast.AST]], scope: Scope) -> None:
        for node in nodes:
            if node is not None:
                self._walk(node, scope)

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    def _bind(self, scope: Scope, name: str, qualname: str = "",
              alias: Optional[Tuple[Scope, str, Tuple[str, ...], int]] = None) -> None:
        if name in self.tracked:
            target = scope.target(name)
            # a ``global`` binding inside a function happens only if the function is called
            target.bind(name, qualname, self._next(), self.branch > 0 or target is not scope, alias)

    def _in_new_scope(self, nodes: Iterable[ast.AST], scope: Scope) -> None:
        """Walk a body that runs in its own scope: its branches are its own."""
        outer, self.branch = self.branch, 0
        try:
            self._all(nodes, scope)
        finally:
            self.branch = outer

    def _branch(self, node: ast.AST, scope: Scope) -> None:
        """Loops, ``try`` and ``match``: what they bind may not run (or runs again). A loop's
        iterable is evaluated before its target is bound."""
        self.branch += 1
        try:
            if isinstance(node, (ast.For, ast.AsyncFor)):
                self._walk(node.iter, scope)
                self._walk(node.target, scope)
                self._all(node.body + node.orelse, scope)
            else:
                self._children(node, scope)
        finally:
            self.branch -= 1

    def _assign(self, node: ast.Assign, scope: Scope) -> None:
        """The value is evaluated before the targets are bound (``tempfile = tempfile``)."""
        at = self.seq + 1
        self._walk(node.value, scope)
        target = node.targets[0] if len(node.targets) == 1 else None
        if isinstance(target, ast.Name) and target.id in self.tracked:
            self._bind_value(scope, target.id, node.value, at)
        else:
            self._all(node.targets, scope)

    def _bind_value(self, scope: Scope, name: str, value: Optional[ast.AST], at: int) -> None:
        """``name = value``: a copy of a tracked name binds what that name is bound to there; a
        constant None or temp dir is :data:`NO_DIR`."""
        if isinstance(value, ast.Name) and value.id in self.tracked:
            self._bind(scope, name, alias=(scope, value.id, (), at))
        elif isinstance(value, ast.Constant) and (value.value is None or (
                isinstance(value.value, str) and temp_dir_prefix(value.value, self.temp_dirs))):
            self._bind(scope, name, NO_DIR)
        else:
            self._bind(scope, name)

    # -- scopes and bindings

    def _function(self, node: ast.AST, scope: Scope) -> None:
        args: ast.arguments = node.args  # type: ignore[attr-defined]
        # decorators, defaults and annotations are evaluated in the enclosing scope
        self._all(getattr(node, "decorator_list", ()), scope)
        self._all(args.defaults + args.kw_defaults, scope)
        self._annotations([a.annotation for a in _all_args(args)] + [getattr(node, "returns", None)], scope)
        inner = self.scopes[id(node)] = Scope(scope, "function")
        for arg in _all_args(args):
            self._bind(inner, arg.arg)
        if isinstance(node, ast.Lambda):
            self._in_new_scope([node.body], inner)
        else:
            self._bind(scope, node.name)  # type: ignore[attr-defined]
            self._in_new_scope(node.body, inner)  # type: ignore[attr-defined]

    def _class(self, node: ast.ClassDef, scope: Scope) -> None:
        self._all(node.decorator_list + node.bases + node.keywords, scope)
        inner = self.scopes[id(node)] = Scope(scope, "class")
        self._in_new_scope(node.body, inner)
        self._bind(scope, node.name)  # once the body has run

    def _comprehension(self, node: ast.AST, scope: Scope) -> None:
        inner = self.scopes[id(node)] = Scope(scope, "comprehension")
        for index, generator in enumerate(node.generators):  # type: ignore[attr-defined]
            # the first iterable is evaluated in the enclosing scope
            self._walk(generator.iter, scope if index == 0 else inner)
            self._walk(generator.target, inner)
            self._all(generator.ifs, inner)
        self._all([getattr(node, part, None) for part in ("elt", "key", "value")], inner)

    def _import(self, node: ast.AST, scope: Scope) -> None:
        # under ``if TYPE_CHECKING:`` the names are bound for the type checker only: at run time
        # they are not the module (a use is a NameError, or another binding of the name)
        runtime = not self.type_checking
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                self._bind(scope, alias.asname or top, (alias.name if alias.asname else top) if runtime else "")
            return
        module = node.module if not node.level else None  # type: ignore[attr-defined]
        for alias in node.names:  # type: ignore[attr-defined]
            if alias.name == "*":
                star = TEMPFILE_ALL if module == "tempfile" else {"partial"} if module == "functools" else ()
                for name in star:
                    self._bind(scope, name, f"{module}.{name}" if runtime else "")
            else:
                self._bind(scope, alias.asname or alias.name, f"{module}.{alias.name}" if module and runtime else "")

    def _global(self, node: ast.AST, scope: Scope) -> None:
        target = scope.globals if isinstance(node, ast.Global) else scope.nonlocals
        target.update(node.names)  # type: ignore[attr-defined]

    def _named_expr(self, node: ast.NamedExpr, scope: Scope) -> None:
        # PEP 572: the target binds in the nearest enclosing non-comprehension scope
        target = scope
        while target.kind == "comprehension" and target.parent is not None:
            target = target.parent
        at = self.seq + 1
        self._walk(node.value, scope)
        if node.target.id in self.tracked:
            self._bind_value(target, node.target.id, node.value, at)

    def _binder(self, node: ast.AST, scope: Scope) -> None:
        name = getattr(node, "name", None) or getattr(node, "rest", None)
        if isinstance(name, str):
            self._bind(scope, name)
        self._children(node, scope)

    # -- annotations and other places where a name only stands for a type

    def _annotations(self, nodes: Iterable[Optional[ast.AST]], scope: Scope) -> None:
        outer, self.in_annotation = self.in_annotation, True
        try:
            self._all(nodes, scope)
        finally:
            self.in_annotation = outer

    def _ann_assign(self, node: ast.AnnAssign, scope: Scope) -> None:
        self._annotations([node.annotation], scope)
        at = self.seq + 1
        self._all([node.value], scope)
        if node.value is not None and isinstance(node.target, ast.Name) and node.target.id in self.tracked:
            self._bind_value(scope, node.target.id, node.value, at)
        elif node.value is not None or not isinstance(node.target, ast.Name):
            self._walk(node.target, scope)  # a bare ``x: int`` binds nothing

    def _type_alias(self, node: ast.AST, scope: Scope) -> None:
        # ``type X = ...`` (3.12): the value is evaluated lazily, and only as a type
        self._walk(node.name, scope)  # type: ignore[attr-defined]
        self._annotations([node.value], scope)  # type: ignore[attr-defined]

    def _if(self, node: ast.If, scope: Scope) -> None:
        self._walk(node.test, scope)
        self.branch += 1
        try:
            if _is_type_checking(node.test):
                outer, self.type_checking = self.type_checking, True
                try:
                    self._all(node.body, scope)
                finally:
                    self.type_checking = outer
            else:
                self._all(node.body, scope)
            self._all(node.orelse, scope)
        finally:
            self.branch -= 1

    def _mark_type_refs(self, node: ast.AST) -> None:
        """The classes ``isinstance``/``issubclass`` are given: a name, an attribute, or a tuple
        or ``|`` union of them."""
        if isinstance(node, ast.Tuple):
            for element in node.elts:
                self._mark_type_refs(element)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            self._mark_type_refs(node.left)
            self._mark_type_refs(node.right)
        elif isinstance(node, (ast.Name, ast.Attribute)):
            self.type_refs.add(id(node))

    # -- uses of tracked names

    def _ref_kind(self, node: ast.AST) -> str:
        return "type" if self.in_annotation or id(node) in self.type_refs else "ref"

    def _name(self, node: ast.Name, scope: Scope) -> None:
        if node.id in self.tracked:
            if isinstance(node.ctx, ast.Load):
                self.uses.append((node, scope, node.id, (), self._ref_kind(node), self._next()))
            else:
                self._bind(scope, node.id)

    def _chain(self, node: ast.AST) -> Optional[Tuple[str, Tuple[str, ...]]]:
        """``a.b.c`` -> ("a", ("b", "c")) when ``a`` is a tracked name."""
        chain = attribute_chain(node)
        return chain if chain is not None and chain[0] in self.tracked else None

    def _attribute(self, node: ast.Attribute, scope: Scope) -> None:
        chain = self._chain(node)
        if chain is not None:
            self.uses.append((node, scope, chain[0], chain[1], self._ref_kind(node), self._next()))
        else:
            self._walk(node.value, scope)

    def _call(self, node: ast.Call, scope: Scope) -> None:
        chain = self._chain(node.func) if self.tracked else None
        # a call in an annotation (``Annotated[T, f(x)]``) runs when the annotation is evaluated
        outer, self.in_annotation = self.in_annotation, False
        try:
            if chain is not None:
                self.uses.append((node, scope, chain[0], chain[1], "call", self._next()))
            else:
                self._walk(node.func, scope)
                if isinstance(node.func, ast.Name) and node.func.id in _TYPE_CHECKS:
                    for arg in node.args:
                        self._mark_type_refs(arg)
            self._all(node.args, scope)
            self._all([k.value for k in node.keywords], scope)
        finally:
            self.in_annotation = outer

    def _subscript(self, node: ast.Subscript, scope: Scope) -> None:
        # ``os.environ["TMPDIR"] = x`` and ``del os.environ["TMPDIR"]`` set and delete it: not reads
        if self.env_rule and isinstance(node.ctx, ast.Load):
            chain = self._chain(node.value)
            if chain is not None:
                self.uses.append((node, scope, chain[0], chain[1], "subscript", self._next()))
        self._children(node, scope)

    # -- literals

    def _expr(self, node: ast.Expr, scope: Scope) -> None:
        # a bare string statement does nothing at run time: docstrings and prose; but the fields
        # of a bare f-string run (``f"made {tempfile.mkdtemp()}"``), only its text is prose
        if isinstance(node.value, ast.JoinedStr):
            for value in node.value.values:
                if isinstance(value, ast.FormattedValue):
                    self._children(value, scope)
        elif not (isinstance(node.value, ast.Constant) and literal_text(node.value) is not None):
            self.discarded.add(id(node.value))
            self._walk(node.value, scope)

    def _literal(self, node: ast.AST, scope: Scope) -> None:
        text = literal_text(node)
        if text is not None and text[:1] == "/" and temp_dir_prefix(text, self.temp_dirs):
            self.literals.append((node, text))

    def _joined_str(self, node: ast.JoinedStr, scope: Scope) -> None:
        self._literal(node, scope)
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                self._children(value, scope)

    # -- resolving and reporting

    def add(self, node: ast.AST, code: str, subject: str, target: str, fixable: bool, reason: str = "") -> None:
        if id(node) in self.skip:
            return
        rule = RULES[code]
        line, col, end_line, end_col = node_span(node)
        self.findings.append(
            Finding(
                path=self.path, line=line, col=col, code=code,
                message=rule.format_message(subject), fixable=fixable and rule.fix == "safe",
                end_line=end_line, end_col=end_col, target=target, reason=reason,
            )
        )

    def _qualname(self, scope: Scope, base: str, attrs: Tuple[str, ...], at: Optional[int] = None) -> Optional[str]:
        resolved = scope.resolve(base, at)
        return ".".join((resolved, *attrs)) if resolved else None

    def _resolve(self) -> None:
        # creators first: they mark a temp ``dir=`` argument as already reported
        resolved = [(use, self._qualname(use[1], use[2], use[3], use[5])) for use in self.uses]
        for (node, scope, _, _, kind, at), qualname in sorted(resolved, key=lambda r: r[0][4] != "call"):
            if qualname is None or kind == "type":
                continue
            if kind == "call":
                self._check_call(node, scope, qualname, at)  # type: ignore[arg-type]
            elif kind == "subscript":
                self._check_subscript(node, qualname)  # type: ignore[arg-type]
            else:
                self._check_reference(node, qualname)
        for node, text in self.literals:
            self.add(node, "TMP006", _short(text), "literal", fixable=False)

    def _check_call(self, node: ast.Call, scope: Scope, qualname: str, at: int) -> None:
        name = qualname[len("tempfile."):] if qualname.startswith("tempfile.") else None
        if name in CREATORS:
            self._check_creator(node, scope, name, at)  # type: ignore[arg-type]
        elif qualname in _PARTIALS:
            self._check_partial(node, scope, at)
        elif qualname in TEMPDIR_GETTERS:
            self.add(node, "TMP005", f"{qualname}()", qualname, fixable=True)
        elif qualname == "tempfile.tempdir":
            self.add(node, "TMP005", qualname, qualname, fixable=False)
        elif self.env_rule and qualname in ENV_GETTERS and not (qualname in ENV_MUTATORS and id(node) in self.discarded):
            key = _env_key(node)
            if key in TEMP_ENV_VARS:
                self.add(node, "TMP007", f"{qualname}({key!r})", qualname, fixable=False)

    @staticmethod
    def _dir_argument(args: Sequence[ast.expr], keywords: Sequence[ast.keyword], dir_position: int) -> Tuple[Optional[ast.AST], bool]:
        """The ``dir`` a creator is given (None when it is not, or not knowably; also from a
        literal ``**{"dir": ...}``), and whether some argument cannot be mapped to a parameter
        (``*args``, ``**kwargs``)."""
        dir_arg: Optional[ast.AST] = None
        unmappable = False
        for keyword in keywords:
            if keyword.arg == "dir":
                dir_arg = keyword.value
            elif keyword.arg is None:
                unmappable = True
                if isinstance(keyword.value, ast.Dict):
                    for key, value in zip(keyword.value.keys, keyword.value.values):
                        if isinstance(key, ast.Constant) and key.value == "dir":
                            dir_arg = value
        for index, arg in enumerate(args):
            if isinstance(arg, ast.Starred):
                unmappable = True
            elif index == dir_position:
                dir_arg = arg
        return dir_arg, unmappable

    @staticmethod
    def _spooled_in_memory(node: ast.Call) -> bool:
        """A SpooledTemporaryFile call that never rolls over to disk: no ``max_size`` (it
        defaults to 0) or a literal 0, and no ``*args``/``**kwargs`` that could carry one."""
        max_size: Optional[ast.AST] = None
        for keyword in node.keywords:
            if keyword.arg == "max_size":
                max_size = keyword.value
        if max_size is None and node.args:
            if isinstance(node.args[0], ast.Starred):
                return False
            max_size = node.args[0]
        if max_size is None:
            return not any(keyword.arg is None for keyword in node.keywords)
        return _is_zero(max_size)

    def _rolled_over(self, node: ast.Call) -> bool:
        """Whether what a SpooledTemporaryFile call is bound to (``f = ...``, ``with ... as f``,
        ``self.f = ...``) has ``.rollover`` or ``.fileno`` (which rolls it over) taken: a name in
        the innermost function around the call, an attribute in the whole top-level function or
        class; both anywhere in the module for a call in module-level code. Every statement
        naming ``rollover``/``fileno`` is parsed and walked in a source with a
        SpooledTemporaryFile, so the detector's shortcuts see the same."""
        top: ast.AST = _enclosing_statement(self.tree, node) or self.tree
        if not isinstance(top, _DEFINITIONS):
            top = self.tree
        function = _innermost_function(top, node) if top is not self.tree else None
        keys: Set[Tuple[str, ...]] = set()
        for child in ast.walk(function or top):
            targets: List[ast.AST] = []
            if isinstance(child, ast.Assign) and child.value is node:
                targets = list(child.targets)
            elif isinstance(child, (ast.AnnAssign, ast.NamedExpr)) and child.value is node:
                targets = [child.target]
            elif isinstance(child, ast.withitem) and child.context_expr is node and child.optional_vars:
                targets = [child.optional_vars]
            keys.update(key for key in map(_target_key, targets) if key)
        names = {key for key in keys if len(key) == 1}
        attributes = keys - names
        return any(_takes_rollover(region, wanted) for region, wanted in ((function or top, names), (top, attributes)))

    def _check_creator(self, node: ast.Call, scope: Scope, name: str, at: int) -> None:
        code, dir_position = CREATORS[name]
        qualname = f"tempfile.{name}"
        dir_arg, unmappable = self._dir_argument(node.args, node.keywords, dir_position)
        if name == "SpooledTemporaryFile" and self._spooled_in_memory(node) and not self._rolled_over(node):
            # it stays in memory: nothing is written to its dir (nor to a temp dir= literal)
            if dir_arg is not None:
                self._skip_all(dir_arg)
            return
        self._report_creator(node, scope, code, qualname, dir_arg, not unmappable, at)

    def _report_creator(self, node: ast.AST, scope: Scope, code: str, qualname: str, dir_arg: Optional[ast.AST],
                        fixable: bool, at: int) -> None:
        """A creator call (or partial) with its ``dir``: under its own code when the dir is absent
        or the temp dir (then the dir expression is not reported again), else TMP008 (TMP004
        always: mktemp is insecure wherever it points)."""
        no_dir = dir_arg is None or (isinstance(dir_arg, ast.Constant) and dir_arg.value is None)
        judged = None if no_dir else self._judge_dir(dir_arg, scope, at)  # type: ignore[arg-type]
        reason = ""
        if judged is not None:
            self._skip_all(dir_arg)  # type: ignore[arg-type]
            if judged == DERIVED_TEMP_DIR:
                reason = "dir= is built on the system temp dir (a subdirectory or an expression); a rewrite would drop it"
        elif not no_dir:
            if code != "TMP004":
                self.add(node, "TMP008", qualname, qualname, fixable=False)
                return
            reason = "an explicit dir= would be dropped: the helper puts the path in the job's dir"
        self.add(node, code, qualname, qualname, fixable=fixable and not reason, reason=reason)

    def _skip_all(self, node: ast.AST) -> None:
        """Everything in a ``dir=`` expression is reported under its creator, not again."""
        self.skip.update(id(child) for child in ast.walk(node))

    def _judge_dir(self, node: ast.AST, scope: Scope, at: int) -> Optional[str]:
        if isinstance(node, ast.Name) and node.id not in self.tracked:
            self.dir_names.add(node.id)

        def qualname(expr: ast.AST) -> Optional[str]:
            chain = self._chain(expr)
            return None if chain is None else self._qualname(scope, *chain, at)

        return judge_dir(node, self.temp_dirs, qualname)

    def _check_partial(self, node: ast.Call, scope: Scope, at: int) -> None:
        """``functools.partial(tempfile.X, ..., dir=D)`` is the creator with that dir, reported
        at the reference; without a ``dir`` the reference is reported as any other (a factory
        that creates in the temp dir when called). A SpooledTemporaryFile's max_size can still be
        given to the call, so it is not looked at."""
        func = node.args[0] if node.args else None
        chain = self._chain(func) if func is not None else None
        qualname = self._qualname(scope, *chain, at) if chain is not None else None
        name = qualname[len("tempfile."):] if qualname and qualname.startswith("tempfile.") else None
        if name not in CREATORS or id(func) in self.skip:
            return
        code, dir_position = CREATORS[name]  # type: ignore[index]
        dir_arg, _ = self._dir_argument(node.args[1:], node.keywords, dir_position)
        if dir_arg is None:
            if name in JOB_DIR_CREATORS:
                self.partial_factories.add(id(func))
            return  # the reference is reported as it is
        self._report_creator(func, scope, code, qualname, dir_arg, False, at)  # type: ignore[arg-type]
        self.skip.add(id(func))

    def _check_reference(self, node: ast.AST, qualname: str) -> None:
        """A tempfile function used without being called (``factory=tempfile.mkdtemp``), or
        ``tempfile.tempdir`` read or written."""
        name = qualname[len("tempfile."):] if qualname.startswith("tempfile.") else None
        if name in CREATORS:
            self.add(node, CREATORS[name][0], qualname, qualname,  # type: ignore[index]
                     fixable=id(node) in self.partial_factories)
        elif qualname in TEMPDIR_GETTERS or name == "tempdir":
            self.add(node, "TMP005", qualname, qualname, fixable=False)

    def _check_subscript(self, node: ast.Subscript, qualname: str) -> None:
        key = node.slice.value if isinstance(node.slice, getattr(ast, "Index", ())) else node.slice  # type: ignore[attr-defined]
        if qualname in ENV_MAPPINGS and literal_text(key) in TEMP_ENV_VARS:
            self.add(node, "TMP007", f"{qualname}[{literal_text(key)!r}]", qualname, fixable=False)


# --------------------------------------------------------------------------- suppressions


def noqa_lines(source: str) -> Dict[int, str]:
    """Line number -> the text searched for ``noqa``, grouped by logical line as flake8 does
    (a ``# noqa`` anywhere in a multi-line statement or string covers all its lines). Lines are
    counted as Python counts them (:func:`tmplint.sources.split_lines`)."""
    lines = split_lines(source, keepends=True)
    mapping: Dict[int, str] = {}
    low, high = len(lines) + 2, -1
    try:
        # the pure-Python tokenizer ends lines at \n only; Python itself also at \r
        for tok in tokenize.generate_tokens(iter(split_lines(universal_newlines(source), keepends=True)).__next__):
            if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            low, high = min(low, tok.start[0]), max(high, tok.end[0])
            if tok.type in (tokenize.NL, tokenize.NEWLINE):
                joined = "".join(lines[low - 1:high])
                mapping.update(dict.fromkeys(range(low, high + 1), joined))
                low, high = len(lines) + 2, -1
    except (tokenize.TokenError, SyntaxError):
        return {}
    return mapping


#: bandit's ``# nosec`` with the test ids after it (``# nosec B108, B306``), as bandit reads it
_NOSEC = re.compile(r"#\s*nosec\b(?P<tests>(?:[:\s,]*B\d+)*)", re.IGNORECASE)


def parse_noqa(text: str) -> "Optional[Tuple[re.Match[str], Optional[List[str]]]]":
    """flake8's inline ``# noqa`` in ``text``: its match and its codes (None for a blanket
    ``# noqa``), or None when there is none."""
    match = NOQA_INLINE_REGEXP.search(text)
    if match is None:
        return None
    codes_text = match.group("codes")
    return match, None if codes_text is None else [c for c in re.split(r"[,\s]+", codes_text) if c]


def is_suppressed(code: str, line_text: str, honor_other_suppressions: bool) -> bool:
    """Whether ``line_text`` suppresses ``code``: a ``# noqa`` naming it (or a prefix of it, or
    blanket), or, honouring other tools, their codes its rule lists (``# noqa: S108``,
    ``# nosec B108``; a bare ``# nosec`` for every rule bandit also reports)."""
    rule = RULES[code]
    noqa = parse_noqa(line_text)
    if noqa is not None:
        if noqa[1] is None:
            return True
        codes = set(noqa[1])
        if code in codes or code.startswith(tuple(codes)):
            return True
        if honor_other_suppressions and codes & set(rule.other_noqa_codes):
            return True
    if not (honor_other_suppressions and rule.nosec_tests):
        return False
    for nosec in _NOSEC.finditer(line_text):
        tests = re.findall(r"B\d+", nosec.group("tests").upper())
        if not tests or set(tests) & set(rule.nosec_tests):
            return True
    return False


def file_is_noqa(source: str) -> bool:
    """``# flake8: noqa`` on a line of its own turns the whole file off, as in flake8."""
    return any(NOQA_FILE.match(line) for line in split_lines(source))


#: what every suppression comment needs (the inline and file-wide flake8 forms, bandit's), so that
#: files without one skip the tokenizing; not a bare "nosec", which "nanoseconds" contains
_SUPPRESSION_HINT = re.compile(r"# noqa|#\s*nosec|# flake8[:=]", re.IGNORECASE)


def apply_suppressions(findings: List[Finding], source: str, config: Config) -> List[Finding]:
    if not findings or not _SUPPRESSION_HINT.search(source):
        return findings
    if file_is_noqa(source):
        return []
    mapping = noqa_lines(source)
    lines = split_lines(source)
    kept = []
    for finding in findings:
        text = mapping.get(finding.line)
        if text is None and 0 < finding.line <= len(lines):
            text = lines[finding.line - 1]
        if not (text and is_suppressed(finding.code, text, config.honor_other_suppressions)):
            kept.append(finding)
    return kept


# --------------------------------------------------------------------------- entry points


_STATEMENTS = frozenset(c for c in vars(ast).values() if isinstance(c, type) and issubclass(c, ast.stmt))
_IDENTIFIER_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _spans_a_line(node: ast.AST, lines: Sequence[int]) -> bool:
    """Whether a statement (with its decorators) spans one of the sorted ``lines``."""
    start = node.lineno  # type: ignore[attr-defined]
    for decorator in getattr(node, "decorator_list", ()):
        start = min(start, decorator.lineno)
    index = bisect.bisect_left(lines, start)
    return index < len(lines) and lines[index] <= node.end_lineno  # type: ignore[attr-defined]


def _name_positions(data: bytes, names: Iterable[str]) -> List[int]:
    """Where each of ``names`` occurs as a whole identifier (or word) in ``data`` (UTF-8 with
    its names as Python reads them, :func:`_names_as_read`; a non-ASCII byte next to a name is
    taken for a boundary, which only finds more)."""
    positions = []
    for name in names:
        needle = name.encode("ascii")
        pos = data.find(needle)
        while pos >= 0:
            end = pos + len(needle)
            if (pos == 0 or data[pos - 1] not in _IDENTIFIER_BYTES) and (
                end == len(data) or data[end] not in _IDENTIFIER_BYTES
            ):
                positions.append(pos)
            pos = data.find(needle, end)
    return positions


def _line_numbers(data: bytes, positions: Iterable[int]) -> List[int]:
    """The sorted, distinct line numbers of offsets in ``data``, as ``ast`` counts lines."""
    if b"\r" in data:  # \r\n, \r and \n all end a line
        starts = line_start_offsets(data)
        return sorted({bisect.bisect_right(starts, pos) for pos in positions})
    lines, line, last = set(), 1, 0
    for pos in sorted(positions):
        line += data.count(b"\n", last, pos)
        last = pos
        lines.add(line)
    return sorted(lines)


def _lines_of(source: str, names: Iterable[str], config: Optional[Config] = None) -> Optional[List[int]]:
    """The sorted lines where one of ``names`` is, or (with ``config``) where the value of a
    literal the rules report may start (however it is spelled): a statement spanning none of them
    has nothing the detector looks at. None when the names cannot be told apart from the text
    (see :func:`_names_as_read`)."""
    return _lines_of_names(source, frozenset(names), config)


@functools.lru_cache(maxsize=8)
def _lines_of_names(source: str, names: FrozenSet[str], config: Optional[Config]) -> Optional[List[int]]:
    # cached (the lists are shared, never changed): parse_needed and find_findings ask the same
    # questions about a module
    text = _names_as_read(source)
    if text is None:
        return None
    data = text.encode("utf-8", "surrogatepass")
    positions = _name_positions(data, names)
    if config is None:
        return _line_numbers(data, positions)
    if text is source:
        return _line_numbers(data, positions + prefilter_for(config).literal_starts(data))
    # literal values are not normalized: their starts are looked for in the text as written
    raw = source.encode("utf-8", "surrogatepass")
    return sorted({*_line_numbers(data, positions), *_line_numbers(raw, prefilter_for(config).literal_starts(raw))})


@functools.lru_cache(maxsize=4)
def _names_as_read(source: str) -> Optional[str]:
    """``source`` with its names spelled as Python reads them, on the same lines: ``source``
    itself when they are ASCII (:func:`names_are_ascii`), else its lines with each non-ASCII one
    NFKC-normalized, as Python normalizes identifiers (``ｔempfile`` is ``tempfile``). Strings and
    comments on such a line are normalized too, which can only make names appear that are not
    there. An identifier is delimited by ASCII (spaces, operators, quotes), so normalizing a
    whole line reads it as Python does. None if a normalized line would hold a line break."""
    if names_are_ascii(source):
        return source
    lines = split_lines(source)
    for index, line in enumerate(lines):
        if not line.isascii():
            lines[index] = unicodedata.normalize("NFKC", line)
            if "\n" in lines[index] or "\r" in lines[index]:
                return None
    return "\n".join(lines)


def find_findings(
    tree: ast.Module, source: str, config: Config, path: str = "<unknown>", skip_statements: bool = True,
    reparse: Optional[Callable[[Set[str]], ast.Module]] = None,
) -> List[Finding]:
    """All enabled, unsuppressed findings of one parsed module, sorted by position.

    ``skip_statements=False`` walks every statement instead of only those spanning a line with a
    tracked name or temp literal: the reference the tests compare the shortcut against.
    ``reparse(names)``: the tree again with the statements naming ``names`` too, for a ``tree``
    that has only some statements (:func:`parse_needed`)."""
    findings, constants = _find(tree, source, config, path, skip_statements)
    if constants:
        tree = reparse(constants) if reparse is not None else tree
        findings, _ = _find(tree, source, config, path, skip_statements, constants)
    return _in_characters(_fix_outlook(findings, tree, source, config, path, reparse), source)


def _find(tree: ast.Module, source: str, config: Config, path: str, skip_statements: bool,
          constants: Set[str] = frozenset()) -> Tuple[List[Finding], Set[str]]:  # type: ignore[assignment]
    """:func:`find_findings`'s pass, with ``constants`` tracked too; and the names passed as a
    creator's ``dir`` that may be a same-file constant meaning no ``dir=`` (None or a temp dir)
    and were not tracked: with them tracked the pass must run again."""
    modules = _modules(config, source)
    lines_of = _lines_of if skip_statements else lambda *args: None
    # every import of a module names it: only statements spanning such a line can hold one
    tracked = _imported_names(tree, modules, lines_of(source, modules)) | constants
    lines = lines_of(source, _names_to_look_at(source, tracked, modules), config)
    finder = FindingPass(config, path, tracked, lines)
    found = finder.run(tree)
    enabled = config.enabled_codes
    findings = sorted((f for f in found if f.code in enabled), key=lambda f: (f.line, f.col, f.code))
    return apply_suppressions(findings, source, config), {name for name in finder.dir_names - tracked if _assigns_constant(source, name)}


def _assigns_constant(source: str, name: str) -> bool:
    """Whether ``source`` may assign ``name`` a constant :data:`NO_DIR` stands for (``NAME = None``,
    ``NAME: str = "/tmp"``): the pass decides; this only spares it a second run elsewhere. A
    decision on the text alone, so the shortcut and the full walk agree."""
    return re.search(rf"(?m)^[ \t]*{re.escape(name)}[ \t]*(?::[^=\r\n]*)?=[ \t]*(?:None\b|[rRuU]?[\"'])", source) is not None


def _in_characters(findings: List[Finding], source: str) -> List[Finding]:
    """``ast``'s columns (UTF-8 bytes into the line) as characters, as every front end prints them."""
    if not findings or source.isascii():
        return findings
    lines = split_lines(source)

    def column(line: int, byte_col: int) -> int:
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        return byte_col if text.isascii() else len(text.encode("utf-8", "surrogatepass")[:byte_col].decode("utf-8", "ignore"))

    return [dataclasses.replace(f, col=column(f.line, f.col), end_col=column(f.end_line, f.end_col)) for f in findings]


def _fix_outlook(findings: List[Finding], tree: ast.Module, source: str, config: Config, path: str,
                 reparse: Optional[Callable[[Set[str]], ast.Module]]) -> List[Finding]:
    """``fixable`` as plain ``tmplint fix`` (without --unsafe-fixes) decides: the codemods' own
    triage, with the workflow id settings of ``config``; then, for the sites it leaves fixable,
    the facts the planners would refuse them for (``codemods.site_facts``, from ``tree``, the
    module as this pass parsed it, or ``reparse``'d with the statements naming more names), which
    also become the findings' ``reason``; and the workflow id each site's function holds
    (``codemods.workflow_id_facts``), which the planners read: with no fallback and no new
    parameter configured, a site without one, or with one that may be None, is left. Columns
    are still ``ast``'s."""
    try:
        return _outlook(findings, tree, source, config, path, reparse)
    except DetectorError:  # in a statement the detector skipped: libcst cannot parse it either
        return [dataclasses.replace(f, fixable=False) for f in findings]


def _outlook(findings: List[Finding], tree: ast.Module, source: str, config: Config, path: str,
             reparse: Optional[Callable[[Set[str]], ast.Module]]) -> List[Finding]:
    from tmplint.codemods.triage import (id_decides_fixable, reason_left_before_planning, spelled_in,
                                         workflow_id_possible)

    id_possible = workflow_id_possible(config, spelled_in(source))
    id_required = id_decides_fixable(config)
    if id_required and id_possible:
        findings = _with_workflow_ids(findings, tree, source, config, path, reparse, id_possible)
    findings = [
        f if not f.fixable or reason_left_before_planning(f, config, unsafe_fixes=False, id_possible=id_possible) is None
        else dataclasses.replace(f, fixable=False)
        for f in findings
    ]
    if not any(f.fixable for f in findings):
        return findings
    from tmplint.codemods.site_facts import fix_reasons  # both import this module

    reasons = iter(fix_reasons(tree, source, [f for f in findings if f.fixable], config.helper_module,
                               reparse or (lambda names: tree)))
    outlook = []
    for finding in findings:
        reason = next(reasons) if finding.fixable else None
        if reason:
            finding = dataclasses.replace(finding, fixable=False, reason=reason)
        elif finding.fixable and id_required and (finding.workflow_id is None or finding.workflow_id.may_be_none):
            # the planner says why, after its own checks: no reason is recorded here
            finding = dataclasses.replace(finding, fixable=False)
        outlook.append(finding)
    return outlook


def _with_workflow_ids(findings: List[Finding], tree: ast.Module, source: str, config: Config, path: str,
                       reparse: Optional[Callable[[Set[str]], ast.Module]], id_possible: bool) -> List[Finding]:
    """``findings`` with the workflow id of each site a planner may rewrite (with
    --unsafe-fixes too), judged on the whole module."""
    from tmplint.codemods.triage import reason_left_before_planning
    from tmplint.codemods.workflow_id_facts import WorkflowIdFacts

    facts: Optional[WorkflowIdFacts] = None
    judged = []
    for finding in findings:
        if reason_left_before_planning(finding, config, unsafe_fixes=True, id_possible=id_possible) is None:
            if facts is None:
                facts = WorkflowIdFacts(tree if reparse is None else parse_source(source, path), source, config)
            finding = dataclasses.replace(
                finding, workflow_id=facts.at((finding.line, finding.col, finding.end_line, finding.end_col)))
        judged.append(finding)
    return judged


def decode_source(data: bytes, path: str) -> str:
    """Decode as Python does: BOM, then a PEP 263 cookie, else UTF-8."""
    try:
        encoding, _ = tokenize.detect_encoding(iter(_first_lines(data)).__next__)
        text = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        raise DetectorError(f"cannot decode source: {exc}") from None
    return text[1:] if text.startswith("\ufeff") else text


def _first_lines(data: bytes) -> List[bytes]:
    """The lines of ``data`` as ``splitlines(keepends=True)`` has them, at least the first two
    (where a coding cookie may be), without splitting a whole big file."""
    lines = data[:4096].splitlines(keepends=True)
    # a third piece shows that the second line ended inside the head (and not at a \r of a \r\n)
    return lines if len(lines) >= 3 else data.splitlines(keepends=True)


def parse_source(text: str, path: str) -> ast.Module:
    try:
        with warnings.catch_warnings():
            # Python 3.12+ warns about e.g. invalid escape sequences while parsing; that is the
            # compiler's business, not a finding, and stderr is for errors only
            warnings.simplefilter("ignore")
            return ast.parse(text, filename=path)
    except SyntaxError as exc:
        where = f" (line {exc.lineno})" if exc.lineno else ""
        raise DetectorError(f"cannot parse: SyntaxError: {exc.msg}{where}") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        reason = "too deeply nested" if isinstance(exc, RecursionError) else str(exc) or type(exc).__name__
        raise DetectorError(f"cannot parse: {reason}") from None


def parse_needed(text: str, path: str, config: Config, constants: Set[str] = frozenset()) -> ast.Module:  # type: ignore[assignment]
    """The module as :func:`find_findings` sees it, parsing only the top-level statements it
    looks at (of a class, only the header and the body statements it looks at): those spanning a
    line that names a tracked module, then those spanning a line with a name their imports bind
    or a temp literal. The others are left out of the tree unparsed, so a syntax error in them is
    not reported. ``constants``: names tracked besides the imported ones (see
    :func:`find_findings`). Raises DetectorError."""
    code = universal_newlines(text)
    if "\0" in text or _names_as_read(code) is None:  # _lines_of cannot narrow it down; NUL: parse's error
        return parse_source(text, path)
    starts = statement_starts(code)
    if starts is None or (len(starts) == 1 and class_body_starts(code, 0, len(code)) is None):
        return parse_source(text, path)
    groups = _Groups(code, starts, path)
    modules = _modules(config, code)
    try:
        module_lines = _lines_of(code, modules) or []
        tracked = _imported_names(groups.spanning(module_lines), modules, module_lines) | constants
        return groups.spanning(_lines_of(code, _names_to_look_at(code, tracked, modules), config) or [])
    except DetectorError:
        return parse_source(text, path)  # the whole file's error, as Python reports it


_INDENT = re.compile(r"[ \t\f]*")


class _Groups:
    """A module's groups of top-level statements (see :mod:`tmplint.toplevel`), parsed as asked
    for: a run of groups at once, a class as its header with only the body groups asked for (a
    ``pass`` when none is), each padded with empty lines to keep the module's line numbers."""

    def __init__(self, code: str, starts: List[int], path: str) -> None:
        self.code = code
        self.starts = starts + [len(code)]
        self.path = path
        self.first_lines = [1]
        for start, end in zip(starts, starts[1:]):
            self.first_lines.append(self.first_lines[-1] + code.count("\n", start, end))
        #: the first group of each part parsed at once -> its statements
        self.bodies: Dict[int, List[ast.stmt]] = {}
        self.parsed: Set[int] = set()
        #: class groups -> (where its body groups start, their first lines), or None: not split
        self.classes: Dict[int, Optional[Tuple[List[int], List[int]]]] = {}
        #: class groups -> the body groups parsed
        self.class_parts: Dict[int, Set[int]] = {}

    def spanning(self, lines: Sequence[int]) -> ast.Module:
        """The tree of every group parsed so far, after parsing the statements spanning ``lines``."""
        by_group: Dict[int, List[int]] = {}
        for line in lines:
            by_group.setdefault(bisect.bisect_right(self.first_lines, line) - 1, []).append(line)
        whole = []
        for group, group_lines in by_group.items():
            if self._class_body(group) is None:
                whole.append(group)
            else:
                self._parse_class(group, group_lines)
        for first, last in _runs(sorted(set(whole) - self.parsed)):
            self.bodies[first] = self._parse(first, self.code[self.starts[first]:self.starts[last + 1]])
            self.parsed.update(range(first, last + 1))
        return ast.Module(body=[s for first in sorted(self.bodies) for s in self.bodies[first]], type_ignores=[])

    def _parse(self, group: int, snippet: str) -> List[ast.stmt]:
        return parse_source("\n" * (self.first_lines[group] - 1) + snippet, self.path).body

    def _class_body(self, group: int) -> Optional[Tuple[List[int], List[int]]]:
        if group not in self.classes:
            start = self.starts[group]
            body = class_body_starts(self.code, start, self.starts[group + 1])
            self.classes[group] = None if body is None else (body, self._lines_at(group, body))
        return self.classes[group]

    def _lines_at(self, group: int, offsets: List[int]) -> List[int]:
        """The line numbers of the sorted ``offsets`` in ``group``."""
        lines, line, last = [], self.first_lines[group], self.starts[group]
        for offset in offsets:
            line += self.code.count("\n", last, offset)
            last = offset
            lines.append(line)
        return lines

    def _parse_class(self, group: int, lines: Sequence[int]) -> None:
        body, first_lines = self.classes[group]  # type: ignore[misc]
        parts = self.class_parts.setdefault(group, set())
        wanted = parts | {bisect.bisect_right(first_lines, line) - 1 for line in lines if line >= first_lines[0]}
        if group in self.bodies and wanted == parts:
            return
        parts |= wanted
        ends = body[1:] + [self.starts[group + 1]]
        pieces = [self.code[self.starts[group]:body[0]]]
        last = body[0]
        for part in sorted(parts):
            pieces += ["\n" * self.code.count("\n", last, body[part]), self.code[body[part]:ends[part]]]
            last = ends[part]
        if not parts:  # a body for the header alone
            pieces.append(f"{_INDENT.match(self.code, body[0]).group()}pass\n")  # type: ignore[union-attr]
        self.bodies[group] = self._parse(group, "".join(pieces))


def _runs(indexes: Sequence[int]) -> Iterator[Tuple[int, int]]:
    """Consecutive runs in sorted ``indexes``, as (first, last)."""
    for _, run in itertools.groupby(enumerate(indexes), lambda pair: pair[1] - pair[0]):
        numbers = [index for _, index in run]
        yield numbers[0], numbers[-1]


def _names_to_look_at(source: str, tracked: Set[str], modules: Sequence[str]) -> Set[str]:
    """The names whose statements the detector walks (the rest is skipped): the names imports bind
    from the tracked modules, the modules themselves (``from tempfile import *`` binds names it
    does not spell out), and the methods that roll a spooled file over. ``find_findings`` and
    ``parse_needed`` must agree on this, or the shortcut and the full parse would differ."""
    return tracked | set(modules) | _rollover_names(source)


def _rollover_names(source: str) -> Set[str]:
    """In a source with a SpooledTemporaryFile, the statements that may roll one over are looked
    at too (see ``FindingPass._rolled_over``)."""
    return set(_ROLLS_OVER) if "SpooledTemporaryFile" in (_names_as_read(source) or source) else set()


def _modules(config: Config, source: str) -> Tuple[str, ...]:
    """The modules whose imports the enabled rules track: ``functools`` (for ``partial``) only
    in a source that spells ``partial`` (or may spell it in other characters)."""
    modules = _TEMPFILE_MODULES + (_ENV_MODULES if "TMP007" in config.enabled_codes else ())
    if "partial" in source or not source.isascii():
        modules += _PARTIAL_MODULES
    return modules


def detect_bytes(data: bytes, path: str, config: Config, skip_statements: bool = True) -> List[Finding]:
    """Decode, parse and detect one file's bytes, without the prefilter. Raises DetectorError.

    ``skip_statements=False``: parse and walk the whole module (the reference for the tests)."""
    text = decode_source(data, path)
    tree = parse_needed(text, path, config) if skip_statements else parse_source(text, path)
    try:
        reparse = (lambda names: parse_needed(text, path, config, names)) if skip_statements else None
        return find_findings(tree, text, config, path, skip_statements, reparse)
    except RecursionError:
        raise DetectorError("cannot analyse: too deeply nested") from None


def check_bytes(data: bytes, path: str, config: Config, prefilter: Optional[Prefilter] = None) -> List[Finding]:
    """Prefilter, then :func:`detect_bytes`. Raises DetectorError."""
    if not (prefilter or prefilter_for(config))(data):
        return []
    return detect_bytes(data, path, config)
