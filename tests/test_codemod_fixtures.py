"""Before/after fixture pairs for every rewrite (``tests/fixtures/codemod/*.before.py``).

One pair per table row, argument form, import form, workflow-id source, cleanup decision and
unfixable reason; see ``test_codemod_support`` for the marker syntax. Each pair is also checked
for idempotence (fixing the after file changes nothing) and for compiling.
"""
from __future__ import annotations

from pathlib import Path

import pytest

import libcst as cst

from tmplint.codemods import api, base
from tmplint.codemods.migrate import MigrateToHelper
from tmplint.config import Config
from tmplint.detector import CREATORS, TEMPDIR_GETTERS

from tests.test_codemod_support import after_path, cases, marker_mismatches, run_case

CASES = cases()


@pytest.mark.parametrize("before", CASES, ids=lambda p: p.name[: -len(".before.py")])
def test_fixture_pair(before: Path) -> None:
    result = run_case(before)
    expected = after_path(before).read_text(encoding="utf-8")
    assert result.data.decode("utf-8") == expected
    assert marker_mismatches(before, result) == []
    compile(result.data, str(before), "exec", dont_inherit=True)


@pytest.mark.parametrize("before", CASES, ids=lambda p: p.name[: -len(".before.py")])
def test_fixture_pair_is_idempotent(before: Path) -> None:
    after = after_path(before)
    again = run_case(before, data=after.read_bytes())
    assert again.data == after.read_bytes()
    assert again.report.fixed == []


@pytest.mark.parametrize("before", CASES, ids=lambda p: p.name[: -len(".before.py")])
def test_skipping_libcst_reports_exactly_what_the_engine_does(before: Path) -> None:
    # fix_bytes skips the parse when the findings alone show every site is left; naming the
    # command explicitly always runs the engine
    skipped = run_case(before)
    parsed = run_case(before, command=MigrateToHelper)
    assert (skipped.data, skipped.report) == (parsed.data, parsed.report)


@pytest.mark.parametrize("before", CASES, ids=lambda p: p.name[: -len(".before.py")])
def test_the_skipped_bodies_change_nothing(before: Path, monkeypatch) -> None:
    # the scopes of only the code the planners can ask about (codemods.scopes) give what
    # libcst's analysis of the whole module gives
    partial = run_case(before)
    monkeypatch.setattr(base, "skippable_bodies", lambda *args, **kwargs: set())
    whole = run_case(before)
    assert (partial.data, partial.report) == (whole.data, whole.report)


def test_the_all_rules_command_has_a_planner_for_every_target_the_detector_reports() -> None:
    # the engine looks the planner up by target, and codemods.triage sorts files without them
    targets = {f"tempfile.{name}" for name in CREATORS} | set(TEMPDIR_GETTERS) | {"literal"}
    assert targets <= set(MigrateToHelper.PLANNERS)


def test_a_module_without_any_workflow_id_is_not_parsed(monkeypatch) -> None:
    def no_parsing(*args, **kwargs):
        raise AssertionError("libcst parsed a module it did not need to")

    monkeypatch.setattr(cst, "parse_module", no_parsing)
    source = "import tempfile\n\ndef work():\n    return tempfile.mkdtemp(), '/tmp/x'\n"
    result = api.fix_bytes(source, Config(), unsafe_fixes=True)
    assert not result.changed
    assert [(o.code, o.message.split(" (")[0]) for o in result.report.left] == [
        ("TMP003", "no workflow id in this module"), ("TMP006", "no workflow id in this module")]
    # one spelled id anywhere, and the module is parsed (and its sites planned) as before
    with pytest.raises(AssertionError, match="did not need to"):
        api.fix_bytes(source + "# the job_id comes later\n", Config(), unsafe_fixes=True)


def test_every_pair_is_complete() -> None:
    assert len(CASES) >= 40
    for before in CASES:
        assert after_path(before).is_file(), f"{before.name} has no after file"
    befores = {p.name[: -len(".before.py")] for p in CASES}
    afters = {p.name[: -len(".after.py")] for p in CASES[0].parent.glob("*.after.py")}
    assert afters == befores


def test_rows_of_the_design_table_have_pairs() -> None:
    names = {p.name for p in CASES}
    for row in ("named_temporary_file_with", "named_temporary_file_delete_false", "temporary_file_with",
                "spooled_temporary_file_with", "mkstemp", "mkdtemp", "temporary_directory_with", "mktemp",
                "gettempdir", "literal_unsafe"):
        assert f"row_{row}.before.py" in names
