"""Every rule's own bad/good examples, run through the detector (Fixit-style)."""
from __future__ import annotations

import pytest

from tmplint.config import Config
from tmplint.detector import check_bytes
from tmplint.registry import DEFAULT_CODES, RULES

ALL_ON = Config(extend_select=tuple(RULES))
#: the detector's rules; a runtime rule (TMP900) is found by the pytest audit, tests/test_audit.py
STATIC = {code: rule for code, rule in RULES.items() if not rule.runtime}
BAD = [(code, i, src) for code, rule in STATIC.items() for i, src in enumerate(rule.bad)]
GOOD = [(code, i, src) for code, rule in STATIC.items() for i, src in enumerate(rule.good)]
RUNTIME_EXAMPLES = [(code, i, src) for code, rule in RULES.items() if rule.runtime
                    for i, src in enumerate(rule.bad + rule.good)]


@pytest.mark.parametrize("code,index,source", BAD, ids=[f"{c}-bad{i}" for c, i, _ in BAD])
def test_bad_example_is_flagged_with_its_code(code, index, source):
    codes = [f.code for f in check_bytes(source.encode(), "example.py", ALL_ON)]
    assert code in codes


@pytest.mark.parametrize("code,index,source", GOOD, ids=[f"{c}-good{i}" for c, i, _ in GOOD])
def test_good_example_is_not_flagged_with_its_code(code, index, source):
    codes = [f.code for f in check_bytes(source.encode(), "example.py", ALL_ON)]
    assert code not in codes


@pytest.mark.parametrize("code,index,source", RUNTIME_EXAMPLES, ids=[f"{c}-{i}" for c, i, _ in RUNTIME_EXAMPLES])
def test_runtime_rule_examples_are_never_flagged_by_the_detector(code, index, source):
    assert check_bytes(source.encode(), "example.py", ALL_ON) == []


EXAMPLES = BAD + GOOD + RUNTIME_EXAMPLES


@pytest.mark.parametrize("code,index,source", EXAMPLES, ids=[f"{c}-{i}" for c, i, _ in EXAMPLES])
def test_examples_are_valid_python(code, index, source):
    compile(source, f"{code}-{index}", "exec")


def test_registry_matches_design_table():
    assert list(RULES) == [f"TMP00{i}" for i in range(1, 9)] + ["TMP900"]
    assert [code for code, rule in RULES.items() if rule.runtime] == ["TMP900"]
    assert DEFAULT_CODES == {"TMP001", "TMP002", "TMP003", "TMP004", "TMP005", "TMP006"}
    for rule in RULES.values():
        assert rule.bad and rule.good and rule.why and rule.what and rule.fix_safety
        assert rule.fix in {"safe", "unsafe", "none"}


@pytest.mark.parametrize("code", list(RULES))
def test_rule_doc_has_ruff_sections(code):
    doc = RULES[code].doc()
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety"):
        assert heading in doc
    assert RULES[code].bad[0].strip().splitlines()[0] in doc
