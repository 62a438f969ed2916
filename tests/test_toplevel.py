"""``statement_starts`` finds top-level statement starts without parsing, and never a wrong one.

The detector parses only the groups of top-level statements it looks at; a boundary inside a
statement (in a string, in brackets, after a continuation, before an ``else``) would hand the
parser text out of context. So the groups of real modules are parsed one by one and compared
with the whole module's tree, and a table pins the cases the lexer has to get right.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import List, Optional

import pytest

from tests.test_prefilter import _stdlib_sample
from tmplint import detector, toplevel
from tmplint.config import Config
from tmplint.detector import DetectorError, detect_bytes
from tmplint.toplevel import _fields_are_plain, class_body_starts, names_are_ascii, statement_starts, universal_newlines


def first_lines(source: str) -> Optional[List[int]]:
    starts = statement_starts(source)
    return None if starts is None else [source.count("\n", 0, start) + 1 for start in starts]


def groups_tree(source: str, starts: List[int]) -> ast.Module:
    """The module rebuilt from its groups, each parsed on its own (padded to its lines)."""
    body = []
    for start, end in zip(starts, starts[1:] + [len(source)]):
        body += ast.parse("\n" * source.count("\n", 0, start) + source[start:end]).body
    return ast.Module(body=body, type_ignores=[])


@pytest.mark.parametrize(
    "source, expected",
    [
        ("import a\nx = 1\n", [1, 2]),
        # code at column 0 inside a string is not a statement
        ('"""\nimport tempfile\ntempfile.mktemp()\n"""\nx = 1\n', [1, 5]),
        ("x = '''\ny = 1\n''' + '''\nz = 2\n'''\nw = 3\n", [1, 6]),
        # nor in brackets, nor after a backslash continuation
        ("x = [\n1,\n]\ny = 2\n", [1, 4]),
        ("x = f(a,\nb)\ny = {\n'k': (1,\n2)}\nz = 3\n", [1, 3, 6]),
        ("x = 1 + \\\n2\ny = 3\n", [1, 3]),
        # a backslash in a comment continues nothing
        ("x = 1  # \\\ny = 2\n", [1, 2]),
        # brackets, quotes and '#' in strings and comments do not count
        ("x = '(['  # )'\ny = \"#\"\nz = 1\n", [1, 2, 3]),
        ("# it's (\nx = 1\n", [1, 2]),
        ("x = 'a\\'b'\ny = r'\\''\nz = 1\n", [1, 2, 3]),
        ("x = 'a\\\nb'\ny = 1\n", [1, 3]),
        # a decorated definition is one group with its decorators
        ("@dec\n@dec2(\na)\ndef f():\n    pass\nz = 1\n", [1, 6]),
        # clauses belong to their statement
        ("if a:\n    pass\nelif b:\n    pass\nelse:\n    pass\nx = 1\n", [1, 7]),
        ("try:\n    pass\nexcept E:\n    pass\nfinally:\n    pass\nx = 1\n", [1, 7]),
        pytest.param("try:\n    pass\nexcept* E:\n    pass\nelsewhere = 1\n", [1, 5],
                     marks=pytest.mark.skipif(sys.version_info < (3, 11), reason="except* is Python 3.11+ syntax")),
        # indented, blank and comment lines start nothing
        ("def f():\n    x = 1\n\n    # c\n    return x\n\n\nclass C:\n    pass\n", [1, 8]),
        # a file the lexer cannot read: an unterminated string
        ("x = 'abc\ny = 1\n", None),
        ("x = '''abc\ny = 1\n", None),
        ('x = """abc\'\'\'\ny = 1\n', None),
    ],
)
def test_statement_starts(source, expected):
    assert first_lines(source) == expected
    if expected is not None:
        assert ast.dump(groups_tree(source, statement_starts(source)), include_attributes=True) == ast.dump(
            ast.parse(source), include_attributes=True
        )


@pytest.mark.parametrize(
    "lexeme, plain",
    [
        ('f"{x}"', True),
        ('f"{x!r:>{width}}"', True),
        ('f"{{literal}} {x}"', True),
        ("f'''{x}\n{y}'''", True),
        ('f"{d[\'k\']}"', True),  # a string in a field, with the other quote
        ('f"{d[\'}\']}"', True),  # a brace in it closes nothing
        ('f"{d[\'a\\\'b\']}"', False),  # a backslash in a field
        ('f"{d[\'k]}"', False),  # the string does not end in the field
        ('f"{d[\'k\']"', False),
        ('f"{x:#x} {y:\'>10}"', True),  # a format spec is text
        ('f"{x:{w}.{p}}"', True),
        ('f"{x[1:2]:>{w}}"', True),
        ('f"{ {\'a\': 1}[\'a\'] }"', True),
        ('f"{a # c}"', False),
        ('f"{a\\n}"', False),
        ('f"{x"', False),  # the field is still open where the regex saw the string end
        ('f"{d["', False),  # on 3.12+ f"{d["k"]}": the regex saw the end at the inner quote
        ('f"{x)}"', False),
        ('f"}"', False),
    ],
)
def test_fstring_fields_the_string_regex_can_follow(lexeme, plain):
    assert _fields_are_plain(lexeme) is plain


