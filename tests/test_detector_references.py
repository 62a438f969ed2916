"""Creator names that create nothing, and SpooledTemporaryFile's max_size (flake8-bugbear style
tables of good and bad snippets).

A good snippet has no finding; a bad one exactly the codes listed, at the marked line (``# <-``).
Every snippet is also checked without the detector's shortcuts, and with ``flake8 --select TMP``.
"""
from __future__ import annotations


import pytest

from tests.conftest import marked_line, snippet_findings, write_project
from tests.test_flake8_parity import parse, run
from tmplint.config import Config
from tmplint.detector import check_bytes

DEFAULT = Config()
STRICT = Config(extend_select=("TMP008",))

# --------------------------------------------------------------------------- SpooledTemporaryFile

SPOOLED_GOOD = [
    "import tempfile\nf = tempfile.SpooledTemporaryFile()\n",
    "import tempfile\nf = tempfile.SpooledTemporaryFile(max_size=0)\n",
    "import tempfile\nf = tempfile.SpooledTemporaryFile(0)\n",
    "import tempfile\nf = tempfile.SpooledTemporaryFile(0, 'w+', encoding='utf-8')\n",
    "import tempfile\nf = tempfile.SpooledTemporaryFile(max_size=0.0)\n",
    "import tempfile\nf = tempfile.SpooledTemporaryFile(mode='w+', suffix='.x', prefix='p')\n",
    "from tempfile import SpooledTemporaryFile as S\nwith S() as f:\n    f.write(b'x')\n",
    "from tempfile import *\nf = SpooledTemporaryFile()\n",
    "import tempfile\nf = tempfile.SpooledTemporaryFile(0, **options)\n",
    # its dir= is never written to: neither TMP001, TMP006 for the literal, nor TMP008
    "import tempfile\nf = tempfile.SpooledTemporaryFile(dir='/tmp')\n",
    "import tempfile\nf = tempfile.SpooledTemporaryFile(dir=tempfile.gettempdir())\n",
    "import tempfile\ndef f(d):\n    return tempfile.SpooledTemporaryFile(dir=d)\n",
    "import tempfile\ndef f(d):\n    return tempfile.SpooledTemporaryFile(0, 'w+b', -1, None, None, None, None, d)\n",
    # .fileno() of another object, or of another function's f
    "import tempfile\nclass T:\n    def a(self):\n        f = tempfile.SpooledTemporaryFile()\n        return f\n"
    "    def b(self, f):\n        return f.fileno()\n",
    "import tempfile\ndef g():\n    f = tempfile.SpooledTemporaryFile()\n    return f\ndef h(f):\n    return f.fileno()\n",
    "import sys, tempfile\nf = tempfile.SpooledTemporaryFile()\nn = sys.stdout.fileno()\n",
]

SPOOLED_BAD = [
    ("import tempfile\nf = tempfile.SpooledTemporaryFile(max_size=1024)  # <-\n", "TMP001"),
    ("import tempfile\nf = tempfile.SpooledTemporaryFile(1024)  # <-\n", "TMP001"),
    ("import tempfile\nf = tempfile.SpooledTemporaryFile(1024, 'w+')  # <-\n", "TMP001"),
    ("import tempfile\ndef f(n):\n    return tempfile.SpooledTemporaryFile(max_size=n)  # <-\n", "TMP001"),
    ("import tempfile\nf = tempfile.SpooledTemporaryFile(SIZE)  # <-\n", "TMP001"),
    ("import tempfile\nf = tempfile.SpooledTemporaryFile(-1)  # <-\n", "TMP001"),
    ("import tempfile\nf = tempfile.SpooledTemporaryFile(*args)  # <-\n", "TMP001"),
    ("import tempfile\nf = tempfile.SpooledTemporaryFile(**options)  # <-\n", "TMP001"),
    ("import tempfile\nf = tempfile.SpooledTemporaryFile(max_size=10, dir='/tmp')  # <-\n", "TMP001"),
    ("import tempfile\nf = tempfile.SpooledTemporaryFile(10, dir=tempfile.gettempdir())  # <-\n", "TMP001"),
    ("from tempfile import SpooledTemporaryFile\nf = SpooledTemporaryFile(1 << 20)  # <-\n", "TMP001"),
    # rolled over by hand
    ("import tempfile\nf = tempfile.SpooledTemporaryFile()  # <-\nf.rollover()\n", "TMP001"),
    ("import tempfile\ndef g():\n    with tempfile.SpooledTemporaryFile() as f:  # <-\n        return f.fileno()\n",
     "TMP001"),
    ("import tempfile\nclass C:\n    def __init__(self):\n        self.f = tempfile.SpooledTemporaryFile()  # <-\n"
     "    def fd(self):\n        return self.f.fileno()\n", "TMP001"),
    ("import tempfile\nf = tempfile.SpooledTemporaryFile()  # <-\nx = 1\n\ndef g():\n    return f.fileno()\n", "TMP001"),
    ("import tempfile\ndef g():\n    f = tempfile.SpooledTemporaryFile()  # <-\n    def h():\n        f.rollover()\n    return h\n",
     "TMP001"),
    # bare references: the factory may be called with a max_size
    ("import tempfile\nfactory = tempfile.SpooledTemporaryFile  # <-\n", "TMP001"),
]

