"""Which expression holds the workflow id at a site (the rewrite rules' "Workflow id").

First that applies:

1. a parameter, or a local assigned before the site, named in ``workflow-id-names``;
2. an attribute chain ending in ``workflow-id-attributes`` that the function already uses
   (``workflow_context.workflow_id``, ``self.workflow_id``);
3. ``self.<name>`` for an id name or attribute that the class, or a base class defined in the same
   module, assigns in ``__init__`` or declares as a dataclass/attrs/pydantic field;
4. with ``add-workflow-param``: a new keyword parameter ``workflow_id: Optional[str] = None``,
   used as ``workflow_id or <fallback>`` (``"default"`` when no fallback is configured), only on
   functions whose signature the project owns (:func:`signature_not_owned`);
5. ``workflow-id-fallback`` alone.

An id that may be None (a parameter defaulting to None, ``self.x = None``, an ``Optional`` field,
``d.get("job_id")``) is used as ``id or <fallback>``; with no fallback the site is left. Sites that
run at import time (module level, class bodies, default values, decorators) are never rewritten:
a helper call there would create directories when the module is imported (``site_facts`` judges
that for ``tmplint check`` and the planners alike).
"""
from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import Assignment, BaseAssignment, BuiltinAssignment, FunctionScope, ImportAssignment

from tmplint.codemods import build
from tmplint.codemods.base import SitePlan, Unfixable
from tmplint.codemods.imports import imports_from
from tmplint.config import first_name, split_fallback

if TYPE_CHECKING:  # pragma: no cover
    from tmplint.codemods.base import TmplintCommand

NEW_PARAM = "workflow_id"
DEFAULT_FALLBACK = '"default"'
#: methods unittest (and pytest's xunit style) calls with a fixed signature
TEST_HOOKS = frozenset({
    "setUp", "tearDown", "setUpClass", "tearDownClass", "asyncSetUp", "asyncTearDown",
    "setup_method", "teardown_method", "setup_class", "teardown_class", "setup_function",
    "teardown_function", "setup_module", "teardown_module", "setUpModule", "tearDownModule",
})
#: class decorators and bases whose annotated class attributes are instance fields
FIELD_DECORATORS = frozenset({"dataclass", "s", "attrs", "define", "frozen", "mutable"})
FIELD_BASES = frozenset({"BaseModel", "BaseSettings", "NamedTuple", "TypedDict"})


@dataclass
class WorkflowId:
    #: how it was found, for messages and tests
    source: str
    make: Callable[[], cst.BaseExpression]
    #: the function that gets the new ``workflow_id`` parameter (add-workflow-param), and how
    param_function: Optional[cst.FunctionDef] = None
    param_spec: Optional["NewParamSpec"] = None
    imports: List[Tuple[str, Optional[str]]] = field(default_factory=list)

    def apply(self, plan: SitePlan) -> None:
        """Record what using this id needs (the new parameter, imports) in ``plan``."""
        if self.param_function is not None and self.param_spec is not None:
            plan.params.append((self.param_function, self.param_spec))
            if self.param_spec.needs_import:
                plan.imports.append(("typing", "Optional"))
        plan.imports.extend(self.imports)


@dataclass
class _Candidate:
    source: str
    make: Callable[[], cst.BaseExpression]
    #: why the value may be None ("" when it cannot)
    may_be_none: str = ""
    #: nothing is known about it (an attribute of an object of unknown type): guarded with the
    #: fallback when one is configured, used as it is otherwise
    unknown: bool = False


@dataclass
class _Fallback:
    text: str
    imports: List[Tuple[str, Optional[str]]]
    #: the quote of an f-string around the site, which the fallback's strings may not use (< 3.12)
    avoid: str = ""

    def make(self) -> cst.BaseExpression:
        return build.fit_quotes(cst.parse_expression(self.text), self.avoid)


def _fallback(engine: "TmplintCommand", site: cst.CSTNode) -> Optional[_Fallback]:
    """The configured fallback, checked at ``site``: every name it uses must be defined there
    (or be imported by its ``module:`` form), so the output never has an undefined name."""
    text = engine.config.workflow_id_fallback
    if text is None:
        return None
    module, expression = split_fallback(text)
    tree = ast.parse(expression, mode="eval")
    imported = first_name(tree.body) if module is not None else None
    scope = engine.scope(site)
    for name in sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}):
        if name == imported:
            bound = list(scope[name]) if scope is not None else []
            if any(not (isinstance(a, ImportAssignment) and imports_from(a.node, module, name)) for a in bound):
                raise Unfixable(f"the fallback imports `{name}` from {module}, but `{name}` is already "
                                "bound to something else here")
            continue
        if scope is None or not any(True for _ in scope[name]) and not hasattr(builtins, name):
            raise Unfixable(f"the workflow-id-fallback uses `{name}`, which is not defined in this module; "
                            f"write it as module:expression (e.g. \"app.ctx:{expression}\") so it is imported")
    return _Fallback(expression, [(module, imported)] if module is not None else [],
                     build.enclosing_quote(engine.ancestors(site)))


