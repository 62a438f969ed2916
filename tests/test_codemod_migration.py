"""End to end: ``tmplint fix`` migrates a realistic project (``tests/fixtures/migration``).

The project has upload/download services, a worker task with a workflow context object, a class
that keeps its workflow id on ``self``, a module-level ``/tmp`` constant, a function that returns
its temp path and one without any id. The real CLI runs over a copy; the result must be exactly the
checked-in ``after`` tree, ``tmplint check`` must then pass, and a second run must change nothing.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

from tests.conftest import FIXTURES
from tmplint.helper import render_helper_module

MIGRATION = FIXTURES / "migration"


def _tree(root: Path) -> Dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and ".tmplint_cache" not in p.parts
    }


def _tmplint(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run([sys.executable, "-m", "tmplint", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_migration_produces_the_expected_tree(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(MIGRATION / "before", project)

    # the order the docs give: write the helper (helper-module = "media.temp_paths"), then migrate
    init = _tmplint("init", cwd=project)
    assert init.returncode == 0 and init.stderr == "wrote media/temp_paths.py\n", init.stderr
    helper = (project / "media" / "temp_paths.py").read_bytes()
    assert helper == render_helper_module().encode("utf-8")
    result = _tmplint("fix", "--unsafe-fixes", "--add-noqa", ".", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "8 sites fixed" in result.stderr and "3 left (3 marked with # noqa)" in result.stderr
    assert "media/settings.py:5:18: TMP006" in result.stderr
    assert "media/services/storage.py:15:16: TMP002 tempfile.mkstemp: cleanup not added: `path` is returned" \
        in result.stderr
    assert _tree(project) == {**_tree(MIGRATION / "after"), "media/temp_paths.py": helper}

    assert _tmplint("check", "--no-cache", ".", cwd=project).returncode == 0
    again = _tmplint("fix", "--unsafe-fixes", "--add-noqa", ".", cwd=project)
    assert again.returncode == 0
    assert _tree(project) == {**_tree(MIGRATION / "after"), "media/temp_paths.py": helper}


def test_migration_diff_matches_the_expected_tree(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(MIGRATION / "before", project)
    result = _tmplint("fix", "--unsafe-fixes", "--add-noqa", "--diff", ".", cwd=project)
    assert result.returncode == 1
    assert _tree(project) == _tree(MIGRATION / "before")
    (tmp_path / "change.patch").write_text(result.stdout)
    subprocess.run(["patch", "-p1", "--batch", "--input", str(tmp_path / "change.patch")], cwd=project,
                   check=True, capture_output=True)
    assert _tree(project) == _tree(MIGRATION / "after")
