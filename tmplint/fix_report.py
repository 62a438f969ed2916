"""What ``tmplint fix`` did to a file, in the rewritten file's terms: the original's positions
mapped to the rewritten file (``Rewrite``), and the ``--report`` markdown (``render_report``).

``tmplint.fix`` runs the rewrite and uses these for its stderr summary and for ``--report``.
"""
from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Tuple

from tmplint.baseline import normalize_source
from tmplint.config import Config
from tmplint.detector import DetectorError, Finding, check_bytes, decode_source
from tmplint.sources import line_opcodes, split_lines

if TYPE_CHECKING:  # tmplint.fix imports this module
    from tmplint.fix import FileOutcome


# --------------------------------------------------------------------------- positions in the rewritten file


#: the helper's functions a rewritten site calls (``cleanup_temp_path`` goes in the ``finally``)
_HELPER_CALL = re.compile(r"\b(?:get_temp_path|get_temp_dir|make_temp_dir|make_temp_file|open_temp_file)\(")


class LineMap:
    """A module's lines before and after its rewrite, and where each old line went. Lines are
    compared without their indentation, so code a ``try:`` now wraps still maps line for line."""

    def __init__(self, old: List[str], new: List[str]) -> None:
        self.old, self.new = old, new
        self._opcodes = line_opcodes([line.strip() for line in old], [line.strip() for line in new])

    def old_text(self, line: int) -> str:
        return self.old[line - 1] if 0 < line <= len(self.old) else ""

    def new_text(self, line: Optional[int]) -> str:
        return self.new[line - 1] if line is not None and 0 < line <= len(self.new) else ""

    def new_line(self, line: int, site: bool = False) -> Optional[int]:
        """Where old ``line`` (1-based) is in the new file: the same line where it is unchanged,
        where a rewrite replaced it the most similar line of the new block (for a rewritten
        ``site``, one that calls the helper first), None where it was removed."""
        i = line - 1
        for tag, i1, i2, j1, j2 in self._opcodes:
            if not i1 <= i < i2:
                continue
            if tag == "equal":
                return j1 + (i - i1) + 1
            if j1 == j2:
                return None
            text = self.old[i].strip()
            best = max(range(j1, j2), key=lambda j: (
                site and _HELPER_CALL.search(self.new[j]) is not None and _HELPER_CALL.search(text) is None,
                difflib.SequenceMatcher(None, text, self.new[j].strip()).ratio(),
                -abs((j - j1) - (i - i1))))
            return best + 1
        return None


class Rewrite:
    """One rewritten file: its outcome's positions moved to the rewritten file. Small (it keeps
    no text but the fixed sites' lines): a worker makes it and sends it back."""

    def __init__(self, path: str, old: bytes, outcome: FileOutcome, config: Config) -> None:
        assert outcome.data is not None
        #: the lines before and after (dropped once the positions are moved: they stay here)
        self.map = LineMap(split_lines(decode_source(old, path)), split_lines(decode_source(outcome.data, path)))
        #: (code, target, line in the rewritten file or None when removed, old line, new line)
        self.fixed: List[Tuple[str, str, Optional[int], str, str]] = []
        for code, line, _col, target in outcome.fixed:
            new = self.map.new_line(line, site=True)
            self.fixed.append((code, target, new, self.map.old_text(line).strip(), self.map.new_text(new).strip()))
        self.left = self._left(path, outcome.data, outcome.left, config)
        self.notes = [(code, self._line(line, site=True), col, target, self._message(message))
                      for code, line, col, target, message in outcome.notes]
        self.params = [(name, self._line(line)) for name, line in outcome.params]
        del self.map

    def _message(self, message: str) -> str:
        """A reason or note with the lines it names (``returned (line 17)``) moved too."""
        return re.sub(r"\bline (\d+)\b", lambda m: f"line {self._line(int(m.group(1)))}", message)

    def _line(self, line: int, site: bool = False) -> int:
        new = self.map.new_line(line, site)
        return new if new is not None else line

    def _left(self, path: str, new: bytes, left: Sequence[Tuple[str, int, int, str, str]],
              config: Config) -> List[Tuple[str, int, int, str, str]]:
        """Left sites are still findings in the rewritten file: each is matched with the new
        finding of the same rule, target and source line nearest where the line diff puts it."""
        if not left:
            return []
        try:
            found = check_bytes(new, path, config)
        except DetectorError:  # pragma: no cover - the rewritten file was compiled
            found = []
        candidates: Dict[Tuple[str, str, str], List[Finding]] = {}
        for finding in found:
            key = (finding.code, finding.target, normalize_source(self.map.new_text(finding.line)))
            candidates.setdefault(key, []).append(finding)
        moved = []
        for code, line, col, target, reason in left:
            guess = self._line(line)
            options = candidates.get((code, target, normalize_source(self.map.old_text(line))), [])
            if options:
                best = min(options, key=lambda f: (abs(f.line - guess), abs(f.col - col)))
                options.remove(best)
                moved.append((code, best.line, best.col, target, self._message(reason)))
            else:  # e.g. marked with # noqa: no longer a finding
                moved.append((code, guess, col, target, self._message(reason)))
        return moved


