"""Which expression holds the workflow id at a site (the rewrite rules' "Workflow id").

First that applies:

1.-3. what the site's function holds (a parameter or local named in ``workflow-id-names``, an
   attribute chain ending in ``workflow-id-attributes`` it uses, ``self.<name>`` its class sets):
   judged from ``ast`` by ``workflow_id_facts`` (by ``tmplint check`` too, where it decides
   ``fixable``); this module turns the spelling into libcst nodes;
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
from libcst.metadata import BaseAssignment, ImportAssignment

from tmplint.codemods import build
from tmplint.codemods.base import SitePlan, Unfixable
from tmplint.codemods.imports import imports_from
from tmplint.codemods.triage import id_decides_fixable, spelled_in, spells_an_id_name
from tmplint.codemods.workflow_id_facts import WorkflowIdFacts, may_be_none_reason, nearest_first, no_id_reason
from tmplint.config import first_name, split_fallback
from tmplint.detector import DetectorError, parse_source
from tmplint.findings import WorkflowIdFact

if TYPE_CHECKING:  # pragma: no cover
    from tmplint.codemods.base import Site, TmplintCommand

NEW_PARAM = "workflow_id"
DEFAULT_FALLBACK = '"default"'
#: methods unittest (and pytest's xunit style) calls with a fixed signature
TEST_HOOKS = frozenset({
    "setUp", "tearDown", "setUpClass", "tearDownClass", "asyncSetUp", "asyncTearDown",
    "setup_method", "teardown_method", "setup_class", "teardown_class", "setup_function",
    "teardown_function", "setup_module", "teardown_module", "setUpModule", "tearDownModule",
})


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


def resolve(engine: "TmplintCommand", site: "Site") -> WorkflowId:
    """The id at the site, inside a function (a site running at import time was left before
    planning: ``site_facts``). What the function holds is the detector's verdict
    (``Finding.workflow_id``, judged by ``workflow_id_facts``); the configuration adds a new
    parameter or the fallback."""
    node = site.node
    found = _function_id(engine, site)
    if found is None:
        new_param = _new_param(engine, node)
        if new_param is not None:
            return new_param
        fallback = _fallback(engine, node)
        if fallback is None:
            raise Unfixable(_no_id_reason(engine, node))
        return WorkflowId("workflow-id-fallback", fallback.make, imports=fallback.imports)
    if found.may_be_none:
        fallback = _fallback(engine, node)
        if fallback is None:
            raise Unfixable(may_be_none_reason(found))
        return _guarded(found, fallback)
    if found.unknown and engine.config.workflow_id_fallback is not None:
        try:
            fallback = _fallback(engine, node)
        except Unfixable:  # the fallback cannot be written here; the id alone still works
            fallback = None
        if fallback is not None:
            return _guarded(found, fallback)
    return WorkflowId(f"`{found.spelling}`", lambda: cst.parse_expression(found.spelling))


def _function_id(engine: "TmplintCommand", site: "Site") -> Optional[WorkflowIdFact]:
    """What the site's function holds: the detector's verdict where it decides ``fixable``
    (``triage.id_decides_fixable``); else judged here, by the same judge, on the module's text
    (``tmplint check`` has no use for it then, and does not pay for it)."""
    if id_decides_fixable(engine.config):
        return site.finding.workflow_id
    cache = engine.cache("workflow-id-facts")
    if engine.module not in cache:
        text = engine.printed or engine.module.code
        cache[engine.module] = None
        # most modules spell no id name: then no function holds one, and the module need not be parsed
        if spells_an_id_name(engine.config, spelled_in(text)):
            try:
                tree = parse_source(text, engine.context.filename or "<module>")
            except DetectorError as exc:  # never expected: the detector parsed the same text
                raise Unfixable(str(exc)) from None
            cache[engine.module] = WorkflowIdFacts(tree, text, engine.config)
    facts = cache[engine.module]
    return facts.at_finding(site.finding) if facts is not None else None  # type: ignore[attr-defined]


def _guarded(found: WorkflowIdFact, fallback: _Fallback) -> WorkflowId:
    """``id or <fallback>``."""
    return WorkflowId(f"`{found.spelling}` or fallback",
                      lambda: _or(cst.parse_expression(found.spelling), fallback.make()), imports=fallback.imports)


def _no_id_reason(engine: "TmplintCommand", node: cst.CSTNode) -> str:
    definition = engine.enclosing_def(node)
    owner = signature_not_owned(engine, definition) if definition is not None else "not in a def"
    if engine.config.add_workflow_param and owner:
        return no_id_reason(engine.config, f"no workflow_id parameter added to {definition.name.value}(): {owner}")  # type: ignore[union-attr]
    return no_id_reason(engine.config)


def _new_param(engine: "TmplintCommand", node: cst.CSTNode) -> Optional[WorkflowId]:
    """With ``add-workflow-param``: the new parameter of the function whose body holds ``node``."""
    definition = engine.enclosing_def(node)
    if definition is not None and engine.config.add_workflow_param and signature_not_owned(engine, definition) is None:
        return _from_new_param(engine, definition, node)
    return None


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
    return nearest_first(klass, lambda current: [
        classes[base.value.value] for base in current.bases
        if base.keyword is None and isinstance(base.value, cst.Name) and base.value.value in classes])


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
