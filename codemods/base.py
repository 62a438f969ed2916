"""The engine every tmplint codemod command shares.

A command is a real libcst ``VisitorBasedCodemodCommand``. For one module it

1. takes the detector's findings (given by ``tmplint fix``, or computed here when the command runs
   under ``python -m libcst.tool codemod``) and maps each onto its libcst node by position;
2. asks the planner registered for the finding's target (``PLANNERS``; one module per rewrite) for a
   :class:`SitePlan`: expression replacements, a ``with`` statement rewrite, a ``try/finally`` cleanup
   around the rest of a block, a new ``workflow_id`` parameter, imports. A planner that finds the
   site unsafe raises :class:`Unfixable` with the reason; the site is then left untouched;
3. applies all plans in one bottom-up transform, and lets ``AddImportsVisitor`` /
   ``RemoveImportsVisitor`` fix the imports.

What happened to each site ends up in :attr:`TmplintCommand.report`.
"""
from __future__ import annotations

import argparse
from bisect import bisect_right
from contextlib import contextmanager
from dataclasses import replace
from itertools import accumulate
from pathlib import Path
from typing import (
    AbstractSet, Any, Callable, Collection, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Set, Tuple,
    TypeVar,
)

import libcst as cst
from libcst.codemod import CodemodContext, SkipFile, VisitorBasedCodemodCommand
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor
from libcst.helpers import get_full_name_for_node
from libcst.metadata import (
    BuiltinAssignment,
    CodeRange,
    ImportAssignment,
    MetadataWrapper,
    Scope,
)

from tmplint.config import Config, load_config, read_project_style
from tmplint.detector import DetectorError, Finding, check_bytes
from tmplint.codemods import build
from tmplint.codemods.noqa import add_noqa_comments
from tmplint.codemods.sites import SiteLocator
from tmplint.codemods.parents import FastParentProvider, StatementParents
from tmplint.codemods.positions import ModulePositions, UsedNames
from tmplint.codemods.scopes import partial_scopes, release_scopes, skippable_bodies, spanned_nodes
from tmplint.codemods import speedups
from tmplint.codemods.imports import (
    ImportRemovalScheduler, TidyRemoveImportsVisitor, TopLevelAddImportsVisitor, imports_from, imports_module,
)
from tmplint.codemods.plans import Builder, Planner, Site, SitePlan, Unfixable, WithItemRewrite, Wrap, all_planners
from tmplint.codemods.triage import FixReport, SiteOutcome, reason_left_before_planning, workflow_id_possible

speedups.install()

_Bound = TypeVar("_Bound")


