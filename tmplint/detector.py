"""The detector: one ``ast`` pass per file that yields findings.

Everything reads this module: the flake8 plugin, ``tmplint check`` and the ``tmplint fix``
codemods (which rewrite exactly the sites found here, located by position).
"""
from __future__ import annotations

import ast
import bisect
import itertools
import re
import tokenize
import warnings
from dataclasses import dataclass
from io import StringIO
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from flake8.defaults import NOQA_FILE, NOQA_INLINE_REGEXP

from tmplint.config import Config
from tmplint.prefilter import Prefilter, prefilter_for
from tmplint.registry import RULES
from tmplint.toplevel import statement_starts, universal_newlines

#: tempfile function -> (rule code, position of ``dir`` in its signature)
CREATORS: Dict[str, Tuple[str, int]] = {
    "NamedTemporaryFile": ("TMP001", 6),
    "TemporaryFile": ("TMP001", 6),
    "SpooledTemporaryFile": ("TMP001", 7),
    "mkstemp": ("TMP002", 2),
    "mkdtemp": ("TMP003", 2),
    "TemporaryDirectory": ("TMP003", 2),
    "mktemp": ("TMP004", 2),
}
TEMPDIR_GETTERS = frozenset({"tempfile.gettempdir", "tempfile.gettempdirb"})
#: names ``from tempfile import *`` binds (tempfile.__all__)
TEMPFILE_ALL = frozenset(
    list(CREATORS)
    + ["TMP_MAX", "gettempprefix", "tempdir", "gettempdir", "gettempprefixb", "gettempdirb"]
)
TEMP_ENV_VARS = frozenset({"TMPDIR", "TMP", "TEMP"})
ENV_GETTERS = frozenset(
    {"os.getenv", "os.getenvb", "os.environ.get", "os.environ.setdefault", "os.environb.get"}
)
ENV_MAPPINGS = frozenset({"os.environ", "os.environb"})


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    #: 0-based, as ``ast`` and flake8 count it (flake8 prints col + 1)
    col: int
    code: str
    message: str
    #: ``tmplint fix`` can rewrite this site without --unsafe-fixes (it may still lack an id)
    fixable: bool
    end_line: int
    end_col: int
    #: what was found: a qualified name (``tempfile.mkstemp``) or ``"literal"``
    target: str

    def to_dict(self) -> dict:
        return {
            "path": self.path, "line": self.line, "col": self.col + 1, "code": self.code,
            "message": self.message, "fixable": self.fixable,
        }


#: creators whose own object ``tmplint fix`` can keep, made in the job dir (``dir=``): a
#: ``functools.partial`` factory of one is fixable too
JOB_DIR_CREATORS = frozenset({"NamedTemporaryFile", "TemporaryFile", "SpooledTemporaryFile", "TemporaryDirectory"})


class DetectorError(Exception):
    """A file that cannot be decoded or parsed; the message says why."""


# --------------------------------------------------------------------------- prefilter


# --------------------------------------------------------------------------- scopes


