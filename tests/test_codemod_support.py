"""Helpers for the codemod tests: before/after fixture pairs and their inline markers.

A pair is ``tests/fixtures/codemod/<case>.before.py`` and ``<case>.after.py``. The before file may
carry header lines:

* ``# tmplint-config: <toml line>`` — ``[tool.tmplint]`` settings (as the detector fixtures);
* ``# tmplint-fix: --unsafe-fixes --add-noqa`` — ``tmplint fix`` options;

and markers on a site's first line:

* ``# left: <text>`` — the site is left unfixed, with a reason containing ``<text>``;
* ``# note: <text>`` — the site is fixed, and the summary notes its lifetime (``<text>``).

Every left site and every note must be marked, and every marker must match.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Tuple

import libcst as cst
import pytest
from libcst.metadata import CodePosition, CodeRange, MetadataWrapper, ParentNodeProvider, PositionProvider

from tmplint.codemods.api import FixResult, fix_bytes, restore_roundtrip_losses
from tmplint.codemods.noqa import noqa_comment
from tmplint.codemods.parents import FastParentProvider, StatementParents
from tmplint.codemods.positions import ModulePositions, UsedNames
from tmplint.codemods.scopes import skippable_bodies, spanned_nodes
from tmplint.codemods.signatures import ArgumentError, bind
from tmplint.detector import check_bytes
from tmplint.sources import split_lines
from tmplint.config import Config

from tests.conftest import FIXTURES, fixture_config

CODEMOD_FIXTURES = FIXTURES / "codemod"
_OPTIONS = re.compile(r"^# tmplint-fix: (.*)$", re.MULTILINE)
_MARKER = re.compile(r"# (left|note): ([^#]+)")


def cases() -> List[Path]:
    return sorted(CODEMOD_FIXTURES.glob("*.before.py"))


def after_path(before: Path) -> Path:
    return before.with_name(before.name[: -len(".before.py")] + ".after.py")


def fix_options(path: Path) -> Dict[str, bool]:
    words = " ".join(_OPTIONS.findall(path.read_text(encoding="utf-8"))).split()
    return {"unsafe_fixes": "--unsafe-fixes" in words, "add_noqa": "--add-noqa" in words}


def run_case(before: Path, data: bytes = None, **options) -> FixResult:
    config = fixture_config(before)
    return fix_bytes(before.read_bytes() if data is None else data, config, path=str(before), **fix_options(before),
                     **options)


def markers(path: Path) -> Dict[str, Dict[int, List[str]]]:
    found: Dict[str, Dict[int, List[str]]] = {"left": {}, "note": {}}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        for kind, text in _MARKER.findall(line):
            found[kind].setdefault(number, []).append(text.strip())
    return found


def outcome_lines(result: FixResult) -> Dict[str, Dict[int, List[str]]]:
    report = result.report
    out: Dict[str, Dict[int, List[str]]] = {"left": {}, "note": {}}
    for kind, outcomes in (("left", report.left), ("note", report.notes)):
        for outcome in outcomes:
            out[kind].setdefault(outcome.line, []).append(f"{outcome.code} {outcome.message}")
    return out


def marker_mismatches(before: Path, result: FixResult) -> List[Tuple[str, int, str]]:
    expected = markers(before)
    actual = outcome_lines(result)
    problems = []
    for kind in ("left", "note"):
        for line in sorted(set(expected[kind]) | set(actual[kind])):
            wanted = expected[kind].get(line, [])
            got = actual[kind].get(line, [])
            if not wanted or not got:
                problems.append((kind, line, f"expected {wanted!r}, got {got!r}"))
                continue
            for text in wanted:
                if not any(text in message for message in got):
                    problems.append((kind, line, f"{text!r} not in {got!r}"))
    return problems


# --------------------------------------------------------------------------- unit tests of the small modules


@pytest.mark.parametrize("existing, codes, expected", [
    (None, ["TMP002"], "# noqa: TMP002"),
    (None, ["TMP006", "TMP001"], "# noqa: TMP001,TMP006"),
    ("# noqa: E501", ["TMP002"], "# noqa: E501,TMP002"),
    ("# noqa: E501, W291", ["TMP002"], "# noqa: E501, W291, TMP002"),
    ("# noqa:E501  why", ["TMP002"], "# noqa:E501,TMP002  why"),
    ("# noqa", ["TMP002"], "# noqa"),
    ("# noqa: TMP", ["TMP002"], "# noqa: TMP"),
    ("# noqa: TMP002", ["TMP002"], "# noqa: TMP002"),
    ("# keep me", ["TMP003"], "# keep me  # noqa: TMP003"),
    ("# type: ignore", ["TMP003"], "# type: ignore  # noqa: TMP003"),
])
def test_noqa_comment_merges_like_flake8_reads_it(existing, codes, expected) -> None:
    assert noqa_comment(existing, codes) == expected


def test_findings_carry_character_columns() -> None:
    line = "é = 'ü'; x = tempfile.mkdtemp()"
    (finding,) = check_bytes(f"import tempfile\n{line}\n".encode(), "m.py", Config())
    assert (finding.col, finding.end_col) == (line.index("tempfile"), len(line))
    assert split_lines("a\r\nb\rc\nd\x0ce") == ["a", "b", "c", "d\x0ce"]
    assert split_lines("a\r\nb\rc\nd\x0ce", keepends=True) == ["a\r\n", "b\r", "c\n", "d\x0ce"]


def test_non_ascii_lines_are_located(tmp_path) -> None:
    source = "def f(job_id):\n    s = 'ümlaut'; d = tempfile.mkdtemp()  # é\n    return d, s\n"
    result = fix_bytes("import tempfile\n" + source)
    assert "d = make_temp_dir(job_id)" in result.data.decode()


def test_fast_parent_provider_matches_libcst() -> None:
    module = cst.parse_module((FIXTURES / "codemod" / "with_multiple_items.before.py").read_text())
    wrapper = MetadataWrapper(module)
    ours, theirs = wrapper.resolve(FastParentProvider), wrapper.resolve(ParentNodeProvider)
    assert dict(ours) == dict(theirs)


#: top-level classes (their body statements are computed one by one): decorated, nested, with
#: comments after the last method, tab-indented, a one-line body
CLASSES = (b"import tempfile\n\n@deco\nclass T(Base, metaclass=M):\n    \"doc\"\n    x = 1\n\n"
           b"    @staticmethod\n    def f(a=tempfile.mkdtemp()):\n        return a  # keep\n\n"
           b"    class Inner:\n        def g(self):\n            pass\n    # after the last method\n\n"
           b"class U:\n\tdef h(self):\n\t\treturn self\nclass V: pass\n# module footer\n")


def _statement_by_statement(module: cst.Module, order) -> dict:
    """Every range ``ModulePositions`` gives, asked one top-level statement at a time (``order``:
    the statement indexes), then the rest of the module; with what it asked a node about first."""
    positions = ModulePositions(module)
    ranges = {}
    for index in order(len(positions.statements)):
        ranges.update(positions.statement(index))
    return {**ranges, **{node: positions[node] for node in positions}}


@pytest.mark.parametrize("before", sorted(CODEMOD_FIXTURES.glob("*.before.py")), ids=lambda p: p.name)
def test_module_positions_match_libcst(before) -> None:
    module = cst.parse_module(before.read_bytes())
    theirs = dict(MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider))
    # last statement first: each one's ranges, computed alone, are libcst's
    assert _statement_by_statement(module, lambda count: reversed(range(count))) == theirs
    # node by node, each looked up from nothing computed, in reverse
    positions = ModulePositions(module)
    assert {node: positions[node] for node in reversed(list(theirs))} == theirs
    assert ModulePositions(module).text == module.code


@pytest.mark.parametrize("source", [
    b"import tempfile\r\nx = (tempfile.mkdtemp(),\r\n     1)\r\n",
    b"if x:\n\tpath = '/tmp/a' \\\n\t\t+ 'b'\n",
    b"\x0c\n@deco(\n    1)\nclass C:\n    s = '\'\'a\nb\'\''; t = f'{x!r:>{w}}'\n",
    b"# no line break at the end\ny = [a for a in b if a]",
    b"# header\n\nimport os\n\n\n@a\n# between\n@b(\n  1)\n\ndef f(x,\n      y):\n    return x\n    # footer of f\n"
    b"x = 1; y = 2\nclass C: pass\n# module footer\n",
    CLASSES,
], ids=["crlf", "tabs-continuation", "formfeed-decorator-strings", "no-final-newline", "decorators-and-footers",
        "classes"])
def test_module_positions_match_libcst_on_unusual_text(source) -> None:
    # every recorded range, syntactic or whitespace-inclusive, equals libcst's (CodeRange equality
    # compares the class too), whether computed statement by statement or up front while the
    # text is printed (the nodes ``codemods.scopes`` spans), and the printed text is the module's
    module = cst.parse_module(source)
    theirs = dict(MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider))
    ours = _statement_by_statement(module, range)
    assert ours == theirs
    assert all(type(where) is CodeRange and type(where.start) is CodePosition for where in ours.values())
    spanned = list(spanned_nodes(module))
    positions = ModulePositions(module, spanned)
    assert {node: positions.known(node) for node in spanned} == {node: theirs[node] for node in spanned}
    assert positions.text == source.decode()


def test_module_positions_compute_only_the_statements_asked_about() -> None:
    module = cst.parse_module(b"import os\n\ndef f():\n    return os.sep\n\nx = [1]\n")
    theirs = dict(MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider))
    positions = ModulePositions(module)
    call = module.body[1].body.body[0].body[0].value  # os.sep
    assert positions[call] == theirs[call]
    assert positions.statement_of(call) == 1
    assert positions.known(module.body[2]) is None and positions.known(module.body[0]) is None


def test_module_positions_compute_a_class_statement_alone() -> None:
    module = cst.parse_module(CLASSES)
    theirs = dict(MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider))
    positions = ModulePositions(module)
    method = module.body[1].body.body[2]  # T.f
    call = method.params.params[0].default  # tempfile.mkdtemp()
    assert positions[call] == theirs[call]
    index = positions.statement_of(call)
    assert positions.statements[index] is method and positions.owners[index] == 1
    assert positions.known(module.body[1]) is None and positions.known(module.body[1].body.body[3]) is None
    assert positions[module.body[1]] == theirs[module.body[1]]


@pytest.mark.parametrize("source", [
    CLASSES.decode(),
    "#!/usr/bin/env python\r\n# header\r\nimport os\r\n\r\nclass A:\r\n\tx = 1\r\n\r\ny = 2\r\n# footer\r\n",
    "import os\nx = 1  # no final newline",
    "x = 1\n\n\n# the footer\n\n",
])
def test_module_code_reuses_the_kept_statements_text(source) -> None:
    module = cst.parse_module(source)
    positions = ModulePositions(module)
    assert positions.code_of(module) == module.code == source
    body = list(module.body)
    changed = body[0].with_changes(leading_lines=[cst.EmptyLine(comment=cst.Comment("# new"))])
    added = cst.parse_statement("import sys\n")
    for new_body in ([changed, *body[1:]], [added, *body], [*body[:-1], added, body[-1]], [*body[:1], added], []):
        rewritten = module.with_changes(body=new_body)
        assert positions.code_of(rewritten) == rewritten.code
    footer = module.with_changes(footer=[*module.footer, cst.EmptyLine(comment=cst.Comment("# end"))])
    assert positions.code_of(footer) == footer.code


SCOPE_SOURCE = """\
\'\'\'Spells self, as a comment or a docstring can: not a module-level name.\'\'\'
import tempfile
from os import *  # binds nothing this can name: every word of the line counts
if True:
    import shutil as sh
