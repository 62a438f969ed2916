"""``tmplint check --format text|json|sarif|github``: output shape, escaping and exit codes.

SARIF output is validated against the official SARIF 2.1.0 JSON schema (OASIS errata01), shipped
as test data in tests/data/sarif-schema-2.1.0.json.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import write_project
from tmplint import __version__
from tmplint.cli import main
from tmplint.detector import Finding
from tmplint.registry import RULES
from tmplint.reporters import REPORTERS, _escape_data, _escape_property, report_github

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))

BAD = "import tempfile\n\n\ndef f(workflow_id):\n    return tempfile.mkstemp()\n"
TWO = 'import tempfile\n\nPATH = "/tmp/out.json"\nd = tempfile.mkdtemp()\n'
UNPARSABLE = "import tempfile\ndef (:\n    tempfile.mkdtemp()\n"


def run_check(capsys, cwd: Path, monkeypatch, *args: str):
    monkeypatch.chdir(cwd)
    code = main(["check", "--no-cache", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def validate_sarif(text: str) -> dict:
    log = json.loads(text)
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    return log


# --------------------------------------------------------------------------- sarif


def test_sarif_is_valid_and_describes_every_rule(tmp_path, capsys, monkeypatch):
    write_project(tmp_path, {"pkg/sub/bad.py": BAD, "pkg/two.py": TWO, "clean.py": "x = 1\n"})
    code, out, err = run_check(capsys, tmp_path, monkeypatch, "--format", "sarif", ".")
    assert code == 1 and err == ""
    log = validate_sarif(out)
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "tmplint" and driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == list(RULES)
    for descriptor in driver["rules"]:
        rule = RULES[descriptor["id"]]
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"]
        assert rule.what in descriptor["fullDescription"]["text"]
        assert descriptor["help"]["markdown"] == rule.doc() == descriptor["help"]["text"]
        assert descriptor["defaultConfiguration"] == {"enabled": rule.default, "level": "error"}
    assert run["invocations"] == [{"executionSuccessful": True}]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.as_uri() + "/"

    results = run["results"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in results] == [
        ("TMP002", "pkg/sub/bad.py"), ("TMP006", "pkg/two.py"), ("TMP003", "pkg/two.py"),
    ]
    for result in results:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == "error"
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    first = results[0]
    assert first["message"]["text"] == RULES["TMP002"].format_message("tempfile.mkstemp")
    # `    return tempfile.mkstemp()`: the call spans columns 12..29 (1-based, end exclusive)
    assert first["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 5, "startColumn": 12, "endLine": 5, "endColumn": 30,
    }
    literal = results[1]["locations"][0]["physicalLocation"]["region"]
    assert literal == {"startLine": 3, "startColumn": 8, "endLine": 3, "endColumn": 23}


def test_sarif_with_no_findings_is_valid_and_exits_0(tmp_path, capsys, monkeypatch):
    write_project(tmp_path, {"clean.py": "x = 1\n"})
    code, out, _ = run_check(capsys, tmp_path, monkeypatch, "--format", "sarif")
    assert code == 0
    log = validate_sarif(out)
    assert log["runs"][0]["results"] == []
    assert len(log["runs"][0]["tool"]["driver"]["rules"]) == len(RULES)


def test_bad_file_in_sarif_mode_exits_2_with_valid_sarif_for_the_rest(tmp_path, capsys, monkeypatch):
    write_project(tmp_path, {"good.py": BAD, "broken.py": UNPARSABLE})
    code, out, err = run_check(capsys, tmp_path, monkeypatch, "--format", "sarif", ".", "missing.py")
    assert code == 2
    assert "broken.py: error: cannot parse" in err and "missing.py: error:" in err
    log = validate_sarif(out)
    (run,) = log["runs"]
    assert [r["ruleId"] for r in run["results"]] == ["TMP002"]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    notes = {
        n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: n
        for n in invocation["toolExecutionNotifications"]
    }
    assert set(notes) == {"broken.py", "missing.py"}
    assert notes["broken.py"]["level"] == "error"
    assert "cannot parse" in notes["broken.py"]["message"]["text"]


def test_sarif_exit_zero_still_exits_2_on_errors(tmp_path, capsys, monkeypatch):
    write_project(tmp_path, {"good.py": BAD, "broken.py": UNPARSABLE})
    code, out, _ = run_check(capsys, tmp_path, monkeypatch, "--format", "sarif", "--exit-zero")
    assert code == 2
    validate_sarif(out)
    write_project(tmp_path, {"broken.py": "x = 1\n"})
    code, out, _ = run_check(capsys, tmp_path, monkeypatch, "--format", "sarif", "--exit-zero")
    assert code == 0 and validate_sarif(out)["runs"][0]["results"]


@pytest.mark.parametrize("before", ['x = "äöü"; ', 'x = "\U0001f600"; z = "é"; ', ""])
def test_every_format_counts_columns_in_characters(before, tmp_path, capsys, monkeypatch):
    # a non-ASCII line above the site, and non-ASCII text before it on its own line
    write_project(tmp_path, {"u.py": f'import tempfile\n# ünïcode\n{before}y = tempfile.mkdtemp()\n'})
    start, end = len(before + "y = ") + 1, len(before + "y = tempfile.mkdtemp()") + 1
    code, out, _ = run_check(capsys, tmp_path, monkeypatch, "--format", "sarif")
    region = validate_sarif(out)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"], region["endColumn"]) == (3, start, end)
    code, out, _ = run_check(capsys, tmp_path, monkeypatch, "u.py")
    assert out.startswith(f"u.py:3:{start}: TMP003")
    code, out, _ = run_check(capsys, tmp_path, monkeypatch, "--format", "json")
    assert (json.loads(out)[0]["line"], json.loads(out)[0]["col"]) == (3, start)
    code, out, _ = run_check(capsys, tmp_path, monkeypatch, "--format", "github")
    assert ",line=3,col=%d," % start in out
    flake8 = subprocess.run([sys.executable, "-m", "flake8", "--select", "TMP", "u.py"], cwd=tmp_path,
                            capture_output=True, text=True)
    assert flake8.stdout.startswith(f"u.py:3:{start}: TMP003")


def test_sarif_uris_are_percent_encoded_and_outside_paths_absolute(tmp_path, capsys, monkeypatch):
    write_project(tmp_path / "proj", {"dir name/a b.py": BAD})
    write_project(tmp_path / "other", {"o.py": BAD})
    code, out, _ = run_check(capsys, tmp_path / "proj", monkeypatch, "--format", "sarif", ".", "../other/o.py")
    results = validate_sarif(out)["runs"][0]["results"]
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in results]
    assert locations[0] == {"uri": "dir%20name/a%20b.py", "uriBaseId": "%SRCROOT%"}
    assert locations[1] == {"uri": (tmp_path / "other" / "o.py").as_uri()}


def test_sarif_from_stdin(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "tmplint", "check", "--format", "sarif", "--stdin-filename", "app/x.py", "-"],
        cwd=tmp_path, input=BAD, capture_output=True, text=True,
    )
    assert done.returncode == 1, done.stderr
    (result,) = validate_sarif(done.stdout)["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/x.py"


def test_statistics_keep_machine_formats_parseable(tmp_path, capsys, monkeypatch):
    write_project(tmp_path, {"bad.py": BAD})
    code, out, err = run_check(capsys, tmp_path, monkeypatch, "--format", "sarif", "--statistics")
    validate_sarif(out)
    assert "TMP002" in err
    code, out, err = run_check(capsys, tmp_path, monkeypatch, "--format", "json", "--statistics")
    assert json.loads(out)[0]["code"] == "TMP002" and "TMP002" in err


# --------------------------------------------------------------------------- github


def test_github_escaping_rules():
    assert _escape_data("100% a\r\nb") == "100%25 a%0D%0Ab"
    assert _escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"
    assert _escape_data("a:b,c") == "a:b,c"  # : and , only matter in properties


def test_github_annotations(tmp_path, capsys, monkeypatch):
    write_project(tmp_path, {"pkg/bad.py": BAD, "pkg/two.py": TWO})
    code, out, err = run_check(capsys, tmp_path, monkeypatch, "--format", "github")
    assert code == 1 and err == ""
    assert out.splitlines() == [
        "::error file=pkg/bad.py,line=5,col=12,title=TMP002::" + RULES["TMP002"].format_message("tempfile.mkstemp"),
        "::error file=pkg/two.py,line=3,col=8,title=TMP006::" + RULES["TMP006"].format_message("'/tmp/out.json'"),
        "::error file=pkg/two.py,line=4,col=5,title=TMP003::" + RULES["TMP003"].format_message("tempfile.mkdtemp"),
    ]


def test_github_escapes_paths_and_messages():
    finding = Finding(
        path="we,ird:name%.py", line=3, col=0, code="TMP006", message="path '/tmp/a%b'\nsecond line",
        fixable=False, end_line=3, end_col=5, target="literal",
    )
    out = io.StringIO()
    report_github([finding], [("bro,ken.py", "cannot parse: bad\r\nthing")], out)
    assert out.getvalue().splitlines() == [
        "::error file=we%2Cird%3Aname%25.py,line=3,col=1,title=TMP006::path '/tmp/a%25b'%0Asecond line",
        "::error file=bro%2Cken.py,title=tmplint::cannot parse: bad%0D%0Athing",
    ]


def test_github_format_annotates_errors_and_exits_2(tmp_path, capsys, monkeypatch):
    write_project(tmp_path, {"bad.py": BAD, "broken.py": UNPARSABLE})
    code, out, err = run_check(capsys, tmp_path, monkeypatch, "--format", "github")
    assert code == 2
    assert "broken.py: error: cannot parse" in err
    lines = out.splitlines()
    assert lines[0].startswith("::error file=bad.py,line=5,col=12,title=TMP002::")
    assert lines[1].startswith("::error file=broken.py,title=tmplint::cannot parse")


# --------------------------------------------------------------------------- text and json


def test_text_format_is_flake8s(tmp_path, capsys, monkeypatch):
    write_project(tmp_path, {"bad.py": BAD})
    code, out, _ = run_check(capsys, tmp_path, monkeypatch)
    assert code == 1
    assert out == f"bad.py:5:12: TMP002 {RULES['TMP002'].format_message('tempfile.mkstemp')}\n"


def test_json_format_is_a_stable_documented_list(tmp_path, capsys, monkeypatch):
    write_project(tmp_path, {"bad.py": BAD, "two.py": TWO})
    code, out, _ = run_check(capsys, tmp_path, monkeypatch, "--format", "json")
    data = json.loads(out)
    assert [list(item) for item in data] == [["path", "line", "col", "code", "message", "fixable"]] * 3
    assert data[0] == {
        "path": "bad.py", "line": 5, "col": 12, "code": "TMP002",
        "message": RULES["TMP002"].format_message("tempfile.mkstemp"), "fixable": True,
    }
    # fixable only where ``tmplint fix`` would rewrite: two.py has no workflow id to use
    assert [(d["path"], d["code"], d["fixable"]) for d in data[1:]] == [
        ("two.py", "TMP006", False), ("two.py", "TMP003", False),
    ]
    code, again, _ = run_check(capsys, tmp_path, monkeypatch, "--format", "json")
    assert again == out


def test_json_with_errors_is_still_json_and_exits_2(tmp_path, capsys, monkeypatch):
    write_project(tmp_path, {"bad.py": BAD, "broken.py": UNPARSABLE})
    code, out, err = run_check(capsys, tmp_path, monkeypatch, "--format", "json")
    assert code == 2 and [d["code"] for d in json.loads(out)] == ["TMP002"]
    assert "broken.py: error:" in err


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_every_format_is_offered_by_the_cli(fmt, tmp_path, capsys, monkeypatch):
    write_project(tmp_path, {"clean.py": "x = 1\n"})
    code, out, err = run_check(capsys, tmp_path, monkeypatch, "--format", fmt)
    assert code == 0, err
