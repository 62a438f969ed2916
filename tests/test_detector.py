"""Fixture files with ``# expect:`` markers (flake8-bugbear's eval-file style)."""
from __future__ import annotations

import ast

import pytest

from tests.conftest import expected_findings, fixture_config
from tmplint.config import Config
from tmplint.detector import DetectorError, check_bytes, find_findings, temp_dir_prefix


def test_fixture_findings_match_markers(detector_fixture):
    config = fixture_config(detector_fixture)
    findings = check_bytes(detector_fixture.read_bytes(), str(detector_fixture), config)
    assert {(f.line, f.code) for f in findings} == expected_findings(detector_fixture)


def test_every_fixture_has_markers_or_says_it_is_clean(detector_fixture):
    assert expected_findings(detector_fixture) or detector_fixture.name == "not_tempfile.py"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("/tmp", "/tmp"), ("/tmp/", "/tmp"), ("/tmp/x", "/tmp"), ("/var/tmp/x", "/var/tmp"),
        ("/tmpfoo", None), ("tmp/x", None), ("a /tmp b", None), ("/share/workflows/1/tmp", None),
        ("http://h/tmp", None), ("/dev/shm", "/dev/shm"), ("/dev/shmem", None), ("", None),
    ],
)
def test_temp_dir_boundary(text, expected):
    assert temp_dir_prefix(text, Config().all_temp_dirs) == expected


@pytest.mark.parametrize("order", [("/tmp", "/tmp/scratch"), ("/tmp/scratch", "/tmp")])
def test_the_longest_configured_temp_dir_matches(order):
    assert temp_dir_prefix("/tmp/scratch/x.json", order) == "/tmp/scratch"
    assert temp_dir_prefix("/tmp/scratchy", order) == "/tmp"


def test_finding_position_is_the_call():
    source = "import tempfile\ndef f():\n    x = 1; y = tempfile.mkstemp()\n"
    (finding,) = check_bytes(source.encode(), "m.py", Config(workflow_id_fallback='"shared"'))
    assert (finding.line, finding.col, finding.end_col) == (3, 15, 33)
    assert finding.target == "tempfile.mkstemp" and finding.fixable


def test_fixable_only_when_fix_would_try_the_site():
    # ``tmplint fix`` leaves a site without a workflow id in reach: check says so too
    source = "import tempfile\ndef f():\n    x = 1; y = tempfile.mkstemp()\n"
    (finding,) = check_bytes(source.encode(), "m.py", Config())
    assert not finding.fixable
    (finding,) = check_bytes(source.replace("x = 1; ", "workflow_id = 1\n    ").encode(), "m.py", Config())
    assert finding.fixable
    # on the site's own line the id is not certainly bound first (fix judges statements by line)
    (finding,) = check_bytes(source.replace("x = 1", "workflow_id = 1").encode(), "m.py", Config())
    assert not finding.fixable


def test_message_names_the_qualified_call_not_the_alias():
    source = "from tempfile import NamedTemporaryFile as N\nN()\n"
    (finding,) = check_bytes(source.encode(), "m.py", Config())
    assert finding.message.startswith("tempfile.NamedTemporaryFile() writes to the shared system temp dir")


def test_unmappable_arguments_are_flagged_but_not_fixable():
    source = "import tempfile\ndef f(**kw):\n    return tempfile.mkstemp(**kw)\n"
    (finding,) = check_bytes(source.encode(), "m.py", Config())
    assert finding.code == "TMP002" and not finding.fixable


def test_dir_temp_literal_reported_once_under_creator():
    source = 'import tempfile\ntempfile.mkstemp(dir="/tmp")\n'
    assert [f.code for f in check_bytes(source.encode(), "m.py", Config())] == ["TMP002"]


def test_select_and_ignore_filter_codes():
    source = b'import tempfile\nA = "/tmp"\nB = tempfile.mkstemp()\n'
    assert [f.code for f in check_bytes(source, "m.py", Config(select=("TMP006",)))] == ["TMP006"]
    assert [f.code for f in check_bytes(source, "m.py", Config(ignore=("TMP006",)))] == ["TMP002"]


def test_honor_other_suppressions_can_be_turned_off():
    source = b'A = "/tmp/x"  # noqa: S108\n'
    assert check_bytes(source, "m.py", Config()) == []
    assert [f.code for f in check_bytes(source, "m.py", Config(honor_other_suppressions=False))] == ["TMP006"]


def test_flake8_file_level_noqa_turns_the_file_off():
    assert check_bytes(b'# flake8: noqa\nA = "/tmp/x"\n', "m.py", Config()) == []


@pytest.mark.parametrize(
    "data,reason",
    [
        (b"def f(:\n  '/tmp'\n", "SyntaxError"),
        (b"x = '/tmp'\n\xff\xfe\n", "decode"),
        (b"# -*- coding: nonsense -*-\nA = '/tmp'\n", "decode"),
        (b"A = '/tmp'\x00\n", "null"),
    ],
)
def test_bad_source_raises_detector_error(data, reason):
    with pytest.raises(DetectorError) as info:
        check_bytes(data, "bad.py", Config())
    assert reason.lower() in str(info.value).lower() or "parse" in str(info.value)


def test_latin1_cookie_and_bom_are_decoded_like_python():
    latin = "# -*- coding: latin-1 -*-\nA = '/tmp/caf\xe9'\n".encode("latin-1")
    assert [f.code for f in check_bytes(latin, "l.py", Config())] == ["TMP006"]
    bom = b"\xef\xbb\xbfA = '/tmp/x'\n"
    assert [(f.line, f.col) for f in check_bytes(bom, "b.py", Config())] == [(1, 4)]


def test_find_findings_accepts_a_tree_parsed_elsewhere():
    source = "import tempfile\ntempfile.mkdtemp()\n"
    findings = find_findings(ast.parse(source), source, Config(), "m.py")
    assert [f.code for f in findings] == ["TMP003"]
