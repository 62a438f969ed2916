"""Why ``tmplint fix`` leaves a site, judged once from ``ast`` for both ``tmplint check`` (its
JSON ``fixable``) and the planners (which read ``Finding.reason`` and do not judge these again).

The facts: the site runs at import time (module level, a class body, a default value or a
decorator); a ``suffix``/``prefix`` is bytes or holds a path separator; ``gettempdir()`` is not the
base of a scratch path joined with a name unique to the call. They are judged only for sites that
are otherwise fixable (``triage.reason_left_before_planning`` is None), walking only down to them
(the detector's tree holds their statements; import statements are parsed alone from the source;
the statements that spell a helper function's name are parsed when the module spells one). No libcst here: ``tmplint check`` imports this module.
"""
from __future__ import annotations

import ast
import re
from bisect import bisect_left
from typing import Callable, Collection, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple, Union

from tmplint.detector import SIGNATURES, Finding, attribute_chain, node_span

IMPORT_TIME = ("runs at import time (module level, class body, default value or decorator): "
               "a helper call there would create directories whenever the module is imported")
LEFT_AS_VALUE = ("gettempdir() is used as a value (compared, listed, passed on or stored), not as the base of "
                 "a scratch path; the machine's temp dir is left as it is")
STARRED_PARTS = "the joined parts are unpacked with *"
LOCK_NAME = "a lock path under the system temp dir is shared by every job on purpose"
FIXED_NAME = ("a fixed file name under the system temp dir may be opened by other code or processes "
              "too (shared state, a cache or a lock): moving it into one job's dir would split it")
SHARED_NAME = ("the name under the system temp dir is not unique to the call (no uuid, pid, time or "
               "random part): processes or jobs may meet there on purpose (a lock, a cache, a pid "
               "file), or collide there by accident; decide by hand")

