"""Before/after fixture pairs for every rewrite (``tests/fixtures/codemod/*.before.py``).

One pair per table row, argument form, import form, workflow-id source, cleanup decision and
unfixable reason; see ``test_codemod_support`` for the marker syntax. Each pair is also checked
for idempotence (fixing the after file changes nothing) and for compiling.
"""
from __future__ import annotations

from pathlib import Path

import pytest

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
