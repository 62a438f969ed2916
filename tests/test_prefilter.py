"""The byte prefilter never changes the result: the detector finds the same with and without it.

The prefilter decides from a file's bytes alone whether the detector could report anything in it;
every file it turns away is never parsed. So it must never turn away a file with a finding, however
the temp path or import is spelled. These tests run the detector with and without it over the test
fixtures, a sample of the running interpreter's stdlib and generated spellings, and compare.
(``benchmarks/corpus.py`` does the same over all of ``Lib/`` and site-packages.)

The reference also walks every statement: the detector's own shortcut (skipping statements with no
tracked name or temp literal on their lines, found with the same literal finder) is checked with it.
"""
from __future__ import annotations

import os
import re
import sysconfig
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import List, Optional, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import FIXTURES, fixture_config
from tmplint.config import Config
from tmplint.detector import DetectorError, Finding, check_bytes, detect_bytes
from tmplint.prefilter import prefilter_for

ROOT = Path(__file__).parent.parent
ALL_RULES = Config(select=("TMP001", "TMP002", "TMP003", "TMP004", "TMP005", "TMP006", "TMP007", "TMP008"))
CONFIGS = {
    "default": Config(),
    "all": ALL_RULES,
    "literals-only": Config(select=("TMP006",)),
    "no-literals": Config(ignore=("TMP006",)),
    "custom-dirs": Config(temp_dirs=("/scratch", "/mnt/big data"), extend_temp_dirs=("/tmp",)),
}


def reference_findings(data: bytes, path: str, config: Config) -> List[Finding]:
    """The detector without any shortcut: no prefilter, and a walk of every statement (the
    pass normally skips statements without a tracked name or temp literal on their lines)."""
    return detect_bytes(data, path, config, skip_statements=False)


def compare(data: bytes, path: str, config: Config) -> Tuple[Optional[List[Finding]], Optional[List[Finding]]]:
    """Findings of the plain detector and of the real one (None for a file it cannot read)."""
    try:
        unfiltered: Optional[List[Finding]] = reference_findings(data, path, config)
    except DetectorError:
        unfiltered = None
    try:
        filtered: Optional[List[Finding]] = check_bytes(data, path, config)
    except DetectorError:
        filtered = None
    return unfiltered, filtered


def assert_same(data: bytes, path: str, config: Config) -> None:
    unfiltered, filtered = compare(data, path, config)
    # a file Python cannot read is compared only for not crashing: the prefilter never parses one
    # without a finding, and the detector parses only the statements it looks at, so the error
    # may go unreported (tests/test_toplevel.py)
    if unfiltered is not None:
        assert filtered == unfiltered, path


# --------------------------------------------------------------------------- real files


def _fixture_files() -> List[Path]:
    files = sorted(FIXTURES.rglob("*.py")) + sorted((ROOT / "examples").rglob("*.py"))
    return [f for f in files if f.is_file()]


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_fixtures_same_with_and_without_prefilter(name):
    files = _fixture_files()
    assert files
    for path in files:
        assert_same(path.read_bytes(), str(path), CONFIGS[name])


def test_detector_fixtures_with_their_own_config():
    for path in sorted((FIXTURES / "detector").glob("*.py")):
        assert_same(path.read_bytes(), str(path), fixture_config(path))


