"""Positions of a module's nodes, computed one top-level statement at a time.

libcst's ``PositionProvider`` computes positions by printing the whole module and recording a
range for every node. The engine asks about the statements that hold a site (and the few others
a planner reaches), so :class:`ModulePositions` prints the module once without recording (the
text, where each top-level statement starts, and the ranges of a few nodes asked for up front),
and records the ranges of a top-level statement's nodes only when one of them is first asked
about: printing the statement alone, from the line its code starts on, gives the same ranges.

The printing state records the same positions as libcst's, faster: the syntactic position of a
node is recorded by a plain context-manager object (libcst's is a generator-based
``@contextmanager``, created for most nodes of the module: a third of the time), a token
without a line break only moves the column (no regular-expression split), and the recorded
``CodeRange``/``CodePosition`` objects are built without their dataclass ``__init__``.
"""
from __future__ import annotations

from bisect import bisect_right
from typing import AbstractSet, Dict, Iterable, Iterator, List, Mapping, Optional, Set, Tuple

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata import CodePosition, CodeRange
from libcst.metadata.position_provider import PositionProvidingCodegenState

from tmplint.sources import split_lines


# CodePosition and CodeRange are frozen slotted dataclasses, whose ``__init__`` (one
# ``object.__setattr__`` call per field, and CodeRange's check for tuples) is half the cost of
# recording a position: these build the same objects by setting the slots directly.
_new = object.__new__
_set_line, _set_column = CodePosition.line.__set__, CodePosition.column.__set__  # type: ignore[attr-defined]
_set_start, _set_end = CodeRange.start.__set__, CodeRange.end.__set__  # type: ignore[attr-defined]


def _position(line: int, column: int) -> CodePosition:
    position = _new(CodePosition)
    _set_line(position, line)
    _set_column(position, column)
    return position


def _range(start: CodePosition, end: CodePosition) -> CodeRange:
    where = _new(CodeRange)
    _set_start(where, start)
    _set_end(where, end)
    return where


class _SyntacticPosition:
    """What ``PositionProvidingCodegenState.record_syntactic_position`` does, as a plain object."""

    __slots__ = ("state", "node", "start_node", "end_node", "line", "column")

    def __init__(self, state: "_FastPositionState", node: cst.CSTNode, start_node: Optional[cst.CSTNode],
                 end_node: Optional[cst.CSTNode]) -> None:
        self.state, self.node, self.start_node, self.end_node = state, node, start_node, end_node

    def __enter__(self) -> None:
        self.line, self.column = self.state.line, self.state.column

    def __exit__(self, *exc_info: object) -> None:
        state = self.state
        computed = state.provider._computed
        start = computed[self.start_node].start if self.start_node is not None else _position(self.line, self.column)
        end = computed[self.end_node].end if self.end_node is not None else _position(state.line, state.column)
        computed[self.node] = _range(start, end)


class _FastPositionState(PositionProvidingCodegenState):
    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: Optional[cst.CSTNode] = None,
                                  end_node: Optional[cst.CSTNode] = None) -> _SyntacticPosition:  # type: ignore[override]
        return _SyntacticPosition(self, node, start_node, end_node)

    def before_codegen(self, node: cst.CSTNode) -> None:
        self._stack.append((self.line, self.column))  # type: ignore[arg-type]

    def after_codegen(self, node: cst.CSTNode) -> None:
        # as libcst's: the whitespace-inclusive range, unless the node recorded its syntactic one
        line, column = self._stack.pop()  # type: ignore[misc]
        computed = self.provider._computed
        if node not in computed:
            computed[node] = _range(_position(line, column), _position(self.line, self.column))

    def _update_position(self, value: str) -> None:
        if "\n" in value or "\r" in value:
            super()._update_position(value)
        else:
            self.column += len(value)


class _Sink:
    """What a position state records into (it reads ``provider._computed``)."""

    __slots__ = ("_computed",)

    def __init__(self, computed: Dict[cst.CSTNode, CodeRange]) -> None:
        self._computed = computed


class _NoRecord:
    """A syntactic position that is not recorded."""

    __slots__ = ()

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc_info: object) -> None:
        pass


_NO_RECORD = _NoRecord()


def _statements(module: cst.Module) -> Tuple[List[cst.CSTNode], List[int], List[List[str]]]:
    """The parts positions are computed by, in the order they are printed: every top-level
    statement, and every statement of the body of a top-level class (a test class can hold most
    of a module); with the index of the top-level statement each is in, and the indentation each
    is printed at."""
    parts: List[cst.CSTNode] = []
    owners: List[int] = []
    indents: List[List[str]] = []
    for statement in module.body:
        owner = len(parts)
        parts.append(statement)
        owners.append(owner)
        indents.append([])
        body = statement.body if isinstance(statement, cst.ClassDef) else None
        if isinstance(body, cst.IndentedBlock):
            indent = module.default_indent if body.indent is None else body.indent
            parts.extend(body.body)
            owners.extend(owner for _ in body.body)
            indents.extend([indent] for _ in body.body)
    return parts, owners, indents


