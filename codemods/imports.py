"""The import passes libcst runs after the engine's transform, and what an import statement binds.

``TopLevelAddImportsVisitor`` adds the imports the plans need where ruff/isort would put them (section,
sorted position, wrapping); ``TidyRemoveImportsVisitor`` removes the ones the rewrites left unused
without leaving their comments and blank lines behind.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import fields, replace
from itertools import takewhile
from pathlib import Path
from typing import Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Set, Tuple, Union

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, GatherUnusedImportsVisitor, RemoveImportsVisitor
from libcst.codemod.visitors._remove_imports import RemovedNodeVisitor
from libcst.helpers import get_full_name_for_node
from libcst.metadata import Assignment, MetadataWrapper, Scope, ScopeProvider

from tmplint.codemods import build
from tmplint.codemods.scopes import release_scopes


def _is_import_line(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.SimpleStatementLine) and all(
        isinstance(small, (cst.Import, cst.ImportFrom)) for small in node.body)


def _one_import(node: cst.CSTNode) -> bool:
    """A line of one ``import`` or ``from … import`` statement."""
    return isinstance(node, cst.SimpleStatementLine) and len(node.body) == 1 and \
        isinstance(node.body[0], (cst.Import, cst.ImportFrom))


def _strip_blank_leading(statements: Sequence[cst.BaseStatement]) -> List[cst.BaseStatement]:
    """The first statement without the blank lines before its first comment (a block or a module
    never starts with a blank line)."""
    out = list(statements)
    if out and out[0].leading_lines:
        lines = list(out[0].leading_lines)
        while lines and lines[0].comment is None:
            lines.pop(0)
        out[0] = out[0].with_changes(leading_lines=lines)
    return out


def _blank_run(lines: Sequence[cst.EmptyLine], from_end: bool = False) -> int:
    count = 0
    for line in (reversed(lines) if from_end else lines):
        if line.comment is not None:
            break
        count += 1
    return count


def _merge_leading(carried: Sequence[cst.EmptyLine], own: Sequence[cst.EmptyLine]) -> List[cst.EmptyLine]:
    """The lines of a removed statement followed by the next statement's own lines, where the
    blank lines that met (after the removed one's comments, before the next one's) are as many
    as the larger of the two runs, not their sum."""
    carried, own = list(carried), list(own)
    tail, head = _blank_run(carried, from_end=True), _blank_run(own)
    if tail and head:
        keep = max(tail, head)
        carried = carried[:len(carried) - tail]
        own = own[head - keep:] if head >= keep else [cst.EmptyLine()] * (keep - head) + own
    return carried + own


class TopLevelAddImportsVisitor(AddImportsVisitor):
    """libcst's AddImportsVisitor without its walks through the whole module: it only reads and
    changes the imports at the top of the module (the simple statements before the first other
    statement), so it skips every compound statement and every line without a ``from … import``,
    and needs no metadata (so no copy of the
    module for a metadata wrapper). On a large module this pass was a quarter of the fix.

    It also places imports the way isort/ruff would (so ``ruff check --select I001`` finds nothing
    the original did not have): a new ``import``/``from … import`` goes into its section (future,
    standard library, third party, first party, local) at its sorted position, opening the
    section with a blank line when it is the section's first import; a name added to an existing
    ``from … import`` goes in sorted position (ruff's order-by-type); a line longer than the
    project's line length is wrapped one name per line.

    Sections: the helper module (and any other module) is first-party when the project lists it
    in ``known-first-party`` (``[tool.ruff.lint.isort]``, ``[tool.isort]``) or it is a module or
    package at the project root or under ``src/`` (what ruff itself detects); third-party
    otherwise. A helper installed as a separate distribution is therefore third-party, as ruff
    run in the project sees it."""

    def __init__(self, context: CodemodContext, imports: Sequence[object] = ()) -> None:
        from tmplint.config import read_project_style

        super().__init__(context, imports)  # type: ignore[arg-type]
        self._style = read_project_style(context.filename)
        #: ImportFrom nodes this pass gave new names (their lines may need wrapping)
        self._grown: Set[int] = set()

    @contextmanager
    def _handle_metadata_reference(self, module: cst.Module) -> Iterator[cst.Module]:
        yield module

    def visit_Module(self, node: cst.Module) -> None:
        # the gatherer reads the first statement (skipped when a docstring) and the lines of one
        # import each right after it, and walks whatever it is given: hand it just those
        body = node.body
        read: List[cst.BaseStatement] = []
        if body and isinstance(body[0], cst.SimpleStatementLine):
            read = [body[0], *takewhile(_one_import, body[1:])]
        super().visit_Module(node.with_changes(body=read))

    def on_visit(self, node: cst.CSTNode) -> bool:
        # what this pass changes is a ``from … import`` (and its line); nothing below a compound
        # statement or in another simple statement line
        if isinstance(node, cst.BaseCompoundStatement) or (
                isinstance(node, cst.SimpleStatementLine) and not any(isinstance(small, cst.ImportFrom)
                                                                      for small in node.body)):
            return False
        return super().on_visit(node)

    def on_leave(self, original_node, updated_node):  # type: ignore[no-untyped-def]
        if isinstance(original_node, cst.BaseCompoundStatement):
            return updated_node
        return super().on_leave(original_node, updated_node)

    def leave_ImportFrom(self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom) -> cst.ImportFrom:
        if isinstance(updated_node.names, cst.ImportStar) or original_node not in self.all_imports \
                or updated_node.relative or updated_node.module is None:
            return super().leave_ImportFrom(original_node, updated_node)
        module = get_full_name_for_node(updated_node.module)
        if module not in self.module_mapping or module in self.alias_mapping:
            return super().leave_ImportFrom(original_node, updated_node)
        names = self.module_mapping.pop(module)
        result = _with_names(updated_node, names)
        self._grown.add(id(result))
        return result

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine,
                                  updated_node: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
        if any(id(small) in self._grown for small in updated_node.body):
            return _wrap_import(updated_node, self._style.line_length)
        return updated_node

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        new: List[Tuple[int, Tuple[bool, str, str], str]] = []
        config = updated_node.config_for_parsing
        for module in sorted(self.module_imports):
            new.append((self._section(module), _module_key(False, module), f"import {module}"))
        for module, asname in self.module_aliases.items():
            new.append((self._section(module), _module_key(False, module), f"import {module} as {asname}"))
        names: Dict[str, List[str]] = {}
        for module, objects in self.module_mapping.items():
            names.setdefault(module, []).extend(sorted(objects, key=_member_key))
        for module, pairs in self.alias_mapping.items():
            names.setdefault(module, []).extend(f"{obj} as {alias}" for obj, alias in sorted(pairs))
        for module, items in names.items():
            if items:
                new.append((self._section(module), _module_key(True, module),
                            f"from {module} import {', '.join(items)}"))
        if not new:
            return updated_node
        body = list(updated_node.body)
        start = 1 if _skip_first(original_node) else 0
        for section, key, text in sorted(new):
            statement = _wrap_import(cst.parse_statement(text, config=config), self._style.line_length)
            body = _place_import(body, start, statement, section, key, self._section)  # type: ignore[arg-type]
        return updated_node.with_changes(body=body)

    def _section(self, module: str) -> int:
        return _import_section(module, self._style.is_first_party)


# isort's sections, in order
_FUTURE, _STDLIB, _THIRD_PARTY, _FIRST_PARTY, _LOCAL = range(5)


def _skip_first(module: cst.Module) -> bool:
    """Whether the module starts with a docstring or ``__strict__`` (imports go after it)."""
    if not module.body or not isinstance(module.body[0], cst.SimpleStatementLine):
        return False
    first = module.body[0].body[0] if module.body[0].body else None
    if isinstance(first, cst.Expr) and isinstance(first.value, (cst.SimpleString, cst.ConcatenatedString)):
        return True
    return isinstance(first, cst.Assign) and len(first.targets) == 1 \
        and isinstance(first.targets[0].target, cst.Name) and first.targets[0].target.value == "__strict__"


def _is_stdlib(top: str) -> bool:
    import sys
    import sysconfig

    names = getattr(sys, "stdlib_module_names", None)
    if names is not None:
        return top in names
    if top in sys.builtin_module_names:  # pragma: no cover - Python < 3.10 only
        return True
    stdlib = Path(sysconfig.get_paths()["stdlib"])  # pragma: no cover
    return (stdlib / f"{top}.py").is_file() or (stdlib / top / "__init__.py").is_file() or any(
        (stdlib / "lib-dynload").glob(f"{top}.*"))


def _import_section(module: str, is_first_party: Callable[..., bool]) -> int:
    if module == "__future__":
        return _FUTURE
    if is_first_party(module, _is_stdlib):
        return _FIRST_PARTY
    return _STDLIB if _is_stdlib(module.split(".")[0]) else _THIRD_PARTY


def _module_key(is_from: bool, module: str) -> Tuple[bool, str, str]:
    """ruff's default order within a section: plain imports first, then from-imports, each by
    module name ignoring case."""
    return (is_from, module.lower(), module)


def _member_key(name: str) -> Tuple[int, str, str]:
    """ruff's order-by-type: CONSTANTS, then Classes, then everything else, each ignoring case."""
    bare = name.split(" as ")[0]
    kind = 0 if len(bare) > 1 and bare.isupper() else 1 if bare[:1].isupper() else 2
    return (kind, bare.lower(), bare)


def _statement_import(statement: cst.CSTNode) -> Optional[Tuple[int, Tuple[bool, str, str], Optional[str]]]:
    """(relative level, sort key, module) of an import line's first import, or None."""
    if not _is_import_line(statement):
        return None
    small = statement.body[0]  # type: ignore[attr-defined]
    if isinstance(small, cst.Import):
        module = get_full_name_for_node(small.names[0].name)
        return 0, _module_key(False, module), module
    dots = len(small.relative)
    module = get_full_name_for_node(small.module) if small.module is not None else ""
    return dots, _module_key(True, ("." * dots) + module), module


def _place_import(body: List[cst.BaseStatement], start: int, statement: cst.SimpleStatementLine,
                  section: int, key: Tuple[bool, str, str],
                  section_of: Callable[[str], int]) -> List[cst.BaseStatement]:
    """``body`` with ``statement`` inserted into the import block that starts at ``start``."""
    end = _import_block_end(body, start)
    sections = [_line_section(line, section_of) for line in body[start:end]]
    same = [start + i for i, s in enumerate(sections) if s == section]
    if same:
        at, statement = _place_in_section(body, start, statement, same, key)
        return body[:at] + [statement] + body[at:]
    before = [start + i for i, s in enumerate(sections) if s < section]
    at, statement = _place_new_section(body, start, end, statement, before)
    _separate_next_line(body, at, end)
    return body[:at] + [statement] + body[at:]


def _import_block_end(body: Sequence[cst.BaseStatement], start: int) -> int:
    """The index after the run of import lines that starts at ``start``."""
    end = start
    while end < len(body) and _is_import_line(body[end]):
        end += 1
    return end


def _line_section(line: cst.BaseStatement, section_of: Callable[[str], int]) -> int:
    """The isort section of an import line."""
    level, _, module = _statement_import(line)  # type: ignore[misc]
    return _LOCAL if level else section_of(module or "")


def _take_leading_lines(body: List[cst.BaseStatement], at: int, statement: cst.SimpleStatementLine,
                        count: int) -> cst.SimpleStatementLine:
    """``statement`` with the first ``count`` leading lines of ``body[at]``, which loses them."""
    lines = list(body[at].leading_lines)
    body[at] = body[at].with_changes(leading_lines=lines[count:])
    return statement.with_changes(leading_lines=lines[:count])


def _place_in_section(body: List[cst.BaseStatement], start: int, statement: cst.SimpleStatementLine,
                      same: Sequence[int], key: Tuple[bool, str, str]) -> Tuple[int, cst.SimpleStatementLine]:
    """Where ``statement`` goes among the lines ``same`` of its own section (in sorted order),
    and the statement with the leading lines it takes over there."""
    later = [i for i in same if _statement_import(body[i])[1] > key]  # type: ignore[index]
    if not later:
        return same[-1] + 1, statement
    at = later[0]
    if at == same[0] and at > start:  # a new first import of its group takes the group's blank line
        statement = _take_leading_lines(body, at, statement, _blank_run(list(body[at].leading_lines)))
    elif at == same[0] and at == start:  # the first line of the block: before its comments
        statement = _take_leading_lines(body, at, statement, len(body[at].leading_lines))
    return at, statement


def _place_new_section(body: List[cst.BaseStatement], start: int, end: int, statement: cst.SimpleStatementLine,
                       before: Sequence[int]) -> Tuple[int, cst.SimpleStatementLine]:
    """Where ``statement`` opens its section (after the lines ``before`` of earlier sections),
    and the statement with the blank line that separates it."""
    if before:
        return before[-1] + 1, statement.with_changes(leading_lines=[cst.EmptyLine()])
    if start < end:  # the block's first line: the new section goes first, with its lines
        return start, _take_leading_lines(body, start, statement, _blank_run(list(body[start].leading_lines)))
    if start > 0:
        return start, statement.with_changes(leading_lines=[cst.EmptyLine()])  # after the docstring
    return start, statement


def _separate_next_line(body: List[cst.BaseStatement], at: int, end: int) -> None:
    """A blank line (two before a definition after the imports) above ``body[at]``, the statement
    after a new section, unless it has one."""
    if at < len(body):
        lines = list(body[at].leading_lines)
        if not _blank_run(lines):
            wanted = 2 if at >= end and _is_definition(body[at]) else 1
            body[at] = body[at].with_changes(leading_lines=[cst.EmptyLine()] * wanted + lines)


def _is_definition(statement: cst.CSTNode) -> bool:
    return isinstance(statement, (cst.FunctionDef, cst.ClassDef))


def _plain_comma(comma: object) -> cst.Comma:
    """A separator like ``comma`` (same line breaks and indentation), without its comment."""
    if not isinstance(comma, cst.Comma):
        return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    after = comma.whitespace_after
    if isinstance(after, cst.ParenthesizedWhitespace):
        after = after.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
    return comma.with_changes(whitespace_after=after)


def _with_names(node: cst.ImportFrom, names: Iterable[str]) -> cst.ImportFrom:
    """``node`` importing ``names`` too, each at its sorted place, in the statement's own layout
    (one line, or one name per line); every comment stays on the name it was written after."""
    aliases = list(node.names)  # type: ignore[arg-type]
    lpar_after = node.lpar.whitespace_after if isinstance(node.lpar, cst.LeftParen) else None
    for name in sorted(names, key=_member_key):
        if len(aliases) > 1:
            separator = _plain_comma(aliases[0].comma)
        elif isinstance(lpar_after, cst.ParenthesizedWhitespace):
            separator = cst.Comma(whitespace_after=cst.ParenthesizedWhitespace(
                first_line=cst.TrailingWhitespace(), indent=True, last_line=lpar_after.last_line))
        else:
            separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        new = cst.ImportAlias(name=build.dotted(name))  # type: ignore[arg-type]
        at = next((i for i, a in enumerate(aliases) if _member_key(a.evaluated_name) > _member_key(name)),
                  len(aliases))
        if at < len(aliases):
            aliases.insert(at, new.with_changes(comma=separator))
            continue
        last = aliases[-1]
        if isinstance(last.comma, cst.Comma):  # a trailing comma: it stays last, the old last gets a separator
            after = last.comma.whitespace_after
            if isinstance(after, cst.ParenthesizedWhitespace) and isinstance(
                    separator.whitespace_after, cst.ParenthesizedWhitespace):
                last_comma = last.comma.with_changes(
                    whitespace_after=after.with_changes(last_line=separator.whitespace_after.last_line))
            else:
                last_comma = separator
            aliases[-1] = last.with_changes(comma=last_comma)
            aliases.append(new.with_changes(comma=_plain_comma(last.comma)))
        else:
            aliases[-1] = last.with_changes(comma=separator)
            aliases.append(new)
    return node.with_changes(names=aliases)


def _wrap_import(line: cst.SimpleStatementLine, line_length: int) -> cst.SimpleStatementLine:
    """A one-line ``from … import a, b`` longer than ``line_length`` as ruff/isort wrap it:
    parenthesized, one name per line, with a trailing comma."""
    if len(line.body) != 1 or not isinstance(line.body[0], cst.ImportFrom):
        return line
    node = line.body[0]
    if isinstance(node.names, cst.ImportStar) or isinstance(node.lpar, cst.LeftParen):
        return line
    text = cst.Module([]).code_for_node(line.with_changes(leading_lines=[]))
    if len(text.split("\n")[0]) <= line_length:
        return line

    names = list(node.names)
    names = [a.with_changes(comma=cst.Comma(whitespace_after=build.line_break("    " if i < len(names) - 1 else "")))
             for i, a in enumerate(names)]
    return line.with_changes(body=[node.with_changes(
        names=names, lpar=cst.LeftParen(whitespace_after=build.line_break("    ")), rpar=cst.RightParen())])


#: the nodes the removal pass descends into: statements and the parts of compound statements
#: that hold statements (an import is never inside an expression)
_STATEMENT_LEVEL = (cst.Module, cst.BaseCompoundStatement, cst.BaseSuite, cst.SimpleStatementLine, cst.Import,
                    cst.ImportFrom, cst.Else, cst.ExceptHandler, cst.ExceptStarHandler, cst.Finally, cst.MatchCase)
_WORD = re.compile(r"\w+")


def unused_imports_among(context: CodemodContext, module: cst.Module,
                         keep: Callable[[cst.BaseStatement], bool]) -> Dict[cst.ImportAlias, cst.CSTNode]:
    """The import aliases of ``module`` (with their statements) that libcst's
    ``GatherUnusedImportsVisitor`` finds unused, analyzing only the statements ``keep`` keeps
    (a kept ``def``/``class`` keeps only such statements of its body)."""
    reduced = module.with_changes(body=_kept_statements(module.body, keep))
    wrapper = MetadataWrapper(reduced, unsafe_skip_copy=True)
    wrapper.resolve_many(GatherUnusedImportsVisitor.get_inherited_dependencies())
    gatherer = GatherUnusedImportsVisitor(replace(context, wrapper=wrapper))
    wrapper.visit(gatherer)
    release_scopes(wrapper.resolve(ScopeProvider).values())
    return dict(gatherer.unused_imports)


def _kept_statements(body: Sequence[cst.BaseStatement], keep: Callable[[cst.BaseStatement], bool]
                     ) -> List[cst.BaseStatement]:
    kept: List[cst.BaseStatement] = []
    for statement in body:
        if not keep(statement):
            continue
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)) and isinstance(statement.body, cst.IndentedBlock):
            inner = _kept_statements(statement.body.body, keep)
            statement = statement.with_changes(body=statement.body.with_changes(body=inner))
        kept.append(statement)
    return kept