class TmplintCommand(VisitorBasedCodemodCommand):
    """Base of all tmplint codemods; subclasses set ``PLANNERS`` (finding target -> planner)."""

    DESCRIPTION = "Rewrite scratch files in the shared system temp dir into the per-job helper."
    #: none resolved up front: positions (``position()``), parents (``parent()``) and scopes
    #: (``scope()``) are computed only for the code the planners ask about, so a module whose
    #: sites are all left early never pays for scope analysis
    METADATA_DEPENDENCIES = ()
    PLANNERS: Mapping[str, Planner] = {}
    #: whether findings without a planner are reported as left (the all-rules command) or ignored
    REPORT_ALL = False

    def __init__(
        self,
        context: CodemodContext,
        config: Optional[Config] = None,
        findings: Optional[Sequence[Finding]] = None,
        unsafe_fixes: bool = False,
        add_noqa: bool = False,
        helper_module: Optional[str] = None,
        workflow_id_fallback: Optional[str] = None,
        add_workflow_param: bool = False,
        tmplint_config: Optional[str] = None,
        keep_imports: Collection[str] = (),
    ) -> None:
        super().__init__(context)
        #: modules whose imports are never removed, even when the rewrites leave them unused
        #: (``tmplint fix``: a test patches ``pkg.mod.tempfile``, so the attribute must stay)
        self.keep_imports = frozenset(keep_imports)
        #: the kept modules whose import would otherwise have been removed (last module rewritten)
        self.kept_imports: Set[str] = set()
        self._given_config = config
        self._given_findings = list(findings) if findings is not None else None
        self.unsafe_fixes = unsafe_fixes
        self.add_noqa = add_noqa
        self._overrides = {
            k: v for k, v in (
                ("helper_module", helper_module),
                ("workflow_id_fallback", workflow_id_fallback),
                ("add_workflow_param", add_workflow_param or None),
            ) if v is not None
        }
        self._config_file = Path(tmplint_config) if tmplint_config else None
        self.config: Config = config or Config()
        self.report = FixReport()
        self._reset()

    # -- libcst.tool integration

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument("--unsafe-fixes", action="store_true", default=False,
                                help="also rewrite hard-coded temp dir literals (TMP006)")
        arg_parser.add_argument("--add-noqa", action="store_true", default=False,
                                help="mark the sites that cannot be fixed with # noqa: TMPxxx")
        arg_parser.add_argument("--helper-module", default=None,
                                help="module to import the helper from (default: [tool.tmplint] or temp_paths)")
        arg_parser.add_argument("--workflow-id-fallback", default=None,
                                help="expression used where no workflow id is in scope")
        arg_parser.add_argument("--add-workflow-param", action="store_true", default=False,
                                help="add a workflow_id keyword parameter where no id is in scope")
        arg_parser.add_argument("--tmplint-config", default=None,
                                help="pyproject.toml to read [tool.tmplint] from (default: nearest)")

    # -- per-module state

    def _reset(self) -> None:
        self.report = FixReport()
        #: the module's text as libcst prints it unchanged (the round trip of its parse)
        self.printed: Optional[str] = None
        self._replacements: Dict[cst.CSTNode, Builder] = {}
        self._with_plans: Dict[cst.With, Dict[int, WithItemRewrite]] = {}
        self._wraps: Dict[cst.SimpleStatementLine, List[Wrap]] = {}
        self._params: Dict[cst.FunctionDef, Any] = {}  # -> its workflow_id.NewParamSpec
        self._used_names: AbstractSet[str] = frozenset()
        self._fresh: Dict[cst.CSTNode, Set[str]] = {}
        self._findings: List[Finding] = []
        #: the first and last line of each site a planner looks at
        self._planned_lines: List[Tuple[int, int]] = []
        #: the module's source lines (as libcst prints the parsed module), for line lengths
        self._source_lines: List[str] = []
        self._parents: Optional[StatementParents] = None
        #: the positions of the module as parsed (kept for the import passes after the transform)
        self._positions: Optional[ModulePositions] = None
        self._scopes: Optional[Mapping[cst.CSTNode, Optional[Scope]]] = None
        self._removed: List[cst.CSTNode] = []
        #: import -> whether every reference of it is in the code the rewrites remove
        self._may_become_unused: Dict[ImportAssignment, bool] = {}
        #: the nodes the transform descends into (None: all)
        self._visited: Optional[Set[cst.CSTNode]] = None
        self._caches: Dict[str, Dict[cst.CSTNode, object]] = {}
        #: replacements made since the last simple statement was left, and the statements that got
        #: two or more (where a repeated helper call may become one local)
        self._built_since_statement = 0
        self._hoist: Set[cst.CSTNode] = set()
        #: comments a replacement dropped (on an argument it does not carry over), by the original
        #: statement that held them: they go above it, never lost
        self._lost_comments: Dict[cst.CSTNode, List[str]] = {}

    def _resolve_config(self) -> Config:
        if self._given_config is not None:
            config = self._given_config
        else:
            start = Path(self.context.filename).parent if self.context.filename else None
            config = load_config(self._config_file, start)
        if self._overrides:
            config = replace(config, **self._overrides)
        return config

    @contextmanager
    def _handle_metadata_reference(self, module: cst.Module) -> Iterator[cst.Module]:
        # as libcst's, but without the defensive deep copy of the module: the module is ours
        # (freshly parsed) and never mutated, and the copy costs as much as a parse
        old = self.context.wrapper
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        with self.resolve(wrapper):
            self.context = replace(self.context, wrapper=wrapper)
            try:
                yield wrapper.module
            finally:
                self.context = replace(self.context, wrapper=old)

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        self._reset()
        # the module's text, and where its statements start, printed once (the ranges of the
        # nodes ``codemods.scopes`` spans are recorded on the way)
        self._positions = ModulePositions(tree, spanned_nodes(tree))
        self.printed = self._positions.text
        self.config = self._resolve_config()
        if self._given_findings is not None:
            self._findings = list(self._given_findings)
        else:
            # standalone (libcst.tool): the detector is still the only source of sites
            try:
                self._findings = check_bytes(tree.bytes, self.context.filename or "<module>", self.config)
            except DetectorError as exc:
                raise SkipFile(str(exc)) from None
        if not self._findings:
            return tree
        self._analyze(tree)
        for outcome in self.report.left:
            self.warn(f"{outcome.line}:{outcome.col + 1}: {outcome.code} left: {outcome.message}")
        if not (self._replacements or self._with_plans or self._wraps or self._params):
            return tree  # nothing to rewrite: skip the transform pass
        self._schedule_import_removals()
        self._visited = self._nodes_to_visit()
        return tree.visit(self)

    def code_of(self, module: cst.Module) -> str:
        """The code of the module this command returned: what it kept of the module it was given
        is not printed again (:meth:`ModulePositions.code_of`)."""
        return module.code if self._positions is None else self._positions.code_of(module)

    # -- metadata helpers for planners

    def _wrapper(self) -> MetadataWrapper:
        wrapper = self.context.wrapper
        if wrapper is None:
            raise RuntimeError("metadata is only available while a module is transformed")
        return wrapper

    def parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        if self._parents is None:
            wrapper = self._wrapper()
            self._parents = StatementParents(self.module, self._module_positions(),
                                             lambda: wrapper.resolve(FastParentProvider))
        return self._parents.get(node)

    def ancestors(self, node: cst.CSTNode) -> List[cst.CSTNode]:
        result = []
        current = self.parent(node)
        while current is not None:
            result.append(current)
            current = self.parent(current)
        return result

    def _module_positions(self) -> ModulePositions:
        if self._positions is None:
            raise RuntimeError("positions are only available while a module is transformed")
        return self._positions

    def position(self, node: cst.CSTNode) -> CodeRange:
        """libcst's ``PositionProvider`` range of ``node``."""
        return self._module_positions()[node]

    def line(self, node: cst.CSTNode) -> int:
        return self.position(node).start.line

    def scope(self, node: cst.CSTNode) -> Optional[Scope]:
        """libcst's scope of ``node``, for the code a planner can ask about (``codemods.scopes``:
        the bodies of functions that cannot matter to any site are not analyzed)."""
        if self._scopes is None:
            skipped = skippable_bodies(
                self.module, self._module_positions(), self._source_lines,
                self._planned_lines,
                (*self.config.workflow_id_names, *self.config.workflow_id_attributes),
                every_reference=bool(self.keep_imports))
            self._scopes = partial_scopes(self.module, skipped)
        return self._scopes.get(node)

    def in_source_order(self, items: Iterable[_Bound]) -> List[_Bound]:
        """Assignments or accesses sorted by where their node is (libcst keeps them in sets, whose
        order depends on memory addresses): the first one a report names is the first in the file."""
        def where(item: _Bound) -> Tuple[int, int, int]:
            node = getattr(item, "node", None)
            if isinstance(node, cst.CSTNode):
                start = self.position(node).start
                return 0, start.line, start.column
            return 1, 0, 0  # a builtin: no node

        return sorted(items, key=where)

    def contains(self, outer: cst.CSTNode, inner: cst.CSTNode) -> bool:
        """Whether ``inner``'s source range lies within ``outer``'s."""
        a, b = self.position(outer), self.position(inner)
        return (a.start.line, a.start.column) <= (b.start.line, b.start.column) and \
            (b.end.line, b.end.column) <= (a.end.line, a.end.column)

    def enclosing(self, node: cst.CSTNode) -> Tuple[str, Optional[cst.CSTNode]]:
        """("function", def-or-lambda) when a function's body holds ``node``; ("class", ClassDef)
        or ("module", None) otherwise. Decorators, defaults and annotations belong outside."""
        child = node
        parent = self.parent(child)
        while parent is not None:
            if isinstance(parent, (cst.FunctionDef, cst.Lambda)) and child is parent.body:
                return "function", parent
            if isinstance(parent, cst.ClassDef) and child is parent.body:
                return "class", parent
            child, parent = parent, self.parent(parent)
        return "module", None

    def enclosing_def(self, node: cst.CSTNode) -> Optional[cst.FunctionDef]:
        """The innermost ``def`` whose body holds ``node`` (through lambdas, not through classes)."""
        child = node
        parent = self.parent(child)
        while parent is not None:
            if isinstance(parent, cst.FunctionDef) and child is parent.body:
                return parent
            if isinstance(parent, cst.ClassDef) and child is parent.body:
                return None
            child, parent = parent, self.parent(parent)
        return None

    def statement_owner(self, node: cst.CSTNode) -> cst.CSTNode:
        """The def, class or module whose body holds the statement that holds ``node``: where a
        variable the rewrite introduces lives."""
        child = node
        parent = self.parent(child)
        while parent is not None:
            if isinstance(parent, (cst.FunctionDef, cst.ClassDef)) and child is parent.body:
                return parent
            child, parent = parent, self.parent(parent)
        return self.module

    def cache(self, name: str) -> Dict[cst.CSTNode, object]:
        """A per-module cache for planners (e.g. what a function uses, computed once)."""
        return self._caches.setdefault(name, {})

    def fresh_name(self, near: cst.CSTNode, base: str) -> str:
        """A name for a new variable next to ``near`` that shadows nothing: not used anywhere in
        the module, and not already introduced by another rewrite in the same scope."""
        owner = self.statement_owner(near)
        if isinstance(owner, cst.ClassDef):
            raise Unfixable("in a class body the rewrite's new variable would become a class attribute")
        taken = self._fresh.setdefault(owner, set())
        candidate, n = base, 0
        while candidate in self._used_names or candidate in taken:
            n += 1
            candidate = f"{base}_{n}"
        taken.add(candidate)
        return candidate

    def qualified_names(self, node: cst.CSTNode) -> Set[str]:
        scope = self.scope(node)
        if scope is None:
            return set()
        try:
            return {q.name for q in scope.get_qualified_names_for(node)}
        except Exception:
            return set()

    def check_names(self, node: cst.CSTNode, helpers: Iterable[str] = (), builtins: Iterable[str] = (),
                    modules: Iterable[str] = ()) -> None:
        """Unfixable unless each name the rewrite uses at ``node`` means what the rewrite needs:
        helper names unbound or imported from the helper module, builtins not shadowed,
        ``os`` unbound or the ``os`` module."""
        scope = self.scope(node)
        if scope is None:
            raise Unfixable("no scope information for the site")
        for helper in helpers:
            for assignment in scope[helper]:
                if not (isinstance(assignment, ImportAssignment)
                        and imports_from(assignment.node, self.config.helper_module, helper)):
                    raise Unfixable(f"`{helper}` is already bound to something else here")
        for builtin in builtins:
            if any(not isinstance(a, BuiltinAssignment) for a in scope[builtin]):
                raise Unfixable(f"`{builtin}` is shadowed here")
        for module in modules:
            for assignment in scope[module]:
                if not (isinstance(assignment, ImportAssignment) and imports_module(assignment.node, module)):
                    raise Unfixable(f"`{module}` is bound to something other than the {module} module here")

    def module_import(self, node: cst.CSTNode, module: str) -> List[Tuple[str, Optional[str]]]:
        """``[(module, None)]`` unless ``module`` is already imported where ``node`` is
        (``import os.path`` binds ``os`` too); call after :meth:`check_names`."""
        scope = self.scope(node)
        if scope is not None and any(True for _ in scope[module]):
            return []
        return [(module, None)]

    def helper_import(self, *names: str) -> List[Tuple[str, Optional[str]]]:
        return [(self.config.helper_module, n) for n in names]

    def _instantiate_and_run(self, transform, tree: cst.Module) -> cst.Module:  # type: ignore[override]
        # the import passes libcst runs after the transform; removals tidy the blank lines they leave
        if transform is RemoveImportsVisitor:
            removal = TidyRemoveImportsVisitor(self.context, source_of=self._module_positions().source_of)
            return removal.transform_module(tree)
        if transform is AddImportsVisitor:
            transform = TopLevelAddImportsVisitor
        return super()._instantiate_and_run(transform, tree)

    # -- analysis: findings -> plans

    def _analyze(self, node: cst.Module) -> None:
        positions = self._module_positions()
        locator = SiteLocator(positions)
        self._source_lines = positions.lines
        self._used_names = UsedNames(positions)
        id_possible = workflow_id_possible(self.config, self._used_names.__contains__)
        sites = [(finding, site_node, reason_left_before_planning(
                      finding, self.config, unsafe_fixes=self.unsafe_fixes, id_possible=id_possible))
                 for finding, site_node in locator.locate_all(self._findings)
                 if finding.target in self.PLANNERS or self.REPORT_ALL]
        # the scopes need only cover the sites a planner looks at
        self._planned_lines = [(finding.line, finding.end_line) for finding, site_node, reason in sites
                               if reason is None and site_node is not None]
        for finding, site_node, reason in sites:
            outcome = SiteOutcome(finding.code, finding.line, finding.col, finding.target)
            try:
                plan = self._plan(finding, site_node, reason)
            except Unfixable as exc:
                self._leave(replace(outcome, message=str(exc)), site_node)
                continue
            except RecursionError:
                self._leave(replace(outcome, message="too deeply nested to rewrite"), site_node)
                continue
            except Exception as exc:  # never crash on one site: report it and fix the others
                self._leave(replace(outcome, message=f"internal error while planning: {type(exc).__name__}: {exc}"),
                            site_node)
                continue
            self._commit(plan)
            self.report.fixed.append(outcome)
            if plan.note:
                self.report.notes.append(replace(outcome, message=plan.note))

    def _plan(self, finding: Finding, node: Optional[cst.CSTNode], reason: Optional[str]) -> SitePlan:
        """The site's plan; ``reason``: why it is left whatever its tree (None: it is planned)."""
        if reason is not None:
            raise Unfixable(reason)
        if node is None:
            raise Unfixable("could not locate the site in the syntax tree")
        plan = self.PLANNERS[finding.target](self, Site(finding, node))
        if not finding.fixable and finding.code != "TMP006":
            # the planner found nothing wrong, but the detector knows better
            raise Unfixable("the detector marks this site as not fixable")
        return plan

    def _commit(self, plan: SitePlan) -> None:
        self._replacements.update(plan.replacements)
        if plan.with_item is not None:
            self._with_plans.setdefault(plan.with_item.with_node, {})[plan.with_item.index] = plan.with_item
        if plan.wrap is not None:
            self._wraps.setdefault(plan.wrap.statement, []).append(plan.wrap)
        for function, spec in plan.params:
            if function not in self._params:  # every site of a function computes the same spec
                from tmplint.codemods.triage import ParamAdded
                self.report.params_added.append(ParamAdded(function.name.value, self.line(function)))
                self._params[function] = spec
        for module, obj in plan.imports:
            AddImportsVisitor.add_needed_import(self.context, module, obj)
        self._removed.extend(plan.removed)

    def _schedule_import_removals(self) -> None:
        """Let the removal pass look at an import only when every use of it is inside the code
        the rewrites replace (it re-checks on the new tree; this spares that work in the common
        case where the import stays)."""
        self.kept_imports = set()
        removed = [n for n in self._removed]
        if not removed:
            return
        inside = self._inside_any(removed)
        # what a rewrite may leave out of the new tree: the removed code, every replaced
        # expression (its builder may drop parts of it), every rewritten ``with`` item
        dropped = self._inside_any([*removed, *self._replacements, *(
            with_node.items[index] for with_node, plans in self._with_plans.items() for index in plans)])

        def kept_module(node: cst.CSTNode) -> Optional[str]:
            """The kept module that ``node``'s root name is imported from, if any."""
            if not self.keep_imports:
                return None
            root = node
            while isinstance(root, cst.Attribute):
                root = root.value
            if not isinstance(root, cst.Name):
                return None
            scope = self.scope(root)
            if scope is None:
                return None
            for assignment in scope[root.value]:
                if not isinstance(assignment, ImportAssignment):
                    continue
                statement = assignment.node
                if isinstance(statement, cst.ImportFrom):
                    if statement.relative or statement.module is None:
                        continue
                    names = [get_full_name_for_node(statement.module)]
                elif isinstance(statement, cst.Import):  # the alias that binds the root name
                    names = [alias.evaluated_name for alias in statement.names
                             if (alias.evaluated_alias or alias.evaluated_name.split(".")[0]) == root.value]
                else:
                    continue
                for name in names:
                    for module in self.keep_imports:
                        if name == module or name.startswith(module + "."):
                            return module
            return None

        self.scope(self.module)
        scheduler = ImportRemovalScheduler(self.context, self._scopes or {}, lambda node: not dropped(node))
        for node in removed:
            if self._import_may_become_unused(node, inside):
                module = kept_module(node)
                if module is not None:
                    self.kept_imports.add(module)
                    continue
                try:
                    node.visit(scheduler)
                except ValueError:  # a relative import libcst cannot resolve: keep the imports
                    pass

    def _inside_any(self, nodes: Iterable[cst.CSTNode]) -> Callable[[cst.CSTNode], bool]:
        """Whether a node's source range lies within one of ``nodes``' (in log time: a range
        holds the node when it starts no later and, of those, the furthest end reaches it)."""
        spans = sorted(((w.start.line, w.start.column), (w.end.line, w.end.column))
                       for w in (self.position(n) for n in nodes))
        starts = [start for start, _ in spans]
        furthest = list(accumulate((end for _, end in spans), max))

        def inside(node: cst.CSTNode) -> bool:
            where = self.position(node)
            index = bisect_right(starts, (where.start.line, where.start.column))
            return index > 0 and furthest[index - 1] >= (where.end.line, where.end.column)

        return inside

    def _import_may_become_unused(self, node: cst.CSTNode, inside: Callable[[cst.CSTNode], bool]) -> bool:
        root = node
        while isinstance(root, cst.Attribute):
            root = root.value
        if not isinstance(root, cst.Name):
            return True  # let libcst decide
        scope = self.scope(root)
        if scope is None:
            return True
        imports = [a for a in scope[root.value] if isinstance(a, ImportAssignment)]
        return bool(imports) and all(self._used_only_inside(assignment, inside) for assignment in imports)

    def _used_only_inside(self, assignment: ImportAssignment, inside: Callable[[cst.CSTNode], bool]) -> bool:
        """Whether every reference of the import is ``inside`` the code the rewrites remove: asked
        once per import (a module with thousands of sites has thousands of removed uses of
        ``tempfile``, in as many functions)."""
        known = self._may_become_unused.get(assignment)
        if known is None:
            known = self._may_become_unused[assignment] = all(
                inside(access.node) for access in assignment.references if isinstance(access.node, cst.CSTNode))
        return known

    def _leave(self, outcome: SiteOutcome, node: Optional[cst.CSTNode]) -> None:
        self.report.left.append(outcome)

    def transform_module(self, tree: cst.Module) -> cst.Module:
        try:
            result = super().transform_module(tree)
        finally:
            if self._scopes is not None:
                release_scopes(self._scopes.values())
                self._scopes = None
        if self.add_noqa and self.report.left:
            result = self._mark_left_sites(result)
        return result

    def _mark_left_sites(self, module: cst.Module) -> cst.Module:
        """``--add-noqa``: with the detector's findings for the rewritten text (every one of them is
        a site that was left), add ``# noqa: TMPxxx`` where flake8 and tmplint check read it."""
        path = self.context.filename or "<module>"
        try:
            findings = check_bytes(module.bytes, path, self.config)
            text, changed = add_noqa_comments(module.code, findings)
            if not changed:
                return module
            marked = cst.parse_module(text.encode(module.encoding))
            remaining = check_bytes(marked.bytes, path, self.config)
        except (DetectorError, cst.ParserSyntaxError, UnicodeError):  # pragma: no cover - defensive
            return module
        self.report.noqa_marked = max(0, len(findings) - len(remaining))
        return marked

    # -- the transform

    # This command uses no matcher decorators (@m.visit/@m.leave), so the per-node matcher
    # bookkeeping of libcst's MatcherDecoratableTransformer is skipped: plain CSTTransformer
    # dispatch is several times faster on large modules.

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self._visited is not None and node not in self._visited:
            return False  # nothing is rewritten below this node: it stays as it is
        return cst.CSTTransformer.on_visit(self, node)

    def _nodes_to_visit(self) -> Optional[Set[cst.CSTNode]]:
        """The nodes the transform must descend into: every node a plan rewrites and their
        ancestors. None (all of them) when a function gains the ``workflow_id`` parameter: then
        any call of it, anywhere, may pass the id on."""
        if self._params:
            return None
        visited: Set[cst.CSTNode] = set()
        for node in (*self._replacements, *self._with_plans, *self._wraps):
            while node is not None and node not in visited:
                visited.add(node)
                node = self.parent(node)
        return visited

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        cst.CSTTransformer.on_visit_attribute(self, node, attribute)

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        cst.CSTTransformer.on_leave_attribute(self, original_node, attribute)

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):  # type: ignore[override]
        result = cst.CSTTransformer.on_leave(self, original_node, updated_node)
        builder = self._replacements.get(original_node)
        if builder is not None and isinstance(result, cst.CSTNode):
            new = builder(result)
            # keep the parentheses the original expression had (and the line breaks inside them)
            if getattr(result, "lpar", None) and hasattr(new, "lpar") and not new.lpar:  # type: ignore[attr-defined]
                new = new.with_changes(lpar=result.lpar, rpar=result.rpar)  # type: ignore[attr-defined]
            self._keep_comments(original_node, result, new)
            result = self._fit_line(original_node, new)
            self._built_since_statement += 1
        lost = self._lost_comments.pop(original_node, None)
        if lost and isinstance(result, cst.CSTNode) and hasattr(result, "leading_lines"):
            added = [cst.EmptyLine(indent=True, comment=cst.Comment(text)) for text in lost]
            result = result.with_changes(leading_lines=[*result.leading_lines, *added])  # type: ignore[attr-defined]
        return result

    def _fit_line(self, original: cst.CSTNode, new: cst.CSTNode) -> cst.CSTNode:
        """A new call that would make its line longer than the project's line length gets one
        argument per line (not inside an f-string, where a line break is not allowed)."""
        if not isinstance(new, cst.Call) or not self._whole_expression(original):
            return new
        where = self.position(original)
        lines = self._source_lines
        first, last = lines[where.start.line - 1], lines[where.end.line - 1]
        used = len(first[:where.start.column]) + len(last[where.end.column:])
        if where.start.line == where.end.line and used + len(cst.Module([]).code_for_node(new)) <= len(first):
            return new  # no longer than the line was: the rewrite made no line too long
        return build.fit_call(new, used, read_project_style(self.context.filename).line_length)

    def _whole_expression(self, node: cst.CSTNode) -> bool:
        """Whether ``node`` is all of its statement's expression (an assigned, returned or ``with``
        value, a call statement): a line break in its brackets is where a formatter puts one."""
        parent = self.parent(node)
        if isinstance(parent, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
            return parent.value is node
        return isinstance(parent, (cst.Return, cst.Expr)) or (isinstance(parent, cst.WithItem) and parent.item is node)

    def _keep_comments(self, original: cst.CSTNode, before: cst.CSTNode, after: cst.CSTNode) -> None:
        """Record the comments of ``before`` that ``after`` (its replacement) no longer has."""
        dropped = _comments(before)
        if not dropped:
            return
        for text in _comments(after):
            if text in dropped:
                dropped.remove(text)
        if dropped:
            statement = next((a for a in [original, *self.ancestors(original)]
                              if isinstance(a, (cst.SimpleStatementLine, cst.BaseCompoundStatement))), None)
            if statement is not None:
                self._lost_comments.setdefault(statement, []).extend(dropped)

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine,
                                  updated_node: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
        if self._built_since_statement >= 2:
            self._hoist.add(original_node)
        self._built_since_statement = 0
        return updated_node

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        body = self._rewrite_body(original_node.body, updated_node.body)
        return updated_node.with_changes(body=body) if body is not None else updated_node

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock,
                            updated_node: cst.IndentedBlock) -> cst.IndentedBlock:
        body = self._rewrite_body(original_node.body, updated_node.body)
        return updated_node.with_changes(body=body) if body is not None else updated_node

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        """With ``add-workflow-param``: a call, from a function that gained ``workflow_id``, of
        another function of the module that gained it passes it on, so one job's files stay in
        one job's dir."""
        if not self._params or not self._forwards_workflow_id(original_node):
            return updated_node
        return build.add_keyword(updated_node, "workflow_id", build.name("workflow_id"))

    def _forwards_workflow_id(self, call: cst.Call) -> bool:
        caller = self.enclosing_def(call)
        if caller is None or any(a.star or (a.keyword and a.keyword.value == "workflow_id") for a in call.args):
            return False
        own = [p.name.value for p in (*caller.params.posonly_params, *caller.params.params,
                                      *caller.params.kwonly_params)]
        if caller not in self._params and "workflow_id" not in own:
            return False
        callee = self._called_function(call, caller)  # type: ignore[arg-type]
        return callee is not None and callee in self._params

    def _called_function(self, call: cst.Call, caller: cst.FunctionDef) -> Optional[cst.FunctionDef]:
        """The module's function ``f`` for ``f(...)``, or the method ``m`` of the caller's class
        for ``self.m(...)``; None for anything else (or a name bound to something else too)."""
        func = call.func
        if isinstance(func, cst.Name):
            scope = self.scope(func)
            bindings = list(scope[func.value]) if scope is not None else []
            node = getattr(bindings[0], "node", None) if len(bindings) == 1 else None
            return node if isinstance(node, cst.FunctionDef) else None
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)):
            return None
        block = self.parent(caller)
        klass = self.parent(block) if block is not None else None
        params = [*caller.params.posonly_params, *caller.params.params]
        if not isinstance(klass, cst.ClassDef) or not params or params[0].name.value != func.value.value:
            return None
        body = klass.body.body if isinstance(klass.body, cst.IndentedBlock) else ()
        return next((s for s in body if isinstance(s, cst.FunctionDef) and s.name.value == func.attr.value), None)

    def leave_FunctionDef(self, original_node: cst.FunctionDef,
                          updated_node: cst.FunctionDef) -> cst.FunctionDef:
        if original_node in self._params:
            from tmplint.codemods.workflow_id import add_parameter

            return add_parameter(updated_node, self._params[original_node])
        return updated_node

    def _rewrite_body(self, original: Sequence[cst.CSTNode],
                      updated: Sequence[cst.CSTNode]) -> Optional[List[cst.BaseStatement]]:
        if len(original) != len(updated):  # pragma: no cover - no statement is ever removed
            return None
        if not any(o in self._with_plans or o in self._wraps or o in self._hoist for o in original):
            return None
        out: List[cst.BaseStatement] = []
        wraps: List[Tuple[int, Wrap]] = []
        position: Dict[cst.CSTNode, int] = {}
        hoisted: Dict[str, str] = {}  # a helper call made once in this block -> its local
        for orig, upd in zip(original, updated):
            if orig in self._with_plans:
                out.extend(self._build_with(self._with_plans[orig], upd))  # type: ignore[arg-type]
            elif orig in self._hoist:
                out.extend(self._hoist_repeated_helper_call(orig, upd, hoisted))  # type: ignore[arg-type]
            else:
                out.append(upd)  # type: ignore[arg-type]
            position[orig] = len(out) - 1
            for wrap in self._wraps.get(orig, []):  # type: ignore[arg-type]
                wraps.append((len(out) - 1, wrap))
        for index, wrap in reversed(wraps):
            out = self._wrap_rest(out, index, wrap, position)
        return out

    def _hoist_repeated_helper_call(self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine,
                                    hoisted: Dict[str, str]) -> List[cst.BaseStatement]:
        """``tmp_dir = get_temp_dir(WID)`` before a statement that the rewrites gave the same
        helper call two or more times, and the calls replaced by ``tmp_dir`` (the call only makes
        the job's dir, so once is the same as three times); a later statement of the same block
        reuses ``tmp_dir`` (``hoisted``: call -> local)."""
        calls: Dict[str, List[cst.Call]] = {}

        class Collect(cst.CSTVisitor):
            def visit_Call(self, call: cst.Call) -> None:
                if isinstance(call.func, cst.Name) and call.func.value == "get_temp_dir":
                    calls.setdefault(cst.Module([]).code_for_node(call), []).append(call)

        updated.visit(Collect())
        code, repeated = next(((c, group) for c, group in calls.items() if len(group) >= 2), ("", None))
        if repeated is None or self.enclosing_def(original) is None:
            return [updated]
        known = hoisted.get(code)
        try:
            var = known or self.fresh_name(original, "tmp_dir")
        except Unfixable:
            return [updated]
        hoisted[code] = var
        targets = {id(call) for call in repeated}

        class Replace(cst.CSTTransformer):
            def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
                return build.name(var) if id(original_node) in targets else updated_node

        replaced = updated.visit(Replace())
        if known:
            return [replaced]  # type: ignore[list-item]
        assign = build.assign(var, repeated[0].deep_clone(), leading=updated.leading_lines)
        return [assign, replaced.with_changes(leading_lines=[])]  # type: ignore[union-attr]

    def _wrap_rest(self, out: List[cst.BaseStatement], index: int, wrap: Wrap,
                   position: Dict[cst.CSTNode, int]) -> List[cst.BaseStatement]:
        """``out`` with the statements after ``out[index]`` (up to ``wrap.until``/``wrap.through``)
        in ``try: ... finally: <cleanup>``, or the cleanup added to the finally of the one
        ``try`` statement they are."""
        if wrap.until is not None:
            end, after = position[wrap.until], out[position[wrap.until] + 1:]
        elif wrap.through is not None:
            end = position[wrap.through] + 1
            after = out[end:]
        else:
            end, after = len(out), []
        rest = out[index + 1:end]
        if not rest:
            return out
        cleanup = build.expression_statement(wrap.cleanup())
        final_leading: Sequence[cst.EmptyLine] = ()
        if wrap.until is not None:  # its comments move with it into the finally
            replaced = out[end]
            final_leading = [line for line in replaced.leading_lines if line.comment is not None]
            if isinstance(replaced, cst.SimpleStatementLine) and replaced.trailing_whitespace.comment:
                cleanup = cleanup.with_changes(trailing_whitespace=replaced.trailing_whitespace)
        only = rest[0] if len(rest) == 1 else None
        if isinstance(only, cst.Try) and only.finalbody is not None and not final_leading:
            # one try/finally already: the cleanup goes last in its finally, not in a second try
            final = only.finalbody
            statements = [*build.as_statements(final.body), cleanup]
            body = final.body.with_changes(body=statements) if isinstance(final.body, cst.IndentedBlock) \
                else cst.IndentedBlock(body=statements)
            return out[:index + 1] + [only.with_changes(finalbody=final.with_changes(body=body))] + after
        leading = list(rest[0].leading_lines)
        rest[0] = rest[0].with_changes(leading_lines=[])
        return out[:index + 1] + [build.try_finally(rest, [cleanup], leading=leading,
                                                   final_leading=final_leading)] + after

    def _build_with(self, plans: Dict[int, WithItemRewrite], node: cst.With) -> List[cst.BaseStatement]:
        parenthesized = isinstance(node.lpar, cst.LeftParen)

        def make_with(items: List[cst.WithItem], body: cst.BaseSuite) -> cst.With:
            fixed_items = []
            for i, item in enumerate(items):
                if parenthesized and isinstance(item.comma, cst.Comma):
                    fixed_items.append(item)  # inside parentheses any comma (and line break) is fine
                elif i == len(items) - 1:
                    fixed_items.append(item.with_changes(comma=cst.MaybeSentinel.DEFAULT))
                else:
                    fixed_items.append(item.with_changes(
                        comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))))
            extra = {"lpar": node.lpar, "rpar": node.rpar} if parenthesized else {}
            return cst.With(items=fixed_items, body=body, **extra)

        def chain(items: List[Tuple[Optional[int], cst.WithItem]], body: cst.BaseSuite,
                  header: Optional[cst.TrailingWhitespace]) -> List[cst.BaseStatement]:
            k = next((i for i, (index, _) in enumerate(items) if index in plans), None)
            if k is None:
                return [make_with([item for _, item in items], body)]
            outer = [item for _, item in items[:k]]
            site_index, site_item = items[k]
            rest = items[k + 1:]
            plan = plans[site_index]  # type: ignore[index]
            call = site_item.item
            if not isinstance(call, cst.Call):  # pragma: no cover - planned on a call
                raise RuntimeError("with item is not a call")
            made = plan.make_path(call)
            if isinstance(made, cst.Call):  # `var = helper(...)` at the with statement's indentation
                made = build.fit_call(made, self.position(plan.with_node).start.column + len(plan.var) + 3,
                                      read_project_style(self.context.filename).line_length)
            pre = build.assign(plan.var, made)
            target = plan.cleanup_target() if plan.cleanup_target is not None else build.name(plan.var)
            cleanup = build.expression_statement(build.call("cleanup_temp_path", [target]))
            if plan.kind == "file" and plan.open_expr is not None:
                opened = site_item.with_changes(item=plan.open_expr(call))
                inner = chain([(None, opened)] + rest, body, None if outer else header)
            else:
                if rest:
                    inner = chain(rest, body, None if outer else header)
                else:
                    inner = build.as_statements(body)
                    if header is not None and header.comment is not None:
                        pre = pre.with_changes(trailing_whitespace=header)  # the with line's comment
                if plan.bind_target and site_item.asname is not None:
                    target = site_item.asname.name.deep_clone()
                    inner = [build.assign(target, build.name(plan.var))] + inner  # type: ignore[arg-type]
            statements: List[cst.BaseStatement] = [pre, build.try_finally(inner, [cleanup])]
            if outer:
                return [make_with(outer, cst.IndentedBlock(body=statements))]
            return statements

        header = node.body.header if isinstance(node.body, cst.IndentedBlock) else None
        result = chain(list(enumerate(node.items)), node.body, header)  # type: ignore[arg-type]
        result[0] = result[0].with_changes(leading_lines=node.leading_lines)
        return result


def _comments(node: cst.CSTNode) -> List[str]:
    """The text of every comment inside ``node``, in order."""
    found: List[str] = []

    class Collect(cst.CSTVisitor):
        def visit_Comment(self, comment: cst.Comment) -> None:
            found.append(comment.value)

    node.visit(Collect())
    return found



__all__ = [
    "FixReport", "SiteOutcome", "SitePlan", "Site", "TmplintCommand", "Unfixable", "WithItemRewrite", "Wrap",
    "all_planners",
]
