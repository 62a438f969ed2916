"""Source lines: the one line splitter (lines as Python counts them), and the lines of checked
files, read once, for the baseline.

Findings carry positions, not text; baseline fingerprints (the text of the finding's line) need the
line itself. Files are read through :mod:`tmplint.files` and decoded as the detector decodes them,
and only files with findings are read.
"""
from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Dict, Hashable, List, Mapping, Optional, Sequence, Tuple

from tmplint.files import FileError, read_bytes

#: the line breaks Python's tokenizer counts (``str.splitlines`` also splits on \f, \v, \x1c-\x1e,
#: \x85, \u2028, \u2029, which Python keeps inside a line)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_LINE_WITH_BREAK = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def split_lines(text: str, keepends: bool = False) -> List[str]:
    """The lines of ``text`` as Python's tokenizer counts them: the one line splitter of the
    detector, the reporters, the baseline and the codemods. Without ``keepends``, the lines
    without their breaks (a text ending in a break has an empty last line, as with
    ``str.split``); with it, each line with its break (none after the last), as
    ``str.splitlines(keepends=True)`` would give for ``\r``/``\n`` alone."""
    if keepends:
        return _LINE_WITH_BREAK.findall(text)
    return _LINE_BREAK.split(text)


_LINE_BREAK_BYTES = re.compile(rb"\r\n|\r|\n")


def line_start_offsets(data: bytes) -> List[int]:
    """Where each line of ``data`` starts, lines split as :func:`split_lines` splits them."""
    return [0] + [match.end() for match in _LINE_BREAK_BYTES.finditer(data)]


Opcode = Tuple[str, int, int, int, int]


def line_opcodes(old: Sequence[Hashable], new: Sequence[Hashable]) -> List[Opcode]:
    """``difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()``, computed on the
    part between the common first and last lines only: a rewrite changes a few lines of a module,
    and the matcher is quadratic on long runs of equal lines (a 10 MB data module)."""
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    end = 0
    while end < limit - start and old[-1 - end] == new[-1 - end]:
        end += 1
    middle = difflib.SequenceMatcher(None, old[start:len(old) - end], new[start:len(new) - end], autojunk=False)
    opcodes: List[Opcode] = [("equal", 0, start, 0, start)] if start else []
    for tag, i1, i2, j1, j2 in middle.get_opcodes():
        if tag == "equal" and opcodes and opcodes[-1][0] == "equal":
            _, a1, _, b1, _ = opcodes.pop()
            opcodes.append(("equal", a1, start + i2, b1, start + j2))
        else:
            opcodes.append((tag, start + i1, start + i2, start + j1, start + j2))
    if end:
        i, j = len(old) - end, len(new) - end
        if opcodes and opcodes[-1][0] == "equal":
            _, a1, _, b1, _ = opcodes.pop()
            opcodes.append(("equal", a1, len(old), b1, len(new)))
        else:
            opcodes.append(("equal", i, len(old), j, len(new)))
    return opcodes


class SourceLines:
    """``path -> lines`` with a cache; ``texts`` supplies sources that are not files (stdin)."""

    def __init__(self, texts: Optional[Mapping[str, str]] = None) -> None:
        self._lines: Dict[str, Optional[List[str]]] = {
            path: split_lines(text) for path, text in (texts or {}).items()
        }

    def lines(self, path: str) -> Optional[List[str]]:
        if path not in self._lines:
            from tmplint.detector import DetectorError, decode_source  # the detector imports this module

            try:
                text: Optional[str] = decode_source(read_bytes(Path(path)), path)
            except (FileError, DetectorError):
                text = None
            self._lines[path] = None if text is None else split_lines(text)
        return self._lines[path]

    def line(self, path: str, number: int) -> Optional[str]:
        """Line ``number`` (1-based) of ``path``, or None when it cannot be read."""
        lines = self.lines(path)
        if lines is None or not 0 < number <= len(lines):
            return None
        return lines[number - 1]
