"""The progress bar: drawn on a terminal for long runs only, never into pipes, logs or CI."""
from __future__ import annotations

import io
import os
import pty
import subprocess
import sys

import pytest

from tests.conftest import read_terminal, write_project
from tmplint.progress import Progress, progress_wanted


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def no_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")


def test_draws_on_a_terminal_and_erases_itself():
    stream = FakeTerminal()
    with Progress(total=4, label="checking", stream=stream, delay=0) as bar:
        for _ in range(4):
            bar._last_draw = 0.0  # no throttling in the test
            bar.advance()
    output = stream.getvalue()
    assert "\r[" in output and "4/4 files" in output and "checking" in output
    assert output.endswith("\r\x1b[K")
    assert "\n" not in output


def test_nothing_for_pipes_ci_dumb_terminals_or_short_runs(monkeypatch):
    piped = io.StringIO()
    with Progress(total=3, stream=piped, delay=0) as bar:
        bar.advance(3)
    assert piped.getvalue() == ""

    monkeypatch.setenv("CI", "true")
    assert not progress_wanted(FakeTerminal())
    monkeypatch.delenv("CI")
    monkeypatch.setenv("TERM", "dumb")
    assert not progress_wanted(FakeTerminal())
    monkeypatch.setenv("TERM", "xterm")
    assert progress_wanted(FakeTerminal())

    quick = FakeTerminal()
    with Progress(total=3, stream=quick) as bar:  # default delay: a quick run draws nothing
        bar.advance(3)
    assert quick.getvalue() == ""


def test_a_closed_stream_turns_it_off():
    stream = FakeTerminal()
    bar = Progress(total=2, stream=stream, delay=0)
    stream.close()
    bar.advance()
    bar.close()
    assert not bar.enabled


def test_check_prints_no_progress_into_a_pipe(tmp_path):
    files = {f"m{i}.py": "import tempfile\ntempfile.mkstemp()\n" for i in range(50)}
    project = write_project(tmp_path, files)
    result = subprocess.run([sys.executable, "-m", "tmplint", "check", "--no-cache", "."], cwd=project,
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr == "Found 50 findings.\n"  # no progress bar, the summary (module-level sites: none fixable)


@pytest.mark.skipif(not hasattr(pty, "openpty"), reason="needs a pseudo-terminal")
def test_check_on_a_terminal_keeps_stdout_clean(tmp_path):
    """With stderr on a terminal, findings on stdout are unchanged and the terminal is left clean."""
    files = {f"m{i}.py": "import tempfile\ntempfile.mkstemp()\n" for i in range(20)}
    project = write_project(tmp_path, files)
    leader, follower = pty.openpty()
    try:
        result = subprocess.run([sys.executable, "-m", "tmplint", "check", "--no-cache", "."], cwd=project,
                                stdout=subprocess.PIPE, stderr=follower, text=True,
                                env={**os.environ, "TERM": "xterm", "CI": ""})
        os.close(follower)
        follower = -1
        terminal = read_terminal(leader)
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)
    assert result.returncode == 1
    assert len(result.stdout.splitlines()) == 20
    assert b"Traceback" not in terminal
    summary = b"Found 20 findings.\r\n"  # the closing line, after the bar is gone
    assert terminal.endswith(summary)
    bar = terminal[:-len(summary)]
    assert bar == b"" or bar.endswith(b"\r\x1b[K")