_FIELDS: Dict[type, Tuple[str, ...]] = {}


def _field_values(node: cst.CSTNode) -> Iterator[object]:
    """The values of ``node``'s fields, a sequence's items one by one."""
    names = _FIELDS.get(type(node))
    if names is None:
        names = _FIELDS[type(node)] = tuple(field.name for field in fields(node))
    for name in names:
        value = getattr(node, name)
        if isinstance(value, (list, tuple)):
            yield from value
        else:
            yield value


class ImportRemovalScheduler(RemovedNodeVisitor):
    """libcst's ``remove_unused_import_by_node`` visitor (each name of a node the rewrite removes
    schedules the imports it comes from), reading the given scopes instead of a new analysis,
    and not scheduling an import that surely stays used: one with a reference that ``survives``
    (outside the code the rewrites drop), which libcst's check on the new tree would find too.
    Scheduling less only spares work: ``TidyRemoveImportsVisitor`` decides what goes."""

    def __init__(self, context: CodemodContext, scopes: Mapping[cst.CSTNode, Optional[Scope]],
                 survives: Callable[[cst.CSTNode], bool]) -> None:
        super().__init__(context)
        self._scopes = scopes
        self._survives = survives
        #: assignment -> whether one of its references survives (asked once per binding)
        self._used: Dict[Assignment, bool] = {}

    def _visit_name_attr_alike(self, node: Union[cst.Name, cst.Attribute]) -> None:
        local_name = get_full_name_for_node(node)
        scope = self._scopes.get(node)
        if local_name is None or scope is None:
            return
        while True:  # as libcst: the bindings of the name in this scope and every enclosing one
            for assignment in scope.assignments[node]:
                if not isinstance(assignment, Assignment) or self._surely_used(assignment):
                    continue
                if isinstance(assignment.node, cst.Import):
                    self._remove_imports_from_import_stmt(local_name, assignment.node)
                elif isinstance(assignment.node, cst.ImportFrom):
                    self._remove_imports_from_importfrom_stmt(local_name, assignment.node)
            if scope is scope.parent:
                break
            scope = scope.parent

    def _surely_used(self, assignment: Assignment) -> bool:
        used = self._used.get(assignment)
        if used is None:
            used = self._used[assignment] = any(isinstance(access.node, cst.CSTNode) and self._survives(access.node)
                                                for access in assignment.references)
        return used


