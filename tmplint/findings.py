"""What the detector reports: one finding (in a module of its own, so that reporting the cached
results of a warm ``tmplint check`` does not import the detector)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    #: 0-based, in characters (code points) of the line, as ruff counts (``ast`` counts UTF-8
    #: bytes; :func:`find_findings` converts); text, JSON, SARIF and GitHub print col + 1
    col: int
    code: str
    message: str
    #: ``tmplint fix`` can rewrite this site without --unsafe-fixes (it may still lack an id)
    fixable: bool
    end_line: int
    end_col: int
    #: what was found: a qualified name (``tempfile.mkstemp``) or ``"literal"``
    target: str
    #: why ``tmplint fix`` cannot rewrite the site, when the detector already knows (a ``dir=``
    #: built on the temp dir that a rewrite would drop); empty otherwise
    reason: str = ""

    def to_dict(self) -> dict:
        return {
            "path": self.path, "line": self.line, "col": self.col + 1, "code": self.code,
            "message": self.message, "fixable": self.fixable,
        }
