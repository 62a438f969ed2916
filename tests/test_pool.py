"""``WorkerPool.run_within``: the heaviest work starts first, and what runs at once stays within
the weight budget (``tmplint fix`` weighs files by size, so two big files are not rewritten at
once: their memory would add up). The tasks below run in real worker processes and coordinate
through marker files: each waits for an event another task makes observable, never for a time."""
from __future__ import annotations

import io
import sys
import time
from pathlib import Path
from typing import Dict, Tuple

import pytest

from tests.conftest import HELPER, write_project
from tmplint import fix as fix_module
from tmplint.config import load_config
from tmplint.fix import run_fix
from tmplint.pool import WorkerPool

HANG_GUARD = 600  # seconds: a broken schedule fails the test instead of hanging it


def _wait_for(marker: Path) -> None:
    deadline = time.monotonic() + HANG_GUARD
    while not marker.exists():
        assert time.monotonic() < deadline, f"{marker.name} never appeared"
        time.sleep(0.01)


def _task(payload: Tuple[str, str, str]) -> Dict[str, object]:
    """Mark ``key`` as started; a task told to wait for another waits until that one has started.
    What it returns: the tasks that had started before it ended."""
    key, wait_for, directory = payload
    folder = Path(directory)
    (folder / f"started-{key}").touch()
    if wait_for:
        _wait_for(folder / f"started-{wait_for}")
    return {"key": key, "seen": sorted(p.name[len("started-"):] for p in folder.glob("started-*"))}


def test_run_within_runs_the_heaviest_first_and_a_light_one_beside_it_not_another_heavy_one(tmp_path):
    # budget 110: "heavy" (100) and "light" (10) fit together, two heavy ones (200) do not. The
    # heavy one starts first and ends only once "light" has started beside it: without the budget
    # the other heavy one would take the second worker first, and "light" would wait for it.
    payloads = {
        "heavy": ("heavy", "light", str(tmp_path)),
        "other-heavy": ("other-heavy", "", str(tmp_path)),
        "light": ("light", "", str(tmp_path)),
    }
    weights = {"heavy": 100, "other-heavy": 99, "light": 10}
    with WorkerPool(2) as pool:
        done = {key: pool.result(future) for key, future in pool.run_within(_task, payloads, weights, budget=110)}
    assert sorted(done) == ["heavy", "light", "other-heavy"]
    assert done["heavy"]["seen"] == ["heavy", "light"]
    assert "heavy" in done["other-heavy"]["seen"]


def test_run_within_runs_work_heavier_than_the_budget_alone(tmp_path):
    # each weighs more than the whole budget: they still run, one after the other; the second
    # one started only after the first had ended (it waited for nothing, and saw it)
    payloads = {key: (key, "", str(tmp_path)) for key in ("big", "bigger")}
    with WorkerPool(2) as pool:
        order = [(key, pool.result(future)) for key, future in
                 pool.run_within(_task, payloads, {"big": 500, "bigger": 600}, budget=100)]
    assert [key for key, _ in order] == ["bigger", "big"]
    assert order[0][1]["seen"] == ["bigger"]
    assert order[1][1]["seen"] == ["big", "bigger"]


def _die(task: object) -> object:
    import os

    os._exit(3)


FIXABLE = "import tempfile\n\n\ndef export(workflow_id):\n    return tempfile.mkdtemp()\n"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the pool forks only on Linux")
def test_fix_reports_every_file_of_a_dead_worker_pool_and_writes_none(tmp_path, monkeypatch):
    # the first file's worker dies: the pool is broken, and every file (the ones running and the
    # ones not started yet) is the same one-line error; nothing is written
    files = {f"m{i}.py": FIXABLE + "#" * i + "\n" for i in range(4)}
    root = write_project(tmp_path / "p", {**files, **HELPER})
    monkeypatch.setattr(fix_module, "_worker", _die)
    monkeypatch.chdir(root)
    err = io.StringIO()
    code = run_fix([Path(".")], load_config(start=root), diff=False, check=False, unsafe_fixes=False, add_noqa=False,
                   jobs=2, stdout=io.StringIO(), stderr=err)
    assert code == 2
    errors = sorted(line for line in err.getvalue().splitlines() if ": error: " in line)
    assert errors == [f"{name}: error: internal error: the worker process died" for name in sorted(files)]
    assert {name: (root / name).read_text() for name in files} == files
