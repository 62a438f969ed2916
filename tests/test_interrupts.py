"""Ctrl-C during ``tmplint check`` and ``tmplint fix`` over a copy of CPython's own library.

The signal goes to the whole process group, as a terminal sends it, at a point of the run the
test knows (the test hook ``$TMPLINT_TEST_PAUSE_DIR``/``$TMPLINT_TEST_PAUSE_AT``, see
docs/testing.md), never after a guessed delay. Every time: exit 130, the one line
``tmplint: interrupted`` on stderr and nothing else (no traceback), every file either as it was or
exactly as an uninterrupted run writes it, no temp file, no process of the run left. A second
Ctrl-C changes none of that, wherever it comes: while the first is being handled (the workers not
killed yet) or after the line is printed, as the process ends. The timeouts only guard against a
hang; nothing here depends on how fast the machine is.

The runs start in a directory of their own, outside the copied library, and are given its path:
``python -m`` puts the working directory first on ``sys.path``, and the copy's ``threading.py``,
``signal.py``, ... (some of them rewritten by ``fix``) must not stand in for the interpreter's own.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from typing import Dict, Iterable, List, Optional

import pytest

from tests.conftest import HELPER, write_project, write_tree

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and process groups")

TEMP_FILE = re.compile(r"^\..+\.tmplint-.+\.tmp$")
#: a hang guard only: an interrupted run ends in well under a second
HANG_GUARD = 600
CONFIG = "[tool.tmplint]\nworkflow-id-fallback = '\"shared\"'\n"
#: the fix runs: literal paths too, for more sites to rewrite
FIX = ["fix", "--unsafe-fixes", "--jobs", "2"]


#: with the top-level modules, enough sites for ``fix`` to rewrite on every supported Python
FIX_PACKAGES = ("multiprocessing", "urllib")


def _stdlib_copy(target: Path, top_level_only: bool) -> Path:
    """The running interpreter's standard library (without site-packages and caches), or only
    its top-level modules and FIX_PACKAGES, with a pyproject.toml giving a fallback workflow id and
    the helper module."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    if top_level_only:
        target.mkdir(parents=True)
        for module in stdlib.glob("*.py"):
            shutil.copy2(module, target / module.name)
        for package in FIX_PACKAGES:
            shutil.copytree(stdlib / package, target / package, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        shutil.copytree(stdlib, target, symlinks=True,
                        ignore=shutil.ignore_patterns("site-packages", "__pycache__", "lib-dynload", "*.pyc",
                                                      "config-*"))
    (target / "pyproject.toml").write_text(CONFIG)
    write_tree(target, HELPER)  # fix refuses to write imports of a helper module that does not exist
    return target


def snapshot(root: Path) -> Dict[str, str]:
    """Every file under ``root`` by relative path: the digest of its bytes."""
    return {str(p.relative_to(root)): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """The whole library, for ``check``."""
    return _stdlib_copy(tmp_path_factory.mktemp("interrupts") / "lib", top_level_only=False)


@pytest.fixture(scope="module")
def modules(tmp_path_factory):
    """Part of the library as it is and as an uninterrupted ``fix`` leaves it."""
    base = tmp_path_factory.mktemp("interrupts-fix")
    original = _stdlib_copy(base / "original", top_level_only=True)
    fixed = base / "fixed"
    shutil.copytree(original, fixed)
    done = subprocess.run([sys.executable, "-m", "tmplint", *FIX, str(fixed)], cwd=base,
                          capture_output=True, timeout=1800)
    assert done.returncode in (0, 1), done.stderr.decode()
    before, after = snapshot(original), snapshot(fixed)
    assert before.keys() == after.keys()
    changed = [name for name in before if before[name] != after[name]]
    assert len(changed) >= 2, "the library should have sites fix rewrites"
    return original, before, after


class Run:
    """``tmplint`` in a session of its own, pausing at the named points of the test hook. It runs
    in ``directory`` (which holds no module), and the pause files go to ``directory/pause``."""

    def __init__(self, args: List[str], directory: Path, points: Iterable[str],
                 env: Optional[Dict[str, str]] = None) -> None:
        self.pause_dir = directory / "pause"
        self.pause_dir.mkdir()
        environment = {**os.environ, **(env or {}), "TMPLINT_TEST_PAUSE_DIR": str(self.pause_dir),
                       "TMPLINT_TEST_PAUSE_AT": ",".join(points)}
        environment.pop("CI", None)
        self.process = subprocess.Popen([sys.executable, "-m", "tmplint", *args], cwd=directory, env=environment,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        #: what the run wrote to stderr before it ended (read while it was paused)
        self.stderr_read = b""

    def reached(self, point: str) -> None:
        """Wait until the run pauses at ``point``."""
        marker = self.pause_dir / point
        deadline = time.monotonic() + 1800  # a hang guard: the run reaches it or ends
        while not marker.exists():
            if self.process.poll() is not None:
                _, stderr = self.process.communicate()
                pytest.fail(f"the run ended (exit {self.process.returncode}) before {point}: {stderr.decode()}")
            assert time.monotonic() < deadline, f"never reached {point}"
            time.sleep(0.005)

    def resume(self, point: str) -> None:
        (self.pause_dir / point).unlink()

    def ctrl_c(self) -> None:
        os.killpg(self.process.pid, signal.SIGINT)

    def stderr_line(self) -> bytes:
        """The next line the run writes to stderr (it is paused: the line is there already)."""
        line = self.process.stderr.readline()
        self.stderr_read += line
        return line

    def interrupt(self, second: Optional[str]) -> None:
        """Ctrl-C once the workers are busy (the run paused at ``pool-result``), then again at
        the point ``second`` on the way out, if given (the run pauses at each of them)."""
        self.reached("pool-result")
        self.ctrl_c()
        for point in ("terminating", "exiting"):
            self.reached(point)
            if point == "exiting":  # the line is printed before the process ends
                assert self.stderr_line() == b"tmplint: interrupted\n"
            if point == second:
                self.ctrl_c()
            self.resume(point)

    def finish_interrupted(self) -> None:
        """The run ends with the four properties of an interrupted run that do not depend on
        the files: exit 130, one line, no traceback, nothing left running."""
        stdout, stderr = self.process.communicate(timeout=HANG_GUARD)
        stderr = self.stderr_read + stderr
        assert stderr.decode().splitlines() == ["tmplint: interrupted"], stderr.decode()
        assert self.process.returncode == 130
        assert stdout == b""
        # the session's process group: the run and every worker it started
        with pytest.raises(ProcessLookupError):
            os.killpg(self.process.pid, 0)


def temp_files(root: Path) -> List[Path]:
    return [p for p in root.rglob("*") if TEMP_FILE.match(p.name) or p.name.endswith(".tmp")]


def assert_old_or_fixed(root: Path, before: Dict[str, str], after: Dict[str, str]) -> int:
    """Every file is its original or exactly its fixed version, no file is new (no temp file):
    how many are fixed."""
    now = snapshot(root)
    assert sorted(now) == sorted(before), set(now) ^ set(before)
    for name, digest in now.items():
        assert digest in (before[name], after[name]), f"{name} is neither its old nor its fixed content"
    return sum(now[name] != before[name] for name in now)


#: the points an interrupted run pauses at: the workers are busy, the first Ctrl-C is being
#: handled, the line is printed (Run.interrupt)
INTERRUPTED = ["pool-result", "terminating", "exiting"]
#: where a second Ctrl-C comes, if one does: while the first is being handled (the workers are
#: not killed yet), or after the line is printed, as the process ends
SECOND = pytest.mark.parametrize("second", [None, "terminating", "exiting"],
                                 ids=["once", "again-while-terminating", "again-while-exiting"])


@SECOND
def test_check_stops_at_ctrl_c(library, tmp_path, second):
    before = snapshot(library)
    cache = tmp_path / "cache"
    run = Run(["check", "--jobs", "2", str(library)], tmp_path, INTERRUPTED, env={"TMPLINT_CACHE_DIR": str(cache)})
    run.interrupt(second)
    run.finish_interrupted()
    assert snapshot(library) == before
    assert not cache.exists() or not temp_files(cache)


@SECOND
def test_fix_stops_at_ctrl_c_while_the_workers_rewrite(modules, tmp_path, second):
    original, before, after = modules
    root = tmp_path / "lib"
    shutil.copytree(original, root)
    run = Run([*FIX, str(root)], tmp_path, INTERRUPTED)
    run.interrupt(second)
    run.finish_interrupted()
    assert assert_old_or_fixed(root, before, after) == 0  # files are written once all are rewritten


def test_check_stops_at_ctrl_c_while_the_pool_closes(library, tmp_path):
    """Ctrl-C once the workers have done all the work, while they are told to exit and waited
    for: they are killed instead, none is left behind."""
    cache = tmp_path / "cache"
    run = Run(["check", "--jobs", "2", str(library)], tmp_path, ["pool-closing"], env={"TMPLINT_CACHE_DIR": str(cache)})
    run.reached("pool-closing")
    run.ctrl_c()
    run.finish_interrupted()
    assert not cache.exists() or not temp_files(cache)


def test_fix_finishes_the_file_it_is_writing(modules, tmp_path):
    """Ctrl-C (twice) while the first file's new content is in its temp file: that file is
    replaced whole, the temp file is gone, no other file is touched."""
    original, before, after = modules
    root = tmp_path / "lib"
    shutil.copytree(original, root)
    run = Run([*FIX, str(root)], tmp_path, ["writing"])
    run.reached("writing")
    assert len(temp_files(root)) == 1  # the moment is the one wanted: the temp file is there
    run.ctrl_c()
    run.ctrl_c()
    run.resume("writing")
    run.finish_interrupted()
    assert assert_old_or_fixed(root, before, after) == 1
    assert not temp_files(root)


def test_ctrl_c_while_starting_up_prints_no_traceback(tmp_path):
    run = Run(["check", "."], tmp_path, ["starting"])
    run.reached("starting")  # before the command line is imported
    run.ctrl_c()
    run.finish_interrupted()


def test_ctrl_c_while_the_deep_stack_thread_works(tmp_path):
    """Ctrl-C while the main process waits for a file's work in its deep-stack thread (--jobs 1:
    no worker processes), and again as the process ends: the thread does not keep the process
    alive, nothing is written."""
    project = write_project(tmp_path / "project", {**HELPER, "one.py": "import tempfile\nd = tempfile.mkdtemp()\n"},
                            ["workflow-id-fallback = '\"shared\"'"])
    before = snapshot(project)
    run = Run(["fix", "--jobs", "1", str(project)], tmp_path, ["deep-stack", "exiting"])
    run.reached("deep-stack")
    run.ctrl_c()
    run.reached("exiting")
    run.ctrl_c()
    run.resume("exiting")
    run.finish_interrupted()
    assert snapshot(project) == before
