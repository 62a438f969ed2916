"""Where a module's top-level statements start, found without parsing it.

The detector looks only at statements spanning a line where a tracked name or a temp literal may
be (see ``detector._lines_of``). In a test module those are a few classes among many, so it parses
only the top-level statements it will look at. Their boundaries come from a small lexer that knows
where every string and comment is (``#`` in a string, quotes in a comment, brackets in either),
so a line at column 0 counts as a statement start only when it really is one: outside strings and
brackets, not after a backslash continuation, not an ``else``/``elif``/``except``/``finally``
clause and not right after a decorator. A file it cannot read with certainty (an unterminated
string; on Python 3.12+ an f-string whose replacement field holds a string, a comment or a
backslash) gets no boundaries and is parsed whole. Dropping a real boundary only makes a group
bigger; what must never happen is a boundary inside a statement, and
``tests/test_toplevel.py`` parses every group of the stdlib's files on its own and compares the
result with the whole module's tree.
"""
from __future__ import annotations

import re
import sys
from typing import List, Match, Optional

_ESCAPE = r"\\(?:\r\n|[\s\S])"


def _single_quoted_rest(quote: str) -> str:
    # after the opening quote; not the empty string (its own branch) and never across a line
    return rf"(?!{quote})[^{quote}\\\r\n]*(?:{_ESCAPE}[^{quote}\\\r\n]*)*{quote}"


def _triple_quoted_rest(quote: str) -> str:
    return rf"{quote}{quote}[^{quote}\\]*(?:(?:{_ESCAPE}|{quote}(?!{quote}{quote}))[^{quote}\\]*)*{quote}{quote}{quote}"


#: a comment, a string (its prefix letters are code) or, when nothing else matches, a lone quote:
#: a string that never ends. One character class first and a lookbehind to pick the branch is
#: three times faster with ``re`` than an alternation of the forms.
_LEXEME = re.compile(
    r"[#'\"](?:(?<=\#)[^\r\n]*"
    + "".join(
        rf"|(?<={q})(?:{_triple_quoted_rest(q)}|{q}(?!{q})|{_single_quoted_rest(q)}|)" for q in ("'", '"')
    )
    + ")"
)
#: a line starting at column 0 with code (comments are blanked to spaces by then)
_COLUMN_0 = re.compile(r"\n(?=[^ \t\f\n\\])")
_CLAUSE = re.compile(r"(?:else|elif|except|finally)\b")
#: Python 3.12+ tokenizes f-string replacement fields as code (PEP 701): they may hold strings
#: with the same quote, comments and backslashes, which a string regex cannot follow
_FIELDS_ARE_CODE = sys.version_info >= (3, 12)
_PREFIX_LETTERS = frozenset("rRbBuUfFtT")


def universal_newlines(text: str) -> str:
    """``text`` with ``\r\n`` and ``\r`` line ends as ``\n``, as Python's tokenizer reads them
    (so line numbers and trees do not change): what :func:`statement_starts` takes."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


class _Unlexable(Exception):
    """The lexer cannot be sure where this file's strings end."""


def statement_starts(code: str) -> Optional[List[int]]:
    """Offsets in ``code`` (see :func:`universal_newlines`) where groups of top-level statements
    start, 0 first; each group ends where the next starts. None when it cannot tell."""
    try:
        blanked = _LEXEME.sub(_blank, code)
    except _Unlexable:
        return None
    starts = [0]
    depth = 0
    last = 0
    after_decorator = blanked[:1] == "@"
    count = blanked.count
    for match in _COLUMN_0.finditer(blanked):
        pos = match.end()
        depth += (
            count("(", last, pos) + count("[", last, pos) + count("{", last, pos)
            - count(")", last, pos) - count("]", last, pos) - count("}", last, pos)
        )
        last = pos
        if depth != 0 or blanked[pos - 2:pos - 1] == "\\":
            continue
        if not after_decorator and not _CLAUSE.match(blanked, pos):
            starts.append(pos)
        after_decorator = blanked[pos] == "@"
    return starts


def _blank(match: Match[str]) -> str:
    """A comment becomes spaces, a string ``x``s of the same length (no newline, no bracket)."""
    lexeme = match.group()
    if lexeme[0] == "#":
        return " " * len(lexeme)
    if len(lexeme) == 1:
        raise _Unlexable
    if _FIELDS_ARE_CODE and "{" in lexeme and _is_fstring(match.string, match.start()):
        if not _fields_are_plain(lexeme):
            raise _Unlexable
    return "x" * len(lexeme)


def _is_fstring(code: str, quote_at: int) -> bool:
    """Whether the prefix letters right before a quote hold an ``f`` (or a 3.14 ``t``)."""
    start = quote_at
    while start > max(0, quote_at - 2) and code[start - 1] in _PREFIX_LETTERS:
        start -= 1
    return any(letter in "fFtT" for letter in code[start:quote_at])


def _fields_are_plain(lexeme: str) -> bool:
    """Whether an f-string's replacement fields hold no quote, comment, backslash or newline and
    all close before its end: then the string regex found the same end as the tokenizer."""
    width = 3 if len(lexeme) >= 6 and lexeme[0] == lexeme[1] == lexeme[2] else 1
    content = lexeme[width:-width]
    depth = 0
    index = 0
    while index < len(content):
        char = content[index]
        if depth == 0:
            if char in "{}" and content[index + 1:index + 2] == char:
                index += 2
                continue
            if char == "{":
                depth = 1
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char in "'\"#\\\r\n":
            return False
        index += 1
    return depth == 0
