"""Output formats for ``tmplint check``. Findings go to stdout, errors to stderr."""
from __future__ import annotations

import json
from collections import Counter
from typing import Callable, Dict, List, TextIO

from tmplint.detector import Finding
from tmplint.registry import RULES


def report_text(findings: List[Finding], out: TextIO) -> None:
    """flake8's format: ``path:line:col: CODE message`` (col counted from 1)."""
    for f in findings:
        out.write(f"{f.path}:{f.line}:{f.col + 1}: {f.code} {f.message}\n")


def report_json(findings: List[Finding], out: TextIO) -> None:
    """A JSON list of ``{path, line, col, code, message, fixable}``, col counted from 1."""
    json.dump([f.to_dict() for f in findings], out, indent=2)
    out.write("\n")


REPORTERS: Dict[str, Callable[[List[Finding], TextIO], None]] = {
    "text": report_text,
    "json": report_json,
}


def report_statistics(findings: List[Finding], out: TextIO) -> None:
    """Counts per code, like ``flake8 --statistics``."""
    for code, count in sorted(Counter(f.code for f in findings).items()):
        out.write(f"{count:<5} {code} {RULES[code].name}\n")
