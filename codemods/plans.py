"""What a planner makes of one site: a :class:`SitePlan` for the engine to apply, or :class:`Unfixable`.

Each rewrite module registers its planners (``PLANNERS``: finding target -> :data:`Planner`); a
planner gets the engine and the :class:`Site` (the finding and its node) and returns the plan:
expression replacements, a ``with`` statement rewrite, a ``try/finally`` around the rest of a
block, a new ``workflow_id`` parameter, imports.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Tuple

import libcst as cst

from tmplint.detector import Finding

if TYPE_CHECKING:  # pragma: no cover
    from tmplint.codemods.base import TmplintCommand

Builder = Callable[[cst.CSTNode], cst.CSTNode]


class Unfixable(Exception):
    """A site the codemod leaves alone; ``str(exc)`` is the reason shown to the user."""


@dataclass
class WithItemRewrite:
    """A ``with`` item that makes a deleting temp file or dir, rewritten into a path variable made
    before the ``with`` and removed in a ``finally`` where the ``with`` ended."""

    with_node: cst.With
    index: int
    #: "file": the item becomes ``open(var, mode)``; "dir": the item goes away
    kind: str
    #: the variable holding the path (a fresh name, or the dir's own ``as`` name)
    var: str
    #: updated call -> the expression that makes the path (``get_temp_path(...)``)
    make_path: Callable[[cst.Call], cst.BaseExpression]
    #: updated call -> ``open(var, ...)`` (file kind only)
    open_expr: Optional[Callable[[cst.Call], cst.BaseExpression]] = None
    #: dir kind: the ``as`` target is bound to ``var`` first thing in the try body
    bind_target: bool = False
    #: what the ``finally`` removes (default: ``var``); ``tmp_file.name`` for an opened file
    cleanup_target: Optional[Callable[[], cst.BaseExpression]] = None


@dataclass
class Wrap:
    """Wrap the statements after ``statement`` (to the end of its block, or up to ``until``) in
    ``try/finally``."""

    statement: cst.BaseStatement
    cleanup: Callable[[], cst.BaseExpression]
    #: an existing cleanup statement later in the block (``os.unlink(p)``): the try ends before
    #: it and the ``finally`` replaces it
    until: Optional[cst.BaseStatement] = None
    #: the statement after which the file is gone in the original (``f.close()`` of a deleting
    #: file): the try ends right after it
    through: Optional[cst.BaseStatement] = None


@dataclass
class SitePlan:
    replacements: Dict[cst.CSTNode, Builder] = field(default_factory=dict)
    with_item: Optional[WithItemRewrite] = None
    wrap: Optional[Wrap] = None
    #: functions that get the ``workflow_id`` keyword parameter, and how it is written
    #: (a ``workflow_id.NewParamSpec``)
    params: List[Tuple[cst.FunctionDef, Any]] = field(default_factory=list)
    imports: List[Tuple[str, Optional[str]]] = field(default_factory=list)
    #: original nodes whose imports may have become unused
    removed: List[cst.CSTNode] = field(default_factory=list)
    note: Optional[str] = None


@dataclass(frozen=True)
class Site:
    finding: Finding
    node: cst.CSTNode

    @property
    def call(self) -> cst.Call:
        """The site's call (planners of creators and getters only ever see calls)."""
        if not isinstance(self.node, cst.Call):
            raise Unfixable(f"{self.finding.target} is used without being called (e.g. passed as a factory)")
        return self.node

    @property
    def function_name(self) -> str:
        """``NamedTemporaryFile`` for ``tempfile.NamedTemporaryFile``."""
        return self.finding.target.rpartition(".")[2]


Planner = Callable[["TmplintCommand", Site], SitePlan]


def all_planners(*modules: Mapping[str, Planner]) -> Dict[str, Planner]:
    merged: Dict[str, Planner] = {}
    for planners in modules:
        merged.update(planners)
    return merged
