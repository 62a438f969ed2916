"""``tmplint.sources.line_opcodes``: the line diff that maps positions through a rewrite."""
from __future__ import annotations

from hypothesis import given, strategies as st

from tmplint.sources import line_opcodes

LINES = st.lists(st.sampled_from(["a", "b", "x", "x", ""]), max_size=14)


@given(LINES, LINES)
def test_opcodes_are_a_complete_edit_script(old, new) -> None:
    i = j = 0
    for tag, i1, i2, j1, j2 in line_opcodes(old, new):
        assert (i1, j1) == (i, j)
        if tag == "equal":
            assert old[i1:i2] == new[j1:j2]
        i, j = i2, j2
    assert (i, j) == (len(old), len(new))


def test_a_small_edit_in_a_long_run_of_equal_lines() -> None:
    old = ["x"] * 200_000 + ["tempfile.mkstemp()"] + ["x"] * 200_000
    new = ["x"] * 200_000 + ["make_temp_file(job_id)", "try:"] + ["x"] * 200_000
    assert line_opcodes(old, new) == [
        ("equal", 0, 200_000, 0, 200_000),
        ("replace", 200_000, 200_001, 200_000, 200_002),
        ("equal", 200_001, 400_001, 200_002, 400_002),
    ]
