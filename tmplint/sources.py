"""Source lines of checked files, read once, for the reporters and the baseline.

Findings carry positions, not text; SARIF and GitHub columns (characters, not bytes) and baseline
fingerprints (the text of the finding's line) need the line itself. Files are read through
:mod:`tmplint.files` and decoded as the detector decodes them, and only files with findings are read.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Mapping, Optional

from tmplint.detector import DetectorError, decode_source
from tmplint.files import FileError, read_bytes

#: the line breaks Python's tokenizer counts (``str.splitlines`` also splits on \f, \x1c, \u2028, ...)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> List[str]:
    return _LINE_BREAK.split(text)


class SourceLines:
    """``path -> lines`` with a cache; ``texts`` supplies sources that are not files (stdin)."""

    def __init__(self, texts: Optional[Mapping[str, str]] = None) -> None:
        self._lines: Dict[str, Optional[List[str]]] = {
            path: split_lines(text) for path, text in (texts or {}).items()
        }

    def lines(self, path: str) -> Optional[List[str]]:
        if path not in self._lines:
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

    def char_column(self, path: str, number: int, byte_col: int) -> int:
        """``ast``'s UTF-8 byte offset on a line as a 0-based count of characters (code points).
        The byte offset itself when the line cannot be read."""
        text = self.line(path, number)
        if text is None or text.isascii():
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))
