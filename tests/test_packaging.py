"""The wheel, installed in a fresh venv, gives a working CLI and flake8 plugin."""
from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BAD = "import tempfile\nfd, path = tempfile.mkstemp()\n"


def run(args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)


@pytest.mark.slow
def test_wheel_installs_cli_plugin_and_codemods_under_tmplint(tmp_path):
    wheels = tmp_path / "wheels"
    built = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", wheels, ROOT])
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("tmplint-*.whl")

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    installed = run([python, "-m", "pip", "install", "-q", wheel])
    assert installed.returncode == 0, installed.stderr

    project = tmp_path / "project"
    project.mkdir()
    (project / "m.py").write_text(BAD)
    check = run([env_dir / "bin" / "tmplint", "check", "m.py"], cwd=project)
    assert check.returncode == 1 and "m.py:2:12: TMP002" in check.stdout
    as_module = run([python, "-m", "tmplint", "check", "m.py"], cwd=project)
    assert as_module.stdout == check.stdout
    flake8 = run([python, "-m", "flake8", "--select", "TMP", "m.py"], cwd=project)
    assert flake8.stdout == check.stdout

    layout = run([python, "-c", (
        "import importlib.util, tmplint.codemods, tmplint.registry;"
        "print(importlib.util.find_spec('codemods') is None);"
        "print(len(tmplint.registry.RULES));"
        "from importlib.metadata import entry_points;"
        # 3.9's entry_points() takes no group= and returns a dict of groups
        "eps = entry_points(); eps = eps.select(group='pytest11') if hasattr(eps, 'select') else eps.get('pytest11', ());"
        "print(sorted(e.value for e in eps if e.name == 'tmplint.audit'));"
        "import os, tmplint.audit_hook;"
        "print(os.path.isfile(os.path.join(os.path.dirname(tmplint.audit_hook.__file__), 'audit_site', 'sitecustomize.py')))"
    )], cwd=project)
    assert layout.stdout.split() == ["True", "9", "['tmplint.audit']", "True"], layout.stderr
    template = run([python, "-c", "import tmplint.helper; print(len(tmplint.helper.render_helper_module()) > 0)"], cwd=project)
    assert template.stdout.strip() == "True", template.stderr
