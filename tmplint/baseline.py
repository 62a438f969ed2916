"""Baselines: record today's findings so a gate can fail only on new ones.

A finding's fingerprint is ``(path, code, source, occurrence)``:

* ``path``: the file relative to the baseline file's directory, with forward slashes, so the
  baseline works from any working directory and on any OS;
* ``code``: the rule code;
* ``source``: the finding's source line with whitespace collapsed (not its line number, so edits
  above it, or re-indenting it, do not invalidate it);
* ``occurrence``: its index among the findings with the same ``(path, code, source)``, in
  position order, so a second identical line is a new finding.

A baselined finding that is fixed simply stops matching; a new finding (a new line, or one more
copy of a known line) is reported. The file is JSON, sorted and versioned::

    {"version": 1, "findings": [{"path": "app/io.py", "code": "TMP001", "source": "...", "occurrence": 0}]}
"""
from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import DefaultDict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

from tmplint.detector import Finding
from tmplint.files import FileError, atomic_write, read_bytes
from tmplint.sources import SourceLines

VERSION = 1
Fingerprint = Tuple[str, str, str, int]


class BaselineError(Exception):
    """A baseline file that cannot be read, parsed or written; the message says why."""


@dataclass(frozen=True)
class Baseline:
    #: the baseline file; fingerprint paths are relative to its directory
    path: Path
    fingerprints: FrozenSet[Fingerprint]

    def __len__(self) -> int:
        return len(self.fingerprints)


def normalize_source(line: str) -> str:
    return " ".join(line.split())


def _relative_path(path: str, base: Path) -> str:
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute, os.path.abspath(base))
    except ValueError:  # another drive on Windows: keep it absolute
        relative = absolute
    return PurePath(relative).as_posix()


def fingerprints(
    findings: Sequence[Finding], base: Path, sources: Optional[Mapping[str, str]] = None
) -> List[Tuple[Fingerprint, Finding]]:
    """Each finding with its fingerprint, relative to directory ``base``. ``sources`` gives the
    text of paths that are not files on disk (``-`` / ``--stdin-filename``)."""
    lines = SourceLines(sources)
    seen: DefaultDict[Tuple[str, str, str], int] = defaultdict(int)
    result = []
    for finding in sorted(findings, key=lambda f: (f.path, f.line, f.col, f.code)):
        text = lines.line(finding.path, finding.line)
        key = (_relative_path(finding.path, base), finding.code, normalize_source(text or ""))
        result.append(((*key, seen[key]), finding))
        seen[key] += 1
    return result


def write_baseline(path: Path, findings: Sequence[Finding], sources: Optional[Mapping[str, str]] = None) -> int:
    """Write ``findings`` to ``path`` atomically; returns how many were recorded."""
    path = Path(path)
    records = sorted(fp for fp, _ in fingerprints(findings, path.parent, sources))
    document = {
        "version": VERSION,
        "findings": [
            {"path": p, "code": code, "source": source, "occurrence": occurrence}
            for p, code, source, occurrence in records
        ],
    }
    data = (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        atomic_write(path, data)
    except FileError as exc:
        raise BaselineError(str(exc)) from None
    return len(records)


def _invalid(why: str) -> BaselineError:
    return BaselineError(
        f"not a tmplint baseline ({why}); write one with `tmplint check --write-baseline FILE`"
    )


def load_baseline(path: Path) -> Baseline:
    path = Path(path)
    if not path.exists():
        raise BaselineError("baseline file not found; create it with `tmplint check --write-baseline FILE`")
    try:
        data = read_bytes(path)
    except FileError as exc:
        raise BaselineError(str(exc)) from None
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise _invalid("not UTF-8") from None
    except ValueError as exc:
        raise _invalid(f"invalid JSON: {exc}") from None
    if not isinstance(document, dict) or "version" not in document:
        raise _invalid('expected an object with "version" and "findings"')
    if document["version"] != VERSION:
        raise BaselineError(
            f"unsupported baseline version {document['version']!r} (this tmplint reads version "
            f"{VERSION}); regenerate it with `tmplint check --write-baseline FILE`"
        )
    entries = document.get("findings")
    if not isinstance(entries, list):
        raise _invalid('"findings" must be a list')
    found = set()
    for number, entry in enumerate(entries):
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("path"), str)
            and isinstance(entry.get("code"), str)
            and isinstance(entry.get("source"), str)
            and type(entry.get("occurrence")) is int
            and entry["occurrence"] >= 0
        ):
            raise _invalid(
                f"findings[{number}] must be an object with string path, code and source and "
                "a non-negative integer occurrence"
            )
        found.add((entry["path"], entry["code"], entry["source"], entry["occurrence"]))
    return Baseline(path, frozenset(found))


def new_findings(
    findings: Sequence[Finding], baseline: Baseline, sources: Optional[Mapping[str, str]] = None
) -> List[Finding]:
    """The findings not recorded in ``baseline``, in their original order."""
    pairs = fingerprints(findings, baseline.path.parent, sources)
    known = {id(f) for fp, f in pairs if fp in baseline.fingerprints}
    return [f for f in findings if id(f) not in known]
