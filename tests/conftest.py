"""Shared test helpers: fixture files with inline ``# expect: TMPxxx`` markers."""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Dict, List, Mapping, Set, Tuple, Union

import pytest

from tmplint.config import Config, parse_table
from tmplint.detector import check_bytes, detect_bytes
from tmplint.helper import render_helper_module

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FIXTURES = Path(__file__).parent / "fixtures"
DETECTOR_FIXTURES = sorted((FIXTURES / "detector").glob("*.py"))
_EXPECT = re.compile(r"# expect: ([A-Z0-9, ]+)")
_CONFIG = re.compile(r"^# tmplint-config: (.*)$", re.MULTILINE)


def expected_findings(path: Path) -> Set[Tuple[int, str]]:
    """``(line, code)`` pairs from the ``# expect:`` markers of a fixture file."""
    expected = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _EXPECT.search(line)
        if match:
            expected.update((number, code.strip()) for code in match.group(1).split(",") if code.strip())
    return expected


def fixture_config_lines(path: Path) -> List[str]:
    """``[tool.tmplint]`` TOML lines a fixture asks for with ``# tmplint-config:`` headers."""
    return _CONFIG.findall(path.read_text(encoding="utf-8"))


def fixture_config(path: Path) -> Config:
    table: Dict = tomllib.loads("\n".join(fixture_config_lines(path)))
    return parse_table(table, str(path))


#: the helper module ``tmplint init`` writes, as a project's file: ``tmplint fix`` only rewrites
#: into a helper module that exists
HELPER = {"temp_paths.py": render_helper_module()}


def write_tree(root: Path, files: Mapping[str, Union[str, bytes]]) -> Path:
    """``files`` (relative path -> text or bytes) written under ``root``, dirs made as needed."""
    root.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return root


def write_project(root: Path, files: Dict[str, str], config_lines: List[str] = ()) -> Path:
    """A throwaway project under ``root`` with a pyproject.toml holding ``[tool.tmplint]``."""
    return write_tree(root, {"pyproject.toml": "[tool.tmplint]\n" + "\n".join(config_lines) + "\n", **files})


@pytest.fixture(params=DETECTOR_FIXTURES, ids=lambda p: p.name)
def detector_fixture(request) -> Path:
    return request.param


def marked_line(source: str) -> int:
    """The line of a snippet marked ``# <-`` (the one line a finding is expected on)."""
    (line,) = [n for n, text in enumerate(source.splitlines(), start=1) if "# <-" in text]
    return line


def snippet_findings(source: str, config: Config) -> List[Tuple[int, str]]:
    """``(line, code)`` of a snippet's findings, after checking that the detector's shortcuts
    (skipping statements that cannot hold a site) find exactly what a full walk finds."""
    data = source.encode()
    findings = check_bytes(data, "snippet.py", config)
    assert findings == detect_bytes(data, "snippet.py", config, skip_statements=False)
    return [(f.line, f.code) for f in findings]


def read_terminal(leader: int) -> bytes:
    """Everything written to a pseudo-terminal, read from its ``leader`` end until the programs
    holding the other end have closed it."""
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the last writer closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)
