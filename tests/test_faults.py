"""Fault injection: ``tmplint fix`` killed at any moment never leaves a half-written file.

SIGKILL (nothing can be cleaned up): every file is afterwards either its old or its new content,
and a run started afterwards finishes the job. (Ctrl-C, which can be cleaned up after:
tests/test_interrupts.py.)
"""
from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Optional

import pytest

from tests.conftest import HELPER, write_tree

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and process groups")

TEMP_FILE = re.compile(r"^\..+\.tmplint-.+\.tmp$")

MODULE = '''\
import tempfile


def step_{n}(workflow_id, data):
    fd, path = tempfile.mkstemp(suffix=".{n}")
    with tempfile.NamedTemporaryFile(suffix=".json") as handle:
        handle.write(data)
    return path, tempfile.mkdtemp()
'''


def make_tree(root: Path, count: int = 24) -> None:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.tmplint]\n")
    write_tree(root, HELPER)  # what the rewrites import
    for n in range(count):
        package = root / f"pkg{n % 4}"
        package.mkdir(exist_ok=True)
        text = MODULE.format(n=n)
        if n % 5 == 0:  # some big files, so that writes take a while
            text += "DATA = '''\\\n" + ("y" * 79 + "\n") * 20000 + "'''\n"
        (package / f"mod{n}.py").write_text(text)
        (package / f"clean{n}.py").write_text(f"def f{n}(workflow_id):\n    return workflow_id\n")


def contents(root: Path) -> Dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def start_fix(root: Path, env: Optional[Dict[str, str]] = None) -> subprocess.Popen:
    # a session of its own: signals go to the whole process group (the pool too), as from a terminal
    return subprocess.Popen([sys.executable, "-m", "tmplint", "fix", "."], cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True, env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The tree before, the tree after an uninterrupted run, and how long that run takes."""
    base = tmp_path_factory.mktemp("faults")
    original = base / "original"
    make_tree(original)
    done = base / "done"
    shutil.copytree(original, done)
    started = time.monotonic()
    process = start_fix(done)
    _, stderr = process.communicate(timeout=600)
    duration = time.monotonic() - started
    assert process.returncode == 0, stderr.decode()
    before, after = contents(original), contents(done)
    assert before.keys() == after.keys()
    assert sum(before[k] != after[k] for k in before) == 24  # every mod*.py rewritten, no clean*.py
    return original, before, after, duration


def assert_old_or_new(root: Path, before: Dict[str, bytes], after: Dict[str, bytes]) -> int:
    """Every file is whole (old or new); returns how many are new. Only temp files are extra."""
    now = contents(root)
    extra = [name for name in now if name not in before]
    assert all(TEMP_FILE.match(Path(name).name) for name in extra), extra
    new = 0
    for name, data in before.items():
        current = now[name]
        assert current in (data, after[name]), f"{name} is neither its old nor its new content"
        new += current == after[name] and current != data
    return new


def test_sigkill_at_random_moments_leaves_old_or_new_files(reference, tmp_path):
    """Killed anywhere (the moments are random: any moment must do), every file is whole."""
    original, before, after, duration = reference
    targets = [name for name in before if before[name] != after[name]]
    rng = random.Random(7)
    for index in range(3):
        root = tmp_path / f"run{index}"
        shutil.copytree(original, root)
        process = start_fix(root)
        time.sleep(rng.uniform(0.05, 1.0) * duration)
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.communicate(timeout=60)
        assert_old_or_new(root, before, after)
        if index % 2 == 0:  # a later run finishes the job
            finish = start_fix(root)
            _, stderr = finish.communicate(timeout=600)
            assert finish.returncode == 0, stderr.decode()
            assert assert_old_or_new(root, before, after) == len(targets)


def test_sigkill_while_a_file_is_written_leaves_it_whole(reference, tmp_path):
    """Killed at the worst moment, the new content in the temp file and not yet moved in place
    (the test hook pauses the run there): the file is its old self, only the temp file is extra,
    and a later run finishes the job."""
    original, before, after, _ = reference
    targets = [name for name in before if before[name] != after[name]]
    root = tmp_path / "tree"
    shutil.copytree(original, root)
    pause = tmp_path / "pause"
    pause.mkdir()
    process = start_fix(root, {"TMPLINT_TEST_PAUSE_DIR": str(pause), "TMPLINT_TEST_PAUSE_AT": "writing"})
    deadline = time.monotonic() + 600  # a hang guard
    while not (pause / "writing").exists():
        assert process.poll() is None, process.communicate()[1].decode()
        assert time.monotonic() < deadline
        time.sleep(0.005)
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)
    assert assert_old_or_new(root, before, after) == 0
    assert len([name for name in contents(root) if name not in before]) == 1  # the temp file
    finish = start_fix(root)
    _, stderr = finish.communicate(timeout=600)
    assert finish.returncode == 0, stderr.decode()
    assert assert_old_or_new(root, before, after) == len(targets)
