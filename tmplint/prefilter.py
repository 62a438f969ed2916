"""The byte prefilter: which files can have a finding at all, decided without parsing.

``tmplint check`` reads every file but parses only the ones this says yes to, so it has to be
*sound* (it never says no to a file the detector would report something in) and should be as
*tight* as possible (it says yes to few files that then have no finding). ``tests/test_prefilter.py``
runs the detector with and without it over the stdlib, the fixtures and generated obfuscations and
compares the findings.

Why it is sound, rule by rule:

* TMP001-005, TMP008 need a name that an import binds to the ``tempfile`` module, so the file has
  ``import ... tempfile`` or ``from tempfile`` in it (keywords are ASCII; the identifier may be
  spelled with characters that NFKC-normalize to ``tempfile``, see below).
* TMP006 needs a str/bytes literal (or an f-string, or an f-string format spec) whose value
  *starts* with a temp dir ``D`` on a path boundary. The value is built from the source text after
  the opening quote (or the ``:`` of a format spec, or a backslash-newline continuation at the
  start of the value), from left to right, out of raw characters, escapes (``\\x2f``, ``\\057``,
  ``\\u002f``, ``\\N{...}``, backslash-newline) and adjacent literals (``"/t" "mp"``). Take the
  longest prefix ``P`` of ``D`` that appears raw right after the start; then either ``P == D``
  and a boundary character follows (``/``, a quote, ``\\``, ``{``, ``}``), or ``P`` is a proper
  prefix and what follows is an escape that can produce the next character of ``D`` (or a
  continuation), or the closing quote of a piece followed by whitespace, comments, continuations,
  string prefixes and quotes (empty pieces) and then the next character or an escape. Those are
  exactly the patterns searched for, each checked for a literal start right before it.
* TMP007 (off by default) needs a literal equal to ``TMPDIR``/``TMP``/``TEMP`` (found as above)
  and one of ``os.environ``/``os.getenv``..., so ``environ`` or ``getenv`` in the file.
* A file that is not pure ASCII, or that declares a coding cookie, is also decoded as Python
  decodes it and scanned again, both as decoded and NFKC-normalized (identifiers are), so
  ``import ｔempfile`` or a UTF-16-ish cookie cannot hide anything. A file Python cannot decode
  cannot have findings (the detector reports nothing but an error for it).

Files the prefilter rejects are not decoded or parsed at all, so a syntax or encoding error in a
file that cannot contain a finding is not reported (as with ``flake8 --select TMP``).
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Dict, FrozenSet, Iterable, Iterator, List, Match, Optional, Pattern, Tuple

from tmplint.config import Config
from tmplint.registry import RULES

TEMPFILE = b"tempfile"
_IMPORT = re.compile(
    rb"\bimport\b(?:[^\r\n;#\\]|\\(?:\r\n|\r|\n))*?\b" + TEMPFILE + rb"\b"
    rb"|\bfrom(?:[ \t\f]|\\(?:\r\n|\r|\n))+" + TEMPFILE + rb"\b"
)

#: a literal's value may start right after one of these bytes (a quote, a format spec's ``:``)
_OPENERS = frozenset(b"\"':")
_NEWLINE = rb"(?:\r\n|\r|\n)"
#: from the closing quote of one piece to the opening quote of the next: whitespace, comments,
#: backslash continuations, empty pieces and the next piece's string prefix
_BETWEEN_PIECES = rb"""["'](?:[\s"']|\\""" + _NEWLINE + rb"""|#[^\r\n]*|[rRbBuUfF]{1,2}(?=["']))*["']"""
_RAW_PREFIXES = frozenset({b"r", b"br", b"rb", b"fr", b"rf"})


def _escapes(chars: Iterable[str], continuation: bool = True, named: bool = True) -> bytes:
    """A regex for an escape producing one of ``chars``: a numeric escape or any named escape
    (``(?P<name>...)``, checked afterwards), or a backslash-newline ``continuation``. Without
    ``named`` groups it can be inlined into a bigger pattern."""
    forms = [_NEWLINE] if continuation else []
    for char in sorted(set(chars)):
        code = ord(char)
        if code < 0x100:
            forms.append(b"x" + _hex(code, 2))
        if code < 0o400:
            digits = oct(code)[2:].encode()
            forms.append(b"0{0,%d}" % (3 - len(digits)) + digits)
        if code < 0x10000:
            forms.append(b"u" + _hex(code, 4))
        forms.append(b"U" + _hex(code, 8))
    forms.append(rb"N\{(?P<name>[^}\r\n]{1,100})\}" if named else rb"N\{[^}\r\n]{1,100}\}")
    return (rb"(?P<escape>\\)(?:" if named else rb"\\(?:") + b"|".join(forms) + b")"


def _hex(code: int, width: int) -> bytes:
    return b"".join(
        b"[%s%s]" % (d.encode(), d.upper().encode()) if d.isalpha() else d.encode()
        for d in f"{code:0{width}x}"
    )


def _prefix_trie(texts: Iterable[bytes]) -> bytes:
    """A regex matching a non-empty prefix of one of ``texts`` that is followed by what can end
    or continue it: a quote or backslash after a proper prefix, also ``/``, ``{`` or ``}`` after a
    whole text. Longer prefixes are tried first and common prefixes are shared. After the first
    character alone (``"a/"`` ends many strings) the continuation itself is required."""
    whole = set(texts)
    tree: Dict[int, Dict] = {}
    for text in whole:
        node = tree
        for byte in text:
            node = node.setdefault(byte, {})

    def build(node: Dict[int, Dict], prefix: bytes) -> bytes:
        parts = [
            re.escape(bytes([byte])) + build(child, prefix + bytes([byte])) for byte, child in sorted(node.items())
        ]
        if prefix in whole:
            parts.append(rb"""(?=[/"'{}\\])""")
        elif len(prefix) == 1 and all(byte < 0x80 for byte in node):
            following = frozenset(chr(byte) for byte in node)
            parts.append(b"(?=" + _continuation_regex(following, named=False) + b")")
        else:
            parts.append(rb"""(?=["'\\])""")
        return b"(?:" + b"|".join(parts) + b")"

    roots = [re.escape(bytes([byte])) + build(child, bytes([byte])) for byte, child in sorted(tree.items())]
    return roots[0] if len(roots) == 1 else b"(?:" + b"|".join(roots) + b")"


def _minimal_prefixes(texts: Iterable[str]) -> Tuple[str, ...]:
    """Drop every temp dir another one covers: ``/tmp/x`` is found wherever ``/tmp`` is."""
    kept: List[str] = []
    for text in sorted(set(texts), key=lambda t: (len(t), t)):
        if not any(text.startswith(k + "/") for k in kept):
            kept.append(text)
    return tuple(kept)


class _LiteralFinder:
    """Finds a literal whose value starts with one of ``texts``, however it is spelled."""

    def __init__(self, texts: Tuple[str, ...], after_whole: bytes) -> None:
        self.texts = texts
        #: what may follow a whole text (a regex; a backslash only in an ``escape`` group)
        self.after_whole = re.compile(after_whole)
        #: first step: a prefix of a text followed by something that can end or continue it
        self.scan = re.compile(_prefix_trie(t.encode("utf-8") for t in texts))
        #: first step for a value whose very first character is escaped
        self.firsts = frozenset(t[0] for t in texts)
        self.first_escaped = re.compile(_escapes(self.firsts, continuation=False))
        #: the characters named escapes must produce to matter
        self.chars = frozenset("".join(texts))
        self.whole = frozenset(t.encode("utf-8") for t in texts)
        #: proper prefix -> the characters that can come next
        following: Dict[bytes, set] = {}
        for text in texts:
            for k in range(1, len(text)):
                following.setdefault(text[:k].encode("utf-8"), set()).add(text[k])
        self.following = {prefix: frozenset(chars) for prefix, chars in following.items()}

    def found(self, data: bytes) -> bool:
        return any(True for _ in self.starts(data))

    def starts(self, data: bytes) -> Iterator[int]:
        """Where, in ``data``, the value of such a literal may start (at least everywhere it does)."""
        yield from self._starts(data, self.scan, self._check_prefix)
        yield from self._starts(data, self.first_escaped, lambda d, m: self._escape_ok(d, m, m.start(), self.firsts))

    @staticmethod
    def _starts(data: bytes, pattern: Pattern[bytes], check: Callable[[bytes, Match[bytes]], bool]) -> Iterator[int]:
        search = pattern.search
        match = search(data)
        while match is not None:
            start = match.start()
            if start and (data[start - 1] in _OPENERS or _after_continuation(data, start)) and check(data, match):
                yield start
            match = search(data, start + 1)

    def _check_prefix(self, data: bytes, match: Match[bytes]) -> bool:
        start, end = match.span()
        prefix = data[start:end]
        if prefix in self.whole:
            tail = self.after_whole.match(data, end)
            if tail is not None and self._escape_ok(data, tail, start, frozenset("/")):
                return True
        following = self.following.get(prefix)
        if following:
            tail = _continuation(following).match(data, end)
            if tail is not None and (tail.group("split") or self._escape_ok(data, tail, start, following)):
                return True
        return False

    @staticmethod
    def _escape_ok(data: bytes, match: Match[bytes], start: int, wanted: FrozenSet[str]) -> bool:
        """An escape counts if it is one (not in a raw string) and, if named, names a wanted
        character."""
        groups = match.groupdict()
        if groups.get("escape") is None:
            return True
        if groups.get("split") is None and _in_raw_string(data, start):
            return False
        name = groups.get("name")
        if name is None:
            return True
        try:
            return unicodedata.lookup(name.decode("ascii")) in wanted
        except (KeyError, UnicodeDecodeError):
            return False


@functools.lru_cache(maxsize=None)
def _continuation(following: FrozenSet[str]) -> Pattern[bytes]:
    return re.compile(_continuation_regex(following, named=True))


def _continuation_regex(following: FrozenSet[str], named: bool) -> bytes:
    """After a proper prefix: an escape or continuation in the same piece, or the next piece
    starting with the next character (raw or escaped)."""
    raw = b"[" + b"".join(re.escape(c.encode("utf-8")) for c in sorted(following)) + b"]"
    escaped = _escapes(following, named=named)
    if not named:
        return b"(?:" + _BETWEEN_PIECES + b"(?:" + raw + b"|" + escaped + b")|" + escaped + b")"
    # the raw character only after a split: right after the prefix it would make a longer one
    return b"(?P<split>" + _BETWEEN_PIECES + b")?(?:(?(split)" + raw + b"|(?!))|" + escaped + b")"


#: after a whole temp dir: a path boundary, the end of the piece, an escaped ``/`` or a
#: continuation, an f-string replacement field or the end of a format spec
_AFTER_DIR = rb"""(?:[/"'{}]|""" + _escapes("/") + b")"
#: after a whole variable name: the end of the piece, a continuation, a replacement field
_AFTER_VAR = rb"""(?:["'{]|(?P<escape>\\)""" + _NEWLINE + b")"


def _after_continuation(data: bytes, pos: int) -> bool:
    if data[pos - 1] == 0x0A:  # \n or \r\n
        return data[pos - 2:pos - 1] == b"\\" or data[pos - 3:pos - 1] == b"\\\r"
    return data[pos - 1] == 0x0D and data[pos - 2:pos - 1] == b"\\"


def _in_raw_string(data: bytes, start: int) -> bool:
    """Whether the value starting at ``start`` right after an opening quote is a raw string."""
    quote = data[start - 1]
    if quote not in b"\"'":
        return False
    pos, quotes = start - 1, 0
    while pos >= 0 and data[pos] == quote and quotes < 3:
        pos, quotes = pos - 1, quotes + 1
    if quotes == 2:
        return False
    prefix_end = pos + 1
    while pos >= 0 and prefix_end - pos <= 3 and data[pos] < 0x80 and chr(data[pos]).isalpha():
        pos -= 1
    before = data[pos:pos + 1] if pos >= 0 else b""
    in_identifier = bool(before) and (before.isalnum() or before == b"_" or before[0] >= 0x80)
    return data[pos + 1:prefix_end].lower() in _RAW_PREFIXES and not in_identifier


def _declares_encoding(data: bytes) -> bool:
    """Whether a coding cookie may be in the first two lines (where Python looks for one)."""
    first = data.find(b"\n")
    second = data.find(b"\n", first + 1) if first >= 0 else -1
    return b"coding" in (data if second < 0 else data[:second])


@dataclass(frozen=True)
class Prefilter:
    """Decides, from a file's bytes alone, whether the detector could report anything in it."""

    #: look for ``tempfile`` imports (some TMP rule other than 006/007 is on)
    tempfile: bool
    #: temp dirs whose literals TMP006 reports (empty when TMP006 is off)
    temp_dirs: Tuple[str, ...]
    #: environment variable names TMP007 reports (empty when it is off)
    env_vars: Tuple[str, ...]
    #: identifiers TMP007 needs (``environ``, ``getenv``), one of which the file must spell
    env_names: Tuple[bytes, ...] = ()

    def __call__(self, data: bytes) -> bool:
        if self._scan(data):
            return True
        if data.isascii() and not _declares_encoding(data):
            return False
        return self._scan_unusual(data)

    def literal_starts(self, data: bytes) -> List[int]:
        """Offsets in ``data`` where a literal TMP006 (or TMP007) may report starts: a superset
        of them, however they are spelled (for the detector to skip statements without one)."""
        dirs, env = self._finders
        return [start for finder in (dirs, env) if finder is not None for start in finder.starts(data)]

    def matches_text(self, text: str) -> bool:
        """The same decision for already decoded source (the flake8 plugin's)."""
        encoded = text.encode("utf-8", "surrogatepass")
        return self._scan(encoded) or (not text.isascii() and self._normalized_names(encoded))

    # -- internals

    @functools.cached_property
    def _finders(self) -> Tuple[Optional[_LiteralFinder], Optional[_LiteralFinder]]:
        """Built once per prefilter and kept on it (an lru_cache would hash it for every file)."""
        return (
            _LiteralFinder(self.temp_dirs, _AFTER_DIR) if self.temp_dirs else None,
            _LiteralFinder(self.env_vars, _AFTER_VAR) if self.env_vars else None,
        )

    def _scan(self, data: bytes) -> bool:
        if self.tempfile and TEMPFILE in data and _IMPORT.search(data):
            return True
        dirs, env = self._finders
        if dirs is not None and dirs.found(data):
            return True
        return env is not None and any(n in data for n in self.env_names) and env.found(data)

    def _scan_unusual(self, data: bytes) -> bool:
        """Non-ASCII source or a coding cookie: scan it as Python decodes it, and look for
        names spelled with characters that NFKC-normalize to ASCII."""
        if _declares_encoding(data):
            from tmplint.detector import DetectorError, decode_source

            try:
                text = decode_source(data, "")
            except DetectorError:
                return False  # Python cannot read it, so it has no findings (only an error)
            encoded = text.encode("utf-8", "surrogatepass")
            if not data.endswith(encoded):  # not UTF-8 (with or without a BOM)
                if self._scan(encoded):
                    return True
                data = encoded
        return not data.isascii() and self._normalized_names(data)

    def _normalized_names(self, data: bytes) -> bool:
        """Identifiers are NFKC-normalized (``import ｔempfile`` imports tempfile); string values
        are not, so only names are looked up in normalized text: the import statements with
        non-ASCII characters, and the whole file for TMP007's ``environ``/``getenv``."""
        if self.tempfile:
            for pattern in _IMPORT_STATEMENTS:
                for match in pattern.finditer(data):
                    statement = match.group()
                    if not statement.isascii() and _IMPORT.search(_nfkc(statement)):
                        return True
        _, env = self._finders
        if env is not None:
            names = _nfkc(data)
            return any(n in names for n in self.env_names) and env.found(data)
        return False


#: an import statement's text up to its end (or a comment or ``;``); two patterns, each with a
#: literal prefix, are much faster than one with an alternation
_IMPORT_STATEMENTS = tuple(
    re.compile(keyword + rb"(?:[^\r\n;#\\]|\\(?:\r\n|\r|\n)?)*") for keyword in (b"import", b"from")
)


def _nfkc(data: bytes) -> bytes:
    text = data.decode("utf-8", "replace")
    return unicodedata.normalize("NFKC", text).encode("utf-8", "surrogatepass")


@functools.lru_cache(maxsize=64)
def prefilter_for(config: Config) -> Prefilter:
    """The prefilter for ``config``'s enabled rules and temp dirs: the needles of each enabled
    rule, as its registry entry states them."""
    needles = [RULES[code].needles for code in sorted(config.enabled_codes)]
    return Prefilter(
        tempfile=any(TEMPFILE.decode() in n.imports for n in needles),
        temp_dirs=_minimal_prefixes(config.all_temp_dirs) if any(n.temp_dir_literals for n in needles) else (),
        env_vars=tuple(sorted({literal for n in needles for literal in n.literals})),
        env_names=tuple(sorted({name.encode("ascii") for n in needles for name in n.names})),
    )
