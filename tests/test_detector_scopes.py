"""Scope resolution as Python does it, the ``dir=`` judge, TMP007's reads, and suppression lines
(flake8-bugbear style tables of good and bad snippets).

A good snippet has no finding; a bad one exactly the code listed, at the marked line (``# <-``).
Every snippet is also checked without the detector's shortcuts, and with ``flake8 --select TMP``.
"""
from __future__ import annotations

import json

import pytest

from tests.conftest import HELPER, marked_line, snippet_findings, write_project, write_tree
from tests.test_flake8_parity import parse, run
from tmplint.config import Config
from tmplint.detector import (
    DERIVED_TEMP_DIR, EXACT_TEMP_DIR, check_bytes, judge_dir,
)

DEFAULT = Config()
STRICT = Config(extend_select=("TMP008",))
ENV = Config(extend_select=("TMP007",))

# --------------------------------------------------------------------------- scopes

SCOPE_BAD = [
    # an import in a function that declares the name global binds the module's name
    ("def setup():\n    global tempfile\n    import tempfile\n\ndef use():\n    return tempfile.mkdtemp()  # <-\n",
     "TMP003"),
    ("def setup():\n    global mkstemp\n    from tempfile import mkstemp\n\ndef use():\n    return mkstemp()  # <-\n",
     "TMP002"),
    ("tempfile = None\ndef setup():\n    global tempfile\n    import tempfile\ndef use():\n"
     "    return tempfile.mkdtemp()  # <-\n", "TMP003"),
    ("class C:\n    def setup(self):\n        global tempfile\n        import tempfile\n\n"
     "def use():\n    return tempfile.mkdtemp()  # <-\n", "TMP003"),
    # ... and nonlocal the enclosing function's
    ("def outer():\n    tempfile = None\n    def setup():\n        nonlocal tempfile\n        import tempfile\n"
     "    setup()\n    return tempfile.mkdtemp()  # <-\n", "TMP003"),
    # class bodies run in order: a later assignment does not rebind an earlier use
    ("import tempfile\nclass C:\n    D = tempfile.mkdtemp()  # <-\n    tempfile = None\n", "TMP003"),
    ("import tempfile\nclass C:\n    tempfile = tempfile\n    D = tempfile.mkdtemp()  # <-\n", "TMP003"),
    ("import tempfile\nclass C:\n    tempfile: object = tempfile\n    D = tempfile.mkdtemp()  # <-\n", "TMP003"),
    # so do modules
    ("import tempfile\nX = tempfile.mkdtemp()  # <-\ntempfile = None\n", "TMP003"),
    ("from tempfile import mkdtemp\nX = mkdtemp()  # <-\ndef mkdtemp():\n    return 1\n", "TMP003"),
    ("import tempfile\ntempfile = tempfile\ndef f():\n    return tempfile.mkdtemp()  # <-\n", "TMP003"),
    # an import with a fallback is still the import
    ("try:\n    import tempfile\nexcept ImportError:\n    tempfile = None\ndef f():\n"
     "    return tempfile.mkdtemp()  # <-\n", "TMP003"),
    ("import tempfile\nif DEBUG:\n    tempfile = FakeTempfile()\ndef f():\n    return tempfile.mkdtemp()  # <-\n", "TMP003"),
    ("tempfile = None\ntry:\n    import tempfile\nexcept ImportError:\n    pass\ndef f():\n"
     "    return tempfile.mkdtemp()  # <-\n", "TMP003"),
    # a loop's iterable is evaluated before its target is bound
    ("import tempfile\nfor tempfile in [tempfile.mkdtemp()]:  # <-\n    pass\n", "TMP003"),
    # a bare f-string is not a docstring: its fields run
    ('import tempfile\nf"made {tempfile.mkdtemp()}"  # <-\n', "TMP003"),
    ('import tempfile\ndef f():\n    f"made {tempfile.mkstemp()}"  # <-\n', "TMP002"),
    # the class name is bound when the body has run
    ("from tempfile import TemporaryDirectory\nclass TemporaryDirectory(TemporaryDirectory):  # <-\n    pass\n",
     "TMP003"),
]