def _or(left: cst.BaseExpression, right: cst.BaseExpression) -> cst.BaseExpression:
    if build.needs_parentheses_in_or(right):
        right = build.parenthesize(right)
    return cst.BooleanOperation(left=left, operator=cst.Or(), right=right)


def resolve(engine: "TmplintCommand", node: cst.CSTNode) -> WorkflowId:
    """The id at ``node``, inside a function (a site running at import time was left before
    planning: ``site_facts``)."""
    found = _candidate(engine, node)
    if isinstance(found, WorkflowId):
        return found
    if found is None:
        fallback = _fallback(engine, node)
        if fallback is None:
            raise Unfixable(_no_id_reason(engine, node))
        return WorkflowId("workflow-id-fallback", fallback.make, imports=fallback.imports)
    if found.may_be_none:
        fallback = _fallback(engine, node)
        if fallback is None:
            raise Unfixable(f"the workflow id {found.source} may be None ({found.may_be_none}); "
                            "set workflow-id-fallback to use `id or <fallback>`")
        return _guarded(found, fallback)
    if found.unknown and engine.config.workflow_id_fallback is not None:
        try:
            fallback = _fallback(engine, node)
        except Unfixable:  # the fallback cannot be written here; the id alone still works
            fallback = None
        if fallback is not None:
            return _guarded(found, fallback)
    return WorkflowId(found.source, found.make)


def _guarded(found: _Candidate, fallback: _Fallback) -> WorkflowId:
    """``id or <fallback>``."""
    return WorkflowId(f"{found.source} or fallback", lambda: _or(found.make(), fallback.make()),
                      imports=fallback.imports)


def _no_id_reason(engine: "TmplintCommand", node: cst.CSTNode) -> str:
    names = ", ".join(engine.config.workflow_id_names)
    definition = engine.enclosing_def(node)
    owner = signature_not_owned(engine, definition) if definition is not None else "not in a def"
    hint = (f"no workflow_id parameter added to {definition.name.value}(): {owner}"  # type: ignore[union-attr]
            if engine.config.add_workflow_param and owner else "set workflow-id-fallback or add-workflow-param")
    return (f"no workflow id in scope (no parameter or local named {names}, no "
            f"`.{'/.'.join(engine.config.workflow_id_attributes)}` in use; {hint})")


def _candidate(engine: "TmplintCommand", node: cst.CSTNode) -> "Optional[_Candidate | WorkflowId]":
    config = engine.config
    possible = (set(config.workflow_id_names) | set(config.workflow_id_attributes)) & engine.used_names
    definition = engine.enclosing_def(node)
    if possible:
        found = _from_names(engine, node)
        if found is None and definition is not None:
            found = _from_attribute_chains(engine, node, definition) or _from_class(engine, node, definition)
        if found is not None:
            return found
    if definition is not None and config.add_workflow_param and signature_not_owned(engine, definition) is None:
        return _from_new_param(engine, definition, node)
    return None


# --------------------------------------------------------------------------- 1. names


def _from_names(engine: "TmplintCommand", node: cst.CSTNode) -> Optional[_Candidate]:
    scope = engine.scope(node)
    if scope is None:
        return None
    for name in engine.config.workflow_id_names:
        if _bound_at(engine, scope, name, node):
            reasons = [_binding_may_be_none(engine, a) for a in engine.in_source_order(scope[name])]
            return _Candidate(f"`{name}`", lambda name=name: build.name(name),
                              next((r for r in reasons if r), ""))
    return None


def _annotation_optional(annotation: Optional[cst.Annotation]) -> bool:
    if annotation is None:
        return False
    text = cst.Module([]).code_for_node(annotation.annotation)
    return "Optional" in text or "None" in text


def _is_none(node: Optional[cst.BaseExpression]) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def value_may_be_none(value: Optional[cst.BaseExpression]) -> str:
    """Why an assigned value may be None, or ""."""
    if _is_none(value):
        return "it is assigned None"
    if isinstance(value, cst.Call):
        func = value.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("get", "getenv"):
            return f"it comes from .{func.attr.value}(), which may return None"
        if isinstance(func, cst.Name) and func.value == "getattr" and len(value.args) == 3 \
                and _is_none(value.args[2].value):
            return "it comes from getattr(..., None)"
    return ""


def _param_may_be_none(param: cst.Param) -> str:
    if _is_none(param.default):
        return f"parameter `{param.name.value}` defaults to None"
    if _annotation_optional(param.annotation):
        return f"parameter `{param.name.value}` is annotated Optional"
    return ""


