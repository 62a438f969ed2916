"""The ``tmplint`` and ``tmplint-fix`` pre-commit hooks, run by the real pre-commit.

``pre-commit try-repo`` builds each hook's environment the way a user's pre-commit would (a fresh
virtualenv, ``pip install`` of the repo) and runs it in a throwaway git repo under ``tmp_path``.

try-repo clones the hook repo at a commit: for a dirty tree it makes a shadow commit of the
*staged and tracked* changes only, so new untracked files (a new hook, a new module) would be
missing. The tests therefore snapshot this working tree's installable parts into a fresh git repo
of their own and point try-repo at that: they test the code as it is on disk, committed or not.
Everything pre-commit, pip, virtualenv and git write goes under ``tmp_path``.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest

from tests.conftest import HELPER
from tests.doc_snippets import snippets_of

ROOT = Path(__file__).resolve().parent.parent
#: what ``pip install <repo>`` and pre-commit read from the hook repo
SNAPSHOT = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "tmplint", "codemods")

BAD = '''\
import tempfile


def export(workflow_id, data):
    fd, path = tempfile.mkstemp(suffix=".json")
    return fd, path
'''
CLEAN = '''\
def export(workflow_id, data):
    return workflow_id, data
'''

def _git(*args: str, cwd: Path, env: Dict[str, str]) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"git {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> Dict[str, str]:
    """Environment that keeps pre-commit, pip, virtualenv and git inside the test's temp dir
    (shared by the module so pip's cache is reused between hook environments)."""
    base = tmp_path_factory.mktemp("precommit-home")
    for name in ("pre-commit", "tmp", "pip-cache", "virtualenv", "xdg-cache"):
        (base / name).mkdir()
    environ = dict(os.environ)
    for key in list(environ):
        if key.startswith(("PRE_COMMIT", "GIT_")):
            del environ[key]
    environ.update(
        PRE_COMMIT_HOME=str(base / "pre-commit"),
        TMPDIR=str(base / "tmp"),  # try-repo's own store lives in a TemporaryDirectory
        PIP_CACHE_DIR=str(base / "pip-cache"),
        VIRTUALENV_OVERRIDE_APP_DATA=str(base / "virtualenv"),
        XDG_CACHE_HOME=str(base / "xdg-cache"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        GIT_AUTHOR_NAME="tmplint tests", GIT_AUTHOR_EMAIL="tests@tmplint.invalid",
        GIT_COMMITTER_NAME="tmplint tests", GIT_COMMITTER_EMAIL="tests@tmplint.invalid",
        GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull,
    )
    return environ


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory, env) -> Path:
    """A committed snapshot of this working tree's installable parts."""
    repo = tmp_path_factory.mktemp("hook-repo")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".*.tmp")
    for name in SNAPSHOT:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, repo / name)
    _git("init", "-q", "-b", "main", cwd=repo, env=env)
    _git("add", "-A", cwd=repo, env=env)
    _git("commit", "-q", "-m", "snapshot", cwd=repo, env=env)
    return repo


def make_project(path: Path, files: Dict[str, str], env: Dict[str, str]) -> Path:
    path.mkdir()
    for name, text in files.items():
        (path / name).write_text(text, encoding="utf-8")
    _git("init", "-q", "-b", "main", cwd=path, env=env)
    _git("add", "-A", cwd=path, env=env)
    return path


def try_repo(hook_repo: Path, hook: str, project: Path, env: Dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), hook, "--all-files", "--color", "never"],
        cwd=project, env=env, capture_output=True, text=True, timeout=900,
    )


def _explain(done: subprocess.CompletedProcess) -> str:
    return f"exit {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"


def test_hooks_file_declares_both_hooks():
    import yaml

    hooks = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"tmplint", "tmplint-fix"}
    assert hooks["tmplint"]["entry"] == "tmplint check --force-exclude"
    assert hooks["tmplint-fix"]["entry"] == "tmplint fix --exit-zero --force-exclude"
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types"] == ["python"]
        assert hook["require_serial"] is True


@pytest.mark.slow
def test_check_hook_fails_with_tmp_codes_on_a_bad_file(tmp_path, hook_repo, env):
    project = make_project(tmp_path / "project", {"bad.py": BAD, "clean.py": CLEAN, "notes.txt": "/tmp\n"}, env)
    done = try_repo(hook_repo, "tmplint", project, env)
    assert done.returncode == 1, _explain(done)
    assert "tmplint" in done.stdout and "Failed" in done.stdout, _explain(done)
    assert "bad.py:5:16: TMP002" in done.stdout, _explain(done)
    assert "clean.py" not in done.stdout.split("Failed", 1)[1]
    assert "notes.txt" not in done.stdout.split("Failed", 1)[1]  # types: [python]


@pytest.mark.slow
def test_check_hook_passes_on_a_clean_repo(tmp_path, hook_repo, env):
    project = make_project(tmp_path / "project", {"clean.py": CLEAN}, env)
    done = try_repo(hook_repo, "tmplint", project, env)
    assert done.returncode == 0, _explain(done)
    assert "Passed" in done.stdout, _explain(done)