try:
    pass
except OSError as err:
    pass


def site(self):
    return tempfile.mkdtemp(dir=path), sh, err, pkg, self


def uses_self(self):  # `self` is in the site's text, but bound nowhere at module level
    return self


def uses_tempfile():
    return tempfile


def uses_sh():
    return sh.rmtree


def uses_err():
    return err


@deco(pkg := 1)
def uses_pkg():
    return pkg


def binds_path():
    global path
    path = 1


def uses_path():
    return path


class Holder:
    def method(self):
        return tempfile
"""


@pytest.mark.parametrize("every_reference, expected", [
    # imports may be kept: every reference of a module-level name the site spells is needed
    (True, {"uses_self"}),
    # else only the bodies that bind module-level names (``global``) are analyzed
    (False, {"uses_self", "uses_tempfile", "uses_sh", "uses_err", "uses_pkg", "uses_path", "method"}),
])
def test_skipped_bodies_are_those_spelling_no_module_level_name_of_a_site(every_reference, expected) -> None:
    module = cst.parse_module(SCOPE_SOURCE)
    positions = ModulePositions(module, spanned_nodes(module))
    site_line = SCOPE_SOURCE.splitlines().index("    return tempfile.mkdtemp(dir=path), sh, err, pkg, self") + 1
    skipped = skippable_bodies(module, positions, split_lines(positions.text), [(site_line, site_line)], (),
                               every_reference=every_reference)
    functions = {node.name.value: node for node in module.body if isinstance(node, cst.FunctionDef)}
    functions["method"] = module.body[-1].body.body[0]
    assert {name for name, node in functions.items() if id(node) in skipped} == expected


def test_used_names_are_the_names_the_module_spells() -> None:
    module = cst.parse_module(b"import tempfile as tf  # path\ns = 'tmp_dir'\ndef f(a, *, b=tf):\n    return a.c\n")
    names = UsedNames(ModulePositions(module))
    spelled = {node.value for node in MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
               if isinstance(node, cst.Name)}
    assert set(names) == spelled == {"tempfile", "tf", "s", "f", "a", "b", "c"}
    assert [word in names for word in ("tf", "c", "path", "tmp_dir", "tempf", "return")] == \
        [True, True, False, False, False, False]
    assert {"a", "x"} & names == {"a"}


@pytest.mark.parametrize("name", ["with_multiple_items", "import_future_and_docstring", "cleanup_added", "classes"])
def test_statement_parents_match_libcst(name) -> None:
    # asked node by node, in reverse (the last statement first, then the module's header lines)
    source = CLASSES if name == "classes" else (FIXTURES / "codemod" / f"{name}.before.py").read_bytes()
    module = cst.parse_module(source)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    theirs = wrapper.resolve(ParentNodeProvider)
    parents = StatementParents(module, ModulePositions(module),
                               lambda: wrapper.resolve(FastParentProvider))
    assert {node: parents.get(node) for node in reversed(list(theirs))} == dict(theirs)
    assert parents.get(module) is None


@pytest.mark.parametrize("call, function, expected", [
    ("NamedTemporaryFile('w')", "NamedTemporaryFile", {"mode": 0}),
    ("NamedTemporaryFile('w', -1, None, None, '.x', 'p', None, False)", "NamedTemporaryFile",
     {"mode": 0, "buffering": 1, "encoding": 2, "newline": 3, "suffix": 4, "prefix": 5, "dir": 6, "delete": 7}),
    ("SpooledTemporaryFile(10, 'w+')", "SpooledTemporaryFile", {"max_size": 0, "mode": 1}),
    ("mkstemp('.x', text=True)", "mkstemp", {"suffix": 0, "text": 1}),
    ("NamedTemporaryFile(delete_on_close=False)", "NamedTemporaryFile", {"delete_on_close": 0}),
])
def test_arguments_bind_by_position_and_keyword(call, function, expected) -> None:
    node = cst.parse_expression(call)
    assert bind(node, function).indices == expected


@pytest.mark.parametrize("call, function, reason", [
    ("mkstemp(*a)", "mkstemp", "*args"),
    ("mkstemp(**k)", "mkstemp", "**kwargs"),
    ("mkdtemp(1, 2, 3, 4)", "mkdtemp", "too many positional"),
    ("mkdtemp(mode='w')", "mkdtemp", "no argument 'mode'"),
    ("mkdtemp('.x', suffix='.y')", "mkdtemp", "given twice"),
    ("TemporaryFile(delete_on_close=True)", "TemporaryFile", "no argument"),
])
def test_arguments_that_cannot_be_mapped(call, function, reason) -> None:
    with pytest.raises(ArgumentError, match=re.escape(reason)):
        bind(cst.parse_expression(call), function)


def test_roundtrip_losses_are_restored_outside_the_edits() -> None:
    original = b"try:\n    x()\nexcept OSError :\n    pass\ny = 1\n"
    roundtrip = b"try:\n    x()\nexcept OSError:\n    pass\ny = 1\n"
    new = b"import z\ntry:\n    x()\nexcept OSError:\n    pass\ny = 2\n"
    expected = b"import z\ntry:\n    x()\nexcept OSError :\n    pass\ny = 2\n"
    assert restore_roundtrip_losses(original, roundtrip, new) == expected


def test_libcst_roundtrip_bug_does_not_leak_into_the_output() -> None:
    source = (b"import tempfile\n\n\ndef f(job_id):\n    try:\n        pass\n    except OSError :\n        pass\n"
              b"    return tempfile.mktemp()\n")
    result = fix_bytes(source, Config())
    assert b"    except OSError :\n" in result.data
    assert b"get_temp_path(job_id)" in result.data
    untouched = b"import tempfile\ntry:\n    pass\nexcept OSError :\n    pass\nx = tempfile.mkdtemp\n"
    assert fix_bytes(untouched, Config()).data == untouched


def test_noqa_goes_where_flake8_reads_it() -> None:
    from tmplint.codemods.noqa import add_noqa_comments
    from tmplint.detector import check_bytes as detect

    text = (
        "import tempfile\n"
        "a = tempfile.mkstemp(\n"       # parenthesized: the comment belongs on the site's own line
        "    *x)\n"
        "b = tempfile.mkdtemp(*x, suffix='''s\n"
        "''')\n"                         # a multi-line string: on the line where the string ends
        "c = tempfile.mktemp(*x)  # noqa:E501\n"
    )
    new, changed = add_noqa_comments(text, detect(text.encode(), "t.py", Config()))
    assert changed == 3
    assert new.splitlines()[1] == "a = tempfile.mkstemp(  # noqa: TMP002"
    assert new.splitlines()[4] == "''')  # noqa: TMP003"
    assert new.splitlines()[5] == "c = tempfile.mktemp(*x)  # noqa:E501,TMP004"
    assert detect(new.encode(), "t.py", Config()) == []


def test_cached_matcher_scan_gives_each_visitor_libcst_matchers() -> None:
    import libcst.matchers as m
    from libcst.matchers import _visitors

    import tmplint.codemods.base  # noqa: F401  (installs the speedups)

    class NamesInDefs(m.MatcherDecoratableVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.found: List[str] = []

        @m.call_if_inside(m.FunctionDef())
        def visit_Name(self, node: cst.Name) -> None:
            self.found.append(node.value)

    module = cst.parse_module("a = b\ndef f(c):\n    return d\n")
    first, second = NamesInDefs(), NamesInDefs()  # the second scan comes from the cache
    module.visit(first)
    module.visit(second)
    assert first.found == second.found == ["f", "c", "d"]
    assert _visitors._gather_matchers(NamesInDefs()) == _visitors._gather_matchers.__wrapped__(NamesInDefs())


def test_cached_visitor_methods_are_each_providers_own() -> None:
    from libcst._batched_visitor import BatchableCSTVisitor
    from libcst.metadata import ExpressionContextProvider, QualifiedNameProvider, ScopeProvider

    import tmplint.codemods.base  # noqa: F401  (installs the speedups)

    for provider in (ScopeProvider, QualifiedNameProvider, ExpressionContextProvider):
        first, second = provider(), provider()  # the second one's names come from the cache
        first.get_visitors()
        methods = second.get_visitors()
        assert methods == BatchableCSTVisitor.get_visitors.__wrapped__(second)
        assert all(method.__self__ is second for method in methods.values())
    module = cst.parse_module("import os\ndef f(a):\n    return os.path.join(a)\n")
    for _ in range(2):
        scopes = MetadataWrapper(module).resolve(ScopeProvider)
        assert {type(scope).__name__ for scope in scopes.values() if scope is not None} == {
            "GlobalScope", "FunctionScope"}


def test_a_rewrite_leaves_no_part_of_the_tree_to_the_cycle_collector() -> None:
    # libcst's scopes refer to one another and to the nodes: once emptied (release_scopes), the
    # trees are freed by reference counting, not by a walk of the cycle collector after each file
    import gc

    source = ("import os\nimport tempfile\n\n\nclass Jobs:\n    def setUp(self):\n        self.n = len(os.sep)\n\n"
              "    def work(self, job_id):\n        return len(tempfile.mkdtemp())\n\n\n"
              "def unused():\n    import tempfile\n    return super, print\n")
    config = Config(workflow_id_fallback="'w'")
    fix_bytes(source, config, unsafe_fixes=True)  # what is made once per process (caches) is made now
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        assert fix_bytes(source, config, unsafe_fixes=True).changed
        gc.collect()
        left = [type(obj).__name__ for obj in gc.garbage if isinstance(obj, cst.CSTNode)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert left == []
