"""A parent-node metadata provider.

Same result as ``libcst.metadata.ParentNodeProvider`` (checked by the tests), computed with one
plain traversal and a stack instead of asking every node for its children, which makes it about
three times faster on large modules.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Mapping, Optional, Set

import libcst as cst
from libcst.metadata import VisitorMetadataProvider


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
    """The parent of every node of one subtree (its root's parent is given)."""

    def __init__(self, parents: Dict[cst.CSTNode, cst.CSTNode], root_parent: cst.CSTNode) -> None:
        self.parents = parents
        self._stack: List[cst.CSTNode] = [root_parent]

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.parents[node] = self._stack[-1]
        self._stack.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self._stack.pop()


class StatementParents:
    """Parents of the nodes of a module, found one top-level statement at a time: the planners
    ask about the statements with sites (and what those reach), so on a large module most
    statements are never walked. Same answers as ``FastParentProvider``; a node outside every
    top-level statement (the module's header or footer lines) gets the whole module walked.
    ``statement_of``: the index of the top-level statement holding a node (None: none does)."""

    def __init__(self, module: cst.Module, statement_of: Callable[[cst.CSTNode], Optional[int]],
                 everything: Callable[[], Mapping[cst.CSTNode, cst.CSTNode]]) -> None:
        self._module = module
        self._statement_of = statement_of
        self._everything = everything
        self._parents: Dict[cst.CSTNode, cst.CSTNode] = {}
        self._walked: Set[int] = set()
        self._complete = False

    def get(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        found = self._parents.get(node)
        if found is not None or self._complete or node is self._module:
            return found
        index = self._statement_of(node)
        if index is not None and index not in self._walked:
            self._walked.add(index)
            self._module.body[index].visit(_Collect(self._parents, self._module))
            found = self._parents.get(node)
        if found is None:  # not inside a top-level statement: every node, once
            self._parents.update(self._everything())
            self._complete = True
            found = self._parents.get(node)
        return found