SPOOLED_STRICT_BAD = [
    ("import tempfile\ndef f(d):\n    return tempfile.SpooledTemporaryFile(max_size=10, dir=d)  # <-\n", "TMP008"),
    ("import tempfile\ndef f(d, n):\n    return tempfile.SpooledTemporaryFile(n, dir=d)  # <-\n", "TMP008"),
    ("import tempfile\ndef f(d):\n    return tempfile.SpooledTemporaryFile(9, 'w+b', -1, None, None, None, None, d)  # <-\n",
     "TMP008"),
    ("import tempfile\ndef f(d):\n    s = tempfile.SpooledTemporaryFile(dir=d)  # <-\n    s.rollover()\n", "TMP008"),
]

# --------------------------------------------------------------------------- names that only stand for a type

TYPE_GOOD = [
    # annotations: parameters, returns, variables, strings, class bodies
    "import tempfile\ndef f(x: tempfile.SpooledTemporaryFile) -> None:\n    pass\n",
    "import tempfile\ndef f() -> tempfile.TemporaryDirectory:\n    pass\n",
    "import tempfile\ndef f(*a: tempfile.TemporaryFile, **k: tempfile.NamedTemporaryFile):\n    pass\n",
    "import tempfile\nx: tempfile.SpooledTemporaryFile\n",
    "import tempfile\ndef f(g):\n    x: tempfile.SpooledTemporaryFile = g()\n    return x\n",
    "import tempfile\nfrom typing import Optional\nx: Optional[tempfile.TemporaryDirectory] = None\n",
    "import tempfile\nclass C:\n    d: 'tempfile.TemporaryDirectory[str]'\n    n: tempfile.NamedTemporaryFile\n",
    "import tempfile\ndef f(x: 'tempfile.SpooledTemporaryFile') -> 'tempfile.mkdtemp':\n    pass\n",
    "from tempfile import NamedTemporaryFile\ndef f(x: 'NamedTemporaryFile'):\n    pass\n",
    "import tempfile\nf = lambda: None\ndef g(x: tempfile.gettempdir):\n    pass\n",
    # isinstance / issubclass, in tuples and unions
    "import tempfile\ndef f(x):\n    return isinstance(x, tempfile.SpooledTemporaryFile)\n",
    "import tempfile\ndef f(x):\n    return isinstance(x, (int, tempfile.TemporaryFile))\n",
    "import tempfile\ndef f(x):\n    return isinstance(x, (str, (tempfile.SpooledTemporaryFile, bytes)))\n",
    "import tempfile\ndef f(x):\n    return isinstance(x, tempfile.TemporaryDirectory | None)\n",
    "import tempfile\ndef f(c):\n    return issubclass(c, tempfile.TemporaryDirectory)\n",
    "import tempfile\nok = issubclass(tempfile.SpooledTemporaryFile, object)\n",
    "from tempfile import SpooledTemporaryFile as S\ndef f(x):\n    return isinstance(x, S)\n",
    # imported under TYPE_CHECKING, and names bound only there
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from tempfile import NamedTemporaryFile\n",
    "import typing\nif typing.TYPE_CHECKING:\n    import tempfile\n",
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from tempfile import mkdtemp as md\nX = md\n",
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import tempfile as tf\ndef f() -> None:\n    return tf.mkstemp\n",
    "import typing_extensions\nif typing_extensions.TYPE_CHECKING:\n    from tempfile import TemporaryDirectory\n"
    "def f(d: TemporaryDirectory) -> None:\n    print(TemporaryDirectory)\n",
]

