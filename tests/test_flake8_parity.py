"""End to end: the installed ``tmplint check`` and real ``flake8 --select TMP`` agree."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import List, Set, Tuple

import pytest

from tests.conftest import DETECTOR_FIXTURES, expected_findings, fixture_config_lines, write_project

_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>TMP\d{3}) (?P<message>.*)$")


def run(args: List[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True)


def parse(stdout: str) -> Set[Tuple[str, int, int, str, str]]:
    found = set()
    for line in stdout.splitlines():
        match = _LINE.match(line)
        assert match, f"unexpected output line: {line!r}"
        found.add((Path(match["path"]).name, int(match["line"]), int(match["col"]), match["code"], match["message"]))
    return found


@pytest.mark.parametrize("fixture", DETECTOR_FIXTURES, ids=lambda p: p.name)
def test_flake8_and_tmplint_check_report_the_same(fixture, tmp_path):
    project = write_project(tmp_path, {fixture.name: fixture.read_text(encoding="utf-8")}, fixture_config_lines(fixture))
    ours = run(["tmplint", "check", fixture.name], project)
    theirs = run(["flake8", "--select", "TMP", fixture.name], project)
    assert ours.returncode in (0, 1), ours.stderr
    assert parse(ours.stdout) == parse(theirs.stdout)
    assert {(line, code) for _, line, _, code, _ in parse(ours.stdout)} == expected_findings(fixture)
    assert ours.returncode == (1 if expected_findings(fixture) else 0)


def test_default_off_rule_enabled_by_flake8_extend_select(tmp_path):
    source = "import os\nA = os.environ['TMPDIR']\nB = '/tmp/x'\n"
    project = write_project(tmp_path, {"m.py": source})
    plain = run(["flake8", "--select", "TMP", "m.py"], project)
    assert [c for *_, c, _ in sorted(parse(plain.stdout))] == ["TMP006"]
    extended = run(["flake8", "--select", "TMP", "--extend-select", "TMP007", "m.py"], project)
    ours = run(["tmplint", "check", "--extend-select", "TMP007", "m.py"], project)
    assert parse(extended.stdout) == parse(ours.stdout)
    assert {c for *_, c, _ in parse(ours.stdout)} == {"TMP006", "TMP007"}


def test_flake8_temp_dirs_option(tmp_path):
    project = write_project(tmp_path, {"m.py": "A = '/scratch/x'\nB = '/tmp/x'\n"})
    result = run(["flake8", "--select", "TMP", "--tmplint-temp-dirs", "/scratch", "m.py"], project)
    assert [(line, code) for _, line, _, code, _ in parse(result.stdout)] == [(1, "TMP006")]


def test_flake8_ignore_filters_plugin_codes(tmp_path):
    project = write_project(tmp_path, {"m.py": "import tempfile\nA = '/tmp/x'\nB = tempfile.mkstemp()\n"})
    result = run(["flake8", "--select", "TMP", "--ignore", "TMP006", "m.py"], project)
    assert [code for *_, code, _ in parse(result.stdout)] == ["TMP002"]
