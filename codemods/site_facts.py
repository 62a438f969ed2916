"""Why ``tmplint fix`` leaves a site, judged once from ``ast`` for both ``tmplint check`` (its
JSON ``fixable``) and the planners (which read ``Finding.reason`` and do not judge these again).

The facts: the site runs at import time (module level, a class body, a default value or a
decorator); a ``suffix``/``prefix`` is bytes or holds a path separator; ``gettempdir()`` is not the
base of a scratch path joined with a name unique to the call. They are judged only for sites that
are otherwise fixable (``triage.reason_left_before_planning`` is None), from the whole module parsed
again (the detector's tree may hold only some statements). No libcst here: ``tmplint check``
imports this module.
"""
from __future__ import annotations

import ast
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from tmplint.detector import SIGNATURES, Finding

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
    """One module's tree with each node's parent, the kind of code each node runs in
    ("function", "class" or "module", as ``TmplintCommand.enclosing`` decides), and what its
    imports bind."""

    def __init__(self, tree: ast.Module, source: str, helper_module: str) -> None:
        self.source = source
        self.helper_module = helper_module
        self.parents: Dict[int, ast.AST] = {}
        #: id(node) -> (kind, the def/lambda/class whose body holds it)
        self.context: Dict[int, Tuple[str, Optional[ast.AST]]] = {}
        self.by_position: Dict[Tuple[int, int, int, int], ast.AST] = {}
        self.imports: Dict[str, Set[str]] = {}
        self.tree = tree
        self._walk(tree)

    def _walk(self, tree: ast.Module) -> None:
        # a stack, not recursion: very deep expressions that Python compiles must not fail here
        stack: List[Tuple[ast.AST, Tuple[str, Optional[ast.AST]]]] = [(tree, ("module", None))]
        while stack:
            node, context = stack.pop()
            self.context[id(node)] = context
            if isinstance(node, ast.expr):
                self.by_position.setdefault(_position(node), node)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                self._record_import(node)
            body = node.body if isinstance(node, (*_FUNCTIONS, ast.ClassDef)) else []  # type: ignore[attr-defined]
            in_body = {id(statement) for statement in body} if isinstance(body, list) else {id(body)}
            inner = ("class" if isinstance(node, ast.ClassDef) else "function", node)
            for child in ast.iter_child_nodes(node):
                self.parents[id(child)] = node
                stack.append((child, inner if id(child) in in_body else context))

    def _record_import(self, node: ast.AST) -> None:
        for alias in node.names:  # type: ignore[attr-defined]
            if isinstance(node, ast.Import):
                bound, qualname = alias.asname or alias.name.split(".")[0], alias.name if alias.asname else alias.name.split(".")[0]
            elif node.level or not node.module or alias.name == "*":  # type: ignore[attr-defined]
                continue
            else:
                bound, qualname = alias.asname or alias.name, f"{node.module}.{alias.name}"  # type: ignore[attr-defined]
            self.imports.setdefault(bound, set()).add(qualname)

    def qualified_names(self, node: ast.AST) -> Set[str]:
        """What a dotted name may mean through the module's imports (``path.join`` after ``from os
        import path`` is ``os.path.join``)."""
        attrs: List[str] = []
        while isinstance(node, ast.Attribute):
            attrs.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return set()
        return {".".join((base, *reversed(attrs))) for base in self.imports.get(node.id, ())}

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
            if helper not in self.source:  # the cheap test, for nearly every module
                continue
            bindings = self._visible_bindings(node, helper)
            if any(not self._imports_helper(binding, helper) for binding in bindings):
                return helper
        return None

    def _visible_bindings(self, node: ast.AST, name: str) -> List[ast.AST]:
        _kind, owner = self.context[id(node)]
        innermost = True
        while owner is not None:
            if innermost or not isinstance(owner, ast.ClassDef):
                bindings = list(_local_bindings(owner, name))
                if bindings:
                    return bindings
            innermost = False
            owner = self.context[id(owner)][1]
        return list(_local_bindings(self.tree, name))

    def _imports_helper(self, binding: ast.AST, name: str) -> bool:
        statement = self.parents.get(id(binding))
        return (isinstance(binding, ast.alias) and isinstance(statement, ast.ImportFrom) and not statement.level
                and statement.module == self.helper_module and binding.name == name
                and binding.asname in (None, name))

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
        return self._name_reason(parts) or (LEFT_AS_VALUE if isinstance(self.parents.get(id(joined)), ast.Compare)
                                            else None)

    def _name_reason(self, parts: Sequence[ast.AST]) -> Optional[str]:
        if any("lock" in text.lower() for part in parts for text in literal_texts(part)):
            return LOCK_NAME
        if all(isinstance(part, ast.Constant) and isinstance(part.value, (str, bytes)) for part in parts):
            return FIXED_NAME
        if not any(self._unique_in(part, follow=True) for part in parts):
            return SHARED_NAME
        return None

    def _unique_in(self, node: ast.AST, follow: bool) -> bool:
        """Whether ``node`` calls a UNIQUE_PER_CALL function, or (``follow``) uses a local assigned
        once from such an expression."""
        inside = list(ast.walk(node))
        if any(isinstance(n, ast.Call) and self.qualified_names(n.func) & UNIQUE_PER_CALL for n in inside):
            return True
        return follow and any(self._assigned_once_from_unique(n) for n in inside if isinstance(n, ast.Name))

    def _assigned_once_from_unique(self, name: ast.Name) -> bool:
        _kind, owner = self.context[id(name)]
        bindings = list(_local_bindings(owner or self.tree, name.id))
        if len(bindings) != 1:
            return False
        assign = self.parents.get(id(bindings[0]))
        return (isinstance(assign, ast.Assign) and any(t is bindings[0] for t in assign.targets)
                and self._unique_in(assign.value, follow=False))


def _position(node: ast.AST) -> Tuple[int, int, int, int]:
    return (node.lineno, node.col_offset,  # type: ignore[attr-defined]
            getattr(node, "end_lineno", None) or node.lineno,  # type: ignore[attr-defined]
            getattr(node, "end_col_offset", None) or node.col_offset)  # type: ignore[attr-defined]


def _argument(call: ast.Call, name: str, position: int) -> Optional[ast.AST]:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return call.args[position] if position < len(call.args) else None


def _local_bindings(owner: ast.AST, name: str) -> Iterable[ast.AST]:
    """Every binding of ``name`` in the scope of ``owner`` (a def, lambda, class or the module),
    not looking into the scopes nested in it."""
    if isinstance(owner, _FUNCTIONS):
        args = owner.args
        yield from (a for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg)
                    if a is not None and a.arg == name)
    body = owner.body if isinstance(owner.body, list) else [owner.body]  # type: ignore[attr-defined]
    stack: List[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name == name:
                yield node
            stack.extend(node.decorator_list)
            continue
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        if isinstance(node, ast.Name) and node.id == name and not isinstance(node.ctx, ast.Load):
            yield node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            yield from (alias for alias in node.names
                        if (alias.asname or alias.name.split(".")[0]) == name)
        elif isinstance(node, ast.ExceptHandler) and node.name == name:
            yield node
        stack.extend(ast.iter_child_nodes(node))


def fix_reasons(tree: ast.Module, source: str, findings: Sequence[Finding], helper_module: str) -> List[Optional[str]]:
    """For each of ``findings`` (byte columns, as ``ast`` gives them) in module ``tree`` (parsed
    from ``source``), the reason these facts give for leaving its site, or None."""
    facts = ModuleFacts(tree, source, helper_module)
    return [facts.reason(finding) for finding in findings]