class _LayoutState(_FastPositionState):
    """Prints the module, noting the token and line each of ``parts`` starts at, and records the
    positions of only the ``wanted`` nodes (and the children their syntactic ranges end or start
    at)."""

    def __init__(self, module: cst.Module, parts: Iterable[cst.CSTNode], wanted: Set[cst.CSTNode],
                 computed: Dict[cst.CSTNode, CodeRange]) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline,
                         provider=_Sink(computed))  # type: ignore[arg-type]
        self.wanted = wanted
        self.parts = set(parts)
        #: (token index, line) where each part's code starts
        self.starts: List[Tuple[int, int]] = []

    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: Optional[cst.CSTNode] = None,
                                  end_node: Optional[cst.CSTNode] = None) -> object:  # type: ignore[override]
        if node not in self.wanted:
            return _NO_RECORD
        self.wanted.update(child for child in (start_node, end_node) if child is not None)
        return _SyntacticPosition(self, node, start_node, end_node)

    def before_codegen(self, node: cst.CSTNode) -> None:
        if node in self.parts:
            self.starts.append((len(self.tokens), self.line))
        if node in self.wanted:
            self._stack.append((self.line, self.column))  # type: ignore[arg-type]

    def after_codegen(self, node: cst.CSTNode) -> None:
        if node in self.wanted:
            super().after_codegen(node)


