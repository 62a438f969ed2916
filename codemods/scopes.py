"""libcst's scope analysis of only the code the planners can ask about.

The planners ask for the scopes of nodes in the functions that have sites, for the bindings of
module-level names, and for the references of a few module-level names (the imports a rewrite
may leave unused, a module-level ``with ... as name``). libcst's ``ScopeProvider`` walks every
function of the module (three times: its dependency ``ExpressionContextProvider``, the batched
walk that runs it, its own walk), most of the cost of a migration. This runs the same two
visitors once each, and skips the *body* of a function (its name, parameters, defaults,
decorators and annotations are still analyzed) when nothing the planners ask can depend on it:

* it is a ``def`` at module level or in a class body (never one nested in a function, whose
  names a site's function may capture), and no site is inside it (only the sites a planner
  looks at count: one left before planning, e.g. for running at import time, is never asked
  about);
* it spells (header or body) no ``global``/``nonlocal`` (the only way a body binds a module-level
  name) and no ``workflow_id`` (a call from a function with that parameter may pass it on);
* it spells none of the *relevant* names: the module-level names (those a module-level
  statement binds, see :func:`_module_level_names`, or a body that declares one global spells)
  that are spelled in a top-level statement holding a site outside every def (the planners ask
  for every reference of the target of a module-level ``with``), and, when the run keeps some
  imports (``keep_imports``: tests patch them), those spelled in a site's own text: a kept import
  is reported only when no code but the rewritten sites uses it. Otherwise the references of the
  imports a rewrite may leave unused are only a shortcut (an import none of whose references
  outside the rewritten code is known is looked at again, on the new module, by the removal
  pass): a reference missing from a skipped body only sends one more import there;
* it spells none of the configured workflow id names and attributes (the planners look for
  where an id is set, e.g. in ``__init__``).

Words are compared as text (comments and strings included), which only ever skips less. For
every node outside the skipped bodies the scopes, assignments and qualified names are the ones
``ScopeProvider`` gives; the skipped bodies have no scope metadata.
"""
from __future__ import annotations

import keyword
import re
from bisect import bisect_left
from contextlib import ExitStack
from typing import Iterable, Iterator, List, Mapping, Optional, Sequence, Set, Tuple

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import CodeRange, ExpressionContext, ExpressionContextProvider, FunctionScope, Scope, ScopeProvider
from libcst.metadata.expression_context_provider import ExpressionContextVisitor
from libcst.metadata.scope_provider import AnnotationScope, ScopeVisitor

_WORD = re.compile(r"\w+")
#: a body that spells one of these is always analyzed
_ALWAYS_ANALYZED = frozenset({"global", "nonlocal", "workflow_id"})


def _candidates(body: Sequence[cst.CSTNode]) -> Iterator[cst.FunctionDef]:
    """The defs at module level and in class bodies (through classes only) with an indented body."""
    for statement in body:
        if isinstance(statement, cst.FunctionDef) and isinstance(statement.body, cst.IndentedBlock):
            yield statement
        elif isinstance(statement, cst.ClassDef) and isinstance(statement.body, cst.IndentedBlock):
            yield from _candidates(statement.body.body)


def _words(lines: Sequence[str], first: int, last: int) -> Set[str]:
    """The words of 1-based lines ``first``..``last`` (``lines`` without their breaks: a word
    ends with its line)."""
    return set(_WORD.findall("\n".join(lines[first - 1:last])))


def _any_between(sorted_lines: Sequence[int], first: int, last: int) -> bool:
    index = bisect_left(sorted_lines, first)
    return index < len(sorted_lines) and sorted_lines[index] <= last


def _statement_span(statement: cst.CSTNode, positions: Mapping[cst.CSTNode, CodeRange]) -> Tuple[int, int]:
    """A top-level statement's lines, its decorators included."""
    decorators = getattr(statement, "decorators", ())
    where = positions[statement]
    first = positions[decorators[0]].start.line if decorators else where.start.line
    return first, where.end.line


def _target_names(target: cst.CSTNode, names: Set[str]) -> bool:
    """Add the names an assignment target binds; False for a target this does not know."""
    if isinstance(target, cst.Name):
        names.add(target.value)
        return True
    if isinstance(target, (cst.Tuple, cst.List)):
        return all(_target_names(element.value, names) for element in target.elements)
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value, names)
    return isinstance(target, (cst.Attribute, cst.Subscript))  # binds no name