@pytest.mark.parametrize("fields_are_code", [False, True])
def test_fstrings_the_regex_cannot_follow_on_312_are_parsed_whole(monkeypatch, request, fields_are_code):
    # on 3.12+ this is one f-string (PEP 701); before, the regex's reading is the tokenizer's
    monkeypatch.setattr(toplevel, "_FIELDS_ARE_CODE", fields_are_code)
    # the cached views were lexed with the running Python's setting, and those of this test must go
    toplevel.lexer_view.cache_clear()
    request.addfinalizer(toplevel.lexer_view.cache_clear)
    assert first_lines('x = f"{d["k"]}"\ny = 1\n') == (None if fields_are_code else [1, 2])
    assert first_lines('x = f"{d}" rf"{e:>{w}}"\ny = 1\n') == [1, 2]
    assert first_lines('x = "{d["\ny = 1\n') == [1, 2]  # not an f-string


def test_stdlib_groups_parse_to_the_same_tree():
    compared = 0
    for path in _stdlib_sample():
        try:
            source = detector.decode_source(Path(path).read_bytes(), path)
            whole = ast.dump(ast.parse(source), include_attributes=True)
        except (DetectorError, SyntaxError, ValueError):
            continue
        source = universal_newlines(source)
        starts = statement_starts(source)
        if starts is None:
            continue
        assert ast.dump(groups_tree(source, starts), include_attributes=True) == whole, path
        compared += 1
    assert compared > 150


# --------------------------------------------------------------------------- class bodies


def class_parts(source: str, start: int, end: int, body: List[int]) -> List[ast.stmt]:
    """The class's statements rebuilt from its body groups, each parsed on its own after the
    header (padded to its lines), as the detector parses them."""
    statements = []
    header = "\n" * source.count("\n", 0, start) + source[start:body[0]]
    for part_start, part_end in zip(body, body[1:] + [end]):
        snippet = header + "\n" * source.count("\n", body[0], part_start) + source[part_start:part_end]
        statements += ast.parse(snippet).body[0].body
    return statements


@pytest.mark.parametrize(
    "source, expected",
    [
        ("class C:\n    x = 1\n    y = 2\n", [2, 3]),
        # decorators, of the class and of its methods; the header may span lines
        ("@dec\nclass C(\n    Base,\n):\n    @prop\n    def f(self):\n        pass\n    z = 1\n", [5, 8]),
        # clauses, brackets, strings, continuations and comments in the body, as at the top level
        ("class C:\n    '''doc\nx = 1\n    y = 1'''\n    if a:\n        pass\n    else:\n        pass\n"
         "    t = (1,\n    2)\n    u = 1 + \\\n    2\n    # c\n    v = 1\n", [2, 5, 9, 11, 14]),
        ("class C:\n\tx = 1\n\n\tdef f(self):\n\t\treturn 1\n", [2, 4]),
        # no body on lines of its own, or no class
        ("class C: pass\n", None),
        ("class C: x = 1; y = 2\n", None),
        ("def f():\n    x = 1\n", None),
        ("@dec\ndef f():\n    x = 1\n", None),
        ("classy = 1\n", None),
    ],
)
def test_class_body_starts(source, expected):
    body = class_body_starts(source, 0, len(source))
    assert (None if body is None else [source.count("\n", 0, start) + 1 for start in body]) == expected
    if body is not None:
        whole = ast.parse(source).body[0].body
        assert [ast.dump(s, include_attributes=True) for s in class_parts(source, 0, len(source), body)] == [
            ast.dump(s, include_attributes=True) for s in whole
        ]


def test_stdlib_class_bodies_parse_to_the_same_statements():
    compared = 0
    for path in _stdlib_sample():
        try:
            source = universal_newlines(detector.decode_source(Path(path).read_bytes(), path))
            tree = ast.parse(source)
        except (DetectorError, SyntaxError, ValueError):
            continue
        starts = statement_starts(source)
        if starts is None:
            continue
        ends = starts[1:] + [len(source)]
        groups = {source.count("\n", 0, start) + 1: (start, end) for start, end in zip(starts, ends)}
        for node in tree.body:
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            start, end = groups.get(first, (None, None))
            if start is None or not isinstance(node, ast.ClassDef):
                continue
            body = class_body_starts(source, start, end)
            if body is None:
                continue
            assert [ast.dump(s, include_attributes=True) for s in class_parts(source, start, end, body)] == [
                ast.dump(s, include_attributes=True) for s in node.body
            ], path
            compared += 1
    assert compared > 300


