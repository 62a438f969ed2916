"""The documentation: docs/rules.md is generated from the registry (``python -m tmplint.docs``) and never
stale; every runnable snippet of README.md and docs/ runs; nothing links outside the repository."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest

from tests.doc_snippets import DOCUMENTS, snippets, snippets_of
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


# --------------------------------------------------------------------------- runnable snippets
# Every fenced block of README.md and docs/ marked `<!-- runnable -->` on the line before its fence
# runs here (tests/doc_snippets.py says how the marker's options work); the pre-commit and release
# snippets run in tests/test_precommit.py. Mark a snippet runnable wherever it can run offline in
# the example project; leave the others (pip install, GitHub Actions, cron) unmarked.

EXAMPLE = ROOT / "examples" / "video_pipeline"
SHELL_SNIPPETS = snippets_of("shell")
FILE_SNIPPETS = snippets_of("file")


def _example_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("__pycache__", ".tmplint_cache"))
    return project


def _environment(tmp_path: Path) -> Dict[str, str]:
    """This venv's commands first on PATH; everything a command writes stays under tmp_path."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "PYTHONPATH")}
    for name in ("jobs", "tmp", "cache"):
        (tmp_path / name).mkdir()
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
               WORKFLOW_TEMP_ROOT=str(tmp_path / "jobs"), TMPDIR=str(tmp_path / "tmp"),
               TMPLINT_CACHE_DIR=str(tmp_path / "cache"), PYTHONDONTWRITEBYTECODE="1")
    return env


def _bash(command: str, cwd: Path, env: Dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_there_are_runnable_snippets_of_every_kind():
    kinds = {snippet.kind for snippet in snippets()}
    assert kinds == {"shell", "file", "pre-commit", "release"}
    documents = {snippet.path.name for snippet in SHELL_SNIPPETS}
    assert {"README.md", "fix.md", "helper.md", "ci.md", "configuration.md"} <= documents


def test_a_marker_must_name_known_options(tmp_path, monkeypatch):
    import tests.doc_snippets as doc_snippets

    (tmp_path / "x.md").write_text("<!-- runnable exits=1 -->\n```bash\ntrue\n```\n")
    monkeypatch.setattr(doc_snippets, "DOCUMENTS", [tmp_path / "x.md"])
    with pytest.raises(ValueError, match="unknown runnable option"):
        doc_snippets.snippets()


@pytest.mark.parametrize("snippet", SHELL_SNIPPETS, ids=lambda s: s.id)
def test_runnable_commands_work_as_documented(snippet, tmp_path):
    project = _example_project(tmp_path)
    env = _environment(tmp_path)
    commands = snippet.commands()
    assert commands, f"{snippet.id}: a runnable block without a command"
    for command, status, shown in commands:
        done = _bash(command, project, env)
        printed = done.stdout + done.stderr
        assert done.returncode == status, f"{snippet.id}: `{command}` exited {done.returncode}:\n{printed}"
        assert "Traceback" not in printed, printed
        for line in shown:
            assert line in printed, f"{snippet.id}: `{command}` did not print {line!r}:\n{printed}"


@pytest.mark.parametrize("snippet", FILE_SNIPPETS, ids=lambda s: s.id)
def test_runnable_config_files_are_accepted(snippet, tmp_path):
    project = _example_project(tmp_path)
    env = _environment(tmp_path)
    (project / snippet.options["file"]).write_text(snippet.text, encoding="utf-8")
    check = _bash("tmplint check --no-cache .", project, env)
    assert check.returncode in (0, 1) and "error" not in check.stderr, check.stderr
    assert "pipeline/upload.py:11:14: TMP001" in check.stdout  # the configuration was read and applied
    flake8 = _bash("flake8 pipeline/", project, env)
    assert flake8.returncode in (0, 1) and "Traceback" not in flake8.stderr, flake8.stderr
    if snippet.options["file"] == ".flake8":
        assert "pipeline/upload.py:11:14: TMP001" in flake8.stdout, flake8.stdout


def test_nothing_links_outside_the_repository():
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        assert "../shared" not in text and "DESIGN.md" not in text, document
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
            if "://" in target:
                continue
            assert (document.parent / target).resolve().exists(), f"{document.name}: broken link {target}"


def test_configuration_reference_covers_every_key():
    from tmplint.config import _KEYS

    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `([a-z][a-z-]*)` \|", text, re.MULTILINE))
    assert rows == set(_KEYS)
