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

A test module's top-level statements are mostly a few big classes, so the body of a class is split
the same way (:func:`class_body_starts`): the detector parses the class header with only the body
statements it looks at. And the lexer knows whether every name in a module is ASCII although the
module is not (:func:`names_are_ascii`: non-ASCII text only in strings and comments), so that the
detector can find names by their bytes there too.
"""
from __future__ import annotations

import functools
import re
import sys
from typing import List, Optional, Tuple

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
#: stands for a non-ASCII f-string in the lexer's view: not a quote, bracket or newline
_UNSURE = "\x80"


def universal_newlines(text: str) -> str:
    """``text`` with ``\r\n`` and ``\r`` line ends as ``\n``, as Python's tokenizer reads them
    (so line numbers and trees do not change): what :func:`statement_starts` takes."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


#: :data:`_LEXEME` captured, so that ``split`` gives code and lexemes in turn in one pass
_CODE_AND_LEXEMES = re.compile(f"({_LEXEME.pattern})")


@functools.lru_cache(maxsize=4)
def lexer_view(code: str) -> Optional[str]:
    """``code`` (see :func:`universal_newlines`) as the lexer sees it, offsets unchanged: every
    comment blanked to spaces, every string to ``x``s (an f-string with non-ASCII text starts
    with :data:`_UNSURE` instead: its fields may hold names). None when it cannot tell where the
    strings end. Cached: the detector asks about the same module several times."""
    # one split and list work instead of a Python callback per lexeme (about 50,000 on Lib/)
    parts = _CODE_AND_LEXEMES.split(code)
    lexemes = parts[1::2]
    if "'" in lexemes or '"' in lexemes:
        return None  # a lone quote: a string that never ends
    blanked = [(" " if lexeme[0] == "#" else "x") * len(lexeme) for lexeme in lexemes]
    for index in [index for index, lexeme in enumerate(lexemes) if "{" in lexeme and lexeme[0] != "#"]:
        lexeme = lexemes[index]
        before = parts[2 * index]  # the code before the quote: its prefix letters
        if not _is_fstring(before, len(before)):
            continue
        if _FIELDS_ARE_CODE and not _fields_are_plain(lexeme):
            return None
        if not lexeme.isascii():
            blanked[index] = _UNSURE + blanked[index][1:]
    parts[1::2] = blanked
    return "".join(parts)


def names_are_ascii(code: str) -> bool:
    """Whether every name (identifier, keyword) in ``code`` is ASCII: it is, or its non-ASCII
    text is all in strings and comments (Python NFKC-normalizes names, not string values)."""
    if code.isascii():
        return True
    lexed = lexer_view(universal_newlines(code))
    return lexed is not None and lexed.isascii()


def statement_starts(code: str) -> Optional[List[int]]:
    """Offsets in ``code`` (see :func:`universal_newlines`) where groups of top-level statements
    start, 0 first; each group ends where the next starts. None when it cannot tell."""
    lexed = lexer_view(code)
    if lexed is None:
        return None
    return _starts_in(lexed)


#: every opening bracket as ``(``, every closing one as ``)``
_ONE_BRACKET = bytes.maketrans(b"[{]}", b"(())")


@functools.lru_cache(maxsize=4)
def _brackets(lexed: str) -> bytes:
    """``lexed`` (a :func:`lexer_view`) as one byte per character (non-Latin-1 ones as ``?``),
    each bracket as :data:`_ONE_BRACKET` has it: the nesting a stretch of it changes is two
    counts, made at C speed (``str.translate`` is ten times slower than this). Cached, as the
    view is: the class bodies of a module are split in the same text."""
    return lexed.encode("latin-1", "replace").translate(_ONE_BRACKET)


def _nesting_change(brackets: bytes, start: int, end: int) -> int:
    """How much deeper in brackets ``end`` is than ``start`` (see :func:`_brackets`)."""
    return brackets.count(b"(", start, end) - brackets.count(b")", start, end)


def _starts_in(blanked: str) -> List[int]:
    starts = [0]
    depth = 0
    last = 0
    after_decorator = blanked[:1] == "@"
    brackets = _brackets(blanked)
    for match in _COLUMN_0.finditer(blanked):
        pos = match.end()
        depth += _nesting_change(brackets, last, pos)
        last = pos
        if depth != 0 or blanked[pos - 2:pos - 1] == "\\":
            continue
        if not after_decorator and not _CLAUSE.match(blanked, pos):
            starts.append(pos)
        after_decorator = blanked[pos] == "@"
    return starts


#: a line with code (comments are blanked to spaces by then) and its indentation
_INDENTED_LINE = re.compile(r"\n([ \t\f]*)(?=[^ \t\f\n\\])")
_CLASS = re.compile(r"class\b")


