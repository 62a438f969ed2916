"""A position provider that also keeps the text it printed.

libcst's ``PositionProvider`` computes positions by printing the whole module; the engine then
needed the module's text twice more (the lines the findings' columns are converted with, and the
parse/print round trip ``fix_bytes`` compares with the input), each a second and third full
print. This provider is ``PositionProvider`` (same positions, same class of metadata) that also
keeps the tokens it printed, so the text costs nothing extra.
"""
from __future__ import annotations

from typing import Dict

import libcst as cst
from libcst.metadata import PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState


class TextKeepingPositionProvider(PositionProvider):
    #: the printed text, by ``id`` of the module, until :func:`printed_text` takes it (one module
    #: is transformed at a time, and its command takes the text right after the positions)
    _texts: Dict[int, str] = {}

    def _gen_impl(self, module: cst.Module) -> None:
        state = PositionProvidingCodegenState(
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
