"""Semantic tests: the original and the rewritten program behave the same.

Each program in ``tests/fixtures/codemod/semantic/`` is fixed, then both versions run in a
subprocess with ``TMPDIR`` pointed at an empty dir under ``tmp_path`` (the "system temp dir") and
the helper's root (``WORKFLOW_TEMP_ROOT``) at another. Their output must be equal, the rewritten
program must leave the system temp dir empty, and the number of entries left behind must be what
the program's header says (``original-leaves=N rewrite-leaves=M``): deleting sites leave nothing in
the job dir, ``delete=False``/``mkstemp``/``mkdtemp`` leave what the original left unless a cleanup
could be added. ``@TMPDIR@`` in a program is the fake system temp dir (it is also the configured
``temp-dirs``, so literal paths are tested without touching the real ``/tmp``); ``unsafe-fixes``,
``add-workflow-param`` and ``fallback`` (``workflow-id-fallback = "job-1"``) in the header set
those options.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import List

import pytest

from tmplint.codemods.api import fix_bytes
from tmplint.config import Config

from tests.conftest import FIXTURES

from tmplint import helper  # noqa: E402

PROGRAMS = sorted((FIXTURES / "codemod" / "semantic").glob("*.py"))
_HEADER = re.compile(r"^# semantic: (.*)$", re.MULTILINE)


def _header(text: str) -> dict:
    words = _HEADER.search(text).group(1).split()  # type: ignore[union-attr]
    options = {}
    for word in words:
        key, _, value = word.partition("=")
        options[key] = int(value) if value else True
    return options


def _run(script: Path, systmp: Path, root: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "WORKFLOW_TEMP_ROOT"))}
    env.update(TMPDIR=str(systmp), WORKFLOW_TEMP_ROOT=str(root), PYTHONDONTWRITEBYTECODE="1",
               PYTHONHASHSEED="0", PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, script.name], cwd=script.parent, env=env,
                          capture_output=True, text=True, timeout=60)


def _entries(directory: Path) -> List[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def _job_entries(root: Path) -> List[str]:
    return [f"{job.name}/{name}" for job in sorted(root.iterdir()) for name in _entries(job / "tmp")] \
        if root.exists() else []


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.stem)
def test_rewrite_keeps_behaviour(program: Path, tmp_path: Path) -> None:
    systmp = tmp_path / "systmp"
    systmp.mkdir()
    source = program.read_text(encoding="utf-8").replace("@TMPDIR@", str(systmp))
    options = _header(source)
    config = replace(Config(), temp_dirs=(str(systmp),), add_workflow_param=bool(options.get("add-workflow-param")),
                     workflow_id_fallback='"job-1"' if options.get("fallback") else None)
    result = fix_bytes(source.encode("utf-8"), config, path=program.name,
                       unsafe_fixes=bool(options.get("unsafe-fixes")))
    assert result.changed
    assert not result.report.left, result.report.left

    for name, text in (("original", source), ("rewritten", result.data.decode("utf-8"))):
        directory = tmp_path / name
        directory.mkdir()
        (directory / "prog.py").write_text(text, encoding="utf-8")
        (directory / "temp_paths.py").write_text(helper.render_helper_module(), encoding="utf-8")

    # the rewritten program first, while the fake system temp dir is still empty
    root = tmp_path / "root"
    rewritten = _run(tmp_path / "rewritten" / "prog.py", systmp, root)
    assert rewritten.returncode == 0, rewritten.stderr
    assert _entries(systmp) == [], "the rewritten program wrote to the system temp dir"
    assert len(_job_entries(root)) == options["rewrite-leaves"], _job_entries(root)

    original_root = tmp_path / "original-root"
    original = _run(tmp_path / "original" / "prog.py", systmp, original_root)
    assert original.returncode == 0, original.stderr
    assert not original_root.exists()
    assert len(_entries(systmp)) == options["original-leaves"], _entries(systmp)

    assert rewritten.stdout == original.stdout
    assert rewritten.stdout.strip()