def _binding_may_be_none(engine: "TmplintCommand", assignment: object) -> str:
    node = getattr(assignment, "node", None)
    if isinstance(node, cst.Param):
        return _param_may_be_none(node)
    parent = engine.parent(node) if isinstance(node, cst.CSTNode) else None
    if isinstance(parent, cst.AssignTarget):
        parent = engine.parent(parent)
    if isinstance(parent, cst.AnnAssign):
        if _annotation_optional(parent.annotation):
            return "it is annotated Optional"
        return value_may_be_none(parent.value)
    if isinstance(parent, cst.Assign):
        return value_may_be_none(parent.value)
    return ""


def _bound_at(engine: "TmplintCommand", scope, name: str, site: cst.CSTNode) -> bool:
    """Whether ``name`` is certainly bound to a function's parameter or local at ``site``."""
    assignments = list(scope[name])
    if not assignments:
        return False
    # every binding visible here must be a function's (a global or class attribute of the same
    # name would make the choice ambiguous)
    if not all(isinstance(a.scope, FunctionScope) for a in assignments):
        return False
    return any(_available(engine, a, site) for a in assignments)


def _available(engine: "TmplintCommand", assignment, site: cst.CSTNode) -> bool:
    if isinstance(assignment, ImportAssignment) or not isinstance(assignment, Assignment):
        return False
    target = assignment.node
    if isinstance(target, cst.Param):
        return True
    if not isinstance(target, cst.Name):
        return False
    return definitely_before(engine, target, site)


def definitely_before(engine: "TmplintCommand", target: cst.CSTNode, site: cst.CSTNode) -> bool:
    """Whether the binding ``target`` has certainly run when ``site`` runs: a plain assignment
    earlier in a block that encloses the site, or the target of a ``for``/``with`` whose body
    holds the site."""
    statement = _statement_of(engine, target)
    if statement is None:
        return False
    site_ancestors = engine.ancestors(site)
    if statement in site_ancestors:
        if isinstance(statement, (cst.For, cst.With)) and statement.body in site_ancestors:
            return not engine.contains(statement.body, target)
        return False
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    block = engine.parent(statement)
    if block not in site_ancestors:
        return False
    body = list(block.body)  # type: ignore[union-attr]
    site_statement = next((a for a in [site, *site_ancestors] if a in body), None)
    if site_statement is None:
        return False
    return body.index(statement) < body.index(site_statement)


