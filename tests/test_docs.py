"""docs/rules.md is generated from the registry (``python -m tmplint.docs``) and never stale."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tmplint.cli import main
from tmplint.docs import render_rules
from tmplint.registry import RULES

ROOT = Path(__file__).resolve().parent.parent
RULES_MD = ROOT / "docs" / "rules.md"


def test_docs_rules_md_is_up_to_date():
    assert RULES_MD.exists(), "docs/rules.md is missing; run `python -m tmplint.docs`"
    assert RULES_MD.read_text(encoding="utf-8") == render_rules(), (
        "docs/rules.md is stale; regenerate it with `python -m tmplint.docs`"
    )


def test_check_flag_detects_stale_and_missing_files_and_generation_fixes_them(tmp_path):
    target = tmp_path / "docs" / "rules.md"

    def docs(*args):
        return subprocess.run(
            [sys.executable, "-m", "tmplint.docs", "--output", str(target), *args],
            capture_output=True, text=True, cwd=tmp_path,
        )

    missing = docs("--check")
    assert missing.returncode == 1 and "python -m tmplint.docs" in missing.stderr
    assert not target.exists()
    assert docs().returncode == 0
    assert target.read_text(encoding="utf-8") == render_rules()
    assert docs("--check").returncode == 0
    target.write_text(render_rules().replace("TMP004", "TMP044", 1), encoding="utf-8")
    assert docs("--check").returncode == 1
    assert docs().returncode == 0 and docs("--check").returncode == 0


def test_default_output_is_docs_rules_md_from_the_working_directory(tmp_path):
    done = subprocess.run([sys.executable, "-m", "tmplint.docs"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "docs" / "rules.md").read_text(encoding="utf-8") == render_rules()


@pytest.mark.parametrize("code", list(RULES))
def test_tmplint_rule_prints_the_same_text_as_the_docs(code, capsys):
    assert main(["rule", code.lower()]) == 0
    printed = capsys.readouterr().out
    assert printed == RULES[code].doc()
    assert printed in render_rules()
    assert f"(#{code.lower()}-{RULES[code].name})" in render_rules()  # index links to the section
