"""The detector: one ``ast`` pass per file that yields findings.

Everything reads this module: the flake8 plugin, ``tmplint check`` and the ``tmplint fix``
codemods (which rewrite exactly the sites found here, located by position).
"""
from __future__ import annotations

import ast
import re
import tokenize
from dataclasses import dataclass
from io import StringIO
from typing import Dict, FrozenSet, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from flake8.defaults import NOQA_FILE, NOQA_INLINE_REGEXP

from tmplint.config import Config
from tmplint.registry import RULES

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


class DetectorError(Exception):
    """A file that cannot be decoded or parsed; the message says why."""


# --------------------------------------------------------------------------- prefilter


def prefilter_needles(config: Config) -> Tuple[bytes, ...]:
    """Byte strings at least one of which every file with a finding contains.

    Every tempfile finding needs the module name in an import; every TMP006 literal needs a temp
    dir's last component (``tmp``, ``shm``), which survives implicit concatenation
    (``"/t" "mp"`` does not occur in practice, but ``"/tmp" "/x"`` does) — matching the last
    component case-insensitively would be wider than needed, so the exact bytes are used.
    """
    needles = {b"tempfile"}
    for directory in config.all_temp_dirs:
        needles.add(directory.encode("utf-8"))
    if "TMP007" in config.enabled_codes:
        needles.update(v.encode() for v in TEMP_ENV_VARS)
    return tuple(sorted(needles))


def may_have_findings(data: bytes, needles: Sequence[bytes]) -> bool:
    return any(needle in data for needle in needles)


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


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


class ScopeBuilder:
    """One walk that records, for the module and every scope-making node, what it binds."""

    def __init__(self) -> None:
        self.scopes: Dict[int, Scope] = {}

    def build(self, tree: ast.Module) -> Dict[int, Scope]:
        module = Scope(None, "module")
        self.scopes[id(tree)] = module
        self._children(tree, module)
        return self.scopes

    def _children(self, node: ast.AST, scope: Scope) -> None:
        for child in ast.iter_child_nodes(node):
            self._visit(child, scope)

    def _visit_all(self, nodes: Iterable[Optional[ast.AST]], scope: Scope) -> None:
        for node in nodes:
            if node is not None:
                self._visit(node, scope)

    def _new_scope(self, node: ast.AST, parent: Scope, kind: str) -> Scope:
        scope = Scope(parent, kind)
        self.scopes[id(node)] = scope
        return scope

    def _visit(self, node: ast.AST, scope: Scope) -> None:
        if isinstance(node, (*_FUNCTIONS, ast.Lambda)):
            args = node.args
            # decorators, defaults and annotations are evaluated in the enclosing scope
            self._visit_all(getattr(node, "decorator_list", []), scope)
            self._visit_all(args.defaults + args.kw_defaults, scope)
            self._visit_all([a.annotation for a in _all_args(args)], scope)
            self._visit_all([getattr(node, "returns", None)], scope)
            inner = self._new_scope(node, scope, "function")
            for arg in _all_args(args):
                inner.bind(arg.arg)
            if isinstance(node, ast.Lambda):
                self._visit(node.body, inner)
            else:
                scope.bind(node.name)
                self._visit_all(node.body, inner)
        elif isinstance(node, ast.ClassDef):
            self._visit_all(node.decorator_list + node.bases + node.keywords, scope)
            scope.bind(node.name)
            self._visit_all(node.body, self._new_scope(node, scope, "class"))
        elif isinstance(node, _COMPREHENSIONS):
            inner = self._new_scope(node, scope, "comprehension")
            for index, generator in enumerate(node.generators):
                # the first iterable is evaluated in the enclosing scope
                self._visit(generator.iter, scope if index == 0 else inner)
                self._visit(generator.target, inner)
                self._visit_all(generator.ifs, inner)
            self._visit_all([getattr(node, part, None) for part in ("elt", "key", "value")], inner)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    scope.bind(alias.asname, alias.name)
                else:
                    top = alias.name.split(".")[0]
                    scope.bind(top, top)
        elif isinstance(node, ast.ImportFrom):
            module = node.module if not node.level else None
            for alias in node.names:
                if alias.name == "*":
                    if module == "tempfile":
                        for name in TEMPFILE_ALL:
                            scope.bind(name, f"tempfile.{name}")
                else:
                    scope.bind(alias.asname or alias.name, f"{module}.{alias.name}" if module else "")
        elif isinstance(node, ast.Global):
            scope.globals.update(node.names)
        elif isinstance(node, ast.Nonlocal):
            scope.nonlocals.update(node.names)
        elif isinstance(node, ast.Name):
            if not isinstance(node.ctx, ast.Load):
                scope.bind(node.id)
        elif isinstance(node, ast.NamedExpr):
            # PEP 572: the target binds in the nearest enclosing non-comprehension scope
            target = scope
            while target.kind == "comprehension" and target.parent is not None:
                target = target.parent
            target.bind(node.target.id)
            self._visit(node.value, scope)
        else:
            name = getattr(node, "name", None) or getattr(node, "rest", None)
            if isinstance(name, str) and isinstance(node, _NAME_BINDERS):
                scope.bind(name)
            self._children(node, scope)


