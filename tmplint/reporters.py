"""Output formats for ``tmplint check``. Findings go to stdout, errors to stderr.

Every reporter is ``report(findings, errors, out)``: ``errors`` are the ``(path, message)`` pairs of
files that could not be checked. ``text`` and ``json`` print findings only (``cmd_check`` prints the
errors to stderr in every format); ``sarif`` also records them as tool execution notifications so
that a run with a bad file still yields a valid log for the rest, and ``github`` also annotates them.
"""
from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path, PurePath
from typing import Callable, Dict, List, Optional, Sequence, TextIO, Tuple
from urllib.parse import quote

from tmplint import __version__
from tmplint.findings import Finding
from tmplint.registry import RULES

#: ``(path, message)`` of a file that could not be checked
FileErrorReport = Tuple[str, str]
Reporter = Callable[[Sequence[Finding], Sequence[FileErrorReport], TextIO], None]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/tmplint/"


# --------------------------------------------------------------------------- words and colour


def plural(count: int, word: str, many: Optional[str] = None) -> str:
    """``1 file``, ``2 files``, ``0 files`` (``many``: the plural when it is not ``word + "s"``)."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def use_colour(stream: TextIO) -> bool:
    """Colour on a terminal, as ruff decides: ``NO_COLOR`` (any non-empty value) turns it off,
    ``FORCE_COLOR`` on, else only when ``stream`` is a TTY (and ``TERM`` is not ``dumb``)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"


_STYLES = {"bold": "1", "red": "1;31", "green": "1;32", "yellow": "1;33", "cyan": "36"}


def paint(text: str, style: str, colour: bool) -> str:
    """``text`` in an ANSI ``style`` (a key of ``_STYLES``) when ``colour``."""
    return f"\x1b[{_STYLES[style]}m{text}\x1b[0m" if colour else text


def report_text(findings: Sequence[Finding], errors: Sequence[FileErrorReport], out: TextIO) -> None:
    """flake8's format: ``path:line:col: CODE message`` (col counted from 1); on a terminal the
    path is bold and the code red, as ruff shows them."""
    colour = use_colour(out)
    sep = paint(":", "cyan", colour)
    for f in findings:
        out.write(f"{paint(f.path, 'bold', colour)}{sep}{f.line}{sep}{f.col + 1}{sep} "
                  f"{paint(f.code, 'red', colour)} {f.message}\n")


def report_summary(findings: Sequence[Finding], errors: Sequence[FileErrorReport], out: TextIO) -> None:
    """The closing line of ``tmplint check`` (on stderr, as ruff's): ``Found 5 findings (4 fixable
    with tmplint fix).`` or ``All checks passed!``, and how many files could not be checked."""
    colour = use_colour(out)
    unchecked = f" {plural(len(errors), 'file')} could not be checked." if errors else ""
    if findings:
        fixable = sum(1 for f in findings if f.fixable)
        hint = f" ({fixable} fixable with tmplint fix)" if fixable else ""
        out.write(f"Found {plural(len(findings), 'finding')}{hint}.{unchecked}\n")
    elif errors:
        out.write(f"No findings in the files checked;{unchecked}\n")
    else:
        out.write(paint("All checks passed!", "green", colour) + "\n")


def warn_no_files(out: TextIO) -> None:
    """ruff's warning for a selection without a single Python file."""
    out.write(f"{paint('warning', 'yellow', use_colour(out))}: No Python files found\n")


def report_json(findings: Sequence[Finding], errors: Sequence[FileErrorReport], out: TextIO) -> None:
    """A JSON list of ``{path, line, col, code, message, fixable}``, col counted from 1."""
    json.dump([f.to_dict() for f in findings], out, indent=2)
    out.write("\n")


# --------------------------------------------------------------------------- paths


def relative_posix(path: str) -> Optional[str]:
    """``path`` relative to the working directory with forward slashes, or None when it lies
    outside it (or is not a file path, like ``-`` for stdin)."""
    if path == "-":
        return None
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute, os.getcwd())
    except ValueError:  # another drive on Windows
        return None
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return None
    return PurePath(relative).as_posix()


def _display_path(path: str) -> str:
    relative = relative_posix(path)
    return relative if relative is not None else PurePath(path).as_posix()


