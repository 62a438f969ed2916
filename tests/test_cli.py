"""``tmplint check``, ``rules`` and ``rule`` through the real command line."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_project
from tmplint.registry import RULES

BAD = "import tempfile\n\ndef f():\n    return tempfile.mkstemp()\n"
CLEAN = "def f(workflow_id):\n    return workflow_id\n"


def tmplint(*args, cwd: Path, stdin: str = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tmplint", *args], cwd=cwd, capture_output=True, text=True, input=stdin
    )


def test_exit_codes_clean_findings_errors(tmp_path):
    project = write_project(tmp_path, {"clean.py": CLEAN, "bad.py": BAD, "broken.py": "def f(:\n    return '/tmp'\n"})
    assert tmplint("check", "clean.py", cwd=project).returncode == 0
    found = tmplint("check", "bad.py", cwd=project)
    assert found.returncode == 1
    assert found.stdout == "bad.py:4:12: TMP002 tempfile.mkstemp() writes to the shared system temp dir; use make_temp_file(workflow_id, suffix)\n"
    broken = tmplint("check", "broken.py", "bad.py", cwd=project)
    assert broken.returncode == 2
    assert broken.stderr.startswith("broken.py: error: cannot parse: SyntaxError")
    assert "bad.py:4:12: TMP002" in broken.stdout  # the rest of the run went on


def test_exit_zero_only_turns_findings_into_success(tmp_path):
    project = write_project(tmp_path, {"bad.py": BAD})
    assert tmplint("check", "--exit-zero", "bad.py", cwd=project).returncode == 0
    assert tmplint("check", "--exit-zero", "bad.py", "missing.py", cwd=project).returncode == 2


def test_directory_walk_honours_default_excludes_and_gitignore(tmp_path):
    project = write_project(
        tmp_path,
        {
            "src/app.py": BAD,
            ".venv/lib/x.py": BAD,
            "build/gen.py": BAD,
            "lib/site-packages/dep.py": BAD,
            "generated/out.py": BAD,
            "notes.txt": BAD,
            ".gitignore": "generated/\n",
        },
    )
    result = tmplint("check", ".", cwd=project)
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["src/app.py"]


def test_explicit_file_is_checked_even_when_excluded(tmp_path):
    project = write_project(tmp_path, {"build/gen.py": BAD})
    assert tmplint("check", "build/gen.py", cwd=project).returncode == 1


def test_extend_exclude_from_config(tmp_path):
    project = write_project(tmp_path, {"a/x.py": BAD, "b/y.py": BAD}, ['extend-exclude = ["a"]'])
    result = tmplint("check", ".", cwd=project)
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["b/y.py"]


def test_json_format(tmp_path):
    # with a fallback id ``tmplint fix`` rewrites the site, so it is fixable (without, it is not)
    project = write_project(tmp_path, {"bad.py": BAD}, ["workflow-id-fallback = '\"shared\"'"])
    data = json.loads(tmplint("check", "--format", "json", "bad.py", cwd=project).stdout)
    assert data == [{
        "path": "bad.py", "line": 4, "col": 12, "code": "TMP002",
        "message": RULES["TMP002"].format_message("tempfile.mkstemp"), "fixable": True,
    }]


def test_statistics(tmp_path):
    project = write_project(tmp_path, {"bad.py": BAD + "A = '/tmp/a'\nB = '/tmp/b'\n"})
    out = tmplint("check", "--statistics", "bad.py", cwd=project).stdout
    assert "1     TMP002 mkstemp-in-system-tmp" in out and "2     TMP006 hardcoded-temp-path" in out


def test_quiet_prints_the_findings_and_errors_only(tmp_path):
    project = write_project(tmp_path, {"bad.py": BAD, "broken.py": "def f(:\n    return '/tmp'\n", "empty/x.txt": ""})
    full = tmplint("check", "--statistics", "bad.py", cwd=project)
    for flag in ("-q", "--quiet"):
        quiet = tmplint("check", flag, "--statistics", "bad.py", cwd=project)
        # the summary line goes; the findings and the requested counts stay, as in ruff
        assert (quiet.returncode, quiet.stdout, quiet.stderr) == (1, full.stdout, "")
        assert full.stderr == "Found 1 finding.\n"
    broken = tmplint("check", "-q", "broken.py", "bad.py", cwd=project)
    assert broken.returncode == 2
    assert broken.stdout.startswith("bad.py:4:12: TMP002")
    assert broken.stderr.startswith("broken.py: error: cannot parse: SyntaxError")
    assert len(broken.stderr.splitlines()) == 1  # no summary
    clean = tmplint("check", "-q", "--write-baseline", "base.json", "bad.py", cwd=project)
    assert (clean.returncode, clean.stdout, clean.stderr) == (0, "", "")  # nor the note on the baseline
    assert (project / "base.json").is_file()
    nothing = tmplint("check", "-q", "empty", cwd=project)
    assert (nothing.returncode, nothing.stdout, nothing.stderr) == (0, "", "")  # nor the warning


def test_silent_prints_nothing_and_keeps_the_exit_status(tmp_path):
    project = write_project(tmp_path, {"bad.py": BAD, "clean.py": CLEAN, "broken.py": "def f(:\n    return '/tmp'\n"})
    for flag in ("-s", "--silent"):
        for args, status in ((["bad.py"], 1), (["clean.py"], 0), (["broken.py", "bad.py"], 2), (["missing.py"], 2),
                             (["--format", "json", "--statistics", "bad.py"], 1), (["--exit-zero", "bad.py"], 0)):
            result = tmplint("check", flag, *args, cwd=project)
            assert (result.returncode, result.stdout, result.stderr) == (status, "", ""), args
    # what is wrong with the command itself is still said
    usage = tmplint("check", "-s", "--select", "XYZ9", "bad.py", cwd=project)
    assert usage.returncode == 2 and "unknown rule selector 'XYZ9'" in usage.stderr
    both = tmplint("check", "-q", "-s", "bad.py", cwd=project)
    assert both.returncode == 2 and "not allowed with argument" in both.stderr


def test_stdin_with_stdin_filename(tmp_path):
    project = write_project(tmp_path, {})
    result = tmplint("check", "-", "--stdin-filename", "pkg/mod.py", cwd=project, stdin=BAD)
    assert result.returncode == 1 and result.stdout.startswith("pkg/mod.py:4:12: TMP002")


@pytest.mark.parametrize(
    "config_line,needle",
    [
        ("bogus = 1", "unknown key 'bogus'"),
        ("temp_dirs = ['/x']", "did you mean 'temp-dirs'"),
        ("temp-dirs = 'tmp'", "temp-dirs: expected a list of strings"),
        ("temp-dirs = ['relative']", "not an absolute directory path"),
        ("select = ['XYZ1']", "unknown rule selector 'XYZ1'"),
        ("add-workflow-param = 'yes'", "add-workflow-param: expected true or false"),
        ("helper-module = 'not a module'", "helper-module"),
        ("workflow-id-fallback = 'get_id('", "not a Python expression"),
        ("workflow-id-names = ['ok', '1bad']", "not a Python identifier"),
    ],
)
def test_bad_config_exits_2_naming_the_key(tmp_path, config_line, needle):
    project = write_project(tmp_path, {"bad.py": BAD}, [config_line])
    result = tmplint("check", "bad.py", cwd=project)
    assert result.returncode == 2
    assert needle in result.stderr and "pyproject.toml" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_invalid_toml_is_an_error(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.tmplint\n")
    (tmp_path / "m.py").write_text(BAD)
    result = tmplint("check", "m.py", cwd=tmp_path)
    assert result.returncode == 2 and "invalid TOML" in result.stderr


def test_config_found_by_walking_up_from_first_path(tmp_path):
    project = write_project(tmp_path / "proj", {"pkg/sub/m.py": "A = '/scratch/x'\n"}, ['temp-dirs = ["/scratch"]'])
    result = tmplint("check", str(project / "pkg" / "sub" / "m.py"), cwd=tmp_path)
    assert result.returncode == 1 and "TMP006" in result.stdout


def test_cli_select_and_unknown_selector(tmp_path):
    project = write_project(tmp_path, {"m.py": BAD + "A = '/tmp'\n"})
    assert "TMP002" not in tmplint("check", "--select", "TMP006", "m.py", cwd=project).stdout
    assert "TMP006" not in tmplint("check", "--ignore", "TMP006", "m.py", cwd=project).stdout
    bad = tmplint("check", "--select", "E501", "m.py", cwd=project)
    assert bad.returncode == 2 and "--select: unknown rule selector 'E501'" in bad.stderr


def test_rules_and_rule(tmp_path):
    listing = tmplint("rules", cwd=tmp_path).stdout.splitlines()
    assert [line.split()[0] for line in listing] == list(RULES)
    doc = tmplint("rule", "TMP001", cwd=tmp_path)
    assert doc.returncode == 0 and doc.stdout == RULES["TMP001"].doc()
    assert tmplint("rule", "TMP999", cwd=tmp_path).returncode == 2


def test_usage_error_exits_2(tmp_path):
    assert tmplint("check", "--format", "xml", cwd=tmp_path).returncode == 2
    assert tmplint("check", "--jobs", "0", ".", cwd=tmp_path).returncode == 2


def test_init_writes_the_configured_helper_and_refuses_to_overwrite(tmp_path):
    project = write_project(
        tmp_path, {}, ['helper-module = "pkg.temp_paths"', 'root = "/srv/jobs"', 'root-env = "JOB_ROOT"']
    )
    first = tmplint("init", cwd=project)
    assert first.returncode == 0, first.stderr
    written = (project / "pkg" / "temp_paths.py").read_text()
    assert '"/srv/jobs"' in written and '"JOB_ROOT"' in written
    again = tmplint("init", cwd=project)
    assert again.returncode == 2 and "already exists" in again.stderr
    assert tmplint("init", "--force", cwd=project).returncode == 0
    assert tmplint("init", "--module", "other/helper.py", cwd=project).returncode == 0
    assert (project / "other" / "helper.py").read_text() == written
    # the written helper passes tmplint's own gate
    assert tmplint("check", "pkg/temp_paths.py", cwd=project).returncode == 0