class ModulePositions(Mapping[cst.CSTNode, CodeRange]):
    """``PositionProvider``'s ranges for ``module``, computed one *statement* at a time when one
    of its nodes is first asked about: a top-level statement, or a statement of a top-level
    class's body (:attr:`statements`; a class's own ranges come with its whole body). A node not
    located yet is looked for by computing the statements in turn (:meth:`statement_of`); the
    module's own range and those of its header and footer lines are computed with the whole
    module, only if asked for. ``wanted``: nodes whose ranges are recorded up front, while the
    text is printed."""

    def __init__(self, module: cst.Module, wanted: Iterable[cst.CSTNode] = ()) -> None:
        self._module = module
        self._computed: Dict[cst.CSTNode, CodeRange] = {}
        #: the statements, in the order they are printed; the index of the top-level statement
        #: each is in (its own for a top-level one); the indentation each is printed at
        self.statements, self.owners, self._indents = _statements(module)
        #: the top-level classes whose body statements are statements too
        self._classes = {owner for index, owner in enumerate(self.owners) if owner != index}
        state = _LayoutState(module, self.statements, set(wanted), self._computed)
        module._codegen(state)
        #: ``module.code``, printed once here
        self.text = "".join(state.tokens)
        tokens = state.tokens
        marks = [index for index, _ in state.starts] + [len(tokens)]
        #: the code from each statement's start to the next one's (a class's: its header), and
        #: the line each starts on (its leading blank and comment lines included)
        self.statement_texts = ["".join(tokens[a:b]) for a, b in zip(marks, marks[1:])]
        self.statement_lines = [line for _, line in state.starts]
        #: each statement's node ranges, once computed
        self._statements: List[Optional[Dict[cst.CSTNode, CodeRange]]] = [None] * len(self.statements)
        self._complete = False
        self._indexes: Optional[Dict[cst.CSTNode, int]] = None
        self._lines: Optional[List[str]] = None

    def code_of(self, module: cst.Module) -> str:
        """``module.code`` for a rewrite of the module these positions are of: a top-level
        statement the rewrite kept (the same node) is not printed again, its text is the one
        printed here (a top-level statement prints the same wherever it is). The last one is
        printed again (its text here runs on into the module's footer), and so is all of a module
        without a final newline or with other defaults."""
        original = self._module
        if not module.has_trailing_newline or (module.default_indent, module.default_newline) != (
                original.default_indent, original.default_newline):
            return module.code
        last = original.body[-1] if original.body else None
        state = CodegenState(default_indent=module.default_indent, default_newline=module.default_newline)
        for line in module.header:
            line._codegen(state)
        for statement in module.body:
            index = self._index_of(statement)
            if index is None or self.owners[index] != index or statement is last:
                statement._codegen(state)
            else:
                state.add_token(self._text_with_body(index))
        for line in module.footer:
            line._codegen(state)
        if not state.tokens:
            state.add_token(state.default_newline)
        return "".join(state.tokens)

    def statement(self, index: int) -> Dict[cst.CSTNode, CodeRange]:
        """The ranges of the nodes of statement ``index`` (computed now if not yet)."""
        found = self._statements[index]
        if found is None:
            found = {}
            state = _FastPositionState(default_indent=self._module.default_indent,
                                       default_newline=self._module.default_newline,
                                       provider=_Sink(found),  # type: ignore[arg-type]
                                       indent_tokens=list(self._indents[index]),
                                       line=self.statement_lines[index])
            self.statements[index]._codegen(state)
            self._statements[index] = found
            self._computed.update(found)
        return found

    def statement_at(self, line: int) -> Optional[int]:
        """The statement whose code holds ``line`` (None: the header lines)."""
        index = bisect_right(self.statement_lines, line) - 1
        return index if index >= 0 else None

    def statement_of(self, node: cst.CSTNode) -> Optional[int]:
        """The index of the statement holding ``node`` (None: the module, its header or footer
        lines, or not a node of the module). A node not located yet is looked for in the
        statements not computed yet: first those whose text spells the node's name (for a name
        or attribute), then the others; a top-level class (computed with its whole body) after
        the statements of its body."""
        where = self._computed.get(node)
        if where is not None:
            index = self.statement_at(where.start.line)
            if index is not None and node in self.statement(index):
                return index
        for index in self._search_order(node):
            if self._statements[index] is None and node in self.statement(index):
                return index
        return None

    def _search_order(self, node: cst.CSTNode) -> Iterator[int]:
        spelled = node.attr.value if isinstance(node, cst.Attribute) else getattr(node, "value", None)
        everything = range(len(self.statements))
        if isinstance(node, (cst.Name, cst.Attribute)) and isinstance(spelled, str):
            spelling = [index for index, text in enumerate(self.statement_texts) if spelled in text]
            yield from (index for index in spelling if index not in self._classes)
            yield from (index for index in spelling if index in self._classes)
        yield from (index for index in everything if index not in self._classes)
        yield from sorted(self._classes)

    @property
    def lines(self) -> List[str]:
        """The lines of :attr:`text`, without their breaks."""
        if self._lines is None:
            self._lines = split_lines(self.text)
        return self._lines

    def source_of(self, node: cst.CSTNode) -> Optional[str]:
        """Text printed here that holds all of ``node``'s code, and little else: its range
        (from its first decorator) when computed, else the text of one of :attr:`statements`
        (running on to the next one's start; a top-level class's with its body's); None for any
        other node. (Not the comment lines above the node, which are not its code.)"""
        where = self.known(node)
        if where is None:
            index = self._index_of(node)
            return None if index is None else self._text_with_body(index)
        decorators = getattr(node, "decorators", ())
        first = self.known(decorators[0]) if decorators else where
        if first is None:
            return None
        start, end = first.start, where.end
        lines = self.lines[start.line - 1:end.line]
        if len(lines) == 1:
            return lines[0][start.column:end.column]
        return "\n".join([lines[0][start.column:], *lines[1:-1], lines[-1][:end.column]])

    def _index_of(self, node: cst.CSTNode) -> Optional[int]:
        """The index of ``node`` in :attr:`statements` (None: not one of them)."""
        if self._indexes is None:
            self._indexes = {statement: index for index, statement in enumerate(self.statements)}
        return self._indexes.get(node)

    def _text_with_body(self, index: int) -> str:
        """The text of statement ``index`` as printed here, running on to the next statement's
        start; a top-level class's with the statements of its body."""
        end = index + 1
        while end < len(self.owners) and self.owners[end] == index:
            end += 1
        return "".join(self.statement_texts[index:end])

    def known(self, node: cst.CSTNode) -> Optional[CodeRange]:
        """``node``'s range if it is computed already (None otherwise: nothing is computed)."""
        return self._computed.get(node)

    def _all(self) -> Dict[cst.CSTNode, CodeRange]:
        if not self._complete:
            state = _FastPositionState(default_indent=self._module.default_indent,
                                       default_newline=self._module.default_newline,
                                       provider=_Sink(self._computed))  # type: ignore[arg-type]
            self._module._codegen(state)
            self._complete = True
        return self._computed

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        where = self._computed.get(node)
        if where is None and not self._complete:
            self.statement_of(node)
            where = self._computed.get(node)
        return where if where is not None else self._all()[node]

    def __iter__(self) -> Iterator[cst.CSTNode]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


class UsedNames(AbstractSet[str]):
    """Every name (``cst.Name``) the module spells, asked name by name: a name not in the
    module's text is not spelled; else the names of the top-level statements whose text holds
    it are read from their positions (computed now if not yet)."""

    def __init__(self, positions: ModulePositions) -> None:
        self._positions = positions
        self._by_statement: Dict[int, Set[str]] = {}
        self._known: Dict[str, bool] = {}

    def _names(self, index: int) -> Set[str]:
        names = self._by_statement.get(index)
        if names is None:
            # exact type, as ``SiteLocator`` indexes: cheaper per node than ``isinstance``
            names = self._by_statement[index] = {
                node.value for node in self._positions.statement(index) if type(node) is cst.Name}
        return names

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        known = self._known.get(name)
        if known is None:
            texts = self._positions.statement_texts
            known = self._known[name] = name in self._positions.text and any(
                name in self._names(index) for index, text in enumerate(texts) if name in text)
        return known

    def __iter__(self) -> Iterator[str]:
        return iter(set().union(*(self._names(index) for index in range(len(self._positions.statement_texts)))))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    @classmethod
    def _from_iterable(cls, names: Iterable[str]) -> Set[str]:
        # what ``&``, ``|`` and ``-`` with another set give: a plain set
        return set(names)