SCOPE_GOOD = [
    # a module-level name later rebound: resolved by flow order, as Python does
    "from tempfile import mkdtemp\ndef mkdtemp():\n    return 1\ndef f():\n    return mkdtemp()\n",
    "from tempfile import mkdtemp\ndel mkdtemp\ndef mkdtemp():\n    return 1\nx = mkdtemp()\n",
    "from tempfile import mkdtemp\nclass mkdtemp:\n    pass\nx = mkdtemp()\n",
    'from tempfile import *\ntempdir = "/share/workflows/x"\ndef f():\n    return tempdir\n',
    "import tempfile\ntempfile = FakeTempfile()\nx = tempfile.mkdtemp()\n",
    "import tempfile\ndel tempfile\ndef f():\n    return tempfile.mkdtemp()\n",
    # class bodies: an earlier class-level assignment hides the module
    "import tempfile\nclass C:\n    tempfile = None\n    D = tempfile.mkdtemp()\n",
    # a use before the module binds the name is not the import
    "x = mkdtemp()\nfrom tempfile import mkdtemp\n",
    # a global declared elsewhere does not make another function's local global
    "def setup():\n    import tempfile\n\ndef use():\n    return tempfile.mkdtemp()\n",
    # a bare string is prose, a bare f-string's text too
    'import tempfile\n"see /tmp/x"\nf"see /tmp/{x}"\n',
    # type-only references
    "import tempfile\ndef f(x: tempfile.SpooledTemporaryFile) -> tempfile.TemporaryDirectory:\n    return x\n",
]

# --------------------------------------------------------------------------- dir=

DIR_BAD = [
    # a same-file constant that is None or a temp dir counts as no dir=
    ("import tempfile\nTEMP_DIRECTORY = None\ndef f():\n    return tempfile.mkstemp(dir=TEMP_DIRECTORY)  # <-\n",
     "TMP002"),
    ("import tempfile\nSCRATCH = None\ndef f():\n    return tempfile.mkstemp('.x', 'p_', SCRATCH)  # <-\n",
     "TMP002"),
    ("import tempfile\nSCRATCH: Optional[str] = None\ndef f():\n    return tempfile.mkdtemp(dir=SCRATCH)  # <-\n",
     "TMP003"),
    # built on the temp dir: reported once, under the creator's code (not TMP006, not TMP008)
    ("import tempfile\nfrom pathlib import Path\ndef f():\n    return tempfile.mkdtemp(dir=Path('/tmp'))  # <-\n",
     "TMP003"),
    ("import os, tempfile\ndef f(x):\n    return tempfile.mkstemp(dir=os.path.join('/tmp', x))  # <-\n", "TMP002"),
    ("import tempfile\ndef f():\n    return tempfile.mkdtemp(dir=(d := '/tmp'))  # <-\n", "TMP003"),
    ("import tempfile\ndef f():\n    return tempfile.mkdtemp(**{'dir': '/tmp'})  # <-\n", "TMP003"),
    ("import tempfile\ndef f(x):\n    return tempfile.mkdtemp(dir=f'/tmp/{x}')  # <-\n", "TMP003"),
    ("import tempfile\ndef f(x):\n    return tempfile.mkdtemp(dir='/tmp/' + x)  # <-\n", "TMP003"),
    ("import tempfile\nfrom pathlib import Path\ndef f(x):\n"
     "    return tempfile.NamedTemporaryFile(dir=Path('/var/tmp') / x)  # <-\n", "TMP001"),
    ("import os, tempfile\ndef f(x):\n    return tempfile.mkdtemp(dir=os.path.join(tempfile.gettempdir(), x))  # <-\n",
     "TMP003"),
]