def class_body_starts(code: str, start: int, end: int) -> Optional[List[int]]:
    """For the group ``code[start:end]`` (from :func:`statement_starts`) that is a class (with its
    decorators) whose body is on lines of its own: the offsets where groups of its body statements
    start, each at the start of its line; the first ends the header. Found as the top-level ones
    are, at the indentation of the body's first line. None for any other group, or when it cannot
    tell."""
    lexed = lexer_view(code)
    if lexed is None or not (lexed[start] == "@" or _CLASS.match(lexed, start)):
        return None
    body = _body_line(lexed, start, end)
    if body is None:
        return None
    line_start, indent = body
    starts = [line_start]
    last = line_start
    depth = 0
    after_decorator = lexed[line_start + len(indent)] == "@"
    brackets = _brackets(lexed)
    # lines indented more belong to a body statement; less (in a file Python can read) is no line
    # of this group, as the group ends at the next line starting at column 0
    for match in re.compile(r"\n" + re.escape(indent) + r"(?=[^ \t\f\n\\])").finditer(lexed, line_start, end):
        pos = match.end()
        depth += _nesting_change(brackets, last, pos)
        last = pos
        if depth != 0 or lexed[match.start() - 1] == "\\":
            continue
        if not after_decorator and not _CLAUSE.match(lexed, pos):
            starts.append(match.start() + 1)
        after_decorator = lexed[pos] == "@"
    return starts


def _body_line(lexed: str, start: int, end: int) -> Optional[Tuple[int, str]]:
    """Where the first line of a class's body starts, and its indentation: the first indented line
    outside brackets and continuations, right after the header's lines (decorators, then ``class``
    last). None when the body is on the header's line."""
    is_class = _CLASS.match(lexed, start) is not None
    depth, last = 0, start
    brackets = _brackets(lexed)
    for match in _INDENTED_LINE.finditer(lexed, start, end):
        pos = match.end()
        depth += _nesting_change(brackets, last, pos)
        last = pos
        if depth != 0 or lexed[match.start() - 1] == "\\":
            continue
        if match.group(1):
            return (match.start() + 1, match.group(1)) if is_class else None
        is_class = _CLASS.match(lexed, pos) is not None
    return None


def _is_fstring(code: str, quote_at: int) -> bool:
    """Whether the prefix letters right before a quote hold an ``f`` (or a 3.14 ``t``)."""
    start = quote_at
    while start > max(0, quote_at - 2) and code[start - 1] in _PREFIX_LETTERS:
        start -= 1
    return any(letter in "fFtT" for letter in code[start:quote_at])


#: f-string content whose fields all hold plain code (no string, comment, backslash, bracket,
#: brace or colon) with at most a plain format spec: what :func:`_fields_are_plain` says yes to
#: at once (most f-strings), without its loop over every character
_SIMPLE_FIELDS = re.compile(r"(?:[^{}]|\{\{|\}\}|\{[^{}()\[\]'\"#\\\r\n:]*(?::[^{}\\\r\n]*)?\})*")


def _fields_are_plain(lexeme: str) -> bool:
    """Whether the string regex found the same end of an f-string as the 3.12+ tokenizer: its
    replacement fields hold no comment, backslash or newline, every string in them ends inside
    them (one with the f-string's own quote would have ended the lexeme early, leaving it open),
    and they all close before its end. A format spec (after a top-level ``:``) is text: ``#`` and
    quotes there are characters."""
    width = 3 if len(lexeme) >= 6 and lexeme[0] == lexeme[1] == lexeme[2] else 1
    content = lexeme[width:-width]
    if _SIMPLE_FIELDS.fullmatch(content):
        return True
    #: per open field: its bracket nesting in code, or -1 in its format spec
    fields: List[int] = []
    index = 0
    while index < len(content):
        char = content[index]
        if fields and fields[-1] >= 0:
            index = _field_code_step(content, index, fields)
            if index < 0:
                return False
            continue
        if char in "{}" and content[index + 1:index + 2] == char and not fields:
            index += 2  # an escaped brace in the text
            continue
        if char == "{":
            fields.append(0)
        elif char == "}":
            if not fields:
                return False
            fields.pop()
        elif fields and char in "\\\r\n":
            return False
        index += 1
    return not fields


def _field_code_step(content: str, index: int, fields: List[int]) -> int:
    """One step through the code of the innermost field (``fields[-1]``, its bracket nesting):
    where the next step starts, or -1 where the tokenizer may read it differently."""
    char = content[index]
    if char in "'\"":
        end = content.find(char, index + 1)  # a string in the field: its end, on the same line
        if end < 0 or any(c in content[index + 1:end] for c in "\\\r\n"):
            return -1
        return end + 1
    if char in "#\\\r\n":
        return -1
    if char in "([{":
        fields[-1] += 1
    elif char in ")]":
        if fields[-1] == 0:
            return -1
        fields[-1] -= 1
    elif char == "}":
        if fields[-1] == 0:
            fields.pop()
        else:
            fields[-1] -= 1
    elif char == ":" and fields[-1] == 0:
        fields[-1] = -1  # the format spec
    return index + 1
