"""``--add-noqa``: mark the sites the codemod left with ``# noqa: TMPxxx``.

Runs on the rewritten module's text, with the detector's own findings for that text (so the line
numbers are the final ones), and puts each comment where flake8 and ``tmplint check`` look for it:
on the site's physical line, or, when that line is continued by a multi-line string or a
backslash, on the last line of that token group (``detector.noqa_lines`` reads it the same way).
An existing comment there is merged into (``# noqa: E501`` becomes ``# noqa: E501,TMP002``), a
blanket ``# noqa`` is left alone, any other comment gets ``  # noqa: ...`` appended.
"""
from __future__ import annotations

import re
import tokenize
from typing import Dict, List, Sequence, Set, Tuple

from tmplint.detector import Finding, parse_noqa
from tmplint.sources import split_lines


def noqa_comment(existing: "str | None", codes: Sequence[str]) -> str:
    """``existing`` comment with ``codes`` merged into its ``# noqa: ...`` (flake8's syntax), or a
    new ``# noqa: ...`` appended to it."""
    wanted = sorted(codes)
    if existing is None:
        return "# noqa: " + ",".join(wanted)
    noqa = parse_noqa(existing)
    if noqa is not None:
        match, present = noqa
        if present is None:
            return existing  # a blanket noqa already covers everything
        codes_text = match.group("codes")
        missing = [c for c in wanted if not any(c.startswith(p) for p in present)]
        if not missing:
            return existing
        separator = ", " if ", " in codes_text else ","
        end = match.start("codes") + len(codes_text.rstrip(", \t"))
        return existing[:end] + separator + separator.join(missing) + existing[end:]
    return existing + "  # noqa: " + ",".join(wanted)


def _groups(lines: List[str]) -> Tuple[Dict[int, int], Dict[int, int]]:
    """physical line -> the last line of its token group (where a comment covers it), and
    line -> column of the comment on that line, for ``lines`` with their breaks."""
    group_end: Dict[int, int] = {}
    comments: Dict[int, int] = {}
    low = None
    # the pure-Python tokenizer ends lines at \n only; Python itself also at \r
    for tok in tokenize.generate_tokens(iter([_LINE_END.sub("\n", line) for line in lines]).__next__):
        if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT, tokenize.INDENT):
            continue
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.start[1]
        if low is None:
            low = tok.start[0]
        if tok.type in (tokenize.NL, tokenize.NEWLINE):
            for line in range(low, tok.end[0] + 1):
                group_end[line] = tok.start[0]
            low = None
    return group_end, comments


_LINE_END = re.compile(r"(?:\r\n|\r|\n)$")


def add_noqa_comments(text: str, findings: Sequence[Finding]) -> Tuple[str, int]:
    """``text`` with every finding's line marked; returns the new text and how many lines got a
    comment or had one extended."""
    if not findings:
        return text, 0
    lines: List[str] = split_lines(text, keepends=True)
    try:
        group_end, comments = _groups(lines)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return text, 0
    wanted: Dict[int, Set[str]] = {}
    for finding in findings:
        line = group_end.get(finding.line)
        if line is not None:
            wanted.setdefault(line, set()).add(finding.code)
    changed = 0
    for number, codes in wanted.items():
        if number > len(lines):
            continue
        raw = lines[number - 1]
        body = _LINE_END.sub("", raw)
        ending = raw[len(body):]
        column = comments.get(number)
        if column is not None:
            new = body[:column] + noqa_comment(body[column:], sorted(codes))
        else:
            new = body.rstrip() + "  " + noqa_comment(None, sorted(codes))
        if new != body:
            lines[number - 1] = new + ending
            changed += 1
    return "".join(lines), changed
