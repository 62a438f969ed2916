"""The runtime audit (``pytest --tmplint-audit``), run for real: pytester starts pytest in a
subprocess on small projects whose tests write through ``tempfile``, ``open()``, a helper module,
``os`` and ``shutil``.

Every inner run's "system temp dir" is a directory under this test's tmp_path: TMPDIR points at it
(so ``tempfile.gettempdir()`` is it), the project's ``temp-dirs`` names it, and the inner pytest's
own ``--basetemp`` lies inside it (so the audit must tell tmp_path from the rest).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from tests.test_reporters import validate_sarif
from tmplint.audit import Record, findings
from tmplint.audit_hook import EVENTS
from tmplint.config import Config, ConfigError, parse_table
from tmplint.registry import RULES

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "video_pipeline"

HELPERS = '''\
import os
import tempfile


def save_report(name, text):
    path = os.path.join(tempfile.gettempdir(), name)
    with open(path, "w") as f:  # site: helper
        f.write(text)
    return path
'''

WRITES = '''\
import os
import shutil
import subprocess
import sys
import tempfile

import helpers


def test_mkstemp():
    fd, path = tempfile.mkstemp(suffix=".bin")  # site: mkstemp
    os.close(fd)


def test_named_temporary_file():
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:  # site: named
        f.write("{}")


def test_open_in_system_tmp():
    with open(os.path.join(tempfile.gettempdir(), "out.txt"), "w") as f:  # site: open
        f.write("x")


def test_helper_module():
    helpers.save_report("a.txt", "a")


def test_helper_module_again():
    helpers.save_report("b.txt", "b")


def test_shutil_and_os(tmp_path):
    src = tmp_path / "src.txt"
    src.write_text("x")
    shutil.copy(src, os.path.join(tempfile.gettempdir(), "copy.txt"))  # site: copy
    (tmp_path / "tree").mkdir()
    shutil.copytree(tmp_path / "tree", os.path.join(tempfile.gettempdir(), "tree"))  # site: copytree
    os.mkdir(os.path.join(tempfile.gettempdir(), "made"))  # site: mkdir
    os.replace(src, os.path.join(tempfile.gettempdir(), "made", "moved.txt"))  # site: replace


def test_only_tmp_path_reads_and_capfd(tmp_path, capfd):
    (tmp_path / "out.txt").write_text("pytest's tmp_path is not the shared temp dir")
    with open(os.path.join(tempfile.gettempdir(), "read-only.txt")) as f:
        assert f.read() == "made before the session"
    print("captured through capfd's own temp file")
    assert capfd.readouterr().out.startswith("captured")


def test_allowed_pattern():
    os.makedirs(os.path.join(tempfile.gettempdir(), "allowed-cache", "sub"))


def test_subprocess_is_not_seen():
    target = os.path.join(tempfile.gettempdir(), "from-child.txt")
    subprocess.run([sys.executable, "-c", f"open({target!r}, 'w').close()"], check=True)
    assert os.path.exists(target)
'''

#: test name -> (file, site marker, what the report says it did, the path under the temp dir)
EXPECTED = {
    "test_mkstemp": ("tests/test_writes.py", "mkstemp", "made file", r"tmp\w+\.bin"),
    "test_named_temporary_file": ("tests/test_writes.py", "named", "made file", r"tmp\w+\.json"),
    "test_open_in_system_tmp": ("tests/test_writes.py", "open", "wrote", "out.txt"),
    "test_helper_module": ("helpers.py", "helper", "wrote", "a.txt"),
    "test_helper_module_again": ("helpers.py", "helper", "wrote", "b.txt"),
}
SHUTIL_AND_OS = [("copy", "copied a file to", "copy.txt"), ("copytree", "copied a tree to", "tree"),
                 ("mkdir", "made dir", "made"), ("replace", "moved a file to", "made/moved.txt")]
WRITING_TESTS = set(EXPECTED) | {"test_shutil_and_os"}


def site_line(source: str, marker: str) -> int:
    (line,) = [n for n, text in enumerate(source.splitlines(), 1) if text.endswith(f"# site: {marker}")]
    return line


def expected_sites(sys_tmp: Path) -> Dict[Tuple[str, int], List[str]]:
    """``{(path, line): [message regex per test]}`` for the WRITES project."""
    sources = {"tests/test_writes.py": WRITES, "helpers.py": HELPERS}
    sites: Dict[Tuple[str, int], List[str]] = {}
    tmp = re.escape(str(sys_tmp))
    for test, (path, marker, verb, name) in EXPECTED.items():
        sites.setdefault((path, site_line(sources[path], marker)), []).append(
            rf"tests/test_writes\.py::{test} {verb} {tmp}/{name}")
    for marker, verb, name in SHUTIL_AND_OS:
        sites[("tests/test_writes.py", site_line(WRITES, marker))] = [
            rf"tests/test_writes\.py::test_shutil_and_os {verb} {tmp}/{name}"]
    return sites


def isolate(monkeypatch, sys_tmp: Path) -> None:
    monkeypatch.setenv("TMPDIR", str(sys_tmp))
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    # imports write __pycache__ files, under /tmp when pytester's projects are: never reported
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)


def make_project(pytester, monkeypatch, files: Dict[str, str], tmplint_table: str = "") -> Path:
    """A project under pytester.path whose system temp dir is ``sys_tmp`` next to its files."""
    sys_tmp = pytester.path / "sys_tmp"
    sys_tmp.mkdir()
    isolate(monkeypatch, sys_tmp)
    (pytester.path / "pyproject.toml").write_text(
        f'[tool.tmplint]\ntemp-dirs = ["{sys_tmp}"]\n{tmplint_table}', encoding="utf-8")
    for name, text in files.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return sys_tmp


def writes_project(pytester, monkeypatch, tmplint_table: str = 'audit-allow = ["*/allowed-*"]\n') -> Path:
    sys_tmp = make_project(pytester, monkeypatch, {"helpers.py": HELPERS, "tests/test_writes.py": WRITES},
                           tmplint_table)
    (sys_tmp / "read-only.txt").write_text("made before the session", encoding="utf-8")
    return sys_tmp


def run(pytester, sys_tmp: Path, *args: str):
    # the inner pytest's tmp_path base lies inside the audited dir: it must not be reported
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--basetemp={sys_tmp}/pytest-base", *args)


_TEXT_LINE = re.compile(r"^(\S+):(\d+):1: TMP900 (.*)$")


def text_sites(lines: List[str]) -> Dict[Tuple[str, int], str]:
    sites = {}
    for line in lines:
        match = _TEXT_LINE.match(line)
        if match:
            sites[(match.group(1), int(match.group(2)))] = match.group(3)
    return sites


def assert_sites(actual: Dict[Tuple[str, int], str], expected: Dict[Tuple[str, int], List[str]]) -> None:
    assert set(actual) == set(expected)
    for site, patterns in expected.items():
        assert re.fullmatch("; ".join(patterns), actual[site]), (site, actual[site])


# --------------------------------------------------------------------------- what is recorded


def test_text_report_lists_each_site_once_with_every_test_that_wrote_there(pytester, monkeypatch):
    sys_tmp = writes_project(pytester, monkeypatch)
    result = run(pytester, sys_tmp, "--tmplint-audit")
    result.assert_outcomes(passed=9)
    assert_sites(text_sites(result.outlines), expected_sites(sys_tmp))
    assert "tmplint audit (warn): 9 paths created under the system temp dirs or left in job dirs, " \
           "at 8 sites, by 6 tests" in result.outlines
    assert (sys_tmp / "from-child.txt").exists()  # the subprocess did write, unseen (docs/audit.md)


def test_inactive_unless_asked(pytester, monkeypatch):
    sys_tmp = writes_project(pytester, monkeypatch)
    result = run(pytester, sys_tmp)
    result.assert_outcomes(passed=9)
    assert not any("tmplint audit" in line or "TMP900" in line for line in result.outlines)


def test_config_audit_true_turns_it_on(pytester, monkeypatch):
    sys_tmp = writes_project(pytester, monkeypatch, "audit = true\n")
    result = run(pytester, sys_tmp)
    result.assert_outcomes(passed=9)
    sites = text_sites(result.outlines)
    # without audit-allow, the allowed dir is reported too
    assert ("tests/test_writes.py", site_line(WRITES, "mkstemp")) in sites
    assert any(message.startswith("tests/test_writes.py::test_allowed_pattern made dir") for message in sites.values())


def test_p_option_loads_and_turns_it_on_without_autoload(pytester, monkeypatch):
    sys_tmp = writes_project(pytester, monkeypatch)
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    result = run(pytester, sys_tmp, "-p", "tmplint.audit")
    result.assert_outcomes(passed=9)
    assert_sites(text_sites(result.outlines), expected_sites(sys_tmp))


def test_bad_config_value_is_a_usage_error_naming_the_key(pytester, monkeypatch):
    sys_tmp = writes_project(pytester, monkeypatch, 'audit = "loud"\n')
    result = run(pytester, sys_tmp, "--tmplint-audit")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert re.search(r"tmplint audit: .*pyproject\.toml: \[tool\.tmplint\] audit: expected true, false, "
                     r"\"warn\" or \"fail\", got 'loud'", result.stderr.str())


# --------------------------------------------------------------------------- formats


def test_json_report_to_a_file_groups_by_site(pytester, monkeypatch):
    sys_tmp = writes_project(pytester, monkeypatch)
    result = run(pytester, sys_tmp, "--tmplint-audit", "--tmplint-audit-format=json",
                 "--tmplint-audit-output=audit.json")
    result.assert_outcomes(passed=9)
    assert not text_sites(result.outlines)
    assert any(line.endswith("; report written to audit.json") for line in result.outlines)
    entries = json.loads((pytester.path / "audit.json").read_text(encoding="utf-8"))
    assert [(e["path"], e["line"]) for e in entries] == sorted(expected_sites(sys_tmp))
    assert {(e["code"], e["col"], e["fixable"]) for e in entries} == {("TMP900", 1, False)}
    assert_sites({(e["path"], e["line"]): e["message"] for e in entries}, expected_sites(sys_tmp))


def test_sarif_report_validates_and_points_at_the_sites(pytester, monkeypatch):
    sys_tmp = writes_project(pytester, monkeypatch)
    result = run(pytester, sys_tmp, "--tmplint-audit", "--tmplint-audit-format", "sarif",
                 "--tmplint-audit-output", "audit.sarif")
    result.assert_outcomes(passed=9)
    log = validate_sarif((pytester.path / "audit.sarif").read_text(encoding="utf-8"))
    (sarif_run,) = log["runs"]
    rules = sarif_run["tool"]["driver"]["rules"]
    locations = []
    for sarif_result in sarif_run["results"]:
        assert sarif_result["ruleId"] == "TMP900" and rules[sarif_result["ruleIndex"]]["id"] == "TMP900"
        physical = sarif_result["locations"][0]["physicalLocation"]
        locations.append((physical["artifactLocation"]["uri"], physical["region"]["startLine"]))
    assert locations == sorted(expected_sites(sys_tmp))


# --------------------------------------------------------------------------- modes


def test_fail_mode_fails_exactly_the_tests_that_wrote(pytester, monkeypatch):
    sys_tmp = writes_project(pytester, monkeypatch)
    result = run(pytester, sys_tmp, "--tmplint-audit=fail", "-rf")
    result.assert_outcomes(passed=3, failed=6)
    failed = {line.split("::")[1].split()[0] for line in result.outlines if line.startswith("FAILED ")}
    assert failed == WRITING_TESTS
    helper_line = site_line(HELPERS, "helper")
    result.stdout.fnmatch_lines([
        "*tmplint audit (call): this test created files under the system temp dirs or left job scratch files:",
        f"helpers.py:{helper_line}:1: TMP900 tests/test_writes.py::test_helper_module wrote {sys_tmp}/a.txt",
    ])


def test_fail_mode_reports_a_fixture_write_as_a_setup_error(pytester, monkeypatch):
    sys_tmp = make_project(pytester, monkeypatch, {
        "tests/conftest.py": (
            "import os, tempfile, pytest\n\n\n@pytest.fixture\ndef scratch():\n"
            "    return tempfile.mkdtemp()  # site: fixture\n"
        ),
        "tests/test_fixture.py": "def test_uses_it(scratch):\n    assert scratch\n",
    })
    result = run(pytester, sys_tmp, "--tmplint-audit=fail")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"tests/conftest.py:6:1: TMP900 tests/test_fixture.py::test_uses_it made dir {sys_tmp}/tmp*"])


# --------------------------------------------------------------------------- leaks

LEAKS = '''\
import os

import pytest


@pytest.fixture
def job_tmp():
    scratch = os.path.join(os.environ["WORKFLOW_TEMP_ROOT"], "job-1", "tmp")
    os.makedirs(scratch, exist_ok=True)
    return scratch


def test_leaves_a_file(job_tmp):
    open(os.path.join(job_tmp, "frame.png"), "wb").close()


def test_cleans_up(job_tmp):
    path = os.path.join(job_tmp, "out.mp4")
    open(path, "wb").close()
    os.remove(path)


def test_job_that_was_busy_before():
    scratch = os.path.join(os.environ["WORKFLOW_TEMP_ROOT"], "job-old", "tmp")
    open(os.path.join(scratch, "more.bin"), "wb").close()
'''


def test_leaks_reports_job_dirs_a_test_left_non_empty(pytester, monkeypatch):
    root = pytester.path / "workflows"
    # the job root may itself lie under /tmp (where pytester puts projects): allowed, not a write
    sys_tmp = make_project(pytester, monkeypatch, {"tests/test_jobs.py": LEAKS}, f'audit-allow = ["{root}/*"]\n')
    (root / "job-old" / "tmp").mkdir(parents=True)
    (root / "job-old" / "tmp" / "old.bin").write_bytes(b"")
    monkeypatch.setenv("WORKFLOW_TEMP_ROOT", str(root))
    result = run(pytester, sys_tmp, "--tmplint-audit=fail", "--tmplint-audit-leaks")
    result.assert_outcomes(passed=3, errors=1)  # the test passed, its teardown check did not
    line = LEAKS.splitlines().index("def test_leaves_a_file(job_tmp):") + 1
    assert text_sites(result.outlines) == {
        ("tests/test_jobs.py", line): f"tests/test_jobs.py::test_leaves_a_file left files in job dir "
                                      f"{root}/job-1/tmp: frame.png",
    }
    assert "ERROR at teardown of test_leaves_a_file" in result.stdout.str()


def test_leaks_off_by_default(pytester, monkeypatch):
    root = pytester.path / "workflows"
    sys_tmp = make_project(pytester, monkeypatch, {"tests/test_jobs.py": LEAKS}, f'audit-allow = ["{root}/*"]\n')
    (root / "job-old" / "tmp").mkdir(parents=True)
    monkeypatch.setenv("WORKFLOW_TEMP_ROOT", str(pytester.path / "workflows"))
    result = run(pytester, sys_tmp, "--tmplint-audit=fail")
    result.assert_outcomes(passed=3)
    assert not text_sites(result.outlines)


# --------------------------------------------------------------------------- subprocesses

CHILDREN = '''\
import os
import subprocess
import sys
import tempfile


def run_child(code):
    project = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                          cwd=project).stdout


def test_child_writes():
    target = os.path.join(tempfile.gettempdir(), "from-child.txt")
    out = run_child(f"import os; open({target!r}, 'w').close(); print(os.environ.get('USER_SITE_RAN'))")
    assert out.strip() == "yes"  # the project's own sitecustomize still ran in the child


def test_child_uses_helper():
    run_child("import helpers; helpers.save_report('child.txt', 'c')")
'''


def test_subprocesses_opt_in_records_python_children(pytester, monkeypatch):
    sys_tmp = make_project(pytester, monkeypatch, {
        "helpers.py": HELPERS, "tests/test_children.py": CHILDREN,
        "site/sitecustomize.py": "import os\nos.environ['USER_SITE_RAN'] = 'yes'\n",
    })
    monkeypatch.setenv("PYTHONPATH", str(pytester.path / "site"))
    result = run(pytester, sys_tmp, "--tmplint-audit=fail", "--tmplint-audit-subprocesses")
    result.assert_outcomes(failed=2)
    tmp = re.escape(str(sys_tmp))
    assert_sites(text_sites(result.outlines), {
        ("helpers.py", site_line(HELPERS, "helper")): [rf"tests/test_children\.py::test_child_uses_helper wrote {tmp}/child\.txt"],
        ("tests/test_children.py", CHILDREN.splitlines().index("def test_child_writes():") + 1):
            [rf"tests/test_children\.py::test_child_writes wrote {tmp}/from-child\.txt"],
    })


# --------------------------------------------------------------------------- xdist


def test_xdist_workers_record_and_the_controller_merges(pytester, monkeypatch):
    sys_tmp = writes_project(pytester, monkeypatch)
    result = run(pytester, sys_tmp, "--tmplint-audit", "-n", "2")
    result.assert_outcomes(passed=9)
    assert_sites(text_sites(result.outlines), expected_sites(sys_tmp))


def test_xdist_fail_mode_fails_on_the_workers(pytester, monkeypatch):
    sys_tmp = writes_project(pytester, monkeypatch)
    result = run(pytester, sys_tmp, "--tmplint-audit=fail", "-n", "2")
    result.assert_outcomes(passed=3, failed=6)


# --------------------------------------------------------------------------- the example project


def example_sites(pytester, sys_tmp: Path) -> Dict[Tuple[str, int], str]:
    result = run(pytester, sys_tmp, "--tmplint-audit", "--tmplint-audit-leaks")
    result.assert_outcomes(passed=2)
    return text_sites(result.outlines)


def test_example_lists_its_sites_before_fix_and_none_after(pytester, monkeypatch):
    shutil.copytree(EXAMPLE, pytester.path, dirs_exist_ok=True)
    sys_tmp = pytester.path / "sys_tmp"
    sys_tmp.mkdir()
    isolate(monkeypatch, sys_tmp)
    render = (EXAMPLE / "pipeline" / "render.py").read_text(encoding="utf-8").splitlines()
    tests = {"render": "tests/test_render.py::test_render_clip_hands_every_frame_to_ffmpeg",
             "upload": "tests/test_upload.py::test_upload_manifest_sends_the_manifest_as_json"}
    before = example_sites(pytester, sys_tmp)
    tmp = re.escape(str(sys_tmp))
    expected = {
        ("pipeline/render.py", render.index("    fd, output = tempfile.mkstemp(suffix=\".mp4\")") + 1):
            rf"{tests['render']} made file {tmp}/tmp\w+\.mp4",
        ("pipeline/render.py", render.index("    with tempfile.TemporaryDirectory() as workdir:") + 1):
            rf"{tests['render']} made dir {tmp}/tmp\w+",
        ("pipeline/render.py", render.index("            with open(os.path.join(workdir, f\"{index:05d}.png\"), \"wb\") as f:") + 1):
            rf"{tests['render']} wrote {tmp}/tmp\w+/00000\.png \(\+1 more\)",
        ("pipeline/upload.py", 11): rf"{tests['upload']} made file {tmp}/tmp\w+\.json",
    }
    assert_sites(before, {site: [pattern] for site, pattern in expected.items()})

    tmplint = [sys.executable, "-m", "tmplint"]
    subprocess.run([*tmplint, "init"], cwd=pytester.path, check=True, capture_output=True)
    fixed = subprocess.run([*tmplint, "fix", "."], cwd=pytester.path, capture_output=True, text=True)
    assert "3 sites fixed" in fixed.stderr, fixed.stderr
    assert example_sites(pytester, sys_tmp) == {}


# --------------------------------------------------------------------------- the report itself


def test_findings_group_records_by_site_in_order():
    records = [
        Record("t.py::b", "open", "/tmp/x", "/abs/b.py", 3),
        Record("t.py::a", "os.mkdir", "/tmp/d", "/abs/a.py", 9),
        Record("t.py::a", "open", "/tmp/y", "/abs/b.py", 3),
        Record("t.py::b", "open", "/tmp/z", "/abs/b.py", 3),
    ]
    result = findings(records)
    assert [(f.path, f.line, f.code, f.fixable) for f in result] == [
        ("/abs/a.py", 9, "TMP900", False), ("/abs/b.py", 3, "TMP900", False)]
    assert result[0].message == "t.py::a made dir /tmp/d"
    assert result[1].message == "t.py::b wrote /tmp/x (+1 more); t.py::a wrote /tmp/y"


def test_tmp900_is_a_runtime_rule_the_detector_never_reports():
    rule = RULES["TMP900"]
    assert rule.runtime and not rule.default and rule.fix == "none"
    assert "pytest --tmplint-audit" in rule.doc()
    assert set(EVENTS) >= {"open", "os.mkdir", "os.rename", "tempfile.mkstemp", "tempfile.mkdtemp",
                           "shutil.copyfile", "shutil.copytree"}


@pytest.mark.parametrize("value,mode", [(True, "warn"), (False, "off"), ("warn", "warn"), ("fail", "fail")])
def test_config_audit_key(value, mode):
    assert parse_table({"audit": value, "audit-allow": ["*/cache/*"]}, "pyproject.toml") == Config(
        audit=mode, audit_allow=("*/cache/*",))


@pytest.mark.parametrize("table,message", [
    ({"audit": "loud"}, "pyproject.toml: [tool.tmplint] audit: expected true, false, \"warn\" or \"fail\", got 'loud'"),
    ({"audit-allow": "*/cache/*"}, "pyproject.toml: [tool.tmplint] audit-allow: expected a list of strings, got '*/cache/*'"),
])
def test_config_audit_keys_reject_bad_values(table, message):
    with pytest.raises(ConfigError) as raised:
        parse_table(table, "pyproject.toml")
    assert str(raised.value) == message