TYPE_BAD = [
    # annotated, but the value is a call
    ("import tempfile\nx: tempfile.SpooledTemporaryFile = tempfile.SpooledTemporaryFile(1)  # <-\n", "TMP001"),
    ("import tempfile\ndef f(d: tempfile.TemporaryDirectory = tempfile.mkdtemp()):  # <-\n    pass\n", "TMP003"),
    # a call in an isinstance, or a reference outside a class position
    ("import tempfile\ndef f(x):\n    return isinstance(x, type(tempfile.TemporaryFile()))  # <-\n", "TMP001"),
    ("import tempfile\ndef f(x):\n    return isinstance(x, int) and g(tempfile.mkdtemp)  # <-\n", "TMP003"),
    # the import under TYPE_CHECKING is not the one that runs
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import tempfile\nelse:\n    import tempfile\n"
     "f = tempfile.mkstemp()  # <-\n", "TMP002"),
    ("from typing import TYPE_CHECKING\nif not TYPE_CHECKING:\n    from tempfile import mkdtemp\nd = mkdtemp()  # <-\n",
     "TMP003"),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    pass\nimport tempfile\nr = tempfile.mkdtemp  # <-\n",
     "TMP003"),
    # other bare references are as before
    ("import tempfile\nfactories = [tempfile.NamedTemporaryFile]  # <-\n", "TMP001"),
    ("import tempfile\ndef f(factory=tempfile.mkdtemp):  # <-\n    pass\n", "TMP003"),
    ("import tempfile\nfrom typing import cast\nx = cast(tempfile.TemporaryFile, y)  # <-\n", "TMP001"),
]

# --------------------------------------------------------------------------- functools.partial

PARTIAL_STRICT = [
    # an explicit, non-temp dir: the creator called with that dir (TMP008 only)
    ("import functools, tempfile\ndef f(d):\n    return functools.partial(tempfile.NamedTemporaryFile, dir=d)  # <-\n",
     "TMP008"),
    ("from functools import partial\nfrom tempfile import mkstemp\ndef f(d):\n    return partial(mkstemp, '.x', 'p', d)  # <-\n",
     "TMP008"),
    ("import functools as ft, tempfile as tf\ndef f(d):\n    return ft.partial(tf.mkdtemp, dir=d)  # <-\n", "TMP008"),
    ("from functools import *\nimport tempfile\ndef f(d):\n    return partial(tempfile.TemporaryDirectory, dir=d)  # <-\n",
     "TMP008"),
    # no dir, dir=None or the temp dir: a factory that creates in /tmp, reported at the reference
    ("import functools, tempfile\nmake = functools.partial(tempfile.NamedTemporaryFile, suffix='.x')  # <-\n", "TMP001"),
    ("from functools import partial\nimport tempfile\nmake = partial(tempfile.mkstemp, dir=None)  # <-\n", "TMP002"),
    ("from functools import partial\nimport tempfile\nmake = partial(tempfile.mkdtemp, dir='/tmp/x')  # <-\n", "TMP003"),
    ("from functools import partial\nimport tempfile\nmake = partial(tempfile.mkdtemp, dir=tempfile.gettempdir())  # <-\n",
     "TMP003"),
    ("from functools import partial\nimport tempfile\nmake = partial(tempfile.mkstemp, **options)  # <-\n", "TMP002"),
    ("from functools import partial\nimport tempfile\ndef f(d):\n    return partial(tempfile.mktemp, dir=d)  # <-\n", "TMP004"),
    # a SpooledTemporaryFile's max_size can still come with the call
    ("from functools import partial\nimport tempfile\nmake = partial(tempfile.SpooledTemporaryFile)  # <-\n", "TMP001"),
    ("from functools import partial\nimport tempfile\ndef f(d):\n    return partial(tempfile.SpooledTemporaryFile, dir=d)  # <-\n",
     "TMP008"),
    # not functools.partial
    ("import tempfile\ndef f(partial, d):\n    return partial(tempfile.mkstemp, dir=d)  # <-\n", "TMP002"),
    ("from mylib import partial\nimport tempfile\ndef f(d):\n    return partial(tempfile.mkstemp, dir=d)  # <-\n", "TMP002"),
]