def _stdlib_sample() -> List[str]:
    """Every stdlib file that mentions a temp dir or tempfile at all, smallest first up to a
    budget, and every 15th of the others: a minute of parsing cut to a few seconds."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    mentions = re.compile(rb"tmp|temp|shm|TMP|TEMP", re.IGNORECASE)
    interesting, others = [], []
    for path in sorted(stdlib.rglob("*.py")):
        if "site-packages" in path.parts:
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue
        (interesting if mentions.search(data) else others).append((len(data), str(path)))
    chosen, budget = [], 6_000_000
    for size, path in sorted(interesting):
        if size > budget:
            break
        budget -= size
        chosen.append(path)
    return chosen + [path for _, path in others[::15]]


def _compare_files(paths: List[str]) -> List[str]:
    differences = []
    for path in paths:
        data = Path(path).read_bytes()
        for name, config in CONFIGS.items():
            if name not in ("default", "all"):
                continue
            unfiltered, filtered = compare(data, path, config)
            if unfiltered is not None and filtered != unfiltered:
                differences.append(f"{path} ({name})")
    return differences


def test_stdlib_sample_same_with_and_without_prefilter():
    files = _stdlib_sample()
    assert len(files) > 150
    jobs = max(1, min(4, os.cpu_count() or 1))
    chunks = [files[i::jobs * 4] for i in range(jobs * 4)]
    with ProcessPoolExecutor(jobs) as pool:
        differences = [d for chunk in pool.map(_compare_files, chunks) for d in chunk]
    assert differences == []


# --------------------------------------------------------------------------- spellings

#: how a literal's characters may be written (str literals; bytes allow only \x and octal)
def _spellings(char: str, raw: bool, is_bytes: bool) -> List[str]:
    if raw:
        return [char]
    code = ord(char)
    forms = [char, f"\\x{code:02x}", f"\\x{code:02X}", f"\\{code:o}", f"\\{code:03o}"]
    if not is_bytes:
        forms += [f"\\u{code:04x}", f"\\U{code:08X}"]
        case = "SMALL" if char.islower() else "CAPITAL"
        name = {"/": "SOLIDUS", " ": "SPACE"}.get(char) or f"LATIN {case} LETTER {char.upper()}"
        if char.isalpha():
            forms.append(f"\\N{{{name.lower() if code % 2 else name}}}")
        elif char in "/ ":
            forms.append(f"\\N{{{name}}}")
    return forms


@st.composite
def spelled_literal(draw, text: str) -> str:
    """``text`` as a Python literal: split into adjacent pieces (str, bytes or f-strings, any
    quotes and prefixes), with escapes, continuations, empty pieces and comments between."""
    is_bytes = draw(st.booleans())
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(text) - 1)), max_size=3))) if len(text) > 1 else []
    pieces = [text[a:b] for a, b in zip([0] + cuts, cuts + [len(text)])]
    prefixes = ["b", "rb", "Br"] if is_bytes else ["", "r", "f", "u", "R", "rf", "F"]
    parts = []
    for piece in pieces:
        prefix = draw(st.sampled_from(prefixes))
        raw = "r" in prefix.lower()
        quote = draw(st.sampled_from(['"', "'", '"""', "'''"]))
        chars = [draw(st.sampled_from(_spellings(c, raw, is_bytes))) for c in piece]
        if not raw and draw(st.integers(0, 3)) == 0:
            chars.insert(draw(st.integers(0, len(chars))), "\\\n")  # a backslash continuation
        body = "".join(chars)
        parts.append(f"{prefix}{quote}{body}{quote}")
        if draw(st.integers(0, 4)) == 0:
            parts.append(("b" if is_bytes else "") + draw(st.sampled_from(['""', "''"])))
    separator = draw(st.sampled_from([" ", "", "\n    ", "  # a comment '/tmp'\n    ", " \\\n    "]))
    return "(" + separator.join(parts) + ")"


TEXTS = ["/tmp", "/tmp/x.json", "/var/tmp/a", "/dev/shm", "/private/var/tmp", "/tmpx", "/tm", "tmp/x", "/share/tmp"]
USES = ["x = {lit}\n", "open({lit})\n", "def f(p={lit}):\n    return p\n", "d = {{{lit}: 1}}\n",
        "import tempfile\ntempfile.mkstemp(dir={lit})\n"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), text=st.sampled_from(TEXTS), use=st.sampled_from(USES))
def test_prefilter_finds_literals_however_spelled(data, text, use):
    literal = data.draw(spelled_literal(text))
    source = ("# -*- coding: utf-8 -*-\n" if data.draw(st.booleans()) else "") + use.format(lit=literal)
    try:
        compile(source, "<generated>", "exec")
    except SyntaxError:
        return  # a spelling Python rejects (e.g. an f-string in a bytes concatenation)
    for config in (Config(), ALL_RULES):
        assert_same(source.encode("utf-8"), "generated.py", config)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), name=st.sampled_from(["TMPDIR", "TMP", "TEMP", "TMPX", "HOME"]),
       access=st.sampled_from(["os.environ[{lit}]", "os.getenv({lit})", "environ.get({lit}, '/x')"]))
def test_prefilter_finds_environment_keys_however_spelled(data, name, access):
    literal = data.draw(spelled_literal(name))
    source = "import os\nfrom os import environ\nv = " + access.format(lit=literal) + "\n"
    try:
        compile(source, "<generated>", "exec")
    except SyntaxError:
        return
    assert_same(source.encode("utf-8"), "generated.py", ALL_RULES)


FULLWIDTH = {c: chr(ord(c) - ord("a") + 0xFF41) for c in "abcdefghijklmnopqrstuvwxyz"}
MATH_BOLD = {c: chr(ord(c) - ord("a") + 0x1D41A) for c in "abcdefghijklmnopqrstuvwxyz"}


