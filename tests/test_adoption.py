"""What a new user meets first, through the installed ``tmplint`` command (issue 18): excludes on
files named explicitly (``--force-exclude``), ``--stdin-filename``, ``tmplint init`` in a src
layout, ``tmplint fix`` without a helper module, the temp-dir settings in check and flake8, and
output as ruff users expect it (summary line, colour on a terminal, plurals, ``-V``, help text,
``check --fix``, ``fix -``, did-you-mean for config keys)."""
from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from tests.conftest import HELPER, read_terminal, write_project, write_tree
from tmplint import __version__

TMPLINT = str(Path(sys.executable).with_name("tmplint"))
MKSTEMP = "import tempfile\n\n\ndef export(workflow_id):\n    fd, path = tempfile.mkstemp()\n    return fd, path\n"
MKDTEMP = "import tempfile\n\n\ndef scratch(workflow_id):\n    return tempfile.mkdtemp()\n"
CLEAN = "def export(workflow_id):\n    return workflow_id\n"
#: colour and terminal settings of the environment the tests run in must not leak into them
PLAIN_ENV = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM", "CI")}


def run(*args: str, cwd: Path, stdin: Optional[str] = None, env: Optional[Dict[str, str]] = None,
        command: Optional[List[str]] = None) -> subprocess.CompletedProcess:
    return subprocess.run([*(command or [TMPLINT]), *args], cwd=cwd, capture_output=True, text=True,
                          input=stdin, env={**PLAIN_ENV, **(env or {})}, timeout=300)


def findings(stdout: str) -> List[str]:
    """``path:CODE`` of every finding line."""
    return [f"{line.split(':')[0]}:{line.split(': ')[1].split()[0]}" for line in stdout.splitlines()]


# --------------------------------------------------------------------------- --force-exclude


@pytest.fixture
def excluded_project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "proj", {
        "app/jobs.py": MKSTEMP,
        "legacy/deep/old.py": MKSTEMP,       # excluded by a name pattern on a parent dir
        "gen/out.py": MKSTEMP,               # excluded by a path pattern
        "vendored/lib.py": MKSTEMP,          # ignored by .gitignore
        ".gitignore": "vendored/\n",
        **HELPER,
    }, ['extend-exclude = ["legacy", "gen/out.py"]'])


EXCLUDED = ["legacy/deep/old.py", "gen/out.py", "vendored/lib.py"]


def test_files_named_explicitly_are_checked_unless_force_exclude(excluded_project):
    named = run("check", "app/jobs.py", *EXCLUDED, cwd=excluded_project)
    assert named.returncode == 1
    assert findings(named.stdout) == ["app/jobs.py:TMP002"] + [f"{p}:TMP002" for p in EXCLUDED]
    forced = run("check", "--force-exclude", "app/jobs.py", *EXCLUDED, cwd=excluded_project)
    assert forced.returncode == 1, forced.stderr
    assert findings(forced.stdout) == ["app/jobs.py:TMP002"]
    only_excluded = run("check", "--force-exclude", *EXCLUDED, cwd=excluded_project)
    assert (only_excluded.returncode, only_excluded.stdout) == (0, "")
    assert only_excluded.stderr == "warning: No Python files found\n"


def test_fix_force_exclude_leaves_excluded_files_alone(excluded_project):
    before = {p: (excluded_project / p).read_text() for p in EXCLUDED}
    done = run("fix", "--force-exclude", "app/jobs.py", *EXCLUDED, cwd=excluded_project)
    assert done.returncode == 0, done.stderr
    assert "tmplint fix: 1 file scanned, 1 with findings, 1 changed; 1 site fixed (TMP002: 1)" in done.stderr
    assert {p: (excluded_project / p).read_text() for p in EXCLUDED} == before
    assert "make_temp_file(workflow_id)" in (excluded_project / "app/jobs.py").read_text()


def test_stdin_filename_is_excluded_with_force_exclude(excluded_project):
    check = run("check", "--force-exclude", "-", "--stdin-filename", "legacy/deep/old.py",
                cwd=excluded_project, stdin=MKSTEMP)
    assert (check.returncode, check.stdout, check.stderr) == (0, "", "")
    fix = run("fix", "--force-exclude", "-", "--stdin-filename", "legacy/deep/old.py",
              cwd=excluded_project, stdin=MKSTEMP)
    assert (fix.returncode, fix.stdout) == (0, MKSTEMP)  # passed through untouched, as ruff does
    # a stdin file that is not excluded is checked under its name
    kept = run("check", "--force-exclude", "-", "--stdin-filename", "app/new.py", cwd=excluded_project, stdin=MKSTEMP)
    assert kept.returncode == 1 and findings(kept.stdout) == ["app/new.py:TMP002"]