def _statement_of(engine: "TmplintCommand", node: cst.CSTNode) -> Optional[cst.CSTNode]:
    current = engine.parent(node)
    while current is not None:
        if isinstance(current, cst.SimpleStatementSuite):
            return None  # `if x: job_id = ...` may not have run
        if isinstance(current, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            return current
        current = engine.parent(current)
    return None


# --------------------------------------------------------------------------- 2. attributes


def _chain_root(node: cst.BaseExpression) -> Optional[cst.Name]:
    while isinstance(node, cst.Attribute):
        node = node.value
    return node if isinstance(node, cst.Name) else None


class _AttributeUses(cst.CSTVisitor):
    def __init__(self, attributes) -> None:
        self.attributes = set(attributes)
        self.found: List[cst.Attribute] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        if node.attr.value in self.attributes and _chain_root(node.value) is not None:
            self.found.append(node)
        return True


def _is_store(engine: "TmplintCommand", node: cst.CSTNode) -> bool:
    parent = engine.parent(node)
    if isinstance(parent, cst.AssignTarget) or isinstance(parent, (cst.AugAssign, cst.AnnAssign)) \
            and parent.target is node:
        return True
    return isinstance(parent, cst.Del)


def _attribute_uses(engine: "TmplintCommand", definition: cst.FunctionDef) -> List[cst.Attribute]:
    """Attributes named like an id (``x.workflow_id``) in the function's own body, in source order."""
    cache = engine.cache("attribute-uses")
    if definition not in cache:
        uses = _AttributeUses((*engine.config.workflow_id_attributes, *engine.config.workflow_id_names))
        definition.body.visit(uses)
        cache[definition] = sorted(
            uses.found, key=lambda a: (engine.position(a).start.line, engine.position(a).start.column))
    return cache[definition]  # type: ignore[return-value]


def _from_attribute_chains(engine: "TmplintCommand", node: cst.CSTNode,
                           definition: cst.FunctionDef) -> Optional[_Candidate]:
    ordered = [a for a in _attribute_uses(engine, definition) if a.attr.value in engine.config.workflow_id_attributes]
    scope = engine.scope(node)
    if scope is None:
        return None
    stores = {}
    for attribute in ordered:
        if _is_store(engine, attribute):
            stores.setdefault(_dotted_text(attribute), []).append(attribute)
    for attribute in ordered:
        if _is_store(engine, attribute):
            continue
        root = _chain_root(attribute)
        if root is None:  # pragma: no cover - collected only with a Name root
            continue
        if not _root_bound_at(engine, scope, root.value, node):
            continue
        dotted = _dotted_text(attribute)
        if not all(part.isidentifier() for part in dotted.split(".")):
            continue
        # `self.workflow_id = ...` in this function: the site must come after it
        assigned = stores.get(dotted, [])
        if assigned and not any(definitely_before(engine, store, node) for store in assigned):
            continue
        none_reason, unknown = "", True
        parts = dotted.split(".")
        if len(parts) == 2 and parts[0] == _self_name(engine, definition):
            none_reason = _class_fields(engine, definition).get(parts[1], "")
            unknown = parts[1] not in _class_fields(engine, definition)
        return _Candidate(f"`{dotted}`", lambda dotted=dotted: build.dotted(dotted), none_reason, unknown)
    return None


def _dotted_text(attribute: cst.Attribute) -> str:
    text = cst.Module([]).code_for_node(attribute.with_changes(lpar=[], rpar=[]))
    return ".".join(part.strip() for part in text.split("."))


def _root_bound_at(engine: "TmplintCommand", scope, name: str, site: cst.CSTNode) -> bool:
    """The root of an attribute chain the function uses: a parameter or a local bound before the
    site, or a module-level name (``g.workflow_id`` with ``from flask import g``)."""
    assignments = list(scope[name])
    if not assignments or any(isinstance(a, BuiltinAssignment) for a in assignments):
        return False
    if all(not isinstance(a.scope, FunctionScope) for a in assignments):
        return True
    return _bound_at(engine, scope, name, site)


def _self_name(engine: "TmplintCommand", definition: cst.FunctionDef) -> Optional[str]:
    """The first parameter of a method (not a static or class method), else None."""
    if _class_of(engine, definition) is None:
        return None
    if any(get_full_name_for_node(d.decorator) in ("staticmethod", "classmethod") for d in definition.decorators):
        return None
    return _first_param(definition)


def _class_of(engine: "TmplintCommand", definition: cst.FunctionDef) -> Optional[cst.ClassDef]:
    block = engine.parent(definition)
    klass = engine.parent(block) if block is not None else None
    return klass if isinstance(klass, cst.ClassDef) else None


def _module_classes(engine: "TmplintCommand") -> Dict[str, cst.ClassDef]:
    cache = engine.cache("module-classes")
    if engine.module not in cache:
        cache[engine.module] = {
            s.name.value: s for s in engine.module.body if isinstance(s, cst.ClassDef)}
    return cache[engine.module]  # type: ignore[return-value]


def class_and_bases(engine: "TmplintCommand", klass: cst.ClassDef) -> Iterator[cst.ClassDef]:
    """``klass`` and its base classes defined at the top of the same module, nearest first."""
    classes = _module_classes(engine)
    seen: List[cst.ClassDef] = []
    work = [klass]
    while work:
        current = work.pop(0)
        if any(current is c for c in seen):
            continue
        seen.append(current)
        yield current
        for base in current.bases:
            if base.keyword is None and isinstance(base.value, cst.Name) and base.value.value in classes:
                work.append(classes[base.value.value])


def _has_fields(klass: cst.ClassDef) -> bool:
    for decorator in klass.decorators:
        node = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
        name = get_full_name_for_node(node) or ""
        if name.rpartition(".")[2] in FIELD_DECORATORS:
            return True
    return any((get_full_name_for_node(b.value) or "").rpartition(".")[2] in FIELD_BASES for b in klass.bases)


def _class_fields(engine: "TmplintCommand", definition: cst.FunctionDef) -> Dict[str, str]:
    """Instance attributes named like an id that the method's class (or a base class of the
    module) sets: in ``__init__`` or as a dataclass-style field; name -> why it may be None."""
    klass = _class_of(engine, definition)
    if klass is None:
        return {}
    cache = engine.cache("class-fields")
    if klass not in cache:
        wanted = set(engine.config.workflow_id_attributes) | set(engine.config.workflow_id_names)
        fields: Dict[str, str] = {}
        for current in class_and_bases(engine, klass):
            for name, reason in _fields_of(current, wanted):
                fields[name] = fields.get(name) or reason
        cache[klass] = fields
    return cache[klass]  # type: ignore[return-value]


def _fields_of(klass: cst.ClassDef, wanted: set) -> Iterator[Tuple[str, str]]:
    body = klass.body.body if isinstance(klass.body, cst.IndentedBlock) else ()
    with_fields = _has_fields(klass)
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) \
                        and small.target.value in wanted and with_fields:
                    optional = _annotation_optional(small.annotation)
                    yield small.target.value, ("the field is annotated Optional" if optional
                                               else value_may_be_none(small.value))
        elif isinstance(statement, cst.FunctionDef) and statement.name.value == "__init__":
            yield from _init_assignments(statement, wanted)