DIR_GOOD = [
    # an explicit dir that is not the temp dir (TMP008 only)
    "import tempfile\nSCRATCH = '/data/scratch'\ndef f():\n    return tempfile.mkstemp(dir=SCRATCH)\n",
    # a constant rebound, or only sometimes None, is an explicit dir
    "import tempfile\nSCRATCH = None\nSCRATCH = configure()\ndef f():\n    return tempfile.mkstemp(dir=SCRATCH)\n",
    "import tempfile\nSCRATCH = None\nif X:\n    SCRATCH = '/data'\ndef f():\n    return tempfile.mkstemp(dir=SCRATCH)\n",
    # a parameter of the same name is not the constant
    "import tempfile\nSCRATCH = None\ndef f(SCRATCH):\n    return tempfile.mkstemp(dir=SCRATCH)\n",
    "import tempfile\nSCRATCH = None\ndef f():\n    SCRATCH = job_dir()\n    return tempfile.mkstemp(dir=SCRATCH)\n",
]

# --------------------------------------------------------------------------- TMP007

ENV_BAD = [
    ("import os\nx = os.getenv(key='TMPDIR')  # <-\n", "TMP007"),
    ("import os\nx = os.environ.get(key='TMP')  # <-\n", "TMP007"),
    ("from os import getenv\nx = getenv(default='/x', key='TEMP')  # <-\n", "TMP007"),
    # a read that is used is a read, whatever else the call does
    ("import os\ndef f():\n    return os.environ.pop('TMPDIR')  # <-\n", "TMP007"),
    ("import os\nx = os.environ.setdefault('TMPDIR', '/scratch')  # <-\n", "TMP007"),
    ("import os\nos.getenv('TMPDIR')  # <-\n", "TMP007"),
]

ENV_GOOD = [
    # writes and deletes are not reads
    "import os\nos.environ['TMPDIR'] = '/scratch'\n",
    "import os\ndel os.environ['TMPDIR']\n",
    "import os\nos.environ.pop('TMPDIR', None)\n",
    "import os\nos.environ.setdefault('TMPDIR', '/scratch')\n",
    "import os\nos.environ['TMPDIR'], x = '/scratch', 1\n",
    "import os\nx = os.getenv(key='HOME')\n",
]


GOOD = [(s, c) for s in SCOPE_GOOD + DIR_GOOD for c in (DEFAULT, ENV)] + [(s, ENV) for s in ENV_GOOD]
BAD = [(s, code, c) for s, code in SCOPE_BAD + DIR_BAD for c in (DEFAULT, STRICT)] + [(s, code, ENV) for s, code in ENV_BAD]


@pytest.mark.parametrize("source,config", GOOD, ids=[f"good{i}" for i in range(len(GOOD))])
def test_good(source, config):
    assert snippet_findings(source, config) == []


@pytest.mark.parametrize("source,code,config", BAD, ids=[f"bad{i}-{code}" for i, (_, code, _) in enumerate(BAD)])
def test_bad(source, code, config):
    assert snippet_findings(source, config) == [(marked_line(source), code)]


@pytest.mark.parametrize("source", DIR_GOOD)
def test_explicit_dir_is_a_strict_finding(source):
    assert [code for _, code in snippet_findings(source, STRICT)] == ["TMP008"]


def test_temp_dir_constant_is_reported_where_it_is_and_at_the_creator():
    source = "import tempfile\nTEMP_DIRECTORY = '/tmp'\ndef f():\n    return tempfile.mkstemp(dir=TEMP_DIRECTORY)\n"
    assert snippet_findings(source, STRICT) == [(2, "TMP006"), (4, "TMP002")]