@pytest.mark.parametrize(
    "source, ascii_names",
    [
        ("x = 'café'  # déjà\n", True),
        ("x = f'café {y}'\n", False),  # a field may hold a name
        ("ｔempfile = 1\n", False),
        ("x = 'é\n", False),  # the lexer cannot tell where the string ends
        ("x = 1\r\ny = '\u00e9'\r\n", True),
    ],
)
def test_names_are_ascii(source, ascii_names):
    assert names_are_ascii(source) is ascii_names


# --------------------------------------------------------------------------- in the detector

UNRELATED = "class Unrelated:\n    def method(self):\n        return [1, 2, 3]\n"


def parsed_snippets(monkeypatch) -> List[str]:
    snippets: List[str] = []
    original = detector.parse_source
    monkeypatch.setattr(detector, "parse_source", lambda text, path: snippets.append(text) or original(text, path))
    return snippets


def test_only_groups_with_a_tracked_name_are_parsed(monkeypatch):
    source = "import tempfile as tf\n" + UNRELATED + "def make():\n    return tf.mkdtemp()\n" + UNRELATED
    snippets = parsed_snippets(monkeypatch)
    findings = detect_bytes(source.encode(), "m.py", Config())
    assert [(f.line, f.code) for f in findings] == [(6, "TMP003")]
    assert snippets and not any("Unrelated" in snippet for snippet in snippets)
    assert detect_bytes(source.encode(), "m.py", Config(), skip_statements=False) == findings


def test_only_the_methods_with_a_tracked_name_are_parsed(monkeypatch):
    source = ('import tempfile\nclass Tests:\n    """unrelated"""\n    def unrelated(self):\n        return 1\n\n'
              "    def test(self):\n        return tempfile.mkdtemp()\n\n    def unrelated_too(self):\n        pass\n")
    snippets = parsed_snippets(monkeypatch)
    findings = detect_bytes(source.encode(), "m.py", Config())
    assert [(f.line, f.col, f.code) for f in findings] == [(8, 15, "TMP003")]
    assert snippets and not any("unrelated" in snippet for snippet in snippets)
    assert detect_bytes(source.encode(), "m.py", Config(), skip_statements=False) == findings


def test_non_ascii_text_in_strings_and_comments_still_narrows_the_parse(monkeypatch):
    source = "# é\nimport tempfile\n" + UNRELATED + "x = ('café', tempfile.mkdtemp())\n"
    snippets = parsed_snippets(monkeypatch)
    findings = detect_bytes(source.encode(), "m.py", Config())
    assert [(f.line, f.col, f.code) for f in findings] == [(6, 13, "TMP003")]
    assert snippets and not any("Unrelated" in snippet for snippet in snippets)
    assert detect_bytes(source.encode(), "m.py", Config(), skip_statements=False) == findings


@pytest.mark.parametrize("spelling", ["tempfile", "\uff54\uff45\uff4d\uff50file"], ids=["ascii", "nfkc"])
def test_non_ascii_names_still_narrow_the_parse(monkeypatch, spelling):
    """Python NFKC-normalizes identifiers: the lines naming a tracked name are found in the
    normalized text, however the name is spelled, and only their groups are parsed."""
    source = (f"import {spelling} as tf\nvalue\u00e9 = 1\n" + UNRELATED
              + "def make(\u00e9t\u00e9):\n    return tf.mkdtemp(), \uff54\uff46.mktemp()\n" + UNRELATED)
    snippets = parsed_snippets(monkeypatch)
    findings = detect_bytes(source.encode(), "m.py", Config())
    assert [(f.line, f.col, f.code) for f in findings] == [(7, 11, "TMP003"), (7, 25, "TMP004")]
    assert snippets and not any("Unrelated" in snippet for snippet in snippets)
    assert detect_bytes(source.encode(), "m.py", Config(), skip_statements=False) == findings


def test_syntax_error_outside_the_parsed_groups_is_not_reported():
    source = "import tempfile\nx = tempfile.mktemp()\ndef broken(:\n    pass\n"
    findings = detect_bytes(source.encode(), "m.py", Config())
    assert [(f.line, f.code) for f in findings] == [(2, "TMP004")]


def test_syntax_error_in_a_parsed_group_is_the_whole_files_error():
    source = "import tempfile\ndef f(:\n    return tempfile.mktemp()\nx = 1\n"
    with pytest.raises(DetectorError) as raised:
        detect_bytes(source.encode(), "m.py", Config())
    with pytest.raises(DetectorError) as whole:
        detect_bytes(source.encode(), "m.py", Config(), skip_statements=False)
    assert str(raised.value) == str(whole.value)
    assert "line 2" in str(raised.value)


@pytest.mark.parametrize("line_end", ["\r\n", "\r"])
def test_crlf_and_cr_sources_keep_their_line_numbers(line_end):
    source = line_end.join(["import tempfile", UNRELATED.replace("\n", line_end), "x = tempfile.mktemp()", ""])
    findings = detect_bytes(source.encode(), "m.py", Config())
    assert findings == detect_bytes(source.encode(), "m.py", Config(), skip_statements=False)
    assert [f.line for f in findings] == [6]