@pytest.mark.parametrize("command", ["check", "fix"])
def test_stdin_filename_without_stdin_is_an_error(tmp_path, command):
    project = write_project(tmp_path / "proj", {"a.py": MKSTEMP})
    done = run(command, "--stdin-filename", "a.py", "a.py", cwd=project)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == "tmplint: error: --stdin-filename needs - (stdin) as the only path\n"
    assert (project / "a.py").read_text() == MKSTEMP


# --------------------------------------------------------------------------- init and the helper module


def test_init_writes_into_the_src_layout_and_fix_imports_from_there(tmp_path):
    project = write_project(tmp_path / "proj", {"src/svc/__init__.py": "", "src/svc/util/__init__.py": "",
                                                 "src/svc/jobs.py": MKDTEMP},
                            ['helper-module = "svc.util.temp_paths"'])
    init = run("init", cwd=project / "src" / "svc")  # from a subdirectory: the project root counts
    assert init.returncode == 0 and init.stderr == "wrote util/temp_paths.py\n", init.stderr  # from src/svc
    assert (project / "src/svc/util/temp_paths.py").is_file() and not (project / "svc").exists()
    assert run("init", cwd=project).stderr.startswith("src/svc/util/temp_paths.py: error: already exists")

    fixed = run("fix", ".", cwd=project)
    assert fixed.returncode == 0, fixed.stderr
    text = (project / "src/svc/jobs.py").read_text()
    assert text.startswith("from svc.util.temp_paths import make_temp_dir\n")
    # the rewritten module really runs against the written helper
    root = tmp_path / "jobs-root"
    ran = subprocess.run([sys.executable, "-c", "from svc.jobs import scratch; print(scratch('job-1'))"],
                         cwd=project, capture_output=True, text=True,
                         env={**PLAIN_ENV, "PYTHONPATH": str(project / "src"), "WORKFLOW_TEMP_ROOT": str(root)})
    assert ran.returncode == 0, ran.stderr
    assert Path(ran.stdout.strip()).parent == root / "job-1" / "tmp"


def test_fix_without_the_helper_module_is_an_error_and_writes_nothing(tmp_path):
    project = write_project(tmp_path / "proj", {"src/svc/util/__init__.py": "", "src/svc/jobs.py": MKDTEMP,
                                                 "clean.py": CLEAN},
                            ['helper-module = "svc.util.temp_paths"'])
    done = run("fix", ".", cwd=project)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == ("src/svc/util/temp_paths.py: error: helper module 'svc.util.temp_paths' does not exist; "
                           "the rewrites would import it (create it with `tmplint init`, or set helper-module "
                           "in [tool.tmplint])\n")
    assert (project / "src/svc/jobs.py").read_text() == MKDTEMP
    # a dry run writes nothing: it shows the change and warns
    diff = run("fix", "--diff", ".", cwd=project)
    assert diff.returncode == 1 and "+from svc.util.temp_paths import make_temp_dir" in diff.stdout
    assert diff.stderr.startswith("src/svc/util/temp_paths.py: warning: helper module 'svc.util.temp_paths' does not")
    # with nothing to rewrite, a missing helper is no problem (the fix hook on a clean repo)
    assert run("fix", "clean.py", cwd=project).returncode == 0
    # stdin: the source comes back unchanged, with the error
    stdin = run("fix", "-", "--stdin-filename", "src/svc/new.py", cwd=project, stdin=MKDTEMP)
    assert stdin.returncode == 2 and stdin.stdout == MKDTEMP
    assert "helper module 'svc.util.temp_paths' does not exist" in stdin.stderr


# --------------------------------------------------------------------------- temp dirs


TEMP_DIRS_SOURCE = 'A = "/tmp/a"\nB = "/var/tmp/b"\nC = "/scratch/c"\n'


@pytest.mark.parametrize("check_args, flake8_args, config, expected", [
    ([], [], [], ["/tmp", "/var/tmp"]),
    (["--temp-dirs", "/scratch"], ["--tmplint-temp-dirs", "/scratch"], [], ["/scratch"]),
    (["--extend-temp-dirs", "/scratch"], ["--tmplint-extend-temp-dirs", "/scratch"], [],
     ["/tmp", "/var/tmp", "/scratch"]),
    ([], [], ['temp-dirs = ["/scratch"]'], ["/scratch"]),
    ([], [], ['extend-temp-dirs = ["/scratch"]'], ["/tmp", "/var/tmp", "/scratch"]),
    (["--extend-temp-dirs", "/var/tmp"], ["--tmplint-extend-temp-dirs", "/var/tmp"], ['temp-dirs = ["/tmp"]'],
     ["/tmp", "/var/tmp"]),
], ids=["defaults", "flag-replaces", "flag-extends", "key-replaces", "key-extends", "key-then-flag"])
def test_temp_dirs_replace_and_extend_alike_in_check_and_flake8(tmp_path, check_args, flake8_args, config, expected):
    project = write_project(tmp_path / "proj", {"consts.py": TEMP_DIRS_SOURCE}, config)
    lines = {'"/tmp': 1, '"/var/tmp': 2, '"/scratch': 3}
    want = sorted(number for prefix, number in lines.items() if prefix[1:] in expected)
    check = run("check", "--no-cache", *check_args, "consts.py", cwd=project)
    assert sorted(int(line.split(":")[1]) for line in check.stdout.splitlines()) == want, check.stderr
    flake8 = run("--select", "TMP", *flake8_args, "consts.py", cwd=project,
                 command=[sys.executable, "-m", "flake8"])
    assert sorted(int(line.split(":")[1]) for line in flake8.stdout.splitlines()) == want, flake8.stderr


