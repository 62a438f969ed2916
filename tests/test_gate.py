"""``tmplint fix --add-noqa`` and the ``tmplint check`` gate, through the real command line."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import HELPER, write_project

# one site the codemod can fix (an id in scope), two it cannot (no workflow id, no fallback; TMP006
# is only fixed with --unsafe-fixes), and a default-off rule that stays off
SOURCE = '''\
import tempfile


def export(workflow_id, data):
    fd, path = tempfile.mkstemp(suffix=".json")
    return fd, path


def orphan():
    return tempfile.mkdtemp()


def literal():
    return "/tmp/out.txt"
'''


def tmplint(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tmplint", *args], cwd=cwd, capture_output=True, text=True)


def test_after_fix_add_noqa_the_check_gate_passes(tmp_path):
    project = write_project(tmp_path / "proj", {"app/jobs.py": SOURCE, **HELPER})
    before = tmplint("check", "--no-cache", ".", cwd=project)
    assert before.returncode == 1 and {"TMP002", "TMP003", "TMP006"} <= set(before.stdout.split())

    fixed = tmplint("fix", "--add-noqa", ".", cwd=project)
    assert fixed.returncode in (0, 1), fixed.stderr
    text = (project / "app" / "jobs.py").read_text(encoding="utf-8")
    assert "tempfile.mkstemp" not in text
    assert "# noqa: TMP003" in text and "# noqa: TMP006" in text

    after = tmplint("check", "--no-cache", ".", cwd=project)
    assert (after.returncode, after.stdout, after.stderr) == (0, "", "All checks passed!\n")
    for fmt in ("json", "sarif", "github"):
        assert tmplint("check", "--no-cache", "--format", fmt, ".", cwd=project).returncode == 0
    # and the codemod has nothing left to do
    again = tmplint("fix", "--add-noqa", ".", cwd=project)
    assert again.returncode == 0, again.stderr
    assert (project / "app" / "jobs.py").read_text(encoding="utf-8") == text
