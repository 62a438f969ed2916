"""Which expression holds the workflow id at a site, judged from ``ast`` here only, for both
``tmplint check`` and the planners (``workflow_id.resolve`` turns the spelling into libcst nodes).
Without a fallback or ``add-workflow-param`` it decides ``fixable`` (no id, or one that may be
None, and the site is left): the detector judges it and the planners read ``Finding.workflow_id``;
otherwise only the spelling of the rewrite depends on it, and the planners judge it themselves.

First that applies, inside the function whose body holds the site:

1. a parameter, or a local certainly assigned before the site, named in ``workflow-id-names``;
2. an attribute chain ending in ``workflow-id-attributes`` that the function already uses
   (``workflow_context.workflow_id``, ``self.workflow_id``), on a name bound there;
3. ``self.<name>`` for an id name or attribute that the class, or a base class defined in the same
   module, assigns in ``__init__`` or declares as a dataclass/attrs/pydantic field.

What is not found here comes from the configuration (``add-workflow-param``, the fallback). No
libcst here: ``tmplint check`` imports this module.
"""
from __future__ import annotations

import ast
import builtins
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple, TypeVar

from tmplint.codemods.site_facts import local_bindings
from tmplint.config import Config
from tmplint.detector import attribute_chain, node_span
from tmplint.findings import Finding, WorkflowIdFact
from tmplint.sources import split_lines

