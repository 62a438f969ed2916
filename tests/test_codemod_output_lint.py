"""The migration's output is something a reviewer merges: ruff finds nothing in an after file that
it did not find in the before file (unused or undefined names, redefinitions, trailing
whitespace, import blocks isort would change), and the output follows the project's own settings
(line length, requires-python, first-party modules).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Dict, Optional

import pytest

from tmplint.codemods.api import fix_bytes
from tmplint.config import Config, read_project_style

from tests.conftest import write_tree
from tests.test_codemod_support import after_path, cases

SELECT = "F401,F811,F821,W291,W293,I001"
CASES = cases()


def ruff_findings(path: Path) -> Counter:
    """(code, message with line numbers taken out) -> count, for one file, run in its directory."""
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--select", SELECT,
         "--output-format", "json", "--exit-zero", path.name],
        cwd=path.parent, capture_output=True, text=True, check=True)
    return Counter((d["code"], re.sub(r"\bline \d+\b", "line N", d["message"])) for d in json.loads(done.stdout))


@pytest.mark.parametrize("before", CASES, ids=lambda p: p.name[: -len(".before.py")])
def test_the_after_file_gains_no_lint_finding(before: Path, tmp_path: Path) -> None:
    # each file alone in its own dir: ruff sees the same (empty) project for both
    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    old = shutil.copy(before, tmp_path / "before" / "module.py")
    new = shutil.copy(after_path(before), tmp_path / "after" / "module.py")
    gained = ruff_findings(Path(new)) - ruff_findings(Path(old))
    assert not gained, f"{after_path(before).name}: {dict(gained)}"


# --------------------------------------------------------------------------- project settings


def _project(root: Path, pyproject: str, files: Optional[Dict[str, str]] = None) -> Path:
    return write_tree(root, {"pyproject.toml": pyproject, **(files or {})})


def _fix(path: Path, source: str, **config) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    return fix_bytes(source, Config(**config), path=str(path)).data.decode()


SIGNATURE = ("import tempfile\n\n\ndef export_quarterly_ledger(report_directory, include_attachments=False):\n"
             "    return tempfile.mktemp()\n")


def test_project_style_is_read_from_the_nearest_settings(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", '[project]\nrequires-python = ">=3.10,<4"\n[tool.ruff]\nline-length = 120\n'
                    '[tool.ruff.lint.isort]\nknown-first-party = ["scratch"]\n')
    (root / "setup.cfg").write_text("[flake8]\nmax-line-length = 79\n", encoding="utf-8")
    style = read_project_style(root / "pkg" / "mod.py")
    assert (style.line_length, style.requires_python, style.known_first_party) == (120, (3, 10), ("scratch",))
    black = _project(tmp_path / "b", "[tool.black]\nline-length = 100\n")
    assert read_project_style(black / "m.py").line_length == 100
    flake8 = _project(tmp_path / "f", "[project]\nname = 'x'\n")
    (flake8 / "tox.ini").write_text("[flake8]\nmax-line-length = 99\n", encoding="utf-8")
    assert read_project_style(flake8 / "m.py").line_length == 99
    assert read_project_style("<module>").line_length == 88


def test_requires_python_310_writes_str_or_none(tmp_path: Path) -> None:
    root = _project(tmp_path, '[project]\nrequires-python = ">=3.10"\n')
    out = _fix(root / "jobs.py", "import tempfile\n\n\ndef f(data):\n    return tempfile.mktemp()\n",
               add_workflow_param=True)
    assert "def f(data, *, workflow_id: str | None = None):" in out
    assert "typing" not in out


def test_a_one_line_signature_stays_one_line_when_the_project_allows_it(tmp_path: Path) -> None:
    wide = _project(tmp_path / "wide", "[tool.ruff]\nline-length = 120\n")
    out = _fix(wide / "m.py", SIGNATURE, add_workflow_param=True)
    assert ("def export_quarterly_ledger(report_directory, include_attachments=False, *, "
            "workflow_id: Optional[str] = None):\n") in out
    narrow = _project(tmp_path / "narrow", "[project]\nname = 'x'\n")
    out = _fix(narrow / "m.py", SIGNATURE, add_workflow_param=True)
    assert ("def export_quarterly_ledger(\n    report_directory,\n    include_attachments=False,\n    *,\n"
            "    workflow_id: Optional[str] = None,\n):\n") in out


SITE = "import os\nimport tempfile\n\nimport requests\n\n\ndef f(job_id):\n    return tempfile.mkdtemp()\n"


def test_the_helper_import_goes_into_its_section(tmp_path: Path) -> None:
    third = _project(tmp_path / "third", "[project]\nname = 'x'\n")
    assert _fix(third / "m.py", SITE).startswith(
        "import os\n\nimport requests\nfrom temp_paths import make_temp_dir\n\n\ndef f")
    # a helper module inside the project is first-party: its own section after the third-party one
    inside = _project(tmp_path / "inside", "[project]\nname = 'x'\n", {"temp_paths.py": ""})
    assert _fix(inside / "m.py", SITE).startswith(
        "import os\n\nimport requests\n\nfrom temp_paths import make_temp_dir\n\n\ndef f")
    known = _project(tmp_path / "known", "[tool.isort]\nknown_first_party = ['temp_paths']\n")
    assert "import requests\n\nfrom temp_paths import make_temp_dir\n" in _fix(known / "m.py", SITE)


def test_a_long_helper_import_is_wrapped_at_the_project_line_length(tmp_path: Path) -> None:
    source = ("import tempfile\n\n\ndef f(job_id):\n"
              "    return tempfile.mkdtemp(), tempfile.mktemp(), tempfile.gettempdir() + 'x'\n")
    root = _project(tmp_path, "[tool.ruff]\nline-length = 40\n")
    out = _fix(root / "m.py", source)
    assert "from temp_paths import (\n    get_temp_path,\n    make_temp_dir,\n)\n" in out


def test_optional_under_type_checking_is_quoted(tmp_path: Path) -> None:
    source = ("import tempfile\nfrom typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
              "    from typing import Optional\n\n\ndef f(data):\n    return tempfile.mktemp()\n")
    out = _fix(tmp_path / "m.py", source, add_workflow_param=True)
    assert 'def f(data, *, workflow_id: "Optional[str]" = None):' in out
    assert out.count("import Optional") == 1
