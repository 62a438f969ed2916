"""How ``tmplint check`` shares the files between the main process and forked workers: each
process claims the next file left and reads, prefilters and parses it itself; the results are
those of a serial run, in the same order, the cache learns what every process learned, and a
worker that dies leaves an error for the file it had claimed, for no other."""
from __future__ import annotations

import dataclasses
import os
import sys
import time
from pathlib import Path

import pytest

from tmplint import cache as cache_module
from tmplint import check as check_module
from tmplint.cache import CACHE_DIR_ENV
from tmplint.check import check_paths
from tmplint.config import Config

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked only on Linux")

BAD = "import tempfile\n\n\ndef f():\n    return tempfile.mkstemp()\n"
LITERAL = "PATH = '/tmp/x.json'\n"
CLEAN = "import os\n"

_read_bytes_and_stat = check_module.read_bytes_and_stat


def _wait_for(marker: Path) -> None:
    deadline = time.monotonic() + 60  # a hang guard: the other process gets there or the test fails
    while not marker.exists():
        assert time.monotonic() < deadline, f"never saw {marker}"
        time.sleep(0.001)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    for index in range(30):
        (root / f"p{index:02}.py").write_text((BAD, LITERAL, CLEAN)[index % 3] + f"# {index}\n")
    return root


def _forked_from_the_first_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers forked once the first file is read, whatever its size."""
    monkeypatch.setattr(check_module, "POOL_MIN_BYTES_FORK", 1)
    monkeypatch.setattr(check_module, "FORK_SAMPLE_FILES", 1)


def _reads_logged(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, worker_dies: bool = False) -> Path:
    """Every read appends ``pid path`` to a log; after the first file, the main process reads
    only once a worker has read one (so both surely read). With ``worker_dies``, a worker ends
    its process at once instead of reading its first file."""
    log, worker_read = tmp_path / "reads.log", tmp_path / "worker-read"
    main_pid = os.getpid()
    reads = []

    def logged(path):
        if os.getpid() == main_pid:
            reads.append(path)
            if len(reads) > 1:
                _wait_for(worker_read)
        with open(log, "a") as handle:
            handle.write(f"{os.getpid()} {Path(path).name}\n")
        if os.getpid() != main_pid:
            worker_read.touch()
            if worker_dies:
                os._exit(3)
        return _read_bytes_and_stat(path)

    monkeypatch.setattr(check_module, "read_bytes_and_stat", logged)
    return log


def _readers(log: Path) -> dict:
    """file name -> the pids that read it"""
    readers: dict = {}
    for line in log.read_text().splitlines():
        pid, name = line.split()
        readers.setdefault(name, []).append(int(pid))
    return readers


def test_the_main_process_and_a_worker_share_the_files(project, tmp_path, monkeypatch):
    config = Config(source=project / "pyproject.toml")
    serial = list(check_paths([project], config, jobs=1, use_cache=False))
    assert sum(bool(result.findings) for result in serial) == 20
    _forked_from_the_first_file(monkeypatch)
    log = _reads_logged(monkeypatch, tmp_path)
    parallel = list(check_paths([project], config, jobs=2, use_cache=False))
    assert [(r.path, r.findings, r.error) for r in parallel] == [(r.path, r.findings, r.error) for r in serial]
    readers = _readers(log)
    assert sorted(readers) == sorted(Path(r.path).name for r in serial)
    assert all(len(pids) == 1 for pids in readers.values()), readers  # each file read once
    assert {pid for pids in readers.values() for pid in pids} - {os.getpid()}, "no worker read a file"


def test_what_a_worker_learned_is_cached(project, tmp_path, monkeypatch):
    """A warm run after a shared cold one reads no file: the stat entries and results the worker
    learned were saved with the main process's."""
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(cache_module, "RACY_NS", 0)
    config = Config(source=project / "pyproject.toml")
    with monkeypatch.context() as shared:
        _forked_from_the_first_file(shared)
        _reads_logged(shared, tmp_path)
        cold = [(r.path, r.findings, r.error) for r in check_paths([project], config, jobs=2)]

    def fail(path):
        raise AssertionError(f"read {path} on a warm run")

    monkeypatch.setattr(check_module, "read_bytes_and_stat", fail)
    assert [(r.path, r.findings, r.error) for r in check_paths([project], config, jobs=1)] == cold


def test_a_dead_worker_is_an_error_for_the_file_it_claimed(project, tmp_path, monkeypatch):
    config = Config(source=project / "pyproject.toml")
    serial = {r.path: r for r in check_paths([project], config, jobs=1, use_cache=False)}
    _forked_from_the_first_file(monkeypatch)
    log = _reads_logged(monkeypatch, tmp_path, worker_dies=True)
    results = list(check_paths([project], config, jobs=2, use_cache=False))
    assert [r.path for r in results] == list(serial)
    died = [name for name, pids in _readers(log).items() if os.getpid() not in pids]
    assert len(died) == 1
    for result in results:
        if Path(result.path).name in died:
            assert (result.findings, result.error) == ([], "internal error: a worker process died")
        else:
            assert (result.findings, result.error) == (serial[result.path].findings, serial[result.path].error)


_original_check_chunk = check_module._check_chunk


def _check_chunk_marking_process(config, items):
    """The results, each error field naming the process that parsed it; a worker's first chunk
    waits until the main process has parsed one (the file ``$MARKER``), so both surely parse."""
    marker = Path(os.environ["MARKER"])
    if os.getpid() != int(os.environ["MAIN_PID"]):
        _wait_for(marker)
    results = _original_check_chunk(config, items)
    if os.getpid() == int(os.environ["MAIN_PID"]):
        marker.touch()
    return [dataclasses.replace(result, error=f"pid {os.getpid()}") for result in results]


def test_without_fork_a_pool_parses_chunks_and_the_main_process_the_ones_no_worker_started(
        project, tmp_path, monkeypatch):
    """Where workers cannot inherit the run (macOS and Windows spawn them), the main process
    reads everything and a pool parses chunks of the files the prefilter let through."""
    config = Config(source=project / "pyproject.toml")
    serial = list(check_paths([project], config, jobs=1, use_cache=False))
    monkeypatch.setattr(check_module, "_can_fork", lambda: False)
    monkeypatch.setattr(check_module, "POOL_MIN_BYTES_SPAWN", 1)
    monkeypatch.setattr(check_module, "CHUNK_BYTES", 200)
    monkeypatch.setenv("MAIN_PID", str(os.getpid()))
    monkeypatch.setenv("MARKER", str(tmp_path / "main-parsed"))
    monkeypatch.setattr(check_module, "_check_chunk", _check_chunk_marking_process)
    parallel = list(check_paths([project], config, jobs=2, use_cache=False))
    assert [(r.path, r.findings) for r in parallel] == [(r.path, r.findings) for r in serial]
    parsers = {result.error for result in parallel if result.findings}
    assert parsers >= {f"pid {os.getpid()}"} and len(parsers) == 2, parsers


def test_a_run_whose_workers_cannot_be_forked_checks_every_file_itself(project, monkeypatch):
    config = Config(source=project / "pyproject.toml")
    serial = list(check_paths([project], config, jobs=1, use_cache=False))
    _forked_from_the_first_file(monkeypatch)

    def no_fork(self, fn, *args):
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(check_module.WorkerPool, "submit", no_fork)
    parallel = list(check_paths([project], config, jobs=2, use_cache=False))
    assert [(r.path, r.findings, r.error) for r in parallel] == [(r.path, r.findings, r.error) for r in serial]