def _init_assignments(init: cst.FunctionDef, wanted: set) -> Iterator[Tuple[str, str]]:
    self_name = _first_param(init)
    if self_name is None:
        return
    params = {p.name.value: p for p in (*init.params.posonly_params, *init.params.params, *init.params.kwonly_params)}
    found: List[Tuple[str, str]] = []

    class Finder(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is init

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            return False

        def _check(self, target: cst.BaseExpression, value: Optional[cst.BaseExpression],
                   annotation: Optional[cst.Annotation] = None) -> None:
            if isinstance(target, cst.Attribute) and target.attr.value in wanted \
                    and isinstance(target.value, cst.Name) and target.value.value == self_name:
                reason = value_may_be_none(value)
                if isinstance(value, cst.Name) and value.value in params:
                    reason = reason or _param_may_be_none(params[value.value])
                if _annotation_optional(annotation):
                    reason = reason or "it is annotated Optional"
                found.append((target.attr.value, reason))

        def visit_Assign(self, node: cst.Assign) -> None:
            for target in node.targets:
                self._check(target.target, node.value)

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            if node.value is not None:
                self._check(node.target, node.value, node.annotation)

    init.visit(Finder())
    yield from found


def _from_class(engine: "TmplintCommand", node: cst.CSTNode, definition: cst.FunctionDef) -> Optional[_Candidate]:
    """``self.<id>`` when the class or a base class of the module sets that attribute."""
    self_name = _self_name(engine, definition)
    scope = engine.scope(node)
    if self_name is None or scope is None or not _bound_at(engine, scope, self_name, node):
        return None
    if definition.name.value == "__init__":
        return _set_before_in_init(engine, node, definition, self_name)
    if _called_from_init(engine, definition):
        return None  # it may run before __init__ has set the attribute
    fields = _class_fields(engine, definition)
    for attribute in (*engine.config.workflow_id_attributes, *engine.config.workflow_id_names):
        if attribute in fields:
            return _Candidate(f"`{self_name}.{attribute}`",
                              lambda a=attribute: build.dotted(f"{self_name}.{a}"), fields[attribute])
    return None


def _called_from_init(engine: "TmplintCommand", method: cst.FunctionDef) -> bool:
    """Whether an ``__init__`` of the method's class (or of a base class in the module) uses
    ``self.<method>``: then the method may run before the attributes are set."""
    klass = _class_of(engine, method)
    if klass is None:
        return False
    name = method.name.value
    for current in class_and_bases(engine, klass):
        body = current.body.body if isinstance(current.body, cst.IndentedBlock) else ()
        for init in (s for s in body if isinstance(s, cst.FunctionDef) and s.name.value == "__init__"):
            self_name = _first_param(init)
            if self_name is not None and _uses_attribute(init.body, self_name, name):
                return True
    return False


def _uses_attribute(node: cst.CSTNode, owner: str, attribute: str) -> bool:
    found: List[bool] = []

    class Finder(cst.CSTVisitor):
        def visit_Attribute(self, attr: cst.Attribute) -> None:
            if attr.attr.value == attribute and isinstance(attr.value, cst.Name) and attr.value.value == owner:
                found.append(True)

    node.visit(Finder())
    return bool(found)


def _set_before_in_init(engine: "TmplintCommand", node: cst.CSTNode, init: cst.FunctionDef,
                        self_name: str) -> Optional[_Candidate]:
    """In ``__init__`` itself: ``self.<id>`` assigned by a statement that certainly ran before."""
    wanted = (*engine.config.workflow_id_attributes, *engine.config.workflow_id_names)
    stores = [a for a in _attribute_uses(engine, init) if _is_store(engine, a)]
    for attribute in wanted:
        for store in stores:
            if store.attr.value == attribute and get_full_name_for_node(store.value) == self_name \
                    and definitely_before(engine, store, node):
                assign = engine.parent(engine.parent(store))
                reason = value_may_be_none(assign.value) if isinstance(assign, cst.Assign) else ""
                return _Candidate(f"`{self_name}.{attribute}`",
                                  lambda a=attribute: build.dotted(f"{self_name}.{a}"), reason)
    return None


def _first_param(definition: cst.FunctionDef) -> Optional[str]:
    params = list(definition.params.posonly_params) + list(definition.params.params)
    return params[0].name.value if params else None


# --------------------------------------------------------------------------- 3. new parameter


def signature_not_owned(engine: "TmplintCommand", definition: cst.FunctionDef) -> Optional[str]:
    """Why a new parameter must not be added to ``definition`` (its signature belongs to a
    framework, a test runner, Python's data model or a base class), or None."""
    name = definition.name.value
    for decorator in definition.decorators:
        if get_full_name_for_node(decorator.decorator) not in ("staticmethod", "classmethod"):
            return "it is decorated (a framework may read or call its signature)"
    if name.startswith("test") or name in TEST_HOOKS:
        return "a test or test hook (its runner calls it)"
    if name.startswith("__") and name.endswith("__"):
        return "a special method (Python calls it)"
    klass = _class_of(engine, definition)
    if klass is not None:
        for base in list(class_and_bases(engine, klass))[1:]:
            body = base.body.body if isinstance(base.body, cst.IndentedBlock) else ()
            if any(isinstance(s, cst.FunctionDef) and s.name.value == name for s in body):
                return f"it overrides {base.name.value}.{name}"
        outside = _bases_defined_elsewhere(engine, klass)
        if outside:
            return f"its class derives from {outside[0]}, defined elsewhere: it may override a method the base calls"
    return None


#: bases that define no methods a subclass could override by accident
NEUTRAL_BASES = frozenset({"object", "Generic", "typing.Generic", "Protocol", "typing.Protocol", "abc.ABC", "ABC"})


def _bases_defined_elsewhere(engine: "TmplintCommand", klass: cst.ClassDef) -> List[str]:
    """The bases of ``klass`` and of its bases in the module that are not classes of the module."""
    classes = _module_classes(engine)
    names: List[str] = []
    for current in class_and_bases(engine, klass):
        for base in current.bases:
            if base.keyword is not None:
                continue
            value = base.value.value if isinstance(base.value, cst.Subscript) else base.value
            name = get_full_name_for_node(value) or "an expression"
            if name not in classes and name not in NEUTRAL_BASES:
                names.append(name)
    return names


def _from_new_param(engine: "TmplintCommand", definition: cst.FunctionDef,
                    site: cst.CSTNode) -> Optional[WorkflowId]:
    params = definition.params
    if isinstance(params.star_kwarg, cst.Param):
        return None  # callers may pass workflow_id= through **kwargs today
    if NEW_PARAM in _names_in(definition):
        return None
    # inside an f-string the fallback's string literals take the quote the f-string allows
    fallback = _fallback(engine, site) or _Fallback(DEFAULT_FALLBACK, [], build.enclosing_quote(engine.ancestors(site)))
    spec = new_param_spec(engine, definition)
    return WorkflowId("new parameter workflow_id", lambda: _or(build.name(NEW_PARAM), fallback.make()),
                      param_function=definition, param_spec=spec, imports=fallback.imports)


@dataclass(frozen=True)
class NewParamSpec:
    """How the new ``workflow_id`` parameter is written (what :func:`add_parameter` gets)."""

    #: ``Optional[str]``, ``typing.Optional[str]``, ``str | None``, a quoted form, or None (no annotation)
    annotation: Optional[str] = "Optional[str]"
    #: whether the module needs ``from typing import Optional`` added (not when the annotation
    #: reuses an ``Optional`` the module imports, is written ``str | None``, or is left out)
    needs_import: bool = True
    #: the project's line length, and the column the ``def`` starts at
    line_length: int = 88
    column: int = 0


def new_param_spec(engine: "TmplintCommand", definition: cst.FunctionDef) -> NewParamSpec:
    """The annotation of the new parameter: ``str | None`` where the module has ``from __future__
    import annotations`` or the project requires Python >= 3.10; else an ``Optional`` the module
    already imports from typing (quoted when it is imported only under ``if TYPE_CHECKING:``), or
    ``typing.Optional`` with ``import typing``; else ``Optional[str]`` with a new import. Left out
    when the name ``Optional`` means something else here."""
    from tmplint.config import read_project_style

    style = read_project_style(engine.context.filename)
    column = engine.position(definition).start.column
    layout = {"line_length": style.line_length, "column": column}
    scope = engine.scope(definition)
    bindings = list(scope["Optional"]) if scope is not None else []
    from_typing = _from_typing_imports(bindings)
    if len(from_typing) != len(bindings):
        return NewParamSpec(None, False, **layout)  # `Optional` is something else here
    future = _future_annotations(engine.module)
    if future or (style.requires_python or (0, 0)) >= (3, 10):
        return NewParamSpec("str | None", False, **layout)
    if from_typing:
        runtime = any(isinstance(engine.parent(engine.parent(a.node)), cst.Module) for a in from_typing)
        return NewParamSpec("Optional[str]" if runtime else '"Optional[str]"', False, **layout)
    if _is_typing_module(list(scope["typing"]) if scope is not None else []):
        return NewParamSpec("typing.Optional[str]", False, **layout)
    return NewParamSpec("Optional[str]", True, **layout)


def _from_typing_imports(bindings: Sequence[BaseAssignment]) -> List[ImportAssignment]:
    """The bindings of a name that are ``from typing import ...``."""
    return [a for a in bindings if isinstance(a, ImportAssignment) and isinstance(a.node, cst.ImportFrom)
            and a.node.module is not None and get_full_name_for_node(a.node.module) == "typing"]


def _is_typing_module(bindings: Sequence[BaseAssignment]) -> bool:
    """Whether a name has bindings and each is a plain ``import typing``."""
    return bool(bindings) and all(isinstance(a, ImportAssignment) and isinstance(a.node, cst.Import) and any(
        alias.evaluated_name == "typing" and alias.evaluated_alias is None for alias in a.node.names)
        for a in bindings)


def _future_annotations(module: cst.Module) -> bool:
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            return False
        for small in statement.body:
            if isinstance(small, cst.ImportFrom) and small.module is not None \
                    and get_full_name_for_node(small.module) == "__future__" \
                    and not isinstance(small.names, cst.ImportStar) \
                    and any(alias.evaluated_name == "annotations" for alias in small.names):
                return True
    return False


def _names_in(node: cst.CSTNode) -> set:
    names = set()

    class Collector(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            names.add(n.value)

    node.visit(Collector())
    return names


def add_parameter(node: cst.FunctionDef, spec: NewParamSpec) -> cst.FunctionDef:
    """``node`` with ``*, workflow_id: Optional[str] = None`` added as a keyword-only parameter
    (after any existing keyword-only ones), in the signature's own layout.

    ``spec``: the annotation, the line length and the def's column. A one-line signature stays on one line when it fits the line
    length, else it is exploded one parameter per line. A multi-line signature gets ``*,`` and the
    parameter each on its own line at the parameters' indentation, with a trailing comma when the
    ``)`` is on its own line (it stays there); every comment stays on the parameter it follows."""
    params = node.params
    if spec.annotation is not None:
        new_param = cst.Param(
            name=build.name(NEW_PARAM), annotation=cst.Annotation(annotation=cst.parse_expression(spec.annotation)),
            equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(" "),
                                  whitespace_after=cst.SimpleWhitespace(" ")),
            default=build.name("None"))
    else:
        new_param = cst.Param(name=build.name(NEW_PARAM), default=build.name("None"))
    # the elements in order, with the field each belongs to
    elements: List[Tuple[str, cst.CSTNode]] = [("posonly", p) for p in params.posonly_params]
    if isinstance(params.posonly_ind, cst.ParamSlash):
        elements.append(("slash", params.posonly_ind))
    elements += [("params", p) for p in params.params]
    if params.star_arg is not cst.MaybeSentinel.DEFAULT:
        elements.append(("star", params.star_arg))  # type: ignore[arg-type]
    elements += [("kwonly", p) for p in params.kwonly_params]
    added: List[Tuple[str, cst.CSTNode]] = []
    if params.star_arg is cst.MaybeSentinel.DEFAULT:
        added.append(("star", cst.ParamStar()))
    added.append(("kwonly", new_param))
    if _multiline(node):
        return _add_vertically(node, elements, added)
    line = list(elements)
    if line:  # the last parameter gets a comma; the space before `)` moves to the new one
        kind, last = line[-1]
        if not isinstance(getattr(last, "comma", None), cst.Comma):
            line[-1] = (kind, _with_comma(last, _space_comma()))
        field_name = _after_field(last)
        if field_name is not None:
            new_param = new_param.with_changes(whitespace_after_param=getattr(last, field_name))
    line += [(k, _with_comma(e, _space_comma())) for k, e in added[:-1]]
    line.append((added[-1][0], new_param))
    result = _rebuild(node, line, node.whitespace_before_params)
    if spec.column + _header_width(result) > spec.line_length:
        result = _explode(node, elements + added)
    return result


def _space_comma() -> cst.Comma:
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _after_field(element: cst.CSTNode) -> Optional[str]:
    """The field holding the whitespace between an element and its comma (or the ``)``)."""
    if isinstance(element, cst.Param):
        return "whitespace_after_param"
    if isinstance(element, cst.ParamSlash):
        return "whitespace_after"
    return None


def _with_comma(element: cst.CSTNode, comma: object) -> cst.CSTNode:
    changes = {"comma": comma}
    field_name = _after_field(element)
    if field_name is not None:
        changes[field_name] = cst.SimpleWhitespace("")
    return element.with_changes(**changes)


def _rebuild(node: cst.FunctionDef, elements: List[Tuple[str, cst.CSTNode]],
             before: cst.BaseParenthesizableWhitespace) -> cst.FunctionDef:
    groups: Dict[str, List[cst.CSTNode]] = {}
    for kind, element in elements:
        groups.setdefault(kind, []).append(element)
    params = node.params.with_changes(
        posonly_params=groups.get("posonly", []),
        posonly_ind=groups["slash"][0] if "slash" in groups else cst.MaybeSentinel.DEFAULT,
        params=groups.get("params", []),
        star_arg=groups["star"][0] if "star" in groups else cst.MaybeSentinel.DEFAULT,
        kwonly_params=groups.get("kwonly", []),
    )
    return node.with_changes(params=params, whitespace_before_params=before)


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _multiline(node: cst.FunctionDef) -> bool:
    return "\n" in _code(node.params) or isinstance(node.whitespace_before_params, cst.ParenthesizedWhitespace)


def _header_width(node: cst.FunctionDef) -> int:
    """The width of the ``def`` line (with its trailing comment), without its indentation."""
    header = node.body.header if isinstance(node.body, cst.IndentedBlock) else cst.TrailingWhitespace()
    probe = node.with_changes(leading_lines=[], decorators=[],
                              body=cst.IndentedBlock(body=[cst.SimpleStatementLine([cst.Pass()])], header=header))
    return len(_code(probe).split("\n")[0])


def _explode(node: cst.FunctionDef, elements: List[Tuple[str, cst.CSTNode]]) -> cst.FunctionDef:
    """One parameter per line, indented one level, with a trailing comma and ``)`` on its own line."""
    out = [(kind, _with_comma(element, cst.Comma(whitespace_after=build.line_break("    " if i < len(elements) - 1 else ""))))
           for i, (kind, element) in enumerate(elements)]
    return _rebuild(node, out, build.line_break("    "))


def _plain(comma: cst.Comma) -> cst.Comma:
    """``comma`` without the comment after it (its line break and indentation kept)."""
    after = comma.whitespace_after
    if isinstance(after, cst.ParenthesizedWhitespace):
        after = after.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
    return comma.with_changes(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=after)


def _add_vertically(node: cst.FunctionDef, elements: List[Tuple[str, cst.CSTNode]],
                    added: List[Tuple[str, cst.CSTNode]]) -> cst.FunctionDef:
    if not elements:
        return _explode(node, added)
    kind, last = elements[-1]
    last_comma = getattr(last, "comma", cst.MaybeSentinel.DEFAULT)
    after_field = _after_field(last)
    after_last = getattr(last, after_field) if after_field is not None else None
    # the separator between parameters: an existing line-breaking comma (without its comment)
    separator: Optional[cst.Comma] = None
    for _, element in elements[:-1]:
        comma = getattr(element, "comma", None)
        if isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace):
            separator = _plain(comma)
            break
    if separator is None:
        opening = node.whitespace_before_params
        indent = opening.last_line.value if isinstance(opening, cst.ParenthesizedWhitespace) else "    "
        separator = cst.Comma(whitespace_after=build.line_break(indent))
    indent_ws = separator.whitespace_after
    item_indent = indent_ws.last_line if isinstance(indent_ws, cst.ParenthesizedWhitespace) else None

    def to_item_indent(ws: cst.ParenthesizedWhitespace) -> cst.ParenthesizedWhitespace:
        return ws.with_changes(last_line=item_indent) if item_indent is not None else ws

    if isinstance(last_comma, cst.Comma) and isinstance(last_comma.whitespace_after, cst.ParenthesizedWhitespace):
        # `last,  # comment` then `)` on its own line: the comment stays on `last`
        new_last = last.with_changes(comma=last_comma.with_changes(
            whitespace_after=to_item_indent(last_comma.whitespace_after)))
        closing: object = _plain(last_comma)
    elif isinstance(after_last, cst.ParenthesizedWhitespace):
        # `last  # comment` then `)` on its own line, no trailing comma: one is added
        new_last = last.with_changes(**{after_field: cst.SimpleWhitespace("")}, comma=cst.Comma(  # type: ignore[arg-type]
            whitespace_after=to_item_indent(after_last)))
        closing = cst.Comma(whitespace_after=after_last.with_changes(
            first_line=cst.TrailingWhitespace(), empty_lines=[]))
    else:
        # `)` right after the last parameter (hanging layout): it stays right after the new one
        new_last = last.with_changes(comma=separator)
        closing = last_comma if isinstance(last_comma, cst.Comma) else cst.MaybeSentinel.DEFAULT
    out = elements[:-1] + [(kind, new_last)]
    out += [(k, _with_comma(e, separator)) for k, e in added[:-1]]
    out.append((added[-1][0], _with_comma(added[-1][1], closing)))
    return _rebuild(node, out, node.whitespace_before_params)