JOINS = frozenset({"os.path.join", "posixpath.join", "ntpath.join"})
PATHS = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.PurePosixPath"})
#: calls whose result differs on every call (or in every process): a name built from one is a
#: scratch file of this call, not a meeting point
UNIQUE_PER_CALL = frozenset({
    "uuid.uuid1", "uuid.uuid4", "os.getpid", "os.urandom", "time.time", "time.time_ns", "time.monotonic",
    "time.monotonic_ns", "time.perf_counter", "time.perf_counter_ns", "threading.get_ident",
    "secrets.token_hex", "secrets.token_urlsafe", "secrets.token_bytes", "secrets.randbits",
    "random.random", "random.randint", "random.randrange", "random.getrandbits", "random.choice",
    "random.choices", "random.sample", "datetime.datetime.now", "datetime.datetime.utcnow",
})
GETTEMPDIRS = frozenset({"tempfile.gettempdir", "tempfile.gettempdirb"})
#: the creators' arguments the helper takes as file-name parts
NAME_PARTS = ("suffix", "prefix")
#: the helper functions a rewrite of each target may call (any of its plans: a cleanup in a
#: ``finally``, a file object kept in the job dir); a site is left when one of them is bound to
#: something else there
HELPERS_USED = {
    "tempfile.gettempdir": ("get_temp_dir",), "tempfile.gettempdirb": ("get_temp_dir",),
    "tempfile.mkdtemp": ("make_temp_dir", "cleanup_temp_path"),
    "tempfile.mkstemp": ("make_temp_file", "cleanup_temp_path"),
    "tempfile.mktemp": ("get_temp_path",),
    "tempfile.NamedTemporaryFile": ("open_temp_file", "cleanup_temp_path", "get_temp_path", "get_temp_dir"),
    "tempfile.TemporaryFile": ("open_temp_file", "cleanup_temp_path", "get_temp_path", "get_temp_dir"),
    "tempfile.SpooledTemporaryFile": ("get_temp_dir",),
    "tempfile.TemporaryDirectory": ("make_temp_dir", "cleanup_temp_path", "get_temp_dir"),
}

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def bytes_or_separator(name: str, node: Optional[ast.AST]) -> Optional[str]:
    """Why a creator's ``suffix``/``prefix`` expression cannot go to the helper, or None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, bytes):
        return f"a bytes {name} makes tempfile return a bytes path; the helper makes str paths"
    if node is not None and any("/" in text or "\\" in text for text in literal_texts(node)):
        return f"the {name} contains a path separator, which the helper refuses"
    return None


def literal_texts(node: ast.AST) -> List[str]:
    """The text of every str literal (and f-string literal part) inside ``node``."""
    return [child.value for child in ast.walk(node) if isinstance(child, ast.Constant) and isinstance(child.value, str)]


class ModuleFacts:
    """The nodes of a module on the way down to its sites, with each one's parent and the kind
    of code it runs in ("function", "class" or "module", as ``TmplintCommand.enclosing`` decides);
    and, looked up when asked, what the module's imports bind."""

    def __init__(self, tree: ast.Module, source: str, helper_module: str, sites: Iterable[Finding],
                 spelled: Collection[str]) -> None:
        self.source = source
        #: the helper names (of those the sites' rewrites may call) that the source spells anywhere
        self.spelled = spelled
        self.helper_module = helper_module
        self.tree = tree
        self.parents: Dict[int, ast.AST] = {}
        #: id(node) -> (kind, the def/lambda/class whose body holds it)
        self.context: Dict[int, Tuple[str, Optional[ast.AST]]] = {}
        self.by_position: Dict[Tuple[int, int, int, int], ast.AST] = {}
        self._imports: Optional[Dict[str, Set[str]]] = None
        self._walk(tree, sorted((f.line, f.col, f.end_line, f.end_col) for f in sites))

    def _walk(self, tree: ast.Module, spans: List[Tuple[int, int, int, int]]) -> None:
        """Down from the module to each of ``spans`` (sorted), into the nodes that hold one only (a big
        class with one site is not walked whole)."""
        # a stack, not recursion: very deep expressions that Python compiles must not fail here
        stack: List[Tuple[ast.AST, Tuple[str, Optional[ast.AST]]]] = [(tree, ("module", None))]
        while stack:
            node, context = stack.pop()
            self.context[id(node)] = context
            if isinstance(node, ast.expr):
                self.by_position.setdefault(node_span(node), node)
            body = node.body if isinstance(node, (*_FUNCTIONS, ast.ClassDef)) else []  # type: ignore[attr-defined]
            in_body = {id(statement) for statement in body} if isinstance(body, list) else {id(body)}
            inner = ("class" if isinstance(node, ast.ClassDef) else "function", node)
            for child in ast.iter_child_nodes(node):
                if _holds_one(child, spans):
                    self.parents[id(child)] = node
                    stack.append((child, inner if id(child) in in_body else context))

    @property
    def imports(self) -> Dict[str, Set[str]]:
        """name -> the qualified names the module's imports (anywhere) bind it to."""
        if self._imports is None:
            self._imports = {}
            for statement in _import_statements(self.source):
                for alias in statement.names:
                    if isinstance(statement, ast.Import):
                        top = alias.name.split(".")[0]
                        bound, qualname = alias.asname or top, alias.name if alias.asname else top
                    elif statement.level or not statement.module or alias.name == "*":
                        continue
                    else:
                        bound, qualname = alias.asname or alias.name, f"{statement.module}.{alias.name}"
                    self._imports.setdefault(bound, set()).add(qualname)
        return self._imports

    def qualified_names(self, node: ast.AST) -> Set[str]:
        """What a dotted name may mean through the module's imports (``path.join`` after ``from os
        import path`` is ``os.path.join``)."""
        chain = attribute_chain(node)
        if chain is None:
            return set()
        return {".".join((base, *chain[1])) for base in self.imports.get(chain[0], ())}

    def site(self, finding: Finding) -> Optional[ast.AST]:
        return self.by_position.get((finding.line, finding.col, finding.end_line, finding.end_col))

    def reason(self, finding: Finding) -> Optional[str]:
        """Why the planner would leave ``finding``'s site, as far as these facts tell; else None."""
        node = self.site(finding)
        if node is None:  # never expected: then the site is left rather than rewritten unjudged
            return "could not locate the site in the syntax tree"
        if self.context[id(node)][0] != "function":
            return IMPORT_TIME
        taken = self._helper_taken(node, HELPERS_USED.get(finding.target, ()))
        if taken is not None:
            return f"`{taken}` is already bound to something else here"
        if not isinstance(node, ast.Call):
            return None
        name = finding.target.rsplit(".", 1)[-1]
        if finding.target in GETTEMPDIRS:
            return f"{finding.target}() takes no arguments" if node.args or node.keywords else self._scratch_path_reason(node)
        positional, _keyword_only = SIGNATURES.get(name, ((), ()))
        if name == "SpooledTemporaryFile":  # kept as tempfile's own object, in the job dir
            return None
        for part in NAME_PARTS:
            if part in positional:
                reason = bytes_or_separator(part, _argument(node, part, positional.index(part)))
                if reason is not None:
                    return reason
        return None

    def _helper_taken(self, node: ast.AST, helpers: Sequence[str]) -> Optional[str]:
        """The first of ``helpers`` that a binding visible at ``node`` gives another meaning than
        the helper module's function (as Python resolves the name: the innermost scope binding
        it, class bodies only for their own code)."""
        for helper in helpers:
            if helper not in self.spelled:  # the cheap test, for nearly every module
                continue
            bindings = self._visible_bindings(node, helper)
            if any(not self._imports_helper(binding, helper) for binding, _ in bindings):
                return helper
        return None

    def _visible_bindings(self, node: ast.AST, name: str) -> List[Tuple[ast.AST, ast.AST]]:
        _kind, owner = self.context[id(node)]
        innermost = True
        while owner is not None:
            if innermost or not isinstance(owner, ast.ClassDef):
                bindings = list(local_bindings(owner, name))
                if bindings:
                    return bindings
            innermost = False
            owner = self.context[id(owner)][1]
        return list(local_bindings(self.tree, name))

    def _imports_helper(self, binding: ast.AST, name: str) -> bool:
        return (isinstance(binding, ast.ImportFrom) and not binding.level and binding.module == self.helper_module
                and all(alias.name == name for alias in binding.names if (alias.asname or alias.name) == name))

    def _scratch_path_reason(self, call: ast.Call) -> Optional[str]:
        """Why ``gettempdir()`` is not the base of a scratch path joined with a name unique to the
        call, or None when it is."""
        outer = self.parents.get(id(call))
        if not (isinstance(outer, ast.Call) and outer.args and outer.args[0] is call):
            return LEFT_AS_VALUE
        names = self.qualified_names(outer.func)
        joined: ast.AST = outer
        if names & JOINS or (names & PATHS and len(outer.args) + len(outer.keywords) > 1):
            parts = outer.args[1:] + [keyword.value for keyword in outer.keywords]
        elif names & PATHS:
            joined = self.parents.get(id(outer))  # type: ignore[assignment]
            if not (isinstance(joined, ast.BinOp) and isinstance(joined.op, ast.Div) and joined.left is outer):
                return LEFT_AS_VALUE
            parts = [joined.right]
        else:
            return LEFT_AS_VALUE
        if any(isinstance(a, ast.Starred) for a in outer.args) or any(k.arg is None for k in outer.keywords):
            return STARRED_PARTS
        return self._name_reason(parts, self.context[id(call)]) or (LEFT_AS_VALUE if isinstance(self.parents.get(id(joined)), ast.Compare)
                                            else None)

    def _name_reason(self, parts: Sequence[ast.AST], context: Tuple[str, Optional[ast.AST]]) -> Optional[str]:
        if any("lock" in text.lower() for part in parts for text in literal_texts(part)):
            return LOCK_NAME
        if all(isinstance(part, ast.Constant) and isinstance(part.value, (str, bytes)) for part in parts):
            return FIXED_NAME
        if not any(self._unique_in(part, context) for part in parts):
            return SHARED_NAME
        return None

    def _unique_in(self, node: ast.AST, follow: Optional[Tuple[str, Optional[ast.AST]]]) -> bool:
        """Whether ``node`` calls a UNIQUE_PER_CALL function, or (``follow``: the context ``node``
        is in) uses a local of that scope assigned once from such an expression."""
        inside = list(ast.walk(node))
        if any(isinstance(n, ast.Call) and self.qualified_names(n.func) & UNIQUE_PER_CALL for n in inside):
            return True
        return follow is not None and any(self._assigned_once_from_unique(n, follow[1])
                                          for n in inside if isinstance(n, ast.Name))

    def _assigned_once_from_unique(self, name: ast.Name, owner: Optional[ast.AST]) -> bool:
        bindings = list(local_bindings(owner or self.tree, name.id))
        if len(bindings) != 1:
            return False
        binding, assign = bindings[0]
        return (isinstance(assign, ast.Assign) and any(t is binding for t in assign.targets)
                and self._unique_in(assign.value, None))