# --------------------------------------------------------------------------- the markdown report (--report)


@dataclass
class FileSection:
    shown: str
    error: Optional[str] = None
    changed: bool = False
    #: (code, target, line in the rewritten file or None when removed, old line, new line)
    fixed: List[Tuple[str, str, Optional[int], str, str]] = field(default_factory=list)
    #: (code, line, col, target, reason), positions in the rewritten file
    left: List[Tuple[str, int, int, str, str]] = field(default_factory=list)
    notes: List[Tuple[str, int, int, str, str]] = field(default_factory=list)
    #: (name, line of its def in the rewritten file)
    params: List[Tuple[str, int]] = field(default_factory=list)
    patched_by: List[str] = field(default_factory=list)
    kept_imports: List[str] = field(default_factory=list)

    @classmethod
    def build(cls, shown: str, outcome: FileOutcome, view: Optional[Rewrite],
              patched_by: Sequence[str]) -> "FileSection":
        if view is None:  # the file does not change: its positions are the rewritten file's
            return cls(shown, left=list(outcome.left), notes=list(outcome.notes))
        return cls(shown, changed=True, fixed=view.fixed, left=view.left, notes=view.notes, params=view.params,
                   patched_by=list(patched_by), kept_imports=list(outcome.kept_imports))


#: a call of one of the functions that got a workflow_id: (path, line, source line, passes **kwargs)
UnpassedCall = Tuple[str, int, str, bool]


def _code(text: str) -> str:
    """``text`` as markdown inline code, whatever backticks it holds."""
    if not text:
        return "(empty line)"
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def short_target(target: str) -> str:
    return "literal path" if target == "literal" else target


def per_rule(fixed: Counter) -> str:
    """The sites fixed by rule: ``TMP001: 2, TMP003: 1``."""
    return ", ".join(f"{code}: {count}" for code, count in sorted(fixed.items()))


def render_report(sections: Sequence[FileSection], calls: Dict[str, List[UnpassedCall]], *, scanned: int,
                  with_findings: int, changed: int, fixed: Counter, noqa: Optional[int],
                  baselined: Optional[int], errors: int, mode: Optional[str], helper: str) -> str:
    """The ``--report`` markdown: totals, then per file what was rewritten, left and noted, the
    functions that got a ``workflow_id`` parameter with the calls that do not pass one yet, the
    tests that patch ``tempfile`` in the module, and a paragraph for the pull request."""
    out = _totals(sections, scanned=scanned, with_findings=with_findings, changed=changed, fixed=fixed,
                  noqa=noqa, baselined=baselined, errors=errors, mode=mode)
    for section in sections:
        out += _file_section(section, calls)
    out += _pull_request_description(sections, calls, changed=changed, fixed=fixed, baselined=baselined,
                                     helper=helper)
    return "\n".join(out)


def _totals(sections: Sequence[FileSection], *, scanned: int, with_findings: int, changed: int, fixed: Counter,
            noqa: Optional[int], baselined: Optional[int], errors: int, mode: Optional[str]) -> List[str]:
    """The title and the counts of the whole run."""
    by_rule = per_rule(fixed)
    out = ["# tmplint fix report", ""]
    if mode is not None:
        out += [f"Nothing was written (`tmplint fix {mode}`): this describes what `tmplint fix` would do.", ""]
    out += [
        f"- Files changed: {changed} (of {scanned} scanned, {with_findings} with findings)",
        f"- Sites fixed: {sum(fixed.values())}" + (f" ({by_rule})" if by_rule else ""),
        f"- Sites left: {sum(len(s.left) for s in sections)}"
        + (f" ({noqa} marked with `# noqa`)" if noqa is not None else ""),
        f"- Lifetimes kept (no cleanup added): {sum(len(s.notes) for s in sections)}",
    ]
    if baselined is not None:
        out.append(f"- Baselined sites skipped: {baselined}")
    if errors:
        out.append(f"- Errors: {errors}")
    return out + ["", "Line numbers are those of the rewritten files.", ""]


