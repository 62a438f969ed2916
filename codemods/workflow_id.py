"""Which expression holds the workflow id at a site (DESIGN: "Workflow id, first that applies").

1. a parameter, or a local assigned before the site, named in ``workflow-id-names``;
2. an attribute chain ending in ``workflow-id-attributes`` that the function already uses
   (``workflow_context.workflow_id``, ``self.workflow_id``), or ``self.<attr>`` when the class
   assigns it in ``__init__``;
3. with ``add-workflow-param``: a new keyword parameter ``workflow_id: Optional[str] = None``,
   used as ``workflow_id or <fallback>`` (``"default"`` when no fallback is configured);
4. ``workflow-id-fallback`` alone.

Module- and class-level sites (no enclosing function) use only the fallback. Otherwise the site is
unfixable.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, List, Optional

import libcst as cst
from libcst.metadata import Assignment, BuiltinAssignment, FunctionScope, ImportAssignment

from tmplint.codemods import build
from tmplint.codemods.base import SitePlan, Unfixable

if TYPE_CHECKING:  # pragma: no cover
    from tmplint.codemods.base import TmplintCommand

NEW_PARAM = "workflow_id"
DEFAULT_FALLBACK = '"default"'


@dataclass
class WorkflowId:
    #: how it was found, for messages and tests
    source: str
    make: Callable[[], cst.BaseExpression]
    #: the function that gets the new ``workflow_id`` parameter (add-workflow-param)
    param_function: Optional[cst.FunctionDef] = None
    needs_optional: bool = False

    def apply(self, plan: SitePlan) -> None:
        """Record what using this id needs (the new parameter and its import) in ``plan``."""
        if self.param_function is not None:
            plan.params.append((self.param_function, self.needs_optional))
            if self.needs_optional:
                plan.imports.append(("typing", "Optional"))


def _fallback(engine: "TmplintCommand") -> Optional[Callable[[], cst.BaseExpression]]:
    text = engine.config.workflow_id_fallback
    if text is None:
        return None
    return lambda: cst.parse_expression(text)


def resolve(engine: "TmplintCommand", node: cst.CSTNode) -> WorkflowId:
    kind, function = engine.enclosing(node)
    fallback = _fallback(engine)
    if kind != "function":
        if fallback is not None:
            return WorkflowId("workflow-id-fallback", fallback)
        raise Unfixable(f"no workflow id at {kind} level (set workflow-id-fallback)")

    config = engine.config
    possible = (set(config.workflow_id_names) | set(config.workflow_id_attributes)) & engine.used_names
    if possible or config.add_workflow_param:
        found = _from_names(engine, node)
        if found is not None:
            return found
    definition = engine.enclosing_def(node)
    if definition is not None and (possible or config.add_workflow_param):
        found = _from_attribute_chains(engine, node, definition) or _from_init(engine, node, definition)
        if found is not None:
            return found
        if engine.config.add_workflow_param:
            found = _from_new_param(engine, definition)
            if found is not None:
                return found
    if fallback is not None:
        return WorkflowId("workflow-id-fallback", fallback)
    names = ", ".join(engine.config.workflow_id_names)
    raise Unfixable(
        f"no workflow id in scope (no parameter or local named {names}, no "
        f"`.{'/.'.join(engine.config.workflow_id_attributes)}` in use; "
        "set workflow-id-fallback or add-workflow-param)"
    )


# --------------------------------------------------------------------------- 1. names


def _from_names(engine: "TmplintCommand", node: cst.CSTNode) -> Optional[WorkflowId]:
    scope = engine.scope(node)
    if scope is None:
        return None
    for name in engine.config.workflow_id_names:
        if _bound_at(engine, scope, name, node):
            return WorkflowId(f"name {name}", lambda name=name: build.name(name))
    return None


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


def _from_attribute_chains(engine: "TmplintCommand", node: cst.CSTNode,
                           definition: cst.FunctionDef) -> Optional[WorkflowId]:
    cache = engine.cache("attribute-uses")
    if definition not in cache:
        uses = _AttributeUses(engine.config.workflow_id_attributes)
        definition.body.visit(uses)
        cache[definition] = sorted(
            uses.found, key=lambda a: (engine.position(a).start.line, engine.position(a).start.column))
    ordered = cache[definition]
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
        return WorkflowId(f"attribute {dotted}", lambda dotted=dotted: build.dotted(dotted))
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


def _from_init(engine: "TmplintCommand", node: cst.CSTNode, definition: cst.FunctionDef) -> Optional[WorkflowId]:
    block = engine.parent(definition)
    klass = engine.parent(block) if block is not None else None
    if not isinstance(klass, cst.ClassDef):
        return None
    for decorator in definition.decorators:
        if isinstance(decorator.decorator, cst.Name) and decorator.decorator.value in ("staticmethod", "classmethod"):
            return None
    self_name = _first_param(definition)
    if self_name is None:
        return None
    scope = engine.scope(node)
    if scope is None or not _bound_at(engine, scope, self_name, node):
        return None
    init = next((s for s in klass.body.body if isinstance(s, cst.FunctionDef) and s.name.value == "__init__"), None)
    if init is None:
        return None
    init_self = _first_param(init)
    if init_self is None:
        return None
    for attribute in engine.config.workflow_id_attributes:
        for assigned in _self_assignments(init, init_self, attribute):
            if init is definition and not (
                engine.position(assigned).end.line < engine.position(node).start.line
                and definitely_before(engine, assigned, node)
            ):
                continue
            return WorkflowId(f"self.{attribute} set in __init__",
                              lambda a=attribute: build.dotted(f"{self_name}.{a}"))
    return None


def _first_param(definition: cst.FunctionDef) -> Optional[str]:
    params = list(definition.params.posonly_params) + list(definition.params.params)
    return params[0].name.value if params else None


def _self_assignments(init: cst.FunctionDef, self_name: str, attribute: str) -> List[cst.CSTNode]:
    found: List[cst.CSTNode] = []

    class Finder(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is init

        def _check(self, target: cst.BaseExpression) -> None:
            if isinstance(target, cst.Attribute) and target.attr.value == attribute \
                    and isinstance(target.value, cst.Name) and target.value.value == self_name:
                found.append(target)

        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            self._check(node.target)

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            if node.value is not None:
                self._check(node.target)

    init.visit(Finder())
    return found


# --------------------------------------------------------------------------- 3. new parameter


def _from_new_param(engine: "TmplintCommand", definition: cst.FunctionDef) -> Optional[WorkflowId]:
    params = definition.params
    if isinstance(params.star_kwarg, cst.Param):
        return None  # callers may pass workflow_id= through **kwargs today
    if NEW_PARAM in _names_in(definition):
        return None
    fallback_text = engine.config.workflow_id_fallback or DEFAULT_FALLBACK

    def make() -> cst.BaseExpression:
        fallback = cst.parse_expression(fallback_text)
        if build.needs_parentheses_in_or(fallback):
            fallback = build.parenthesize(fallback)
        return cst.BooleanOperation(left=build.name(NEW_PARAM), operator=cst.Or(), right=fallback)

    scope = engine.scope(definition)
    optional_ok = True
    if scope is not None:
        for assignment in scope["Optional"]:
            node = assignment.node
            if not (isinstance(assignment, ImportAssignment) and isinstance(node, cst.ImportFrom)
                    and node.module is not None and cst.Module([]).code_for_node(node.module) == "typing"):
                optional_ok = False
    # without a usable `Optional` the parameter is added unannotated
    return WorkflowId("new parameter workflow_id", make, param_function=definition, needs_optional=optional_ok)


def _names_in(node: cst.CSTNode) -> set:
    names = set()

    class Collector(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            names.add(n.value)

    node.visit(Collector())
    return names


def add_parameter(node: cst.FunctionDef, annotated: bool = True) -> cst.FunctionDef:
    """``node`` with ``*, workflow_id: Optional[str] = None`` added as a keyword-only parameter
    (after any existing keyword-only ones), keeping the parameter list's own comma style."""
    params = node.params
    new_param = cst.Param(
        name=build.name(NEW_PARAM),
        annotation=cst.Annotation(annotation=cst.parse_expression("Optional[str]")) if annotated else None,
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(" "), whitespace_after=cst.SimpleWhitespace(" "))
        if annotated else cst.MaybeSentinel.DEFAULT,
        default=build.name("None"),
    )
    elements: List[cst.CSTNode] = [*params.posonly_params]
    if params.posonly_ind is not cst.MaybeSentinel.DEFAULT:
        elements.append(params.posonly_ind)  # type: ignore[arg-type]
    elements += list(params.params)
    if params.star_arg is not cst.MaybeSentinel.DEFAULT:
        elements.append(params.star_arg)  # type: ignore[arg-type]
    elements += list(params.kwonly_params)
    last = elements[-1] if elements else None
    last_comma = getattr(last, "comma", cst.MaybeSentinel.DEFAULT) if last is not None else cst.MaybeSentinel.DEFAULT
    middle_comma: object = cst.MaybeSentinel.DEFAULT
    if isinstance(last_comma, cst.Comma):
        # a trailing comma: the list is laid out one per line; keep that layout
        previous = elements[-2] if len(elements) > 1 else None
        previous_comma = getattr(previous, "comma", None)
        middle_comma = previous_comma if isinstance(previous_comma, cst.Comma) else cst.Comma(
            whitespace_after=cst.SimpleWhitespace(" "))
        new_param = new_param.with_changes(comma=last_comma)

    def set_comma(element: cst.CSTNode) -> cst.CSTNode:
        return element.with_changes(comma=middle_comma) if isinstance(last_comma, cst.Comma) else element

    star_arg = params.star_arg
    kwonly = list(params.kwonly_params)
    if kwonly:
        kwonly[-1] = set_comma(kwonly[-1])  # type: ignore[assignment]
        kwonly.append(new_param)
    elif star_arg is not cst.MaybeSentinel.DEFAULT:
        star_arg = set_comma(star_arg)  # type: ignore[arg-type, assignment]
        kwonly = [new_param]
    else:
        changes = {}
        if params.params:
            plain = list(params.params)
            plain[-1] = set_comma(plain[-1])  # type: ignore[assignment]
            changes["params"] = plain
        elif params.posonly_ind is not cst.MaybeSentinel.DEFAULT:
            changes["posonly_ind"] = set_comma(params.posonly_ind)  # type: ignore[arg-type]
        elif params.posonly_params:
            posonly = list(params.posonly_params)
            posonly[-1] = set_comma(posonly[-1])  # type: ignore[assignment]
            changes["posonly_params"] = posonly
        params = params.with_changes(**changes)
        star_arg = cst.ParamStar(comma=middle_comma if isinstance(last_comma, cst.Comma) else cst.Comma(
            whitespace_after=cst.SimpleWhitespace(" ")))
        kwonly = [new_param]
    return node.with_changes(params=params.with_changes(star_arg=star_arg, kwonly_params=kwonly))