@pytest.mark.parametrize("source,verdict", [
    ("'/tmp'", EXACT_TEMP_DIR), ("'/tmp/x'", EXACT_TEMP_DIR), ("f'/tmp'", EXACT_TEMP_DIR),
    ("tempfile.gettempdir()", EXACT_TEMP_DIR), ("tempfile.tempdir", EXACT_TEMP_DIR),
    ("b'/tmp'", DERIVED_TEMP_DIR), ("f'/tmp/{x}'", DERIVED_TEMP_DIR), ("Path('/tmp')", DERIVED_TEMP_DIR),
    ("os.path.join('/tmp', x)", DERIVED_TEMP_DIR), ("(d := '/tmp')", DERIVED_TEMP_DIR),
    ("Path('/tmp') / 'x'", DERIVED_TEMP_DIR), ("tempfile.gettempdirb()", DERIVED_TEMP_DIR),
    ("'/data'", None), ("f'{x}/tmp'", None), ("os.path.join(x, '/tmp')", None), ("job_dir", None),
])
def test_the_dir_judge(source, verdict):
    import ast

    names = {"tempfile.gettempdir": "tempfile.gettempdir", "tempfile.gettempdirb": "tempfile.gettempdirb",
             "tempfile.tempdir": "tempfile.tempdir"}
    node = ast.parse(source, mode="eval").body
    assert judge_dir(node, ("/tmp",), lambda n: names.get(ast.unparse(n))) == verdict


def test_a_derived_dir_is_not_fixable_and_says_why():
    source = "import tempfile\ndef f(workflow_id, x):\n    return tempfile.mkdtemp(dir=f'/tmp/{x}')\n"
    (finding,) = check_bytes(source.encode(), "m.py", DEFAULT)
    assert not finding.fixable and "would drop it" in finding.reason
    (finding,) = check_bytes(source.replace("f'/tmp/{x}'", "'/tmp'").encode(), "m.py", DEFAULT)
    assert finding.fixable and finding.reason == ""


# --------------------------------------------------------------------------- suppressions


SUPPRESSED = [
    'A = "/tmp/a"  # nosec B108\n',
    'A = "/tmp/a"  # nosec: B108, B306\n',
    'A = "/tmp/a"  # nosec\n',
    "import tempfile\nA = tempfile.mktemp()  # nosec B306\n",
    "import tempfile\nA = tempfile.mktemp()  # nosec\n",
]
NOT_SUPPRESSED = [
    ('A = "/tmp/a"  # nosec B306\n', "TMP006"),
    ("import tempfile\nA = tempfile.mktemp()  # nosec B108\n", "TMP004"),
    ("import tempfile\nA = tempfile.mkstemp()  # nosec\n", "TMP002"),
]


@pytest.mark.parametrize("source", SUPPRESSED)
def test_nosec_suppresses_the_rules_bandit_reports(source):
    assert snippet_findings(source, DEFAULT) == []


@pytest.mark.parametrize("source,code", NOT_SUPPRESSED)
def test_nosec_of_another_test_does_not(source, code):
    assert [c for _, c in snippet_findings(source, DEFAULT)] == [code]