def _file_section(section: FileSection, calls: Dict[str, List[UnpassedCall]]) -> List[str]:
    """One file's heading and lists."""
    out = [f"## `{section.shown}`", ""]
    if section.error is not None:
        out += [f"Error: {section.error} (nothing rewritten)", ""]
    out += _list("Rewritten:", [_rewritten_item(*rewritten) for rewritten in section.fixed])
    out += _list("Left:", [_site_item(*site) for site in section.left])
    out += _list("Notes:", [_site_item(*note) for note in section.notes])
    out += _list("`workflow_id` parameter added (keyword-only, default `None`):",
                 [item for name, line in section.params for item in _parameter_items(name, line, calls)])
    out += _list("Tests that patch `tempfile` in this module"
                 + (" (its `import tempfile` was kept):" if section.kept_imports else ":"),
                 [f"- `{where}`" for where in section.patched_by])
    return out


def _list(title: str, items: List[str]) -> List[str]:
    """A titled markdown list, nothing when there are no items."""
    return [title, *items, ""] if items else []


def _rewritten_item(code: str, target: str, line: Optional[int], old: str, new: str) -> str:
    where = f"line {line}" if line is not None else "removed"
    return (f"- {where} ({code} `{short_target(target)}`): {_code(old)} → "
            + (_code(new) if line is not None else "(line removed)"))


def _site_item(code: str, line: int, col: int, target: str, message: str) -> str:
    """A site left or a note."""
    return f"- line {line}:{col + 1} ({code} `{short_target(target)}`): {message}"


def _parameter_items(name: str, line: int, calls: Dict[str, List[UnpassedCall]]) -> List[str]:
    """A function that got the ``workflow_id`` parameter, with the calls that do not pass it yet."""
    found = calls.get(name, [])
    if not found:
        return [f"- line {line} `{name}()`: no call without `workflow_id=` found"]
    return [f"- line {line} `{name}()`: calls that do not pass `workflow_id=` yet (matched by name):"] + [
        f"  - `{shown}:{call_line}`: {_code(source)}" + (" (passes `**kwargs`: check)" if star else "")
        for shown, call_line, source, star in found]


def _pull_request_description(sections: Sequence[FileSection], calls: Dict[str, List[UnpassedCall]], *,
                              changed: int, fixed: Counter, baselined: Optional[int], helper: str) -> List[str]:
    """A paragraph for the pull request: what was rewritten, and what a reviewer should look at."""
    total_fixed = sum(fixed.values())
    total_notes = sum(len(s.notes) for s in sections)
    total_left = sum(len(s.left) for s in sections)
    functions = sum(len(s.params) for s in sections)
    patched = sum(1 for s in sections if s.patched_by)
    by_rule = per_rule(fixed)
    body = [f"This moves scratch files out of the shared system temp dir into per-job paths from the "
            f"`{helper}` helper: `tmplint fix` rewrote {_plural(total_fixed, 'site')} in {_plural(changed, 'file')}"
            + (f" ({by_rule})" if by_rule else "") + "."]
    if total_notes:
        body.append(f"{_plural(total_notes, 'rewritten site')} keep{'s' if total_notes == 1 else ''} the lifetime "
                    "the original code gave it (no cleanup added; see the notes).")
    if functions:
        body.append(_parameters_sentence(functions, sum(len(found) for found in calls.values())))
    if total_left:
        body.append(f"{_plural(total_left, 'site')} could not be rewritten automatically and "
                    + ("is" if total_left == 1 else "are") + " listed with the reason.")
    if patched:
        body.append(f"Tests patch `tempfile` in {_plural(patched, 'changed module')}; the rewritten code no "
                    "longer calls it, so check what those tests assert.")
    if baselined:
        body.append(f"{_plural(baselined, 'site')} recorded in the baseline "
                    + ("was" if baselined == 1 else "were") + " left as they are.")
    return ["## Pull request description", "", " ".join(body), ""]


def _parameters_sentence(functions: int, unpassed: int) -> str:
    """How many functions got the ``workflow_id`` parameter, and how many calls do not pass it."""
    sentence = f"{_plural(functions, 'function')} gained an optional keyword-only `workflow_id` parameter"
    if unpassed:
        sentence += (f"; {_plural(unpassed, 'call')} found by name {'does' if unpassed == 1 else 'do'} "
                     "not pass it yet (see the report)")
    return sentence + "."
