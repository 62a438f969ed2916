"""One eval file per rule (flake8-bugbear's eval files): ``tests/rules/tmp001.py`` ... ``tmp008.py``.

Each eval file is Python source that is never imported or run (pytest collects only ``test_*.py``).
A line with a finding ends with one marker per finding, ``# TMP001: 4``: the code and the finding's
0-based character column, as the detector's ``Finding.col`` (and bugbear's markers) count it;
``tmplint check`` and flake8 print that column 1-based, so the runner adds 1 when it compares their
output. Every finding of the file must be marked, and every marker must be found, by all three front
ends: the detector, ``flake8 --select TMP`` and ``tmplint check --format json``. Lines are counted
as Python counts them (``tmplint.sources.split_lines``), so an eval file may hold form feeds and
other characters that ``str.splitlines`` would break on. A default-off rule's file enables it with a
``# tmplint-config:`` header (as the detector fixtures do), passed to flake8 as ``--extend-select``.
A rule may have more eval files for shapes that need a file of their own, named ``tmp006_<what>.py``
(``tmp006_cr.py``: a file whose lines end in a lone CR).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Set, Tuple

import pytest

from tests.conftest import fixture_config, fixture_config_lines, write_project
from tests.test_flake8_parity import parse, run
from tmplint.detector import check_bytes
from tmplint.registry import RULES
from tmplint.sources import split_lines

RULE_EVALS = Path(__file__).parent / "rules"
EVAL_FILES = sorted(RULE_EVALS.glob("tmp*.py"))
_MARKER = re.compile(r"# (TMP\d{3}): (\d+)\b")

Marker = Tuple[int, str, int]


def markers(path: Path) -> Set[Marker]:
    """``(line, code, 0-based col)`` of an eval file's ``# TMPxxx: col`` markers."""
    text = path.read_bytes().decode("utf-8")
    return {(number, code, int(col))
            for number, line in enumerate(split_lines(text), start=1)
            for code, col in _MARKER.findall(line)}


def rule_code(path: Path) -> str:
    """The rule an eval file is for: ``tmp006.py`` and ``tmp006_cr.py`` are TMP006's."""
    return path.stem.split("_")[0].upper()


def test_every_detector_rule_has_an_eval_file():
    detector_codes = {code for code, rule in RULES.items() if not rule.runtime}
    assert {rule_code(path) for path in EVAL_FILES} == detector_codes


@pytest.mark.parametrize("path", EVAL_FILES, ids=lambda p: p.name)
def test_eval_file_marks_its_own_rule(path):
    assert rule_code(path) in {code for _, code, _ in markers(path)}


@pytest.mark.parametrize("path", EVAL_FILES, ids=lambda p: p.name)
def test_detector_findings_are_the_markers(path):
    findings = check_bytes(path.read_bytes(), path.name, fixture_config(path))
    assert {(f.line, f.code, f.col) for f in findings} == markers(path)
    assert len(findings) == len(markers(path))


@pytest.mark.parametrize("path", EVAL_FILES, ids=lambda p: p.name)
def test_flake8_and_tmplint_check_report_the_markers(path, tmp_path):
    project = write_project(tmp_path, {path.name: path.read_bytes()}, fixture_config_lines(path))
    expected = {(line, code, col + 1) for line, code, col in markers(path)}  # the front ends print 1-based columns

    default_off = list(fixture_config(path).extend_select)
    flake8 = run(["flake8", "--select", "TMP", *(["--extend-select", ",".join(default_off)] if default_off else []),
                  path.name], project)
    assert {(line, code, col) for _, line, col, code, _ in parse(flake8.stdout)} == expected

    check = run(["tmplint", "check", "--format", "json", path.name], project)
    assert check.returncode == 1, check.stderr
    assert {(f["line"], f["code"], f["col"]) for f in json.loads(check.stdout)} == expected