#: class decorators and bases whose annotated class attributes are instance fields
FIELD_DECORATORS = frozenset({"dataclass", "s", "attrs", "define", "frozen", "mutable"})
FIELD_BASES = frozenset({"BaseModel", "BaseSettings", "NamedTuple", "TypedDict"})

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_FUNCTIONS = (*_DEFS, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_LOOPS_AND_WITHS = (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith)
_COMPOUND = (*_LOOPS_AND_WITHS, *_DEFS, ast.ClassDef, ast.If, ast.While, ast.Try,
             *((ast.TryStar,) if hasattr(ast, "TryStar") else ()), *((ast.Match,) if hasattr(ast, "Match") else ()))
#: what :meth:`WorkflowIdFacts.lookup` finds: the kind of scope and the bindings in it
Lookup = Tuple[str, List[ast.AST]]


def no_id_reason(config: Config, hint: str = "set workflow-id-fallback or add-workflow-param") -> str:
    """Why a site is left when nothing holds a workflow id there."""
    names = ", ".join(config.workflow_id_names)
    return (f"no workflow id in scope (no parameter or local named {names}, no "
            f"`.{'/.'.join(config.workflow_id_attributes)}` in use; {hint})")


def may_be_none_reason(fact: WorkflowIdFact) -> str:
    """Why a site is left when its id may be None and no fallback is configured."""
    return (f"the workflow id `{fact.spelling}` may be None ({fact.may_be_none}); "
            "set workflow-id-fallback to use `id or <fallback>`")


def full_name(node: Optional[ast.AST]) -> Optional[str]:
    """The dotted name a decorator, base or attribute chain spells (a call or subscript by its
    callee or value), as libcst's ``get_full_name_for_node`` gives it."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{full_name(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return full_name(node.func)
    if isinstance(node, ast.Subscript):
        return full_name(node.value)
    return None


def _is_none(node: Optional[ast.AST]) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def value_may_be_none(value: Optional[ast.AST]) -> str:
    """Why an assigned value may be None, or ""."""
    if _is_none(value):
        return "it is assigned None"
    if isinstance(value, ast.Call):
        func = value.func
        if isinstance(func, ast.Attribute) and func.attr in ("get", "getenv"):
            return f"it comes from .{func.attr}(), which may return None"
        arguments = [*value.args, *(keyword.value for keyword in value.keywords)]
        if isinstance(func, ast.Name) and func.id == "getattr" and len(arguments) == 3 and _is_none(arguments[2]):
            return "it comes from getattr(..., None)"
    return ""


def _parameters(args: ast.arguments) -> Iterator[Tuple[ast.arg, Optional[ast.AST]]]:
    """Each named parameter with its default."""
    positional = [*args.posonlyargs, *args.args]
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    yield from zip(positional, defaults)
    yield from zip(args.kwonlyargs, args.kw_defaults)
    yield from ((a, None) for a in (args.vararg, args.kwarg) if a is not None)


def _first_param(definition: ast.AST) -> Optional[str]:
    params = [*definition.args.posonlyargs, *definition.args.args]  # type: ignore[attr-defined]
    return params[0].arg if params else None


def _class_has_fields(klass: ast.ClassDef) -> bool:
    for decorator in klass.decorator_list:
        name = full_name(decorator.func if isinstance(decorator, ast.Call) else decorator) or ""
        if name.rpartition(".")[2] in FIELD_DECORATORS:
            return True
    return any((full_name(base) or "").rpartition(".")[2] in FIELD_BASES for base in klass.bases)


def _own_nodes(statements: Sequence[ast.AST]) -> Iterator[ast.AST]:
    """The nodes of ``statements`` in source order (pre-order), not entering nested ``def``s or
    classes (neither their decorators nor their defaults)."""
    stack = list(reversed(statements))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (*_DEFS, ast.ClassDef)):
            stack.extend(reversed(list(ast.iter_child_nodes(node))))


_Class = TypeVar("_Class")


def nearest_first(klass: _Class, bases: Callable[[_Class], List[_Class]]) -> Iterator[_Class]:
    """``klass`` and the classes ``bases`` gives for it, theirs and so on, nearest first, each once
    (the same walk over ``ast`` and libcst classes)."""
    seen: List[_Class] = []
    work = [klass]
    while work:
        current = work.pop(0)
        if any(current is c for c in seen):
            continue
        seen.append(current)
        yield current
        work.extend(bases(current))


class WorkflowIdFacts:
    """The workflow id of each site of one module (its full ``ast`` tree)."""

    def __init__(self, tree: ast.Module, source: str, config: Config) -> None:
        self.tree = tree
        self.config = config
        self.wanted = (*config.workflow_id_attributes, *config.workflow_id_names)
        self.lines = split_lines(source)
        self._by_span: Optional[Dict[Tuple[int, int, int, int], ast.AST]] = None
        self.parents: Dict[int, ast.AST] = {}
        for parent in ast.walk(tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[id(child)] = parent
        self.source = source
        self.classes = {s.name: s for s in tree.body if isinstance(s, ast.ClassDef)}
        self._fields: Dict[int, Dict[str, str]] = {}

    # -- structure

    def ancestors(self, node: ast.AST) -> List[ast.AST]:
        result = []
        current = self.parents.get(id(node))
        while current is not None:
            result.append(current)
            current = self.parents.get(id(current))
        return result

    def enclosing_def(self, node: ast.AST) -> Optional[ast.AST]:
        """The innermost ``def`` whose body holds ``node`` (through lambdas, not through classes)."""
        child = node
        for parent in self.ancestors(node):
            if isinstance(parent, _DEFS) and any(child is s for s in parent.body):
                return parent
            if isinstance(parent, ast.ClassDef) and any(child is s for s in parent.body):
                return None
            child = parent
        return None

    def class_of(self, definition: ast.AST) -> Optional[ast.ClassDef]:
        parent = self.parents.get(id(definition))
        return parent if isinstance(parent, ast.ClassDef) and any(definition is s for s in parent.body) else None

    def self_name(self, definition: ast.AST) -> Optional[str]:
        """The first parameter of a method (not a static or class method), else None."""
        if self.class_of(definition) is None:
            return None
        if any(full_name(d) in ("staticmethod", "classmethod") for d in definition.decorator_list):  # type: ignore[attr-defined]
            return None
        return _first_param(definition)

    # -- scopes

    def _scopes_up(self, node: ast.AST) -> Iterator[ast.AST]:
        """The comprehensions and functions whose scope holds ``node``, innermost first; classes
        only for code directly in their body."""
        child, innermost = node, True
        for parent in self.ancestors(node):
            if isinstance(parent, _COMPREHENSIONS):
                yield parent
            elif isinstance(parent, ast.Lambda) and child is parent.body or \
                    isinstance(parent, _DEFS) and any(child is s for s in parent.body):
                yield parent
                innermost = False
            elif isinstance(parent, ast.ClassDef) and innermost and any(child is s for s in parent.body):
                yield parent
                innermost = False
            child = parent

    def lookup(self, node: ast.AST, name: str) -> Lookup:
        """The bindings of ``name`` visible at ``node``, as Python resolves it, with the kind of
        scope holding them: "function", "other" (a comprehension or class), "module", "builtin"
        or "unbound"."""
        for scope in self._scopes_up(node):
            declaration = _declaration(scope, name) if isinstance(scope, _DEFS) else ""
            if declaration == "global":
                break
            bindings = [] if declaration == "nonlocal" else [b for b, _ in _scope_bindings(scope, name)]
            if bindings:
                return ("function" if isinstance(scope, _FUNCTIONS) else "other"), bindings
        bindings = [b for b, _ in _scope_bindings(self.tree, name)]
        if bindings:
            return "module", bindings
        return ("builtin" if hasattr(builtins, name) else "unbound"), []

    def bound_at(self, name: str, site: ast.AST) -> bool:
        """Whether ``name`` is certainly bound to a function's parameter or local at ``site``."""
        kind, bindings = self.lookup(site, name)
        return kind == "function" and any(self._available(b, site) for b in bindings)

    def _available(self, binding: ast.AST, site: ast.AST) -> bool:
        if isinstance(binding, ast.arg):
            return True
        return isinstance(binding, ast.Name) and self.definitely_before(binding, site)

    def definitely_before(self, target: ast.AST, site: ast.AST) -> bool:
        """Whether the binding ``target`` has certainly run when ``site`` runs: a plain assignment
        in an earlier line of a block that encloses the site, or the target of a ``for``/``with``
        whose body holds the site."""
        statement = self._statement_of(target)
        if statement is None:
            return False
        site_chain = [site, *self.ancestors(site)]
        if any(statement is a for a in site_chain):
            if isinstance(statement, _LOOPS_AND_WITHS):
                in_body = any(any(a is s for s in statement.body) for a in site_chain)
                target_chain = [target, *self.ancestors(target)]
                return in_body and not any(any(a is s for s in statement.body) for a in target_chain)
            return False
        if isinstance(statement, _COMPOUND):
            return False
        block = self._block_of(statement)
        site_statement = next((a for a in site_chain if any(a is s for s in block)), None)
        if site_statement is None:
            return False
        return self._line_head(block, statement) < self._line_head(block, site_statement)

    def _statement_of(self, node: ast.AST) -> Optional[ast.stmt]:
        """The statement holding ``node``; None for a simple statement on its block's header
        line (``if x: job_id = ...`` may not have run)."""
        current = self.parents.get(id(node))
        while current is not None and not isinstance(current, ast.stmt):
            current = self.parents.get(id(current))
        if current is None or isinstance(current, _COMPOUND):
            return current
        block = self._block_of(current)
        head = block[self._line_head(block, current)]
        return None if self._text_before(head).strip() else current

    def _block_of(self, statement: ast.stmt) -> List[ast.stmt]:
        parent = self.parents[id(statement)]
        for _name, value in ast.iter_fields(parent):
            if isinstance(value, list) and any(statement is s for s in value):
                return value
        return [statement]  # pragma: no cover - a statement is always in a list

    def _line_head(self, block: List[ast.stmt], statement: ast.stmt) -> int:
        """The index in ``block`` of the first statement of ``statement``'s line (statements
        joined by ``;`` are one line, as libcst keeps them)."""
        index = next(i for i, s in enumerate(block) if s is statement)
        while index > 0 and not isinstance(block[index], _COMPOUND) \
                and self._text_before(block[index]).rstrip().endswith(";"):
            index -= 1
        return index

    def _text_before(self, statement: ast.stmt) -> str:
        line = self.lines[statement.lineno - 1] if statement.lineno <= len(self.lines) else ""
        return line.encode("utf-8", "surrogatepass")[:statement.col_offset].decode("utf-8", "replace")

    # -- sites

    def at(self, span: Tuple[int, int, int, int]) -> Optional[WorkflowIdFact]:
        """The id at the site with ``span`` (``ast``'s byte columns); None when there is none."""
        if self._by_span is None:
            self._by_span = {}
            for node in ast.walk(self.tree):
                if isinstance(node, ast.expr):
                    self._by_span.setdefault(node_span(node), node)
        node = self._by_span.get(span)
        return self.resolve(node) if node is not None else None

    def at_finding(self, finding: Finding) -> Optional[WorkflowIdFact]:
        """The id at ``finding``'s site (its columns are characters, as every front end has them)."""
        def byte_column(line: int, column: int) -> int:
            text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
            return len(text[:column].encode("utf-8", "surrogatepass"))

        return self.at((finding.line, byte_column(finding.line, finding.col),
                        finding.end_line, byte_column(finding.end_line, finding.end_col)))

    # -- the id

    def resolve(self, site: ast.AST) -> Optional[WorkflowIdFact]:
        """The id at ``site`` (a node inside a function), or None when the function has none."""
        found = self._from_names(site)
        definition = self.enclosing_def(site)
        if found is None and definition is not None:
            found = self._from_attribute_chains(site, definition) or self._from_class(site, definition)
        return found

    def _from_names(self, site: ast.AST) -> Optional[WorkflowIdFact]:
        for name in self.config.workflow_id_names:
            if self.bound_at(name, site):
                _kind, bindings = self.lookup(site, name)
                reasons = (self._binding_may_be_none(b) for b in sorted(bindings, key=_start))
                return WorkflowIdFact(name, next((r for r in reasons if r), ""))
        return None

    def _binding_may_be_none(self, binding: ast.AST) -> str:
        if isinstance(binding, ast.arg):
            args = self.parents[id(binding)]
            default = next(d for a, d in _parameters(args) if a is binding)  # type: ignore[arg-type]
            return _param_may_be_none(binding, default)
        parent = self.parents.get(id(binding))
        if isinstance(parent, ast.AnnAssign) and parent.target is binding:
            return "it is annotated Optional" if _annotation_optional(self._code(parent.annotation)) \
                else value_may_be_none(parent.value)
        if isinstance(parent, ast.Assign) and any(binding is t for t in parent.targets):
            return value_may_be_none(parent.value)
        return ""

    def _code(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.source, node) or ""

    def _attribute_uses(self, definition: ast.AST, attributes: Sequence[str]) -> List[ast.Attribute]:
        """Attributes named in ``attributes`` on a name-rooted chain in the function's own body,
        in source order."""
        found = [n for n in _own_nodes(definition.body) if isinstance(n, ast.Attribute)  # type: ignore[attr-defined]
                 and n.attr in attributes and attribute_chain(n.value) is not None]
        return sorted(found, key=_start)

    def _is_store(self, node: ast.AST) -> bool:
        parent = self.parents.get(id(node))
        if isinstance(parent, ast.Assign):
            return any(node is t for t in parent.targets)
        if isinstance(parent, (ast.AugAssign, ast.AnnAssign)):
            return parent.target is node
        return isinstance(parent, ast.Delete) and len(parent.targets) == 1 and parent.targets[0] is node

    def _from_attribute_chains(self, site: ast.AST, definition: ast.AST) -> Optional[WorkflowIdFact]:
        ordered = self._attribute_uses(definition, self.config.workflow_id_attributes)
        stores: Dict[str, List[ast.Attribute]] = {}
        for attribute in ordered:
            if self._is_store(attribute):
                stores.setdefault(self._dotted(attribute), []).append(attribute)
        for attribute in ordered:
            if self._is_store(attribute):
                continue
            root = attribute_chain(attribute)[0]  # type: ignore[index]
            if not self._root_bound_at(root, site):
                continue
            dotted = self._dotted(attribute)
            if not all(part.isidentifier() for part in dotted.split(".")):
                continue
            # `self.workflow_id = ...` in this function: the site must come after it
            assigned = stores.get(dotted, [])
            if assigned and not any(self.definitely_before(store, site) for store in assigned):
                continue
            parts = dotted.split(".")
            if len(parts) == 2 and parts[0] == self.self_name(definition):
                fields = self.class_fields(definition)
                return WorkflowIdFact(dotted, fields.get(parts[1], ""), parts[1] not in fields)
            return WorkflowIdFact(dotted, "", True)
        return None

    def _dotted(self, attribute: ast.Attribute) -> str:
        return ".".join(part.strip() for part in self._code(attribute).split("."))

    def _root_bound_at(self, name: str, site: ast.AST) -> bool:
        """The root of an attribute chain the function uses: a parameter or a local bound before
        the site, or a name bound outside functions (``g.workflow_id`` with ``from flask import g``)."""
        kind, bindings = self.lookup(site, name)
        if kind in ("builtin", "unbound"):
            return False
        return kind != "function" or any(self._available(b, site) for b in bindings)

    def class_and_bases(self, klass: ast.ClassDef) -> Iterator[ast.ClassDef]:
        """``klass`` and its base classes defined at the top of the same module, nearest first."""
        return nearest_first(klass, lambda current: [
            self.classes[b.id] for b in current.bases if isinstance(b, ast.Name) and b.id in self.classes])

    def class_fields(self, definition: ast.AST) -> Dict[str, str]:
        """Instance attributes named like an id that the method's class (or a base class of the
        module) sets: in ``__init__`` or as a dataclass-style field; name -> why it may be None."""
        klass = self.class_of(definition)
        if klass is None:
            return {}
        if id(klass) not in self._fields:
            fields: Dict[str, str] = {}
            for current in self.class_and_bases(klass):
                for name, reason in self._fields_of(current):
                    fields[name] = fields.get(name) or reason
            self._fields[id(klass)] = fields
        return self._fields[id(klass)]

    def _fields_of(self, klass: ast.ClassDef) -> Iterator[Tuple[str, str]]:
        with_fields = _class_has_fields(klass)
        for statement in klass.body:
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) \
                    and statement.target.id in self.wanted and with_fields:
                yield statement.target.id, ("the field is annotated Optional"
                                            if _annotation_optional(self._code(statement.annotation))
                                            else value_may_be_none(statement.value))
            elif isinstance(statement, _DEFS) and statement.name == "__init__":
                yield from self._init_assignments(statement)

    def _init_assignments(self, init: ast.AST) -> Iterator[Tuple[str, str]]:
        self_name = _first_param(init)
        if self_name is None:
            return
        params = {a.arg: (a, d) for a, d in _parameters(init.args) if a not in (init.args.vararg, init.args.kwarg)}  # type: ignore[attr-defined]
        for node in _own_nodes(init.body):  # type: ignore[attr-defined]
            if isinstance(node, ast.Assign):
                targets, annotation = node.targets, None
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, annotation = [node.target], node.annotation
            else:
                continue
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr in self.wanted \
                        and isinstance(target.value, ast.Name) and target.value.id == self_name:
                    reason = value_may_be_none(node.value)
                    if isinstance(node.value, ast.Name) and node.value.id in params:
                        reason = reason or _param_may_be_none(*params[node.value.id])
                    if annotation is not None and _annotation_optional(self._code(annotation)):
                        reason = reason or "it is annotated Optional"
                    yield target.attr, reason

    def _from_class(self, site: ast.AST, definition: ast.AST) -> Optional[WorkflowIdFact]:
        """``self.<id>`` when the class or a base class of the module sets that attribute."""
        self_name = self.self_name(definition)
        if self_name is None or not self.bound_at(self_name, site):
            return None
        if definition.name == "__init__":  # type: ignore[attr-defined]
            return self._set_before_in_init(site, definition, self_name)
        if self._called_from_init(definition):
            return None  # it may run before __init__ has set the attribute
        fields = self.class_fields(definition)
        for attribute in self.wanted:
            if attribute in fields:
                return WorkflowIdFact(f"{self_name}.{attribute}", fields[attribute])
        return None

    def _called_from_init(self, method: ast.AST) -> bool:
        """Whether an ``__init__`` of the method's class (or of a base class in the module) uses
        ``self.<method>``: then the method may run before the attributes are set."""
        klass = self.class_of(method)
        if klass is None:
            return False
        name = method.name  # type: ignore[attr-defined]
        for current in self.class_and_bases(klass):
            for init in (s for s in current.body if isinstance(s, _DEFS) and s.name == "__init__"):
                owner = _first_param(init)
                if owner is not None and any(
                        isinstance(n, ast.Attribute) and n.attr == name and isinstance(n.value, ast.Name)
                        and n.value.id == owner for s in init.body for n in ast.walk(s)):
                    return True
        return False

    def _set_before_in_init(self, site: ast.AST, init: ast.AST, self_name: str) -> Optional[WorkflowIdFact]:
        """In ``__init__`` itself: ``self.<id>`` assigned by a statement that certainly ran before."""
        stores = [a for a in self._attribute_uses(init, self.wanted) if self._is_store(a)]
        for attribute in self.wanted:
            for store in stores:
                if store.attr == attribute and full_name(store.value) == self_name \
                        and self.definitely_before(store, site):
                    assign = self.parents.get(id(store))
                    reason = value_may_be_none(assign.value) if isinstance(assign, ast.Assign) else ""
                    return WorkflowIdFact(f"{self_name}.{attribute}", reason)
        return None