def _argument(call: ast.Call, name: str, position: int) -> Optional[ast.AST]:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return call.args[position] if position < len(call.args) else None


#: an import statement at the start of a line; a parenthesized list of names may span lines
_IMPORT_LINE = re.compile(r"^[ \t]*((?:from[ \t]+[\w.]+[ \t]+)?import\b(?:[^\n(]*\([^)]*\)|[^\n]*))", re.MULTILINE)


def _import_statements(source: str) -> Iterator[Union[ast.Import, ast.ImportFrom]]:
    """Every import statement of ``source``, each parsed alone from its own line(s): much cheaper
    than parsing the statements (whole classes, functions) they sit in."""
    for match in _IMPORT_LINE.finditer(source):
        try:
            parsed = ast.parse(match.group(1))
        except (SyntaxError, ValueError):  # a continuation line, or text in a string: not an import here
            continue
        yield from (s for s in parsed.body if isinstance(s, (ast.Import, ast.ImportFrom)))


def _holds_one(node: ast.AST, spans: Sequence[Tuple[int, int, int, int]]) -> bool:
    """Whether ``node`` may hold one of ``spans`` (sorted): its own span holds one, or it has none."""
    start = getattr(node, "lineno", None)
    if start is None:  # arguments, comprehensions, with items ...: what they hold decides
        return True
    first, last = (start, node.col_offset), (node.end_lineno or start, node.end_col_offset or 0)  # type: ignore[attr-defined]
    for decorator in getattr(node, "decorator_list", ()):  # a definition's span starts at its decorators
        first = min(first, (decorator.lineno, decorator.col_offset))
    # only the spans that start inside the node can lie inside it: found by bisection, not by
    # trying every span (that was quadratic in the sites of a module)
    for index in range(bisect_left(spans, first), len(spans)):
        line, col, end_line, end_col = spans[index]
        if (line, col) > last:
            return False
        if (end_line, end_col) <= last:
            return True
    return False