class TidyRemoveImportsVisitor(RemoveImportsVisitor):
    """libcst's RemoveImportsVisitor, plus: no comment or blank line goes with a removed import.
    The comments above a removed import line (a section header) and its blank lines move to the
    next statement (where two runs of blank lines meet, the longer one stays); when the first
    statement of a block (a function-local ``import tempfile``) or of the module goes away, the
    block does not start with a blank line; when the last one goes, its comments stay at the end
    of the block.

    Faster than libcst's on a large module, same result: no scope analysis of the whole module
    (``unused_imports_among`` analyzes only the code that spells a name to remove), and the
    pass walks the statements only, not into expressions."""

    def __init__(self, context: CodemodContext, unused_imports: Sequence[object] = (),
                 source_of: Callable[[cst.CSTNode], Optional[str]] = lambda node: None) -> None:
        super().__init__(context, unused_imports)  # type: ignore[arg-type]
        #: original import lines that lost all their imports
        self._dropped: Set[cst.SimpleStatementLine] = set()
        #: the source text of a node of the module as parsed (None for a node the rewrites made,
        #: or one whose text is not at hand), a cheaper way to its words than printing it
        self._source_of = source_of
        #: the names the imports to remove bind (their first dotted part)
        self._names: Set[str] = set()
        self._spelling: Dict[cst.CSTNode, bool] = {}

    @contextmanager
    def _handle_metadata_reference(self, module: cst.Module) -> Iterator[cst.Module]:
        yield module  # the metadata is computed on a reduced module in visit_Module

    def _matters(self, statement: cst.BaseStatement) -> bool:
        """Whether an import to remove can be in ``statement`` or used by it: it is an import
        line, or it spells one of the names (as a word, in comments and strings too). Whether an
        import is used (referenced, in ``__all__``, in a string annotation) depends only on the
        code that spells its name, and the import lines (they decide what ``typing.cast`` is)."""
        if _is_import_line(statement):
            return True
        known = self._spelling.get(statement)
        if known is None:
            known = self._spelling[statement] = self._spells_a_name(statement)
        return known

    def _spells_a_name(self, node: cst.CSTNode) -> bool:
        """Whether ``node`` spells one of the names as a word: in its source text when it is a
        node of the module as parsed, else in its own strings (names, strings, comments: every
        spelling of a name its code holds) and its children's."""
        text = self._source_of(node)
        if text is not None:
            return not self._names.isdisjoint(_WORD.findall(text))
        for value in _field_values(node):
            if isinstance(value, cst.CSTNode):
                if self._spells_a_name(value):
                    return True
            elif isinstance(value, str) and not self._names.isdisjoint(_WORD.findall(value)):
                return True
        return False

    def visit_Module(self, node: cst.Module) -> None:
        self._names = {(asname or module).split(".")[0] for module, asname in self.unused_module_imports.items()}
        self._names |= {asname or obj for pairs in self.unused_obj_imports.values() for obj, asname in pairs}
        self._unused_imports = unused_imports_among(self.context, node, self._matters)  # type: ignore[assignment]

    def on_visit(self, node: cst.CSTNode) -> bool:
        # statements only (an import is never inside an expression), and only those that matter
        if not isinstance(node, _STATEMENT_LEVEL) or (isinstance(node, cst.BaseStatement) and not self._matters(node)):
            return False
        return super().on_visit(node)

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine,
                                  updated_node: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
        if original_node.body and not updated_node.body:
            self._dropped.add(original_node)
        return updated_node

    def _carry(self, original: Sequence[cst.BaseStatement], updated: Sequence[cst.BaseStatement]
               ) -> Optional[Tuple[List[cst.BaseStatement], List[cst.EmptyLine], bool]]:
        """The updated body with each removed line's leading lines moved to the next statement,
        the lines left over at the end, and whether the first statement was removed."""
        dropped = [o in self._dropped for o in original]
        if not any(dropped) or len(updated) != dropped.count(False):
            return None
        out: List[cst.BaseStatement] = []
        carried: List[cst.EmptyLine] = []
        opened_block = False  # the removed lines began an import block
        rest = iter(updated)
        for index, (orig, gone) in enumerate(zip(original, dropped)):
            if gone:
                if index == 0 or not dropped[index - 1]:
                    opened_block = index == 0 or not _is_import_line(original[index - 1])
                carried = _merge_leading(carried, orig.leading_lines)
                continue
            statement = next(rest)
            if carried or (opened_block and _is_import_line(statement)):
                own = list(statement.leading_lines)
                if _is_import_line(statement) and (opened_block or (carried and carried[-1].comment is not None)):
                    # the next import opens the block now, or takes over the comment that was
                    # right above the removed one: it sits where the removed one did
                    lines = carried + own[_blank_run(own):]
                else:
                    lines = _merge_leading(carried, own)
                statement = statement.with_changes(leading_lines=lines)
            carried, opened_block = [], False
            out.append(statement)
        return out, carried, dropped[0]

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock,
                            updated_node: cst.IndentedBlock) -> cst.IndentedBlock:
        carried = self._carry(original_node.body, updated_node.body)
        if carried is None:
            return updated_node
        body, left, first_removed = carried
        if first_removed:
            body = _strip_blank_leading(body)
        changes: Dict[str, object] = {"body": body}
        if any(line.comment is not None for line in left):
            changes["footer"] = [*left, *updated_node.footer]
        return updated_node.with_changes(**changes)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        updated_node = super().leave_Module(original_node, updated_node)
        carried = self._carry(original_node.body, updated_node.body)
        if carried is None:
            return updated_node
        body, left, first_removed = carried
        if first_removed and body and not _is_import_line(body[0]):
            header = list(updated_node.header)
            if not header or all(line.comment is None for line in header):
                body = _strip_blank_leading(body)
            else:  # the header's own blank lines and the next statement's meet
                head = _blank_run(header, from_end=True)
                lines = list(body[0].leading_lines)
                blanks = _blank_run(lines)
                if head:
                    lines = lines[min(blanks, head):]
                body[0] = body[0].with_changes(leading_lines=lines)
        changes: Dict[str, object] = {"body": body}
        if any(line.comment is not None for line in left):
            changes["footer"] = [*left, *updated_node.footer]
        return updated_node.with_changes(**changes)


def imports_from(node: cst.CSTNode, module: str, name: str) -> bool:
    if not isinstance(node, cst.ImportFrom) or node.relative or node.module is None:
        return False
    if get_full_name_for_node(node.module) != module or isinstance(node.names, cst.ImportStar):
        return False
    return any(alias.evaluated_name == name and alias.evaluated_alias in (None, name) for alias in node.names)


def imports_module(node: cst.CSTNode, module: str) -> bool:
    if not isinstance(node, cst.Import):
        return False
    for alias in node.names:
        if alias.evaluated_alias is None and (alias.evaluated_name == module
                                              or alias.evaluated_name.startswith(module + ".")):
            return True
        if alias.evaluated_alias == module and alias.evaluated_name == module:
            return True
    return False