GOOD = [(s, DEFAULT) for s in SPOOLED_GOOD + TYPE_GOOD] + [(s, STRICT) for s in SPOOLED_GOOD + TYPE_GOOD]
BAD = (
    [(s, code, DEFAULT) for s, code in SPOOLED_BAD + TYPE_BAD]
    + [(s, code, STRICT) for s, code in SPOOLED_STRICT_BAD + PARTIAL_STRICT]
    + [(s, code, DEFAULT) for s, code in PARTIAL_STRICT if code != "TMP008"]
)


@pytest.mark.parametrize("source,config", GOOD, ids=[f"good{i}" for i in range(len(GOOD))])
def test_good(source, config):
    assert snippet_findings(source, config) == []


@pytest.mark.parametrize("source,code,config", BAD, ids=[f"bad{i}-{code}" for i, (_, code, _) in enumerate(BAD)])
def test_bad(source, code, config):
    assert snippet_findings(source, config) == [(marked_line(source), code)]


@pytest.mark.parametrize("source,code", [(s, c) for s, c in PARTIAL_STRICT + SPOOLED_STRICT_BAD if c == "TMP008"])
def test_explicit_dir_is_only_a_strict_finding(source, code):
    assert snippet_findings(source, DEFAULT) == []


def test_partial_with_explicit_dir_is_reported_at_the_reference():
    source = "import functools, tempfile\ndef f(d):\n    return functools.partial(tempfile.mkstemp, dir=d)\n"
    (finding,) = check_bytes(source.encode(), "m.py", STRICT)
    assert (finding.line, finding.col, finding.target, finding.fixable) == (3, 29, "tempfile.mkstemp", False)


def test_partial_temp_dir_literal_is_reported_once_under_the_reference():
    source = "import functools, tempfile\nmake = functools.partial(tempfile.mkstemp, dir='/tmp')\n"
    assert [f.code for f in check_bytes(source.encode(), "m.py", DEFAULT)] == ["TMP002"]


def test_skipped_statements_do_not_hide_a_type_checking_import():
    # the import is found by the shortcut (its statement names tempfile), as without it
    source = "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from tempfile import mkdtemp\n\nx = 1\n\n" \
             "def f():\n    return mkdtemp()\n"
    assert snippet_findings(source, DEFAULT) == []


# --------------------------------------------------------------------------- flake8 agrees


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
def test_flake8_and_tmplint_check_agree_on_every_snippet(strict, tmp_path):
    sources = SPOOLED_GOOD + TYPE_GOOD + [s for s, _ in SPOOLED_BAD + TYPE_BAD + SPOOLED_STRICT_BAD + PARTIAL_STRICT]
    files = {f"s{index:03}.py": source for index, source in enumerate(sources)}
    config = ['extend-select = ["TMP008"]'] if strict else []
    project = write_project(tmp_path, files, config)
    ours = parse(run(["tmplint", "check", "--no-cache", *sorted(files)], project).stdout)
    flake8 = ["flake8", "--select", "TMP", *(["--extend-select", "TMP008"] if strict else []), *sorted(files)]
    assert parse(run(flake8, project).stdout) == ours
    expected = []
    for name, source in files.items():
        codes = [code for s, code in SPOOLED_BAD + TYPE_BAD + SPOOLED_STRICT_BAD + PARTIAL_STRICT if s == source]
        if codes and (strict or codes[0] != "TMP008"):
            expected.append((name, marked_line(source), codes[0]))
    assert sorted((name, line, code) for name, line, _, code, _ in ours) == sorted(expected)