def local_bindings(owner: ast.AST, name: str) -> Iterator[Tuple[ast.AST, ast.AST]]:
    """Every binding of ``name`` in the scope of ``owner`` (a def, lambda, class or the module),
    not looking into the scopes nested in it, with the node that holds it."""
    if isinstance(owner, _FUNCTIONS):
        args = owner.args
        yield from ((a, args) for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg)
                    if a is not None and a.arg == name)
    body = owner.body if isinstance(owner.body, list) else [owner.body]  # type: ignore[attr-defined]
    stack: List[Tuple[ast.AST, ast.AST]] = [(statement, owner) for statement in body]
    while stack:
        node, parent = stack.pop()
        if _binds(node, name):
            yield node, parent
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stack.extend((decorator, node) for decorator in node.decorator_list)  # the rest is its own scope
        elif not isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            stack.extend((child, node) for child in ast.iter_child_nodes(node))


def _binds(node: ast.AST, name: str) -> bool:
    """Whether ``node`` itself binds ``name`` (a definition, an assignment target, an import, an
    ``except ... as``)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name == name
    if isinstance(node, ast.Name):
        return node.id == name and not isinstance(node.ctx, ast.Load)
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return any((alias.asname or alias.name.split(".")[0]) == name for alias in node.names)
    return isinstance(node, ast.ExceptHandler) and node.name == name


def fix_reasons(tree: ast.Module, source: str, findings: Sequence[Finding], helper_module: str,
                reparse: Callable[[Set[str]], ast.Module]) -> List[Optional[str]]:
    """For each of ``findings`` (byte columns, as ``ast`` gives them) of ``source``, the reason
    these facts give for leaving its site, or None. ``tree``: the detector's, which holds the
    statements with sites (perhaps only those); ``reparse(names)``: the module's tree with the
    statements that spell ``names`` too (the detector's ``parse_needed``), asked for the bindings
    of a helper function's name the module spells."""
    # each name looked for in the source once, not once per site (quadratic in a module's sites)
    spelled = {h for h in {h for f in findings for h in HELPERS_USED.get(f.target, ())} if h in source}
    if spelled:  # every binding of a name (its import too) is in a statement that spells it
        tree = reparse(spelled)
    facts = ModuleFacts(tree, source, helper_module, findings, spelled)
    return [facts.reason(finding) for finding in findings]
