"""Fault injection: ``tmplint fix`` killed at any moment never leaves a half-written file.

SIGKILL (nothing can be cleaned up): every file is afterwards either its old or its new content,
and a run started afterwards finishes the job. (Ctrl-C, which can be cleaned up after:
tests/test_interrupts.py.)
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, Optional

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
    """The tree before and after an uninterrupted run."""
    base = tmp_path_factory.mktemp("faults")
    original = base / "original"
    make_tree(original)
    done = base / "done"
    shutil.copytree(original, done)
    process = start_fix(done)
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr.decode()
    before, after = contents(original), contents(done)
    assert before.keys() == after.keys()
    assert sum(before[k] != after[k] for k in before) == 24  # every mod*.py rewritten, no clean*.py
    return original, before, after


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


def wait_for(process: subprocess.Popen, event: Callable[[], bool]) -> None:
    """Wait until ``event()`` is true or the run has ended."""
    deadline = time.monotonic() + 600  # a hang guard
    while not event() and process.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.005)


def replaced(root: Path, inodes: Dict[str, int]) -> int:
    """How many of the files the tree had are replaced (a new inode: moved in place) by now."""
    return sum(os.stat(root / name).st_ino != inode for name, inode in inodes.items())


#: the moments of a run SIGKILL comes at: a point of the test hook (before the command line is
#: imported; while the worker processes rewrite), or once that many files have been replaced
#: (while the next ones are written)
MOMENTS = ["starting", "pool-result", 1, 12, 23]


@pytest.mark.parametrize("moment", MOMENTS)
def test_sigkill_at_any_moment_leaves_old_or_new_files(reference, tmp_path, moment):
    """Killed anywhere, every file is whole, and a later run finishes the job. The moments are
    events of the run, not delays: the same ones however busy the machine is."""
    original, before, after = reference
    targets = [name for name in before if before[name] != after[name]]
    root = tmp_path / "tree"
    shutil.copytree(original, root)
    if isinstance(moment, str):
        pause = tmp_path / "pause"
        pause.mkdir()
        process = start_fix(root, {"TMPLINT_TEST_PAUSE_DIR": str(pause), "TMPLINT_TEST_PAUSE_AT": moment})
        wait_for(process, (pause / moment).exists)
        assert (pause / moment).exists(), process.communicate()[1].decode()  # paused there, not ended
    else:
        inodes = {name: os.stat(root / name).st_ino for name in targets}
        process = start_fix(root)
        wait_for(process, lambda: replaced(root, inodes) >= moment)
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:  # the run ended first (it replaced its last files meanwhile)
        pass
    process.communicate(timeout=600)
    assert assert_old_or_new(root, before, after) >= (0 if isinstance(moment, str) else moment)
    finish = start_fix(root)
    _, stderr = finish.communicate(timeout=600)
    assert finish.returncode == 0, stderr.decode()
    assert assert_old_or_new(root, before, after) == len(targets)


def test_sigkill_while_a_file_is_written_leaves_it_whole(reference, tmp_path):
    """Killed at the worst moment, the new content in the temp file and not yet moved in place
    (the test hook pauses the run there): the file is its old self, only the temp file is extra,
    and a later run finishes the job."""
    original, before, after = reference
    targets = [name for name in before if before[name] != after[name]]
    root = tmp_path / "tree"
    shutil.copytree(original, root)
    pause = tmp_path / "pause"
    pause.mkdir()
    process = start_fix(root, {"TMPLINT_TEST_PAUSE_DIR": str(pause), "TMPLINT_TEST_PAUSE_AT": "writing"})
    wait_for(process, (pause / "writing").exists)
    assert process.poll() is None, process.communicate()[1].decode()
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=600)
    assert assert_old_or_new(root, before, after) == 0
    assert len([name for name in contents(root) if name not in before]) == 1  # the temp file
    finish = start_fix(root)
    _, stderr = finish.communicate(timeout=600)
    assert finish.returncode == 0, stderr.decode()
    assert assert_old_or_new(root, before, after) == len(targets)
