"""How ``tmplint check`` shares the parsing between its pool and the main process: the main
process, done reading, parses the chunks no worker has started, and the results are those of a
serial run, in the same order."""
from __future__ import annotations

import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from tmplint import check as check_module
from tmplint.check import check_paths
from tmplint.config import Config

BAD = "import tempfile\n\n\ndef f():\n    return tempfile.mkstemp()\n"
LITERAL = "PATH = '/tmp/x.json'\n"

_original_check_chunk = check_module._check_chunk


def _check_chunk_marking_process(config, items):
    """The results, each error field naming the process that parsed it; a worker's first chunk
    waits until the main process has parsed one (the file ``$MARKER``), so both surely parse."""
    marker = Path(os.environ["MARKER"])
    if os.getpid() != int(os.environ["MAIN_PID"]):
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.001)
    results = _original_check_chunk(config, items)
    if os.getpid() == int(os.environ["MAIN_PID"]):
        marker.touch()
    return [replace(result, error=f"pid {os.getpid()}") for result in results]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the pool forks only on Linux")
def test_the_main_process_parses_the_chunks_no_worker_started(tmp_path, monkeypatch):
    for index in range(30):
        (tmp_path / f"p{index:02}.py").write_text((BAD if index % 2 else LITERAL) + f"# {index}\n")
    config = Config(source=tmp_path / "pyproject.toml")
    serial = list(check_paths([tmp_path], config, jobs=1, use_cache=False))
    assert all(result.findings for result in serial)
    monkeypatch.setattr(check_module, "POOL_MIN_BYTES_FORK", 1)
    monkeypatch.setattr(check_module, "CHUNK_BYTES", 200)
    monkeypatch.setenv("MAIN_PID", str(os.getpid()))
    monkeypatch.setenv("MARKER", str(tmp_path / "main-parsed"))
    monkeypatch.setattr(check_module, "_check_chunk", _check_chunk_marking_process)
    parallel = list(check_paths([tmp_path], config, jobs=2, use_cache=False))
    assert [(r.path, r.findings) for r in parallel] == [(r.path, r.findings) for r in serial]
    parsers = {result.error for result in parallel}
    assert parsers >= {f"pid {os.getpid()}"} and len(parsers) == 2, parsers