def _start(node: ast.AST) -> Tuple[int, int]:
    return node.lineno, node.col_offset  # type: ignore[attr-defined]


def _annotation_optional(text: str) -> bool:
    return "Optional" in text or "None" in text


def _param_may_be_none(param: ast.arg, default: Optional[ast.AST]) -> str:
    if _is_none(default):
        return f"parameter `{param.arg}` defaults to None"
    if param.annotation is not None and _annotation_optional(ast.unparse(param.annotation)):
        return f"parameter `{param.arg}` is annotated Optional"
    return ""


def _declaration(function: ast.AST, name: str) -> str:
    """"global" or "nonlocal" when ``function`` declares ``name`` so, else ""."""
    for node in _own_nodes(function.body):  # type: ignore[attr-defined]
        if isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
            return "global" if isinstance(node, ast.Global) else "nonlocal"
    return ""


def _scope_bindings(scope: ast.AST, name: str) -> Iterator[Tuple[ast.AST, ast.AST]]:
    """The bindings of ``name`` in ``scope``; a comprehension binds its ``for`` targets."""
    if isinstance(scope, _COMPREHENSIONS):
        for generator in scope.generators:
            yield from ((n, generator) for n in ast.walk(generator.target) if isinstance(n, ast.Name) and n.id == name)
        return
    yield from local_bindings(scope, name)