# --------------------------------------------------------------------------- github


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github_command(level: str, properties: Sequence[Tuple[str, object]], message: str) -> str:
    props = ",".join(f"{key}={_escape_property(str(value))}" for key, value in properties)
    return f"::{level} {props}::{_escape_data(message)}\n"


def report_github(findings: Sequence[Finding], errors: Sequence[FileErrorReport], out: TextIO) -> None:
    """GitHub Actions workflow commands: one ``::error file=…,line=…,col=…,title=CODE::message``
    annotation per finding (col in characters, from 1) and one per file that could not be checked."""
    for f in findings:
        out.write(_github_command(
            "error",
            [("file", _display_path(f.path)), ("line", f.line), ("col", f.col + 1), ("title", f.code)],
            f.message,
        ))
    for path, message in errors:
        out.write(_github_command("error", [("file", _display_path(path)), ("title", "tmplint")], message))


# --------------------------------------------------------------------------- sarif

_SENTENCE_END = re.compile(r"(?<=\.)\s+(?=[A-Z`])")


def _first_sentence(text: str) -> str:
    return _SENTENCE_END.split(text.strip(), maxsplit=1)[0]


def sarif_rules() -> List[dict]:
    """``reportingDescriptor`` objects for every rule in the registry, in registry order."""
    rules = []
    for rule in RULES.values():
        doc = rule.doc()
        rules.append({
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": _first_sentence(rule.what)},
            "fullDescription": {"text": f"{rule.what}\n\n{rule.why}"},
            "help": {"text": doc, "markdown": doc},
            "defaultConfiguration": {"enabled": rule.default, "level": "error"},
            "properties": {"fix": rule.fix},
        })
    return rules


def _artifact_location(path: str) -> dict:
    relative = relative_posix(path)
    if relative is not None:
        return {"uri": quote(relative, safe="/"), "uriBaseId": "%SRCROOT%"}
    if path == "-":
        return {"uri": "stdin"}
    return {"uri": Path(os.path.abspath(path)).as_uri()}


def _directory_uri(directory: str) -> str:
    uri = Path(os.path.abspath(directory)).as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _sarif_result(f: Finding, rule_index: Dict[str, int]) -> dict:
    start_col = f.col + 1
    end_col = f.end_col + 1
    end_line = max(f.end_line, f.line)
    if end_line == f.line:
        end_col = max(end_col, start_col)
    return {
        "ruleId": f.code,
        "ruleIndex": rule_index[f.code],
        "level": "error",
        "message": {"text": f.message},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": _artifact_location(f.path),
                "region": {
                    "startLine": f.line, "startColumn": start_col,
                    "endLine": end_line, "endColumn": end_col,
                },
            },
        }],
        "properties": {"fixable": f.fixable},
    }


def sarif_log(findings: Sequence[Finding], errors: Sequence[FileErrorReport]) -> dict:
    """A SARIF 2.1.0 log with one run. Columns are 1-based code points (``columnKind``)."""
    rule_index = {code: index for index, code in enumerate(RULES)}
    notifications = [
        {
            "level": "error",
            "message": {"text": message},
            "locations": [{"physicalLocation": {"artifactLocation": _artifact_location(path)}}],
            "descriptor": {"id": "file-error"},
        }
        for path, message in errors
    ]
    invocation: dict = {"executionSuccessful": not errors}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run = {
        "tool": {
            "driver": {
                "name": "tmplint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": sarif_rules(),
            },
        },
        "invocations": [invocation],
        "originalUriBaseIds": {"%SRCROOT%": {"uri": _directory_uri(os.getcwd())}},
        "columnKind": "unicodeCodePoints",
        "results": [_sarif_result(f, rule_index) for f in findings],
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def report_sarif(findings: Sequence[Finding], errors: Sequence[FileErrorReport], out: TextIO) -> None:
    json.dump(sarif_log(findings, errors), out, indent=2)
    out.write("\n")


REPORTERS: Dict[str, Reporter] = {
    "text": report_text,
    "json": report_json,
    "sarif": report_sarif,
    "github": report_github,
}


def report_statistics(findings: Sequence[Finding], out: TextIO) -> None:
    """Counts per code, like ``flake8 --statistics``."""
    for code, count in sorted(Counter(f.code for f in findings).items()):
        out.write(f"{count:<5} {code} {RULES[code].name}\n")