def _small_statement_names(small: cst.CSTNode, names: Set[str]) -> bool:
    if isinstance(small, cst.Assign):
        return all(_target_names(target.target, names) for target in small.targets)
    if isinstance(small, (cst.AnnAssign, cst.AugAssign, cst.Del)):
        return _target_names(small.target, names)
    if isinstance(small, cst.Import):
        names.update(alias.asname.name.value if alias.asname else  # type: ignore[attr-defined]
                     (get_full_name_for_node(alias.name) or "").split(".")[0] for alias in small.names)
        return True
    if isinstance(small, cst.ImportFrom):
        if isinstance(small.names, cst.ImportStar):
            return False
        names.update(alias.evaluated_alias or alias.evaluated_name for alias in small.names)
        return True
    return isinstance(small, (cst.Expr, cst.Pass, cst.Break, cst.Continue, cst.Return, cst.Raise, cst.Assert))


def _suites(statement: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The blocks of a compound statement (an ``elif`` as the ``If`` it is)."""
    yield statement.body  # type: ignore[attr-defined]
    for handler in getattr(statement, "handlers", ()):
        yield handler.body
    orelse = getattr(statement, "orelse", None)
    if isinstance(orelse, cst.If):
        yield orelse
    elif orelse is not None:
        yield orelse.body
    final = getattr(statement, "finalbody", None)
    if final is not None:
        yield final.body


def _bound_names(statement: cst.CSTNode, names: Set[str]) -> bool:
    """Add the names ``statement`` binds in the scope it is in; False when it holds anything
    this does not know (a ``match``, a star import, ...)."""
    if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
        names.add(statement.name.value)
        return True
    if isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
        return all(_small_statement_names(small, names) for small in statement.body)
    if isinstance(statement, cst.IndentedBlock):
        return all(_bound_names(inner, names) for inner in statement.body)
    if isinstance(statement, cst.For):
        targets: List[cst.CSTNode] = [statement.target]
    elif isinstance(statement, cst.With):
        targets = [item.asname.name for item in statement.items if item.asname is not None]
    elif isinstance(statement, (cst.Try, cst.TryStar)):
        targets = [handler.name.name for handler in statement.handlers if handler.name is not None]
    elif isinstance(statement, (cst.If, cst.While)):
        targets = []
    else:
        return False
    return all(_target_names(target, names) for target in targets) and \
        all(_bound_names(suite, names) for suite in _suites(statement))


def _module_level_names(module: cst.Module, positions: Mapping[cst.CSTNode, CodeRange],
                        lines: Sequence[str], in_def: Sequence[bool]) -> Set[str]:
    """Every name libcst's scope analysis can find bound in the module's scope, and more: what
    the module-level statements assign, import or define (through ``if``/``for``/``while``/
    ``try``/``with`` blocks, not into defs and classes), and every word of the code that may
    bind one otherwise: a top-level def's or class's header with a ``:=``, the lines of a
    top-level class outside the candidate defs (``in_def``) when it spells ``global``, a
    top-level statement of any other kind that spells ``global`` or ``:=`` or holds anything
    this does not know. (A candidate def that spells ``global`` is the caller's.)"""
    names: Set[str] = set()
    for statement in module.body:
        first, last = _statement_span(statement, positions)
        text = "\n".join(lines[first - 1:last])
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            names.add(statement.name.value)
            body = positions[statement.body].start.line
            if ":=" in "\n".join(lines[first - 1:body]):
                names |= _words(lines, first, body)
            if "global" in text:
                names |= set(_WORD.findall("\n".join(line for number, line in enumerate(lines[first - 1:last], first)
                                                     if not in_def[number])))
        elif not _bound_names(statement, names) or "global" in text or ":=" in text:
            names |= set(_WORD.findall(text))
    return names


def spanned_nodes(module: cst.Module) -> Iterator[cst.CSTNode]:
    """The nodes whose positions :func:`skippable_bodies` reads (few: the module is printed once
    anyway, and these ranges are recorded on the way)."""
    for statement in module.body:
        yield statement
        decorators = getattr(statement, "decorators", ())
        if decorators:
            yield decorators[0]
        if isinstance(statement, cst.ClassDef):
            yield statement.body
    for function in _candidates(module.body):
        yield function
        yield function.body


def skippable_bodies(module: cst.Module, positions: Mapping[cst.CSTNode, CodeRange], lines: Sequence[str],
                     sites: Iterable[Tuple[int, int]], always: Iterable[str], *, every_reference: bool) -> Set[int]:
    """The ``id`` of every def whose body the planners cannot ask about (see the module's doc).
    ``sites``: the first and last line of each site a planner looks at; ``always``: names whose
    spelling keeps a body; ``every_reference``: whether the planners need every reference of the
    module-level names a site spells (imports may be kept)."""
    spans = sorted(set(sites))
    starts = [first for first, _ in spans]
    candidates = []
    for function in _candidates(module.body):
        header = positions[function].start.line
        first, last = positions[function.body].start.line, positions[function.body].end.line
        has_site = _any_between(starts, first, last)
        candidates.append((function, header, first, last, _words(lines, header, last), has_site))
    in_def = [False] * (len(lines) + 2)  # a candidate's header or body
    in_body = [False] * (len(lines) + 2)
    # every module-level name is bound by a module-level statement, or in a body that declares
    # it global
    outside: Set[str] = set()
    for _, header, first, last, words, _ in candidates:
        in_def[header:last + 1] = [True] * (last + 1 - header)
        in_body[first:last + 1] = [True] * (last + 1 - first)
        if "global" in words:
            outside |= words
    outside |= _module_level_names(module, positions, lines, in_def)
    # the names whose references a planner needs: anywhere in a top-level statement that has a
    # site outside every def (a module-level ``with ... as name``), and in a site's own text when
    # an import it leaves unused may be kept
    site_words: Set[str] = set()
    if every_reference:
        for first, last in spans:
            site_words |= _words(lines, first, last)
    loose = [first for first, _ in spans if not in_body[first]]
    for statement in module.body:
        first, last = _statement_span(statement, positions)
        if _any_between(loose, first, last):
            site_words |= _words(lines, first, last)
    relevant = (site_words & outside) - set(keyword.kwlist) | _ALWAYS_ANALYZED | set(always)
    return {id(function) for function, _, _, _, words, has_site in candidates
            if not has_site and not (words & relevant)}


def _visit_decorators_and_returns(node: cst.FunctionDef, visitor: cst.CSTVisitor) -> None:
    """What of a skipped def is still analyzed besides its name and parameters."""
    for decorator in node.decorators:
        decorator.visit(visitor)
    if node.returns:
        node.returns.visit(visitor)


class _Contexts(ExpressionContextVisitor):
    """libcst's expression contexts, without the skipped bodies."""

    def __init__(self, provider: ExpressionContextProvider, context: ExpressionContext, skipped: Set[int]) -> None:
        super().__init__(provider, context)
        self.skipped = skipped

    def visit_FunctionDef(self, node: cst.FunctionDef) -> Optional[bool]:
        if id(node) not in self.skipped:
            return super().visit_FunctionDef(node)
        node.name.visit(ExpressionContextVisitor(self.provider, ExpressionContext.STORE))
        node.params.visit(self)
        _visit_decorators_and_returns(node, self)
        return False


class _Scopes(ScopeVisitor):
    """libcst's scope visitor, without the skipped bodies."""

    def __init__(self, provider: ScopeProvider, skipped: Set[int]) -> None:
        super().__init__(provider)
        self.skipped = skipped

    def visit_FunctionDef(self, node: cst.FunctionDef) -> Optional[bool]:
        if id(node) not in self.skipped:
            return super().visit_FunctionDef(node)
        # as ScopeVisitor.visit_FunctionDef, less ``node.body.visit(self)``
        self.scope.record_assignment(node.name.value, node)
        self.provider.set_metadata(node.name, self.scope)
        with ExitStack() as stack:
            if node.type_parameters:
                stack.enter_context(self._new_scope(AnnotationScope, node, None))
                node.type_parameters.visit(self)
            with self._new_scope(FunctionScope, node, get_full_name_for_node(node.name)):
                node.params.visit(self)
            _visit_decorators_and_returns(node, self)
        return False


def partial_scopes(module: cst.Module, skipped: Set[int]) -> Mapping[cst.CSTNode, Optional[Scope]]:
    """``ScopeProvider``'s metadata for ``module``, with the bodies of the defs in ``skipped`` (by
    ``id``) left out."""
    contexts = ExpressionContextProvider()
    module.visit(_Contexts(contexts, ExpressionContext.LOAD, skipped))
    scopes = ScopeProvider()
    scopes.metadata = {ExpressionContextProvider: contexts._computed}
    visitor = _Scopes(scopes, skipped)
    module.visit(visitor)
    visitor.infer_accesses()
    return scopes._computed


def release_scopes(scopes: Iterable[Optional[Scope]]) -> None:
    """Empty libcst's scopes once nothing asks them any more. A scope, its assignments and its
    accesses refer to one another, and an assignment to its node (a whole def or class): left
    as they are, they and those parts of the tree wait for Python's cycle collector, which walks
    every one of them (a tenth of a migration's time); emptied, reference counting frees them
    at once. (Through libcst's private tables: where they are not found, nothing is emptied.)"""
    every: Set[Scope] = set()
    for scope in scopes:
        while scope is not None and scope not in every:  # and the builtins' scope above them all
            every.add(scope)
            scope = getattr(scope, "parent", None)
    for scope in every:
        for table in ("_assignments", "_accesses_by_name", "_accesses_by_node"):
            by_key = getattr(scope, table, None)
            if not isinstance(by_key, dict):
                continue
            for bound in by_key.values():
                for item in bound:
                    links = getattr(item, "references" if table == "_assignments" else "referents", None)
                    if isinstance(links, set):
                        links.clear()
            by_key.clear()