@settings(max_examples=100, deadline=None)
@given(positions=st.sets(st.integers(0, 7), min_size=1), table=st.sampled_from([FULLWIDTH, MATH_BOLD]),
       form=st.sampled_from(["import {m}\n{m}.mkstemp()\n", "from {m} import mkdtemp\nmkdtemp()\n",
                             "import os, {m} as t\nt.gettempdir()\n"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig"]))
def test_prefilter_finds_nfkc_spelled_tempfile(positions, table, form, encoding):
    """Identifiers are NFKC-normalized: ``import ｔｅｍｐfile`` imports tempfile."""
    name = "".join(table[c] if i in positions else c for i, c in enumerate("tempfile"))
    source = form.format(m=name).encode(encoding)
    for config in (Config(), ALL_RULES):
        unfiltered, filtered = compare(source, "nfkc.py", config)
        assert unfiltered and filtered == unfiltered


@pytest.mark.parametrize("source", [
    b'x = "/t" "mp"\n', b'x = ("/"  # comment\n     "tmp/x")\n', b'x = "\\x2ftmp"\n', b'x = "\\057tmp"\n',
    b'x = "/\\x74mp"\n', b'x = "/t\\\nmp"\n', b'x = """\\\n/tmp/x"""\n', b'x = f"{y:/tmp}"\n', b"x = rb'/tmp'\n",
    b'x = "\\N{SOLIDUS}tmp"\n', b'x = "/\\N{latin small letter t}mp"\n', b'x = "/" "" \'\' "tmp"\n',
    b'x = f"/t" f"mp{y}"\n', b'x = b"/dev/s" b"hm"\n', b'x = "/t\\\r\nmp"\r\n', b'x = "/tmp\\x2fa"\n',
    b'x = f"{y!r:/tmp/x}"\n', b'x = "/"\\\n"tmp"\n', b'x = "/private/" "tmp"\n', b'x = "\\u002Ftmp"\n',
    b"# -*- coding: latin-1 -*-\nimport tempfile\ntempfile.mkstemp()  # \xe9\n",
    "# -*- coding: utf-16 -*-\nx = '/tmp'\n".encode("utf-8"),
    b"# vim: set fileencoding=cp500 :\n" + "x = '/tmp'\n".encode("cp500"),
    b"\xef\xbb\xbfimport tempfile\ntempfile.mktemp()\n",
    b"import \\\n    tempfile\ntempfile.mkstemp()\n", b"from \\\n tempfile import mkstemp\nmkstemp()\n",
    b"import os; import tempfile as t; t.mkdtemp()\n",
    b'import os\nos.environ["TMP\\\n"]\n', b'import os\nos.getenv("TE" "MP")\n',
    b'from os import getenv\ngetenv(f"TMP{\'\'}")\n',
])
def test_prefilter_finds_obfuscated_spellings(source):
    for config in (Config(), ALL_RULES):
        unfiltered, filtered = compare(source, "obfuscated.py", config)
        if unfiltered is not None:
            assert filtered == unfiltered
    # each sample is a real finding (or a file Python cannot read), so the test is not vacuous
    unfiltered, _ = compare(source, "obfuscated.py", ALL_RULES)
    assert unfiltered is None or (unfiltered and prefilter_for(ALL_RULES)(source))


# --------------------------------------------------------------------------- tightness


@pytest.mark.parametrize("source", [
    b'x = "/"\n', b'x = "a/" + b\n', b'x = "http://host/tmp"\n', b"# writes to /tmp/x\n", b'x = r"\\x2ftmp"\n',
    b'x = "\\N{LATIN SMALL LETTER A}"\n', b'x = "/tmpfoo"\n', b"y = 'x/'\nz = 'tmp'\n", b'p = "a /tmp b"\n',
    b"# uses the tempfile module\n", b'"""Mentions tempfile."""\n', b"import tempfilex\n", b"from x import y\n",
    b'x = "/share/workflows/1/tmp"\n', b"sep = '/'\npathsep = ':'\n", "x = 'caf\u00e9'\n".encode(),
])
def test_prefilter_turns_away_files_that_cannot_have_findings(source):
    assert detect_bytes(source, "clean.py", Config(), skip_statements=False) == []
    assert not prefilter_for(Config())(source)


def test_prefilter_is_tighter_than_substrings_on_the_stdlib():
    """It lets through files with a tempfile import or a literal temp path, not every file that
    mentions one (in prose, comments, URLs)."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    prefilter = prefilter_for(Config())
    passed = mentions = 0
    for path in sorted(stdlib.rglob("*.py")):
        if "site-packages" in path.parts:
            continue
        data = path.read_bytes()
        if b"tempfile" in data or b"/tmp" in data:
            mentions += 1
            passed += prefilter(data)
    assert mentions and passed < mentions