def test_a_bad_temp_dir_flag_is_a_one_line_error(tmp_path):
    done = run("check", "--extend-temp-dirs", "scratch", ".", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "tmplint: error: --extend-temp-dirs: 'scratch' is not an absolute directory path\n"


# --------------------------------------------------------------------------- output


def test_summary_line_and_plurals(tmp_path):
    project = write_project(tmp_path / "proj", {
        "one.py": MKSTEMP,
        "many.py": MKSTEMP + "\n\ndef g(workflow_id):\n    return tempfile.mktemp(), '/tmp/x', tempfile.mkdtemp()\n",
        "left.py": 'X = "/tmp/x"\n',
        "clean.py": CLEAN,
    })
    one = run("check", "one.py", cwd=project)
    assert one.stderr == "Found 1 finding (1 fixable with tmplint fix).\n"
    not_fixable = run("check", "left.py", cwd=project)
    assert not_fixable.stderr == "Found 1 finding.\n"
    many = run("check", ".", cwd=project)
    assert many.returncode == 1
    assert many.stderr == "Found 6 findings (4 fixable with tmplint fix).\n"
    clean = run("check", "clean.py", cwd=project)
    assert (clean.returncode, clean.stdout, clean.stderr) == (0, "", "All checks passed!\n")
    broken = run("check", "clean.py", "missing.py", cwd=project)
    assert broken.returncode == 2
    assert broken.stderr == ("missing.py: error: no such file or directory\n"
                             "No findings in the files checked; 1 file could not be checked.\n")
    # the machine formats end without a summary, as ruff's do
    assert run("check", "--format", "json", "one.py", cwd=project).stderr == ""
    write_tree(project, HELPER)
    fixed = run("fix", "one.py", cwd=project)
    assert fixed.stderr.startswith("tmplint fix: 1 file scanned, 1 with findings, 1 changed; 1 site fixed (TMP002: 1), 0 left")


@pytest.mark.parametrize("command", ["check", "fix"])
def test_no_python_files_is_a_warning(tmp_path, command):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.txt").write_text("/tmp\n")
    done = run(command, "docs", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "warning: No Python files found\n")


def _on_a_terminal(args: List[str], cwd: Path, env: Dict[str, str]) -> bytes:
    """What ``tmplint`` writes to a terminal (stdout and stderr on one pseudo-terminal)."""
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen([TMPLINT, *args], cwd=cwd, stdout=follower, stderr=follower,
                                   env={**PLAIN_ENV, **env})
        os.close(follower)
        follower = -1
        written = read_terminal(leader)
        process.wait(timeout=600)
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)
    return written


@pytest.mark.skipif(not hasattr(pty, "openpty"), reason="needs a pseudo-terminal")
def test_colour_on_a_terminal_respecting_no_color_and_force_color(tmp_path):
    project = write_project(tmp_path / "proj", {"one.py": MKSTEMP, "clean.py": CLEAN})
    coloured = _on_a_terminal(["check", "one.py"], project, {"TERM": "xterm"})
    assert b"\x1b[1mone.py\x1b[0m" in coloured and b"\x1b[1;31mTMP002\x1b[0m" in coloured
    assert coloured.endswith(b"Found 1 finding (1 fixable with tmplint fix).\r\n")
    passed = _on_a_terminal(["check", "clean.py"], project, {"TERM": "xterm"})
    assert passed == b"\x1b[1;32mAll checks passed!\x1b[0m\r\n"
    plain = _on_a_terminal(["check", "one.py"], project, {"TERM": "xterm", "NO_COLOR": "1"})
    assert b"\x1b[1m" not in plain and b"\x1b[1;31m" not in plain
    assert plain.startswith(b"one.py:5:16: TMP002 ")
    forced = run("check", "one.py", cwd=project, env={"FORCE_COLOR": "1"})  # a pipe, coloured on request
    assert "\x1b[1;31mTMP002\x1b[0m" in forced.stdout
    assert "\x1b[" not in run("check", "one.py", cwd=project).stdout  # a pipe: no colour


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version(tmp_path, flag):
    done = run(flag, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, f"tmplint {__version__}\n")