#: characters ``str.splitlines`` breaks lines at and Python does not
IN_LINE_BREAKS = ["\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("char", IN_LINE_BREAKS, ids=lambda c: f"U+{ord(c):04X}")
def test_a_character_splitlines_breaks_at_does_not_move_a_noqa(char, tmp_path):
    # line 2 holds the character (in a comment and in a string); the noqa of line 3 stays on
    # line 3 and covers only it; the finding on line 4 is not silenced; no file-wide noqa
    source = (f"import tempfile\nA = '{char}x'  # {char}# flake8: noqa\n"
              f"B = '/tmp/b'  # noqa\nC = tempfile.mkdtemp()  # {char}\n")
    assert snippet_findings(source, DEFAULT) == [(4, "TMP003")]
    write_project(tmp_path, {"m.py": source})
    ours = parse(run(["tmplint", "check", "--no-cache", "m.py"], tmp_path).stdout)
    assert parse(run(["flake8", "--select", "TMP", "m.py"], tmp_path).stdout) == ours
    assert [(line, code) for _, line, _, code, _ in ours] == [(4, "TMP003")]


@pytest.mark.parametrize("newline", ["\r", "\r\n", "\n"], ids=["cr", "crlf", "lf"])
def test_noqa_lines_in_every_newline_convention(newline, tmp_path):
    lines = ["import tempfile", "A = '/tmp/a'  # noqa", "B = tempfile.mkdtemp()", 'C = """x', '/tmp/c"""  # noqa',
             "D = tempfile.mkstemp()  # noqa: TMP002"]
    data = (newline.join(lines) + newline).encode()
    findings = check_bytes(data, "m.py", DEFAULT)
    assert [(f.line, f.code) for f in findings] == [(3, "TMP003")]
    write_tree(tmp_path, {"pyproject.toml": "[tool.tmplint]\n", "m.py": data})
    ours = parse(run(["tmplint", "check", "--no-cache", "m.py"], tmp_path).stdout)
    assert parse(run(["flake8", "--select", "TMP", "m.py"], tmp_path).stdout) == ours
    assert [(line, code) for _, line, _, code, _ in ours] == [(3, "TMP003")]


# --------------------------------------------------------------------------- front ends agree


def test_flake8_and_tmplint_check_agree_on_every_snippet(tmp_path):
    sources = SCOPE_GOOD + DIR_GOOD + [s for s, _ in SCOPE_BAD + DIR_BAD + NOT_SUPPRESSED] + SUPPRESSED
    files = {f"s{index:03}.py": source for index, source in enumerate(sources)}
    project = write_project(tmp_path, files, ['extend-select = ["TMP007", "TMP008"]'])
    ours = parse(run(["tmplint", "check", "--no-cache", *sorted(files)], project).stdout)
    flake8 = ["flake8", "--select", "TMP", "--extend-select", "TMP007,TMP008", *sorted(files)]
    assert parse(run(flake8, project).stdout) == ours
    assert len(ours) >= len(SCOPE_BAD + DIR_BAD + NOT_SUPPRESSED)


def test_json_fixable_matches_what_fix_does(tmp_path):
    """``fixable`` in JSON is true exactly for the sites ``tmplint fix`` rewrites (here: those its
    triage decides; see docs/rules.md for what only the rewrite itself finds out)."""
    source = (
        "import tempfile\n\n\ndef f(workflow_id, x):\n"
        "    a = tempfile.mkdtemp(dir=f'/tmp/{x}')\n"
        "    b = tempfile.mkdtemp(dir='/tmp')\n"
        "    c = tempfile.mktemp(dir=x)\n"
        "    d = tempfile.mkdtemp(dir=os.path.join('/tmp', x))\n"
        "    return a, b, c, d\n"
    )
    project = write_project(tmp_path, {"m.py": source, **HELPER})
    checked = json.loads(run(["tmplint", "check", "--no-cache", "--format", "json", "m.py"], project).stdout)
    fixable = {item["line"] for item in checked if item["fixable"]}
    assert fixable == {6}
    run(["tmplint", "fix", "m.py"], project)
    after = json.loads(run(["tmplint", "check", "--no-cache", "--format", "json", "m.py"], project).stdout)
    # exactly the fixable site went; the others are still there, unchanged
    lines = (project / "m.py").read_text().splitlines()
    left = sorted(lines[item["line"] - 1].strip() for item in after)
    assert left == sorted(source.splitlines()[item["line"] - 1].strip() for item in checked if not item["fixable"])
    assert "dir='/tmp'" not in (project / "m.py").read_text()


@pytest.mark.parametrize("dir_source", ["f'/tmp/{x}'", "os.path.join('/tmp', x)", "b'/tmp'", "(d := '/tmp')"])
def test_fix_leaves_a_derived_dir_with_the_detectors_reason(dir_source):
    from tmplint.codemods.api import fix_bytes

    source = f"import os, tempfile\n\ndef f(workflow_id, x):\n    return tempfile.mkdtemp(dir={dir_source})\n"
    (finding,) = check_bytes(source.encode(), "m.py", DEFAULT)
    result = fix_bytes(source, DEFAULT)
    assert result.data == source.encode()
    assert [outcome.message for outcome in result.report.left] == [finding.reason]
