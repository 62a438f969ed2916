"""``tmplint fix --report``, ``--check`` exit codes and ``--baseline``, through the real command line
(``tmplint.cli.main``) on small projects."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Tuple

import pytest

from tmplint.cli import main

from tests.conftest import HELPER, write_tree

FALLBACK = "[tool.tmplint]\nworkflow-id-fallback = '\"shared\"'\n"
ADD_PARAM = "[tool.tmplint]\nadd-workflow-param = true\n"

#: one site left (line 5), then two that are fixed: the helper import goes in above the left one
JOBS = (
    "import tempfile\n"
    "\n"
    "\n"
    "def left(*args):\n"
    "    return tempfile.mkstemp(*args)\n"
    "\n"
    "\n"
    "def export(data):\n"
    "    with tempfile.NamedTemporaryFile(suffix=\".json\") as f:\n"
    "        f.write(data)\n"
    "\n"
    "\n"
    "def scratch():\n"
    "    return tempfile.mkdtemp()\n"
)
ONLY_LEFT = "import tempfile\n\n\ndef left(*args):\n    return tempfile.mkstemp(*args)\n"


def project(root: Path, files: Dict[str, str]) -> Path:
    return write_tree(root, {**HELPER, **files})


def line_of(text: str, needle: str) -> int:
    """The 1-based number of the first line of ``text`` that contains ``needle`` (the tests
    do not depend on where the rewrite puts its imports)."""
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


def tmplint(capsys, monkeypatch, cwd: Path, *args: str) -> Tuple[int, str, str]:
    monkeypatch.chdir(cwd)
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- --report


def test_report_lists_rewritten_left_and_noted_sites(tmp_path, capsys, monkeypatch) -> None:
    root = project(tmp_path / "p", {"pyproject.toml": FALLBACK, "jobs.py": JOBS})
    code, _, err = tmplint(capsys, monkeypatch, root, "fix", "-j", "1", "--report", "fix-report.md", ".")
    assert code == 1, err  # a site is left
    assert "tmplint fix: report written to fix-report.md" in err
    text = (root / "jobs.py").read_text()
    left = line_of(text, "tempfile.mkstemp(*args)")
    assert left > 5  # the helper import went in above it
    fixed = line_of(text, "open_temp_file(\"shared\"")
    assert text.splitlines()[fixed - 1] == "    tmp_file = open_temp_file(\"shared\", \".json\")"
    made = line_of(text, "make_temp_dir(\"shared\")")
    assert text.splitlines()[made - 1] == "    return make_temp_dir(\"shared\")"
    report = (root / "fix-report.md").read_text()
    lines = report.splitlines()
    assert lines[0] == "# tmplint fix report"
    assert "- Files changed: 1 (of 2 scanned, 1 with findings)" in lines
    assert "- Sites fixed: 2 (TMP001: 1, TMP003: 1)" in lines
    assert "- Sites left: 1" in lines
    assert "- Lifetimes kept (no cleanup added): 1" in lines
    assert "## `jobs.py`" in lines
    # one line per rewritten site: the original line, stripped, and the new one
    assert lines[lines.index("Rewritten:") + 1:lines.index("Rewritten:") + 3] == [
        f"- line {fixed} (TMP001 `tempfile.NamedTemporaryFile`): "
        "`with tempfile.NamedTemporaryFile(suffix=\".json\") as f:` → `tmp_file = open_temp_file(\"shared\", \".json\")`",
        f"- line {made} (TMP003 `tempfile.mkdtemp`): `return tempfile.mkdtemp()` → `return make_temp_dir(\"shared\")`",
    ]
    # the left site at its line in the rewritten file
    assert lines[lines.index("Left:") + 1] == \
        f"- line {left}:12 (TMP002 `tempfile.mkstemp`): arguments passed with *args cannot be mapped"
    assert lines[lines.index("Notes:") + 1] == \
        f"- line {made}:12 (TMP003 `tempfile.mkdtemp`): cleanup not added: the dir is not assigned to a local name"
    assert "## Pull request description" in lines
    body = lines[lines.index("## Pull request description") + 2]
    assert body.startswith("This moves scratch files out of the shared system temp dir")
    assert "rewrote 2 sites in 1 file (TMP001: 1, TMP003: 1)" in body and "1 site could not be rewritten" in body
    # the stderr summary of a run that wrote the file uses the rewritten file's lines too
    assert f"  jobs.py:{left}:12: TMP002 tempfile.mkstemp: arguments passed with *args cannot be mapped" in err


def test_report_is_written_with_check_and_diff_and_says_so(tmp_path, capsys, monkeypatch) -> None:
    root = project(tmp_path / "p", {"pyproject.toml": FALLBACK, "jobs.py": JOBS})
    reports = {}
    for flag in ("--check", "--diff"):
        code, out, err = tmplint(capsys, monkeypatch, root, "fix", "-j", "1", flag, "--report", "r.md", ".")
        assert code == 1, err
        assert (root / "jobs.py").read_text() == JOBS
        reports[flag] = (root / "r.md").read_text()
        assert f"Nothing was written (`tmplint fix {flag}`)" in reports[flag]
        assert (out != "") == (flag == "--diff")
        # the stderr summary of a dry run points at the file as it is
        assert "  jobs.py:5:12: TMP002 tempfile.mkstemp" in err
    tmplint(capsys, monkeypatch, root, "fix", "-j", "1", "--report", "r.md", ".")
    written = (root / "r.md").read_text()
    # the dry runs' positions are those of the file as fix rewrites it
    left = line_of((root / "jobs.py").read_text(), "tempfile.mkstemp(*args)")
    assert left > 5 and f"- line {left}:12 (TMP002 `tempfile.mkstemp`)" in written
    for report in reports.values():
        assert report.split("\n", 3)[3] == written.split("\n", 1)[1]


def test_report_lists_new_parameters_their_unpassed_calls_and_patching_tests(tmp_path, capsys,
                                                                              monkeypatch) -> None:
    root = project(tmp_path / "p", {
        "pyproject.toml": ADD_PARAM,
        "pkg/__init__.py": "",
        "pkg/mod.py": "import tempfile\n\n\ndef scratch(name):\n    d = tempfile.mkdtemp()\n    return d\n",
        "pkg/use.py": (
            "from pkg import mod\n"
            "from pkg.mod import scratch\n"
            "\n"
            "scratch('a')\n"
            "mod.scratch('b', workflow_id='w')\n"
            "mod.scratch(\n"
            "    'c')\n"
            "scratch(**{'name': 'd'})\n"
        ),
        "tests/test_mod.py": (
            "from unittest import mock\n"
            "\n"
            "\n"
            "@mock.patch(\"pkg.mod.tempfile.mkdtemp\")\n"
            "def test_scratch(mkdtemp):\n"
            "    pass\n"
        ),
    })
    code, _, err = tmplint(capsys, monkeypatch, root, "fix", "-j", "1", "--report", "r.md", ".")
    assert code == 0, err
    new = (root / "pkg/mod.py").read_text().splitlines()
    assert new[0] == "import tempfile"  # kept: a test patches it
    def_line = next(i for i, line in enumerate(new, 1) if line.startswith("def scratch("))
    assert new[def_line - 1] == "def scratch(name, *, workflow_id: Optional[str] = None):"
    assert f"workflow_id parameter added to:\n  pkg/mod.py:{def_line} scratch()\n" in err
    lines = (root / "r.md").read_text().splitlines()
    start = lines.index("`workflow_id` parameter added (keyword-only, default `None`):")
    assert lines[start + 1:start + 5] == [
        f"- line {def_line} `scratch()`: calls that do not pass `workflow_id=` yet (matched by name):",
        "  - `pkg/use.py:4`: `scratch('a')`",
        "  - `pkg/use.py:6`: `mod.scratch(`",
        "  - `pkg/use.py:8`: `scratch(**{'name': 'd'})` (passes `**kwargs`: check)",
    ]
    start = lines.index("Tests that patch `tempfile` in this module (its `import tempfile` was kept):")
    assert lines[start + 1] == "- `tests/test_mod.py:4`"
    body = lines[lines.index("## Pull request description") + 2]
    assert "1 function gained an optional keyword-only `workflow_id` parameter; 3 calls found by name" in body
    assert "Tests patch `tempfile` in 1 changed module" in body


def test_unpassed_calls_are_found_in_the_files_a_dry_run_would_write(tmp_path, capsys, monkeypatch) -> None:
    # with --check nothing is written: the calls are looked for in the rewritten text, so the
    # definition's new parameter is not mistaken for a call, and a caller in the same module counts
    root = project(tmp_path / "p", {
        "pyproject.toml": ADD_PARAM,
        "mod.py": "import tempfile\n\n\ndef scratch():\n    return tempfile.mkdtemp()\n\n\nscratch()\n",
    })
    code, _, err = tmplint(capsys, monkeypatch, root, "fix", "-j", "1", "--check", "--report", "r.md", ".")
    assert code == 1, err
    report = (root / "r.md").read_text()
    tmplint(capsys, monkeypatch, root, "fix", "-j", "1", ".")
    call = len((root / "mod.py").read_text().splitlines())
    assert call > 8  # an import went in above it
    assert f"  - `mod.py:{call}`: `scratch()`" in report


def test_report_that_cannot_be_written_is_an_error(tmp_path, capsys, monkeypatch) -> None:
    root = project(tmp_path / "p", {"pyproject.toml": FALLBACK, "jobs.py": ONLY_LEFT})
    code, _, err = tmplint(capsys, monkeypatch, root, "fix", "-j", "1", "--check", "--report", "no/such/dir/r.md", ".")
    assert code == 2
    assert "no/such/dir/r.md: error: cannot write the report" in err


# --------------------------------------------------------------------------- --check


@pytest.mark.parametrize("files, expected", [
    ({"jobs.py": JOBS}, 1),  # a file would change (a site is also left)
    ({"jobs.py": ONLY_LEFT}, 0),  # only sites left: nothing would change
    ({"clean.py": "print('hi')\n"}, 0),
    ({"jobs.py": JOBS, "broken.py": "import tempfile\ndef f(:\n    tempfile.mkdtemp()\n"}, 2),
], ids=["would-change", "only-left", "clean", "error"])
def test_check_exits_1_only_when_a_file_would_change(tmp_path, capsys, monkeypatch, files, expected) -> None:
    root = project(tmp_path / "p", {"pyproject.toml": FALLBACK, **files})
    code, out, err = tmplint(capsys, monkeypatch, root, "fix", "-j", "1", "--check", ".")
    assert code == expected, err
    assert out == ""
    assert all((root / name).read_text() == text for name, text in files.items())


def test_without_check_left_sites_still_exit_1(tmp_path, capsys, monkeypatch) -> None:
    root = project(tmp_path / "p", {"pyproject.toml": FALLBACK, "jobs.py": ONLY_LEFT})
    assert tmplint(capsys, monkeypatch, root, "fix", "-j", "1", ".")[0] == 1


# --------------------------------------------------------------------------- --baseline


def test_baseline_sites_are_skipped(tmp_path, capsys, monkeypatch) -> None:
    old = "import tempfile\n\n\ndef old():\n    return tempfile.mkdtemp()\n"
    root = project(tmp_path / "p", {"pyproject.toml": FALLBACK, "app/old.py": old})
    code, _, err = tmplint(capsys, monkeypatch, root, "check", "--no-cache", "--write-baseline", "baseline.json", ".")
    assert code == 0, err
    new = old + "\n\ndef new():\n    return tempfile.mkdtemp()\n"
    (root / "app/old.py").write_text(new)

    # the gate's question: only the new site would change the file
    code, out, err = tmplint(capsys, monkeypatch, root, "fix", "-j", "1", "--check", "--diff",
                             "--baseline", "baseline.json", ".")
    assert code == 1, err
    assert "1 baselined site skipped" in err and "1 site would be fixed (TMP003: 1)" in err
    assert out.count("make_temp_dir(") == 1 and "-    return tempfile.mkdtemp()\n" in out

    code, _, err = tmplint(capsys, monkeypatch, root, "fix", "-j", "1", "--baseline", "baseline.json",
                           "--report", "r.md", ".")
    assert code == 0, err
    text = (root / "app/old.py").read_text()
    assert "def old():\n    return tempfile.mkdtemp()\n" in text
    assert "def new():\n    return make_temp_dir(\"shared\")\n" in text
    assert "- Baselined sites skipped: 1" in (root / "r.md").read_text()
    # the gate with that baseline passes, and the fix hook has nothing more to do
    assert tmplint(capsys, monkeypatch, root, "check", "--no-cache", "--baseline", "baseline.json", ".")[0] == 0
    code, _, err = tmplint(capsys, monkeypatch, root, "fix", "-j", "1", "--check", "--baseline", "baseline.json", ".")
    assert code == 0 and "0 would change" in err and "1 baselined site skipped" in err
    # run from another directory, the baseline's paths still match
    code, _, err = tmplint(capsys, monkeypatch, root / "app", "fix", "-j", "1", "--check",
                           "--baseline", "../baseline.json", ".")
    assert code == 0 and "1 baselined site skipped" in err


def test_a_missing_baseline_is_an_error(tmp_path, capsys, monkeypatch) -> None:
    root = project(tmp_path / "p", {"pyproject.toml": FALLBACK, "jobs.py": JOBS})
    code, _, err = tmplint(capsys, monkeypatch, root, "fix", "--baseline", "nope.json", ".")
    assert code == 2 and "nope.json: error: baseline file not found" in err
    assert (root / "jobs.py").read_text() == JOBS
