"""The stdlib ``tempfile`` signatures, for mapping a call's arguments by keyword and position.

``NamedTemporaryFile('w')`` means ``mode='w'``; ``mkstemp('.txt', 'x_')`` means ``suffix='.txt',
prefix='x_'``. A call whose arguments cannot be mapped (``*args``, ``**kwargs``, unknown or
repeated keywords, too many positional arguments) is reported, never guessed at.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple, Union

import libcst as cst

from tmplint.detector import SIGNATURES

#: the file-object arguments ``open()`` takes under the same names
OPEN_ARGUMENTS = ("buffering", "encoding", "errors", "newline")


class ArgumentError(Exception):
    """The call's arguments cannot be mapped onto the signature; the message says why."""


@dataclass
class BoundArguments:
    """Parameter name -> index into ``call.args``; the indices stay valid for the updated node
    a transformer sees, because leaving a Call never adds or removes its arguments."""

    function: str
    indices: Dict[str, int] = field(default_factory=dict)
    call: Optional[cst.Call] = None

    def __contains__(self, name: str) -> bool:
        return name in self.indices

    def node(self, name: str) -> Optional[cst.BaseExpression]:
        """The argument's expression in the original call."""
        if name not in self.indices or self.call is None:
            return None
        return self.call.args[self.indices[name]].value

    def order(self, names: Tuple[str, ...]) -> Tuple[str, ...]:
        """``names`` that were given, in the order they appear in the call."""
        return tuple(sorted((n for n in names if n in self.indices), key=self.indices.__getitem__))


def bind(call: cst.Call, function: str) -> BoundArguments:
    """Map ``call``'s arguments onto ``tempfile.<function>``'s parameters."""
    positional, keyword_only = SIGNATURES[function]
    bound = BoundArguments(function, call=call)
    position = 0
    for index, arg in enumerate(call.args):
        if arg.star:
            raise ArgumentError(
                f"arguments passed with {arg.star}{'args' if arg.star == '*' else 'kwargs'} cannot be mapped"
            )
        if arg.keyword is None:
            if position >= len(positional):
                raise ArgumentError(f"too many positional arguments for tempfile.{function}()")
            name = positional[position]
            position += 1
        else:
            name = arg.keyword.value
            if name not in positional and name not in keyword_only:
                raise ArgumentError(f"tempfile.{function}() has no argument {name!r}")
        if name in bound.indices:
            raise ArgumentError(f"argument {name!r} of tempfile.{function}() is given twice")
        bound.indices[name] = index
    return bound


# --------------------------------------------------------------------------- literal values

_NOT_LITERAL = object()


def literal_value(node: Optional[cst.BaseExpression]) -> object:
    """The value of a simple literal (str, bytes, True/False/None, int), else ``_NOT_LITERAL``."""
    if node is None:
        return _NOT_LITERAL
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        try:
            value = node.evaluated_value
        except Exception:  # pragma: no cover - libcst refuses odd literals
            return _NOT_LITERAL
        return value if value is not None else _NOT_LITERAL
    if isinstance(node, cst.Integer):
        try:
            return int(node.evaluated_value)
        except ValueError:  # pragma: no cover
            return _NOT_LITERAL
    return _NOT_LITERAL


def is_none(node: Optional[cst.BaseExpression]) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def bool_argument(bound: BoundArguments, name: str, default: bool) -> Union[bool, None]:
    """A True/False argument's value, ``default`` when absent, None when it is not a literal."""
    if name not in bound:
        return default
    value = literal_value(bound.node(name))
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return None
