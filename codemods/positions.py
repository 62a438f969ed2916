"""A position provider that also keeps the text it printed.

libcst's ``PositionProvider`` computes positions by printing the whole module; the engine then
needed the module's text twice more (the lines the findings' columns are converted with, and the
parse/print round trip ``fix_bytes`` compares with the input), each a second and third full
print. This provider is ``PositionProvider`` (same positions, same class of metadata) that also
keeps the tokens it printed, so the text costs nothing extra.

Its printing state records the same positions as libcst's, faster: the syntactic position of a
node is recorded by a plain context-manager object (libcst's is a generator-based
``@contextmanager``, created for most nodes of the module: a third of the time), a token
without a line break only moves the column (no regular-expression split), and the recorded
``CodeRange``/``CodePosition`` objects are built without their dataclass ``__init__``.
"""
from __future__ import annotations

from typing import Dict, Optional

import libcst as cst
from libcst.metadata import CodePosition, CodeRange, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState


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


class TextKeepingPositionProvider(PositionProvider):
    #: the printed text, by ``id`` of the module, until :func:`printed_text` takes it (one module
    #: is transformed at a time, and its command takes the text right after the positions)
    _texts: Dict[int, str] = {}

    def _gen_impl(self, module: cst.Module) -> None:
        state = _FastPositionState(
            default_indent=module.default_indent,
            default_newline=module.default_newline,
            provider=self,
        )
        module._codegen(state)
        TextKeepingPositionProvider._texts[id(module)] = "".join(state.tokens)


def printed_text(module: cst.Module) -> str:
    """``module.code``: the text the provider printed when it computed the module's positions
    (taken, so it is not kept), or printed now."""
    text = TextKeepingPositionProvider._texts.pop(id(module), None)
    return text if text is not None else module.code