class Scope:
    """The names one scope binds, for resolving which module a name refers to."""

    __slots__ = ("parent", "kind", "bindings", "globals", "nonlocals")

    def __init__(self, parent: Optional["Scope"], kind: str) -> None:
        self.parent = parent
        #: "module", "function", "class" or "comprehension"
        self.kind = kind
        #: name -> qualified names of the imports binding it ("" for any other binding)
        self.bindings: Dict[str, Set[str]] = {}
        self.globals: Set[str] = set()
        self.nonlocals: Set[str] = set()

    def bind(self, name: str, qualname: str = "") -> None:
        self.bindings.setdefault(name, set()).add(qualname)

    def module(self) -> "Scope":
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def resolve(self, name: str) -> Optional[str]:
        """The qualified name ``name`` refers to here (``tempfile``, ``os.path.join``), or None
        when it is a local, a parameter, a builtin or anything that is not an import."""
        scope: Optional[Scope] = self
        if name in self.globals:
            scope = self.module()
        elif name in self.nonlocals:
            scope = self.parent
        first = True
        while scope is not None:
            if (first or scope.kind != "class") and name in scope.bindings:
                imports = scope.bindings[name] - {""}
                # an import plus a fallback assignment (try/except ImportError) is still the import
                return next(iter(imports)) if len(imports) == 1 else None
            first = False
            scope = scope.parent
        return None


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
    """Names that some import anywhere in the module binds to ``modules`` or their members.

    Only statements are walked (imports are statements), which is much cheaper than a full walk;
    with ``lines`` (where a module's name is), only statements spanning one of them.
    """
    names: Set[str] = set()
    stack: List[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if lines is not None and type(node) in _STATEMENTS and not _spans_a_line(node, lines):
            continue
        if isinstance(node, ast.Import):
            names.update(_import_bindings(node, modules))
        elif isinstance(node, ast.ImportFrom):
            names.update(_import_from_bindings(node, modules))
        else:
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                stack.extend(getattr(node, field, ()))
    return names


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
        #: (node, scope, base name, attribute chain, kind) with kind "call" / "ref" / "subscript"
        self.uses: List[Tuple[ast.AST, Scope, str, Tuple[str, ...], str]] = []
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
        }
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

    def _bind(self, scope: Scope, name: str, qualname: str = "") -> None:
        if name in self.tracked:
            scope.bind(name, qualname)

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
            self._walk(node.body, inner)
        else:
            self._bind(scope, node.name)  # type: ignore[attr-defined]
            self._all(node.body, inner)  # type: ignore[attr-defined]

    def _class(self, node: ast.ClassDef, scope: Scope) -> None:
        self._all(node.decorator_list + node.bases + node.keywords, scope)
        self._bind(scope, node.name)
        inner = self.scopes[id(node)] = Scope(scope, "class")
        self._all(node.body, inner)

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
        self._bind(target, node.target.id)  # type: ignore[union-attr]
        self._walk(node.value, scope)

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
        self._walk(node.target, scope)
        self._annotations([node.annotation], scope)
        self._all([node.value], scope)

    def _type_alias(self, node: ast.AST, scope: Scope) -> None:
        # ``type X = ...`` (3.12): the value is evaluated lazily, and only as a type
        self._walk(node.name, scope)  # type: ignore[attr-defined]
        self._annotations([node.value], scope)  # type: ignore[attr-defined]

    def _if(self, node: ast.If, scope: Scope) -> None:
        self._walk(node.test, scope)
        if _is_type_checking(node.test):
            outer, self.type_checking = self.type_checking, True
            try:
                self._all(node.body, scope)
            finally:
                self.type_checking = outer
        else:
            self._all(node.body, scope)
        self._all(node.orelse, scope)

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
                self.uses.append((node, scope, node.id, (), self._ref_kind(node)))
            else:
                scope.bind(node.id)

    def _chain(self, node: ast.AST) -> Optional[Tuple[str, Tuple[str, ...]]]:
        """``a.b.c`` -> ("a", ("b", "c")) when ``a`` is a tracked name."""
        attrs: List[str] = []
        while isinstance(node, ast.Attribute):
            attrs.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name) and node.id in self.tracked:
            return node.id, tuple(reversed(attrs))
        return None

    def _attribute(self, node: ast.Attribute, scope: Scope) -> None:
        chain = self._chain(node)
        if chain is not None:
            self.uses.append((node, scope, chain[0], chain[1], self._ref_kind(node)))
        else:
            self._walk(node.value, scope)

    def _call(self, node: ast.Call, scope: Scope) -> None:
        chain = self._chain(node.func) if self.tracked else None
        # a call in an annotation (``Annotated[T, f(x)]``) runs when the annotation is evaluated
        outer, self.in_annotation = self.in_annotation, False
        try:
            if chain is not None:
                self.uses.append((node, scope, chain[0], chain[1], "call"))
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
        if self.env_rule:
            chain = self._chain(node.value)
            if chain is not None:
                self.uses.append((node, scope, chain[0], chain[1], "subscript"))
        self._children(node, scope)

    # -- literals

    def _expr(self, node: ast.Expr, scope: Scope) -> None:
        # a bare string statement does nothing at run time: docstrings and prose
        if not (isinstance(node.value, (ast.Constant, ast.JoinedStr)) and literal_text(node.value) is not None):
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

    def add(self, node: ast.AST, code: str, subject: str, target: str, fixable: bool) -> None:
        if id(node) in self.skip:
            return
        rule = RULES[code]
        self.findings.append(
            Finding(
                path=self.path, line=node.lineno, col=node.col_offset, code=code,  # type: ignore[attr-defined]
                message=rule.format_message(subject), fixable=fixable and rule.fix == "safe",
                end_line=getattr(node, "end_lineno", None) or node.lineno,  # type: ignore[attr-defined]
                end_col=getattr(node, "end_col_offset", None) or node.col_offset,  # type: ignore[attr-defined]
                target=target,
            )
        )

    def _qualname(self, scope: Scope, base: str, attrs: Tuple[str, ...]) -> Optional[str]:
        resolved = scope.resolve(base)
        return ".".join((resolved, *attrs)) if resolved else None

    def _resolve(self) -> None:
        # creators first: they mark a temp ``dir=`` argument as already reported
        resolved = [(use, self._qualname(use[1], use[2], use[3])) for use in self.uses]
        for (node, scope, _, _, kind), qualname in sorted(resolved, key=lambda r: r[0][4] != "call"):
            if qualname is None or kind == "type":
                continue
            if kind == "call":
                self._check_call(node, scope, qualname)  # type: ignore[arg-type]
            elif kind == "subscript":
                self._check_subscript(node, qualname)  # type: ignore[arg-type]
            else:
                self._check_reference(node, qualname)
        for node, text in self.literals:
            self.add(node, "TMP006", _short(text), "literal", fixable=False)

    def _check_call(self, node: ast.Call, scope: Scope, qualname: str) -> None:
        name = qualname[len("tempfile."):] if qualname.startswith("tempfile.") else None
        if name in CREATORS:
            self._check_creator(node, scope, name)  # type: ignore[arg-type]
        elif qualname in _PARTIALS:
            self._check_partial(node, scope)
        elif qualname in TEMPDIR_GETTERS:
            self.add(node, "TMP005", f"{qualname}()", qualname, fixable=True)
        elif qualname == "tempfile.tempdir":
            self.add(node, "TMP005", qualname, qualname, fixable=False)
        elif self.env_rule and qualname in ENV_GETTERS and node.args:
            key = literal_text(node.args[0])
            if key in TEMP_ENV_VARS:
                self.add(node, "TMP007", f"{qualname}({key!r})", qualname, fixable=False)

    @staticmethod
    def _dir_argument(args: Sequence[ast.expr], keywords: Sequence[ast.keyword], dir_position: int) -> Tuple[Optional[ast.AST], bool]:
        """The ``dir`` a creator is given (None when it is not, or not knowably), and whether
        some argument cannot be mapped to a parameter (``*args``, ``**kwargs``)."""
        dir_arg: Optional[ast.AST] = None
        unmappable = False
        for keyword in keywords:
            if keyword.arg == "dir":
                dir_arg = keyword.value
            elif keyword.arg is None:
                unmappable = True
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

    def _check_creator(self, node: ast.Call, scope: Scope, name: str) -> None:
        code, dir_position = CREATORS[name]
        qualname = f"tempfile.{name}"
        dir_arg, unmappable = self._dir_argument(node.args, node.keywords, dir_position)
        if name == "SpooledTemporaryFile" and self._spooled_in_memory(node) and not self._rolled_over(node):
            # it stays in memory: nothing is written to its dir (nor to a temp dir= literal)
            if dir_arg is not None:
                self.skip.add(id(dir_arg))
            return
        self._report_creator(node, scope, code, qualname, dir_arg, fixable=not unmappable)

    def _report_creator(
        self, node: ast.AST, scope: Scope, code: str, qualname: str, dir_arg: Optional[ast.AST], fixable: bool
    ) -> None:
        no_dir = dir_arg is None or (isinstance(dir_arg, ast.Constant) and dir_arg.value is None)
        if code == "TMP004" or no_dir or self._is_temp_dir_expr(dir_arg, scope):  # type: ignore[arg-type]
            if dir_arg is not None and not no_dir:
                self.skip.add(id(dir_arg))
            self.add(node, code, qualname, qualname, fixable=fixable)
        else:
            self.add(node, "TMP008", qualname, qualname, fixable=False)

    def _check_partial(self, node: ast.Call, scope: Scope) -> None:
        """``functools.partial(tempfile.X, ..., dir=D)`` is the creator with that dir, reported
        at the reference; without a ``dir`` the reference is reported as any other (a factory
        that creates in the temp dir when called). A SpooledTemporaryFile's max_size can still be
        given to the call, so it is not looked at."""
        func = node.args[0] if node.args else None
        chain = self._chain(func) if func is not None else None
        qualname = self._qualname(scope, *chain) if chain is not None else None
        name = qualname[len("tempfile."):] if qualname and qualname.startswith("tempfile.") else None
        if name not in CREATORS or id(func) in self.skip:
            return
        code, dir_position = CREATORS[name]  # type: ignore[index]
        dir_arg, _ = self._dir_argument(node.args[1:], node.keywords, dir_position)
        if dir_arg is None:
            if name in JOB_DIR_CREATORS:
                self.partial_factories.add(id(func))
            return  # the reference is reported as it is
        self._report_creator(func, scope, code, qualname, dir_arg, fixable=False)  # type: ignore[arg-type]
        self.skip.add(id(func))

    def _is_temp_dir_expr(self, node: ast.AST, scope: Scope) -> bool:
        """``dir=`` values that mean the system temp dir: a temp literal or gettempdir()."""
        text = literal_text(node)
        if text is not None:
            return temp_dir_prefix(text, self.temp_dirs) is not None
        if isinstance(node, ast.Call) and not node.args and not node.keywords:
            node = node.func
            wanted = TEMPDIR_GETTERS
        else:
            wanted = frozenset({"tempfile.tempdir"})
        chain = self._chain(node)
        return chain is not None and self._qualname(scope, *chain) in wanted

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
    (a ``# noqa`` anywhere in a multi-line statement or string covers all its lines)."""
    lines = source.splitlines(keepends=True)
    mapping: Dict[int, str] = {}
    low, high = len(lines) + 2, -1
    try:
        for tok in tokenize.generate_tokens(StringIO(source).readline):
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


#: codes of other tools whose existing ``# noqa`` also covers a TMP rule
OTHER_TOOLS_CODES = {"TMP006": ("S108",), "TMP004": ("S306",)}
_NOSEC = re.compile(r"#\s*nosec\b", re.IGNORECASE)


def parse_noqa(text: str) -> "Optional[Tuple[re.Match[str], Optional[List[str]]]]":
    """flake8's inline ``# noqa`` in ``text``: its match and its codes (None for a blanket
    ``# noqa``), or None when there is none."""
    match = NOQA_INLINE_REGEXP.search(text)
    if match is None:
        return None
    codes_text = match.group("codes")
    return match, None if codes_text is None else [c for c in re.split(r"[,\s]+", codes_text) if c]


def is_suppressed(code: str, line_text: str, honor_other_suppressions: bool) -> bool:
    noqa = parse_noqa(line_text)
    if noqa is not None:
        if noqa[1] is None:
            return True
        codes = set(noqa[1])
        if code in codes or code.startswith(tuple(codes)):
            return True
        if honor_other_suppressions and codes & set(OTHER_TOOLS_CODES.get(code, ())):
            return True
    return honor_other_suppressions and code == "TMP004" and _NOSEC.search(line_text) is not None


def file_is_noqa(source: str) -> bool:
    """``# flake8: noqa`` on a line of its own turns the whole file off, as in flake8."""
    return any(NOQA_FILE.match(line) for line in source.splitlines())


#: what every suppression comment needs (the inline and file-wide flake8 forms, bandit's), so that
#: files without one skip the tokenizing; not a bare "nosec", which "nanoseconds" contains
_SUPPRESSION_HINT = re.compile(r"# noqa|#\s*nosec|# flake8[:=]", re.IGNORECASE)


def apply_suppressions(findings: List[Finding], source: str, config: Config) -> List[Finding]:
    if not findings or not _SUPPRESSION_HINT.search(source):
        return findings
    if file_is_noqa(source):
        return []
    mapping = noqa_lines(source)
    lines = source.splitlines(keepends=True)
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
    """Where each of ``names`` occurs as a whole identifier (or word) in ASCII ``data``."""
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
        starts = [0] + [m.end() for m in re.finditer(rb"\r\n?|\n", data)]
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
    has nothing the detector looks at. None when the source is not ASCII (identifiers may be
    spelled in characters that NFKC-normalize to ASCII)."""
    if not source.isascii():
        return None
    data = source.encode("ascii")
    positions = _name_positions(data, names)
    if config is not None:
        positions += prefilter_for(config).literal_starts(data)
    return _line_numbers(data, positions)


def find_findings(
    tree: ast.Module, source: str, config: Config, path: str = "<unknown>", skip_statements: bool = True
) -> List[Finding]:
    """All enabled, unsuppressed findings of one parsed module, sorted by position.

    ``skip_statements=False`` walks every statement instead of only those spanning a line with a
    tracked name or temp literal: the reference the tests compare the shortcut against."""
    modules = _modules(config, source)
    lines_of = _lines_of if skip_statements else lambda *args: None
    # every import of a module names it: only statements spanning such a line can hold one
    tracked = _imported_names(tree, modules, lines_of(source, modules))
    lines = lines_of(source, _names_to_look_at(source, tracked, modules), config)
    found = FindingPass(config, path, tracked, lines).run(tree)
    enabled = config.enabled_codes
    findings = sorted((f for f in found if f.code in enabled), key=lambda f: (f.line, f.col, f.code))
    return apply_suppressions(findings, source, config)


def decode_source(data: bytes, path: str) -> str:
    """Decode as Python does: BOM, then a PEP 263 cookie, else UTF-8."""
    try:
        encoding, _ = tokenize.detect_encoding(iter(data.splitlines(keepends=True)).__next__)
        text = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        raise DetectorError(f"cannot decode source: {exc}") from None
    return text[1:] if text.startswith("\ufeff") else text


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


def parse_needed(text: str, path: str, config: Config) -> ast.Module:
    """The module as :func:`find_findings` sees it, parsing only the top-level statements it
    looks at: those spanning a line that names a tracked module, then those spanning a line with
    a name their imports bind or a temp literal. The others are left out of the tree unparsed, so
    a syntax error in them is not reported. Raises DetectorError."""
    if not text.isascii() or "\0" in text:  # _lines_of cannot narrow it down; NUL: parse's error
        return parse_source(text, path)
    code = universal_newlines(text)
    starts = statement_starts(code)
    if starts is None or len(starts) == 1:
        return parse_source(text, path)
    first_lines = [1]
    for start, end in zip(starts, starts[1:]):
        first_lines.append(first_lines[-1] + code.count("\n", start, end))
    parsed: Set[int] = set()
    #: the first group of each run parsed at once -> the run's statements
    bodies: Dict[int, List[ast.stmt]] = {}

    def parse_groups_spanning(lines: Sequence[int]) -> ast.Module:
        wanted = sorted({bisect.bisect_right(first_lines, line) - 1 for line in lines} - parsed)
        for first, last in _runs(wanted):
            end = starts[last + 1] if last + 1 < len(starts) else len(code)
            # padded with empty lines so that the tree has the module's line numbers
            snippet = "\n" * (first_lines[first] - 1) + code[starts[first]:end]
            bodies[first] = parse_source(snippet, path).body
            parsed.update(range(first, last + 1))
        return ast.Module(body=[s for first in sorted(bodies) for s in bodies[first]], type_ignores=[])

    modules = _modules(config, code)
    try:
        module_lines = _lines_of(code, modules) or []
        tracked = _imported_names(parse_groups_spanning(module_lines), modules, module_lines)
        return parse_groups_spanning(_lines_of(code, _names_to_look_at(code, tracked, modules), config) or [])
    except DetectorError:
        return parse_source(text, path)  # the whole file's error, as Python reports it


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
    return set(_ROLLS_OVER) if "SpooledTemporaryFile" in source else set()


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
        return find_findings(tree, text, config, path, skip_statements)
    except RecursionError:
        raise DetectorError("cannot analyse: too deeply nested") from None


def check_bytes(data: bytes, path: str, config: Config, prefilter: Optional[Prefilter] = None) -> List[Finding]:
    """Prefilter, then :func:`detect_bytes`. Raises DetectorError."""
    if not (prefilter or prefilter_for(config))(data):
        return []
    return detect_bytes(data, path, config)