@pytest.mark.slow
def test_fix_hook_fails_when_it_rewrites_then_passes(tmp_path, hook_repo, env):
    # left.py has a site the codemod must leave: the fix hook passes once it has nothing to change,
    # and reporting what is left is the gate's job
    left = "import tempfile\n\n\ndef f(workflow_id, *args):\n    return tempfile.mkstemp(*args)\n"
    project = make_project(tmp_path / "project", {"bad.py": BAD, "clean.py": CLEAN, "left.py": left, **HELPER}, env)

    first = try_repo(hook_repo, "tmplint-fix", project, env)
    assert first.returncode == 1, _explain(first)
    assert "files were modified by this hook" in first.stdout, _explain(first)
    fixed = (project / "bad.py").read_text(encoding="utf-8")
    assert "tempfile.mkstemp" not in fixed and "make_temp_file(workflow_id" in fixed, fixed
    assert (project / "clean.py").read_text(encoding="utf-8") == CLEAN

    second = try_repo(hook_repo, "tmplint-fix", project, env)
    assert second.returncode == 0, _explain(second)
    assert (project / "bad.py").read_text(encoding="utf-8") == fixed

    assert (project / "left.py").read_text(encoding="utf-8") == left

    gate = try_repo(hook_repo, "tmplint", project, env)
    assert gate.returncode == 1, _explain(gate)
    assert "left.py" in gate.stdout and "bad.py" not in gate.stdout, _explain(gate)


# --------------------------------------------------------------------------- the documented configurations
# README.md and docs/ci.md show a .pre-commit-config.yaml from the git URL (pinned to the tag the
# documented release process makes) and a `repo: local` one; both run here as written, the URL
# replaced by a clone of the snapshot. The release snippet makes the tag.

PRE_COMMIT_SNIPPETS = snippets_of("pre-commit")
EXCLUDED = "old_job.py"


@pytest.fixture(scope="module")
def released_repo(tmp_path_factory, hook_repo, env) -> Path:
    """A clone of the snapshot, tagged by running the README's release commands in it."""
    clone = tmp_path_factory.mktemp("released") / "tmplint"
    _git("clone", "-q", str(hook_repo), str(clone), cwd=clone.parent, env=env)
    (release,) = snippets_of("release")
    for command, status, _ in release.commands():
        done = subprocess.run(["bash", "-c", command], cwd=clone, env=env, capture_output=True, text=True)
        assert done.returncode == status, f"{command}: {done.stderr}"
    assert _git("tag", "--list", cwd=clone, env=env).split() == [f"v{_version()}"]
    return clone


def _version() -> str:
    import re

    return re.search(r'^version = "(.+)"$', (ROOT / "pyproject.toml").read_text(), re.MULTILINE).group(1)


def test_the_documented_configurations_are_both_shapes():
    import yaml

    shapes = set()
    for snippet in PRE_COMMIT_SNIPPETS:
        (repo,) = yaml.safe_load(snippet.text)["repos"]
        shapes.add("local" if repo["repo"] == "local" else "git")
        if repo["repo"] != "local":
            # the pinned tag is the one the release process makes from pyproject.toml's version
            assert repo["rev"] == f"v{_version()}", snippet.id
    assert shapes == {"git", "local"}


@pytest.mark.slow
@pytest.mark.parametrize("snippet", PRE_COMMIT_SNIPPETS, ids=lambda s: s.id)
def test_documented_pre_commit_configuration_works(snippet, tmp_path, released_repo, env):
    import re

    import yaml

    config = re.sub(r"repo: https://\S+", f"repo: {released_repo}", snippet.text)
    (repo,) = yaml.safe_load(config)["repos"]
    hooks = {hook["id"] for hook in repo["hooks"]}
    files = {".pre-commit-config.yaml": config, "bad.py": BAD, "clean.py": CLEAN, EXCLUDED: BAD, **HELPER,
             "pyproject.toml": '[tool.tmplint]\nextend-exclude = ["old_*.py"]\n'}
    project = make_project(tmp_path / "project", files, env)
    # `language: system` runs the tmplint on PATH: this venv's, as a vendoring team's dev env would
    local_env = {**env, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"}

    def run() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
                              cwd=project, env=local_env, capture_output=True, text=True, timeout=900)

    first = run()
    assert first.returncode == 1, _explain(first)
    assert EXCLUDED not in first.stdout, _explain(first)  # --force-exclude in the hooks
    assert (project / EXCLUDED).read_text() == BAD
    if "tmplint" in hooks:
        assert "bad.py:5:16: TMP002" in first.stdout, _explain(first)
    if "tmplint-fix" not in hooks:
        assert (project / "bad.py").read_text() == BAD
        return
    assert "make_temp_file(workflow_id" in (project / "bad.py").read_text()
    second = run()
    assert second.returncode == 0, _explain(second)
    assert (project / EXCLUDED).read_text() == BAD
