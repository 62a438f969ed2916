"""Map detector findings onto libcst nodes by position.

The detector (``tmplint.detector``) is the only place that decides what a site is. Its findings
carry 1-based lines and 0-based columns counted in characters, as libcst's ``PositionProvider``
counts them, so nodes are matched on their exact start and end.
"""
from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple, Type

import libcst as cst
from tmplint.detector import Finding
from tmplint.codemods.positions import ModulePositions


#: node types a finding can point at, most specific first for each target kind
CALL_TYPES: Tuple[Type[cst.CSTNode], ...] = (cst.Call,)
REFERENCE_TYPES: Tuple[Type[cst.CSTNode], ...] = (cst.Attribute, cst.Name)
LITERAL_TYPES: Tuple[Type[cst.CSTNode], ...] = (
    cst.SimpleString, cst.FormattedString, cst.ConcatenatedString,
)
SUBSCRIPT_TYPES: Tuple[Type[cst.CSTNode], ...] = (cst.Subscript,)
#: compared by exact type when a statement is indexed: a parsed tree holds no subclasses of
#: these, and ``isinstance`` against libcst's (ABC-based) node classes, once per node, costs more
_ALL_TYPES = frozenset(CALL_TYPES + REFERENCE_TYPES + LITERAL_TYPES + SUBSCRIPT_TYPES)

Key = Tuple[int, int, int, int]


class SiteLocator:
    """Finds, for a finding, the libcst node at exactly its position (indexing the nodes of only
    the top-level statements that hold a finding's line)."""

    def __init__(self, positions: ModulePositions) -> None:
        self.positions = positions
        self.index: Dict[Key, List[cst.CSTNode]] = {}
        self._indexed: Set[int] = set()

    def _index_statement(self, line: int) -> None:
        statement = self.positions.statement_at(line)
        if statement is None or statement in self._indexed:
            return
        self._indexed.add(statement)
        for node, where in self.positions.statement(statement).items():
            if type(node) in _ALL_TYPES:
                key = (where.start.line, where.start.column, where.end.line, where.end.column)
                self.index.setdefault(key, []).append(node)

    @staticmethod
    def key_for(finding: Finding) -> Key:
        return finding.line, finding.col, finding.end_line, finding.end_col

    def locate(self, finding: Finding) -> Optional[cst.CSTNode]:
        self._index_statement(finding.line)
        candidates = self.index.get(self.key_for(finding), [])
        for types in _preferred_types(finding):
            for node in candidates:
                if isinstance(node, types):
                    return node
        return None

    def locate_all(self, findings: Iterable[Finding]) -> List[Tuple[Finding, Optional[cst.CSTNode]]]:
        return [(finding, self.locate(finding)) for finding in findings]


def _preferred_types(finding: Finding) -> Sequence[Tuple[Type[cst.CSTNode], ...]]:
    if finding.target == "literal":
        return (LITERAL_TYPES,)
    if finding.code == "TMP007":
        return (CALL_TYPES, SUBSCRIPT_TYPES)
    # a creator or getter: the call when it is called, else the bare reference
    return (CALL_TYPES, REFERENCE_TYPES)
