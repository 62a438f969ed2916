"""A parent-node metadata provider.

Same result as ``libcst.metadata.ParentNodeProvider`` (checked by the tests), computed with one
plain traversal and a stack instead of asking every node for its children, which makes it about
three times faster on large modules.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Mapping, Optional, Set

import libcst as cst
from libcst.metadata import VisitorMetadataProvider

from tmplint.codemods.positions import ModulePositions


class FastParentProvider(VisitorMetadataProvider[cst.CSTNode]):
    def __init__(self) -> None:
        super().__init__()
        self._stack: List[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self._stack:
            self.set_metadata(node, self._stack[-1])
        self._stack.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self._stack.pop()


class _Collect(cst.CSTVisitor):
    """The parent of every node of one subtree (its root's parent is given), not descending into
    the other subtrees in ``stop``."""

    def __init__(self, parents: Dict[cst.CSTNode, cst.CSTNode], root: cst.CSTNode, root_parent: cst.CSTNode,
                 stop: Set[cst.CSTNode]) -> None:
        self.parents = parents
        self._root = root
        self._stop = stop
        self._stack: List[cst.CSTNode] = [root_parent]

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.parents[node] = self._stack[-1]
        self._stack.append(node)
        return node is self._root or node not in self._stop

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self._stack.pop()


class StatementParents:
    """Parents of the nodes of a module, found one statement (of ``ModulePositions``: a top-level
    statement, or one of a top-level class's body) at a time: the planners ask about the
    statements with sites (and what those reach), so on a large module most statements are
    never walked. Same answers as ``FastParentProvider``; a node outside every statement (the
    module's header or footer lines) gets the whole module walked."""

    def __init__(self, module: cst.Module, positions: ModulePositions,
                 everything: Callable[[], Mapping[cst.CSTNode, cst.CSTNode]]) -> None:
        self._module = module
        self._positions = positions
        self._statements = set(positions.statements)
        self._everything = everything
        self._parents: Dict[cst.CSTNode, cst.CSTNode] = {}
        self._walked: Set[int] = set()
        self._complete = False

    def get(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        found = self._parents.get(node)
        if found is not None or self._complete or node is self._module:
            return found
        index = self._positions.statement_of(node)
        if index is not None:
            # its class first (the parents of the class and of its body), then the statement
            for walked in dict.fromkeys((self._positions.owners[index], index)):
                self._walk(walked)
            found = self._parents.get(node)
        if found is None:  # not inside a statement: every node, once
            self._parents.update(self._everything())
            self._complete = True
            found = self._parents.get(node)
        return found

    def _walk(self, index: int) -> None:
        if index in self._walked:
            return
        self._walked.add(index)
        statement, owner = self._positions.statements[index], self._positions.owners[index]
        parent = self._module if owner == index else self._positions.statements[owner].body  # type: ignore[attr-defined]
        statement.visit(_Collect(self._parents, statement, parent, self._statements))
