"""``tmplint check --write-baseline FILE`` / ``--baseline FILE``: turn the gate on today, migrate later."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_project
from tmplint.baseline import BaselineError, Baseline, load_baseline, new_findings, write_baseline
from tmplint.check import check_data
from tmplint.cli import main
from tmplint.config import Config

MODULE = '''\
import tempfile


def export(workflow_id):
    fd, path = tempfile.mkstemp()
    return path


def scratch():
    return "/tmp/scratch"
'''


def run_check(capsys, cwd: Path, monkeypatch, *args: str):
    monkeypatch.chdir(cwd)
    code = main(["check", "--no-cache", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def project(tmp_path) -> Path:
    return write_project(tmp_path / "proj", {"app/io.py": MODULE, "app/clean.py": "x = 1\n"})


def baselined(project, capsys, monkeypatch) -> Path:
    code, out, err = run_check(capsys, project, monkeypatch, "--write-baseline", "tmplint-baseline.json")
    assert code == 0 and out == ""
    assert "recorded 2 findings in tmplint-baseline.json" in err
    return project / "tmplint-baseline.json"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_baseline_file_is_versioned_sorted_and_relative(project, capsys, monkeypatch):
    path = baselined(project, capsys, monkeypatch)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == {
        "version": 1,
        "findings": [
            {"path": "app/io.py", "code": "TMP002", "source": "fd, path = tempfile.mkstemp()", "occurrence": 0},
            {"path": "app/io.py", "code": "TMP006", "source": 'return "/tmp/scratch"', "occurrence": 0},
        ],
    }
    first = path.read_bytes()
    baselined(project, capsys, monkeypatch)
    assert path.read_bytes() == first  # stable: rewriting an unchanged baseline changes nothing
    assert [p.name for p in project.iterdir() if p.name.startswith(".")] == []  # no temp file left


def test_baselined_findings_pass_and_survive_edits_above(project, capsys, monkeypatch):
    baselined(project, capsys, monkeypatch)
    code, out, _ = run_check(capsys, project, monkeypatch, "--baseline", "tmplint-baseline.json")
    assert (code, out) == (0, "")
    module = project / "app" / "io.py"
    edit(module, "import tempfile\n", "import os\nimport tempfile\n\nLIMIT = 3  # new code above\n")
    # re-indented into a new block, runs of spaces inside: whitespace is collapsed
    edit(module, "    fd, path = tempfile.mkstemp()", "    if True:\n        fd,   path =  tempfile.mkstemp()")
    code, out, _ = run_check(capsys, project, monkeypatch, "--baseline", "tmplint-baseline.json")
    assert (code, out) == (0, "")


def test_new_finding_fails_and_only_it_is_reported(project, capsys, monkeypatch):
    baselined(project, capsys, monkeypatch)
    module = project / "app" / "io.py"
    module.write_text(MODULE + "\n\ndef more():\n    return tempfile.mkdtemp()\n", encoding="utf-8")
    code, out, _ = run_check(capsys, project, monkeypatch, "--baseline", "tmplint-baseline.json")
    assert code == 1
    assert out.splitlines() == [out.splitlines()[0]] and ":14:12: TMP003 " in out
    # --exit-zero still works with a baseline
    code, _, _ = run_check(capsys, project, monkeypatch, "--baseline", "tmplint-baseline.json", "--exit-zero")
    assert code == 0


def test_another_copy_of_a_baselined_line_is_new(project, capsys, monkeypatch):
    baselined(project, capsys, monkeypatch)
    module = project / "app" / "io.py"
    edit(module, "    return path\n", "    fd, path = tempfile.mkstemp()\n    return path\n")
    code, out, _ = run_check(capsys, project, monkeypatch, "--baseline", "tmplint-baseline.json")
    assert code == 1 and out.count("TMP002") == 1 and ":6:16: TMP002" in out


def test_same_line_in_another_file_is_new(project, capsys, monkeypatch):
    baselined(project, capsys, monkeypatch)
    (project / "app" / "copy.py").write_text(MODULE, encoding="utf-8")
    code, out, _ = run_check(capsys, project, monkeypatch, "--baseline", "tmplint-baseline.json")
    assert code == 1 and set(line.split(":")[0] for line in out.splitlines()) == {"app/copy.py"}


def test_fixed_findings_disappear(project, capsys, monkeypatch):
    module = project / "app" / "io.py"
    edit(module, "    return path\n", "    fd, path = tempfile.mkstemp()\n    return path\n")  # two copies
    code, _, err = run_check(capsys, project, monkeypatch, "--write-baseline", "tmplint-baseline.json")
    assert code == 0 and "recorded 3 findings" in err
    occurrences = [f["occurrence"] for f in json.loads((project / "tmplint-baseline.json").read_text())["findings"]]
    assert occurrences == [0, 1, 0]
    edit(module, "    fd, path = tempfile.mkstemp()\n", "")  # fix one of the two copies
    edit(module, '    return "/tmp/scratch"', '    return "scratch"')
    code, out, _ = run_check(capsys, project, monkeypatch, "--baseline", "tmplint-baseline.json")
    assert (code, out) == (0, "")
    code, _, err = run_check(capsys, project, monkeypatch, "--write-baseline", "tmplint-baseline.json")
    assert "recorded 1 finding in" in err


def test_baseline_paths_are_relative_to_the_baseline_file(project, capsys, monkeypatch):
    baselined(project, capsys, monkeypatch)
    # run from a subdirectory, naming the baseline by another relative path
    code, out, _ = run_check(capsys, project / "app", monkeypatch, "--baseline", "../tmplint-baseline.json", ".")
    assert (code, out) == (0, "")
    # a baseline kept in a subdirectory records paths relative to it
    (project / "ci").mkdir()
    code, _, _ = run_check(capsys, project, monkeypatch, "--write-baseline", "ci/baseline.json")
    paths = {f["path"] for f in json.loads((project / "ci" / "baseline.json").read_text())["findings"]}
    assert paths == {"../app/io.py"}
    code, out, _ = run_check(capsys, project / "app", monkeypatch, "--baseline", str(project / "ci" / "baseline.json"))
    assert (code, out) == (0, "")


def test_same_file_for_baseline_and_write_baseline_reports_then_updates(project, capsys, monkeypatch):
    baselined(project, capsys, monkeypatch)
    (project / "app" / "new.py").write_text("import tempfile\nd = tempfile.mkdtemp()\n", encoding="utf-8")
    args = ("--baseline", "tmplint-baseline.json", "--write-baseline", "tmplint-baseline.json")
    code, out, _ = run_check(capsys, project, monkeypatch, *args)
    assert code == 1 and "app/new.py:2:5: TMP003" in out
    code, out, _ = run_check(capsys, project, monkeypatch, *args)
    assert (code, out) == (0, "")


@pytest.mark.parametrize(
    "content, needle",
    [
        (None, "baseline file not found"),
        ("{not json", "invalid JSON"),
        ("[]", 'expected an object with "version"'),
        ('{"version": 2, "findings": []}', "unsupported baseline version 2"),
        ('{"version": 1, "findings": {}}', '"findings" must be a list'),
        ('{"version": 1, "findings": [{"path": "a.py", "code": "TMP001"}]}', "findings[0] must be"),
        ('{"version": 1, "findings": [{"path": "a.py", "code": "TMP001", "source": "", "occurrence": -1}]}',
         "findings[0] must be"),
    ],
)
def test_bad_or_missing_baseline_exits_2_with_a_clear_message(project, capsys, monkeypatch, content, needle):
    if content is not None:
        (project / "b.json").write_text(content, encoding="utf-8")
    for fmt in ("text", "sarif"):
        code, out, err = run_check(capsys, project, monkeypatch, "--baseline", "b.json", "--format", fmt)
        assert code == 2
        assert err.startswith("b.json: error: ") and needle in err, err
        assert out == ""
    with pytest.raises(BaselineError):
        load_baseline(project / "b.json")


def test_unwritable_baseline_exits_2(project, capsys, monkeypatch):
    code, _, err = run_check(capsys, project, monkeypatch, "--write-baseline", "no/such/dir/b.json")
    assert code == 2 and "no/such/dir/b.json: error: cannot write" in err


def test_write_baseline_with_unreadable_files_still_exits_2(project, capsys, monkeypatch):
    (project / "broken.py").write_text("import tempfile\ndef (:\n    tempfile.mkdtemp()\n", encoding="utf-8")
    code, _, err = run_check(capsys, project, monkeypatch, "--write-baseline", "b.json")
    assert code == 2 and "broken.py: error:" in err and (project / "b.json").exists()


def test_api_round_trip(project):
    path = project / "app" / "io.py"
    findings = check_data(path.read_bytes(), str(path), Config()).findings
    assert len(findings) == 2
    target = project / "b.json"
    assert write_baseline(target, findings) == 2
    loaded = load_baseline(target)
    assert isinstance(loaded, Baseline) and len(loaded) == 2
    assert new_findings(findings, loaded) == []
    assert new_findings(findings, Baseline(target, frozenset())) == findings


def test_baseline_with_stdin_uses_the_piped_source(project):
    def check(*args):
        return subprocess.run(
            [sys.executable, "-m", "tmplint", "check", "--no-cache", "--stdin-filename", "app/io.py", *args, "-"],
            cwd=project, input=piped, capture_output=True, text=True,
        )

    piped = "# edited in the editor, not saved yet\n" + MODULE
    written = check("--write-baseline", "b.json")
    assert written.returncode == 0, written.stderr
    (project / "app" / "io.py").write_text("x = 1\n", encoding="utf-8")  # the file on disk differs
    again = check("--baseline", "b.json")
    assert (again.returncode, again.stdout) == (0, ""), again.stderr