_OPTION_LINE = re.compile(r"^  (\S.*?)(?:\s{2,}(\S.*))?$")


def _options_without_help(help_text: str) -> List[str]:
    """The options and arguments of an argparse ``--help`` that have no help text."""
    lines = help_text.splitlines()
    missing = []
    in_section = False
    for index, line in enumerate(lines):
        if line.endswith(":") and not line.startswith(" "):  # "options:", "positional arguments:"
            in_section = True
            continue
        if not in_section or not line.strip():
            continue
        match = _OPTION_LINE.match(line)
        if not match:
            continue
        following = lines[index + 1] if index + 1 < len(lines) else ""
        # help on the same line, or on the next line indented further (argparse wraps long names)
        if match.group(2) is None and not following.startswith(" " * 6):
            missing.append(match.group(1))
    return missing


@pytest.mark.parametrize("command", [[], ["check"], ["fix"], ["init"], ["rules"], ["rule"]])
def test_every_option_has_help(tmp_path, command):
    done = run(*command, "--help", cwd=tmp_path)
    assert done.returncode == 0
    assert re.search(r"^options:|^optional arguments:", done.stdout, re.MULTILINE)
    assert _options_without_help(done.stdout) == [], done.stdout
    if command == ["check"]:
        assert "--format {github,json,sarif,text}\n" in done.stdout or "--format {github,json,sarif,text}  " \
            in done.stdout
        assert "--force-exclude" in done.stdout and "--extend-temp-dirs" in done.stdout


def test_the_help_parser_sees_a_missing_help_text():
    text = "usage: x\n\noptions:\n  -h, --help  show this help\n  --format {a,b}\n  --jobs N    workers\n"
    assert _options_without_help(text) == ["--format {a,b}"]


def test_check_fix_points_at_tmplint_fix(tmp_path):
    project = write_project(tmp_path / "proj", {"one.py": MKSTEMP})
    done = run("check", "--fix", "one.py", cwd=project)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "tmplint: error: `tmplint check` does not rewrite files; use `tmplint fix` (`--diff` to preview)\n"
    assert (project / "one.py").read_text() == MKSTEMP


def test_fix_dash_reads_stdin_and_writes_the_fixed_source_to_stdout(tmp_path):
    project = write_project(tmp_path / "proj", {**HELPER}, ['workflow-id-fallback = \'"shared"\''])
    done = run("fix", "-", "--stdin-filename", "app/jobs.py", cwd=project, stdin=MKDTEMP)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "from temp_paths import make_temp_dir\n\n\ndef scratch(workflow_id):\n" \
                          "    return make_temp_dir(workflow_id)\n"
    assert "tmplint fix: 1 file scanned, 1 with findings, 1 changed; 1 site fixed (TMP003: 1)" in done.stderr
    assert not (project / "app").exists()  # nothing written
    # a site it must leave: the source comes back as it was, exit 1, the reason on stderr
    left = "import tempfile\n\n\ndef f(*args):\n    return tempfile.mkstemp(*args)\n"
    kept = run("fix", "-", cwd=project, stdin=left)
    assert (kept.returncode, kept.stdout) == (1, left)
    assert "-:5:12: TMP002" in kept.stderr
    diff = run("fix", "--diff", "-", "--stdin-filename", "jobs.py", cwd=project, stdin=MKDTEMP)
    assert diff.returncode == 1 and diff.stdout.startswith("--- a/jobs.py\n+++ b/jobs.py\n")
    unparsable = "import tempfile\ndef f(:\n    return tempfile.mkstemp()\n"
    broken = run("fix", "-", cwd=project, stdin=unparsable)
    assert (broken.returncode, broken.stdout) == (2, unparsable)
    assert broken.stderr == "-: error: cannot parse: SyntaxError: invalid syntax (line 2)\n"


@pytest.mark.parametrize("key, hint", [
    ("temp-dir", "(did you mean 'temp-dirs'?)"),
    ("extend_temp_dirs", "(did you mean 'extend-temp-dirs'?)"),
    ("helper-modul", "(did you mean 'helper-module'?)"),
    ("workflow-id-name", "(did you mean 'workflow-id-names'?)"),
    ("colour", ""),
])
def test_misspelt_config_keys_get_a_suggestion(tmp_path, key, hint):
    project = write_project(tmp_path / "proj", {"a.py": CLEAN}, [f'{key} = ["x"]'])
    done = run("check", ".", cwd=project)
    assert done.returncode == 2
    expected = f"unknown key {key!r} in [tool.tmplint]" + (f" {hint}" if hint else "") + "\n"
    assert done.stderr.endswith(expected) and done.stderr.count("\n") == 1, done.stderr