_NAME_BINDERS: Tuple[type, ...] = (ast.ExceptHandler,) + tuple(
    getattr(ast, n) for n in ("MatchAs", "MatchStar", "MatchMapping") if hasattr(ast, n)
)


def _all_args(args: ast.arguments) -> List[ast.arg]:
    result = list(getattr(args, "posonlyargs", [])) + list(args.args) + list(args.kwonlyargs)
    result += [a for a in (args.vararg, args.kwarg) if a is not None]
    return result


# --------------------------------------------------------------------------- temp paths


def temp_dir_prefix(text: str, temp_dirs: Sequence[str]) -> Optional[str]:
    """The temp dir ``text`` starts with on a path boundary (``/tmp``, ``/tmp/x``), else None."""
    if not text.startswith("/"):
        return None
    for directory in temp_dirs:
        if text.startswith(directory) and (len(text) == len(directory) or text[len(directory)] == "/"):
            return directory
    return None


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


class FindingVisitor(ast.NodeVisitor):
    """Walks a module once, resolving names by scope, and collects raw findings."""

    def __init__(self, scopes: Dict[int, Scope], config: Config, path: str) -> None:
        self.scopes = scopes
        self.temp_dirs = config.all_temp_dirs
        self.env_rule = "TMP007" in config.enabled_codes
        self.path = path
        self.scope: Scope = next(iter(scopes.values()))
        self.findings: List[Finding] = []
        #: nodes already reported under another finding (a creator's temp ``dir=``)
        self.skip: Set[int] = set()

    # -- helpers

    def qualname(self, node: ast.AST) -> Optional[str]:
        if isinstance(node, ast.Name):
            return self.scope.resolve(node.id)
        if isinstance(node, ast.Attribute):
            base = self.qualname(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def add(self, node: ast.AST, code: str, subject: str, target: str, fixable: bool) -> None:
        if id(node) in self.skip:
            return
        rule = RULES[code]
        self.findings.append(
            Finding(
                path=self.path, line=node.lineno, col=node.col_offset, code=code,
                message=rule.format_message(subject), fixable=fixable and rule.fix == "safe",
                end_line=getattr(node, "end_lineno", None) or node.lineno,
                end_col=getattr(node, "end_col_offset", None) or node.col_offset, target=target,
            )
        )

    def is_temp_dir_expr(self, node: ast.AST) -> bool:
        """``dir=`` values that mean the system temp dir: a temp literal or gettempdir()."""
        text = literal_text(node)
        if text is not None:
            return temp_dir_prefix(text, self.temp_dirs) is not None
        if isinstance(node, ast.Call) and not node.args and not node.keywords:
            return self.qualname(node.func) in TEMPDIR_GETTERS
        return self.qualname(node) == "tempfile.tempdir"

    # -- scopes

    def _visit_definition(self, node: ast.AST) -> None:
        # decorators, defaults and annotations belong to the enclosing scope
        outer_parts: List[ast.AST] = list(getattr(node, "decorator_list", []))
        if isinstance(node, ast.ClassDef):
            outer_parts += node.bases + node.keywords
        else:
            args = node.args  # type: ignore[attr-defined]
            outer_parts += args.defaults + [d for d in args.kw_defaults if d is not None]
            outer_parts += [a.annotation for a in _all_args(args) if a.annotation is not None]
            if getattr(node, "returns", None) is not None:
                outer_parts.append(node.returns)  # type: ignore[attr-defined]
        for part in outer_parts:
            self.visit(part)
        outer = self.scope
        self.scope = self.scopes[id(node)]
        body = node.body if isinstance(node.body, list) else [node.body]  # type: ignore[attr-defined]
        for stmt in body:
            self.visit(stmt)
        self.scope = outer

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = visit_Lambda = _visit_definition

    def _visit_comprehension(self, node: ast.AST) -> None:
        outer = self.scope
        for index, generator in enumerate(node.generators):  # type: ignore[attr-defined]
            self.scope = outer if index == 0 else self.scopes[id(node)]
            self.visit(generator.iter)
            self.scope = self.scopes[id(node)]
            self.visit(generator.target)
            for condition in generator.ifs:
                self.visit(condition)
        for part in ("elt", "key", "value"):
            if getattr(node, part, None) is not None:
                self.visit(getattr(node, part))
        self.scope = outer

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _visit_comprehension

    # -- rules

    def visit_Expr(self, node: ast.Expr) -> None:
        # a bare string statement does nothing at run time: docstrings and prose
        if isinstance(node.value, (ast.Constant, ast.JoinedStr)) and literal_text(node.value) is not None:
            return
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        qualname = self.qualname(node.func)
        if qualname and qualname.startswith("tempfile."):
            name = qualname[len("tempfile."):]
            if name in CREATORS:
                self.check_creator(node, name)
                for child in [*node.args, *[k.value for k in node.keywords]]:
                    self.visit(child)
                return
            if qualname in TEMPDIR_GETTERS:
                self.add(node, "TMP005", f"{qualname}()", qualname, fixable=True)
                self.generic_visit_except(node, node.func)
                return
        elif self.env_rule and qualname in ENV_GETTERS and node.args:
            key = literal_text(node.args[0])
            if key in TEMP_ENV_VARS:
                self.add(node, "TMP007", f"{qualname}({key!r})", qualname, fixable=False)
        self.generic_visit(node)

    def generic_visit_except(self, node: ast.AST, skipped: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if child is not skipped:
                self.visit(child)

    def check_creator(self, node: ast.Call, name: str) -> None:
        code, dir_position = CREATORS[name]
        qualname = f"tempfile.{name}"
        dir_arg: Optional[ast.AST] = None
        unmappable = False
        for keyword in node.keywords:
            if keyword.arg == "dir":
                dir_arg = keyword.value
            elif keyword.arg is None:
                unmappable = True
        for index, arg in enumerate(node.args):
            if isinstance(arg, ast.Starred):
                unmappable = True
            elif index == dir_position:
                dir_arg = arg
        no_dir = dir_arg is None or (isinstance(dir_arg, ast.Constant) and dir_arg.value is None)
        if code == "TMP004" or no_dir or self.is_temp_dir_expr(dir_arg):  # type: ignore[arg-type]
            if dir_arg is not None and not no_dir:
                self.skip.add(id(dir_arg))
            self.add(node, code, qualname, qualname, fixable=not unmappable)
        else:
            self.add(node, "TMP008", qualname, qualname, fixable=False)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self._check_reference(node)

    def visit_Name(self, node: ast.Name) -> None:
        self._check_reference(node)

    def _check_reference(self, node: ast.AST) -> None:
        """A tempfile function used without being called (``factory=tempfile.mkdtemp``), or
        ``tempfile.tempdir`` read or written."""
        qualname = self.qualname(node)
        if qualname and qualname.startswith("tempfile."):
            name = qualname[len("tempfile."):]
            if name in CREATORS:
                self.add(node, CREATORS[name][0], qualname, qualname, fixable=False)
                return
            if qualname in TEMPDIR_GETTERS or name == "tempdir":
                self.add(node, "TMP005", qualname, qualname, fixable=False)
                return
        if isinstance(node, ast.Attribute):
            self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if self.env_rule:
            qualname = self.qualname(node.value)
            key = node.slice.value if isinstance(node.slice, ast.Index) else node.slice  # type: ignore[attr-defined]
            if qualname in ENV_MAPPINGS and literal_text(key) in TEMP_ENV_VARS:
                self.add(node, "TMP007", f"{qualname}[{literal_text(key)!r}]", qualname, fixable=False)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        self._check_literal(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self._check_literal(node)
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                self.visit(value)

    def _check_literal(self, node: ast.AST) -> None:
        text = literal_text(node)
        if text is not None and temp_dir_prefix(text, self.temp_dirs):
            self.add(node, "TMP006", _short(text), "literal", fixable=False)


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


def is_suppressed(code: str, line_text: str, honor_other_suppressions: bool) -> bool:
    match = NOQA_INLINE_REGEXP.search(line_text)
    if match is not None:
        codes_text = match.group("codes")
        if codes_text is None:
            return True
        codes = {c for c in re.split(r"[,\s]+", codes_text) if c}
        if code in codes or code.startswith(tuple(codes)):
            return True
        if honor_other_suppressions and codes & set(OTHER_TOOLS_CODES.get(code, ())):
            return True
    return honor_other_suppressions and code == "TMP004" and _NOSEC.search(line_text) is not None


def file_is_noqa(source: str) -> bool:
    """``# flake8: noqa`` on a line of its own turns the whole file off, as in flake8."""
    return any(NOQA_FILE.match(line) for line in source.splitlines())


_SUPPRESSION_HINT = re.compile(r"noqa|nosec", re.IGNORECASE)


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


def find_findings(tree: ast.Module, source: str, config: Config, path: str = "<unknown>") -> List[Finding]:
    """All enabled, unsuppressed findings of one parsed module, sorted by position."""
    visitor = FindingVisitor(ScopeBuilder().build(tree), config, path)
    visitor.visit(tree)
    enabled = config.enabled_codes
    findings = sorted(
        (f for f in visitor.findings if f.code in enabled), key=lambda f: (f.line, f.col, f.code)
    )
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
        return ast.parse(text, filename=path)
    except SyntaxError as exc:
        where = f" (line {exc.lineno})" if exc.lineno else ""
        raise DetectorError(f"cannot parse: SyntaxError: {exc.msg}{where}") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        reason = "too deeply nested" if isinstance(exc, RecursionError) else str(exc) or type(exc).__name__
        raise DetectorError(f"cannot parse: {reason}") from None


def check_bytes(data: bytes, path: str, config: Config, needles: Optional[Sequence[bytes]] = None) -> List[Finding]:
    """Prefilter, decode, parse and detect one file's bytes. Raises DetectorError."""
    if not may_have_findings(data, needles if needles is not None else prefilter_needles(config)):
        return []
    text = decode_source(data, path)
    tree = parse_source(text, path)
    try:
        return find_findings(tree, text, config, path)
    except RecursionError:
        raise DetectorError("cannot analyse: too deeply nested") from None
