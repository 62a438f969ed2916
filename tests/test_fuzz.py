"""Fuzzing: the detector never raises, the prefilter never changes its result, top-level statement
groups parse to the module, and ``fix`` output always parses and is idempotent.

Programs come from hypothesmith (arbitrary grammatical Python) with tempfile imports, calls, aliases
and temp-dir literals injected, and from a generator that combines the shapes the codemod rewrites
(creators in ``with`` blocks and assignments, ``delete=False``, ``dir=``, returns, nested functions,
lambdas, aliases, shadowing, literal paths, workflow ids from parameters and ``self``). Bounded
(``max_examples``, no deadline) so the whole file stays well under a minute.
"""
from __future__ import annotations

import ast
import warnings
from typing import Optional

import hypothesmith
import libcst
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from tmplint.codemods.api import fix_bytes

from tests.test_prefilter import reference_findings
from tests.test_toplevel import class_parts, groups_tree
from tmplint.config import Config
from tmplint.detector import DetectorError, check_bytes
from tmplint.toplevel import class_body_starts, statement_starts, universal_newlines

ALL_RULES = Config(select=("TMP001", "TMP002", "TMP003", "TMP004", "TMP005", "TMP006", "TMP007", "TMP008"))
FIX_CONFIGS = [
    Config(),
    Config(workflow_id_fallback="'fuzz'"),
    Config(workflow_id_fallback="get_current_workflow_id()", add_workflow_param=True),
]
SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

IMPORTS = [
    "import tempfile", "import tempfile as tf", "import os, tempfile",
    "from tempfile import mkstemp, mkdtemp, NamedTemporaryFile, TemporaryDirectory",
    "from tempfile import mkstemp as make, gettempdir as where", "from tempfile import *",
]
CALLS = [
    "tempfile.mkstemp()", "tempfile.mkdtemp(suffix='.d')", "tempfile.NamedTemporaryFile(delete=False)",
    "tempfile.TemporaryFile()", "tempfile.mktemp()", "tempfile.gettempdir()", "tempfile.SpooledTemporaryFile(10)",
    "tempfile.TemporaryDirectory()", "tempfile.mkstemp(dir='/tmp')", "tempfile.mkstemp(dir=tempfile.gettempdir())",
    "tempfile.mkstemp(*args)", "tempfile.NamedTemporaryFile(**kw)", "tempfile.tempdir",
    "tf.mkstemp('.x', 'p')", "make()", "where()", "mkdtemp()", "NamedTemporaryFile('w+', suffix='.json')",
    "'/tmp/x.json'", "f'/tmp/{name}'", "b'/var/tmp'", "os.path.join('/tmp', name)", "'/dev/shm'",
]


def detector_is_total(source: bytes, config: Config) -> None:
    """The detector returns findings or a DetectorError, whatever the input; the same as without
    its shortcuts (the prefilter, parsing and walking only the statements it looks at) for any
    program Python can parse. For one it cannot, the shortcuts may report the findings of the
    statements they look at instead of the error elsewhere (see ``tests/test_toplevel.py``)."""
    try:
        unfiltered: Optional[list] = reference_findings(source, "fuzz.py", config)
    except DetectorError:
        unfiltered = None
    try:
        filtered: Optional[list] = check_bytes(source, "fuzz.py", config)
    except DetectorError:
        filtered = None
    if unfiltered is not None:
        assert filtered == unfiltered


def fix_parses_and_is_idempotent(source: bytes, config: Config, unsafe_fixes: bool) -> None:
    try:
        first = fix_bytes(source, config, path="fuzz.py", unsafe_fixes=unsafe_fixes)
    except (libcst.ParserSyntaxError, DetectorError):
        return  # reported as an error for the file by tmplint fix, which leaves it alone
    if not first.changed:
        assert first.data == source
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ast.parse(first.data)
    second = fix_bytes(first.data, config, path="fuzz.py", unsafe_fixes=unsafe_fixes)
    assert second.data == first.data, "a second fix changed the output of the first"


def _compiles(source: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, "<fuzz>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


# --------------------------------------------------------------------------- hypothesmith


@st.composite
def injected(draw, base=hypothesmith.from_grammar()):
    """A hypothesmith program with tempfile imports and uses spliced in between its statements."""
    program = draw(base)
    lines = program.splitlines()
    top_level = [i for i, line in enumerate(lines) if line and not line[0].isspace()] + [len(lines)]
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(top_level))
        block = [draw(st.sampled_from(IMPORTS)),
                 "def injected(workflow_id, name='n', *args, **kw):",
                 f"    value = {draw(st.sampled_from(CALLS))}",
                 "    return value"]
        lines[where:where] = block
    return "\n".join(lines) + "\n"


@settings(max_examples=80, **SETTINGS)
@given(source=hypothesmith.from_grammar())
def test_detector_never_raises_on_arbitrary_programs(source):
    for config in (Config(), ALL_RULES):
        detector_is_total(source.encode("utf-8", "surrogatepass"), config)


@settings(max_examples=60, **SETTINGS)
@given(source=injected(), config=st.sampled_from(FIX_CONFIGS), unsafe=st.booleans())
def test_fix_on_arbitrary_programs_with_tempfile_injected(source, config, unsafe):
    assume(_compiles(source))
    data = source.encode("utf-8", "surrogatepass")
    detector_is_total(data, ALL_RULES)
    fix_parses_and_is_idempotent(data, config, unsafe)


# --------------------------------------------------------------------------- the codemod's shapes

names = st.sampled_from(["path", "p", "tmp", "f", "d", "out"])
creators = st.sampled_from([
    "{m}.mkstemp({a})", "{m}.mkdtemp({a})", "{m}.NamedTemporaryFile({a})", "{m}.NamedTemporaryFile(delete=False{c}{a})",
    "{m}.TemporaryFile({a})", "{m}.SpooledTemporaryFile({a})", "{m}.TemporaryDirectory({a})", "{m}.mktemp({a})",
    "{m}.gettempdir()",
])
arguments = st.sampled_from(["", "suffix='.json'", "'.x', 'pre'", "dir='/tmp'", "dir=somewhere", "prefix=name",
                             "mode='w'", "'w+b', -1, None, None, '.s'", "*rest", "suffix=S, **options", "dir=None"])


@st.composite
def statement(draw, indent: str) -> str:
    creator = draw(creators).format(m=draw(st.sampled_from(["tempfile", "tf"])), a=draw(arguments), c=", ")
    creator = creator.replace("(, ", "(").replace(", )", ")").replace("(delete=False, )", "(delete=False)")
    name = draw(names)
    shape = draw(st.integers(0, 11))
    body = f"{indent}    use({name})"
    if shape == 0:
        return f"{indent}with {creator} as {name}:\n{body}\n"
    if shape == 1:
        return f"{indent}{name} = {creator}\n{indent}use({name})\n"
    if shape == 2:
        return f"{indent}fd, {name} = {creator}\n{indent}os.close(fd)\n"
    if shape == 3:
        return f"{indent}return {creator}\n"
    if shape == 4:
        return f"{indent}{name} = {creator}\n{indent}try:\n{body}\n{indent}finally:\n{indent}    os.unlink({name})\n"
    if shape == 5:
        return f"{indent}keep.append({creator})\n"
    if shape == 6:
        return f"{indent}def inner():\n{indent}    return {creator}\n{indent}{name} = inner()\n"
    if shape == 7:
        return f"{indent}{name} = lambda: {creator}\n"
    if shape == 8:
        return f"{indent}{name} = [{creator} for _ in range(2)]\n"
    if shape == 9:
        literal = draw(st.sampled_from(["'/tmp/x.json'", "f'/tmp/{name}.log'", "'/var/tmp'", "b'/dev/shm/x'",
                                        "os.path.join('/tmp', name)", "'/tmpfoo'"]))
        return f"{indent}{name} = open({literal})\n"
    if shape == 10:
        return f"{indent}if {name}:\n{indent}    {name} = {creator}  # noqa: TMP00{draw(st.integers(1, 8))}\n"
    return f"{indent}self.{name} = {creator}\n"


@st.composite
def program(draw) -> str:
    imports = draw(st.lists(st.sampled_from(["import tempfile", "import tempfile as tf", "import os",
                                             "from tempfile import *", "import shutil"]), min_size=1, max_size=3))
    parts = ["\n".join(dict.fromkeys(imports + ["import os", "import tempfile", "import tempfile as tf"])) + "\n"]
    params = "name, somewhere, rest=(), S='', options={}, keep=[]"
    for index in range(draw(st.integers(1, 3))):
        kind = draw(st.integers(0, 4))
        indent = "        " if kind == 3 else "    "
        statements = "".join(draw(statement(indent)) for _ in range(draw(st.integers(1, 3))))
        if kind == 0:
            parts.append(f"def f{index}(workflow_id, {params}):\n{statements}")
        elif kind == 1:
            parts.append(f"def g{index}({params}):\n{statements}")
        elif kind == 2:
            parts.append(f"async def h{index}(job_id, {params}):\n{statements}")
        elif kind == 3:
            init = "    def __init__(self, workflow_id):\n        self.workflow_id = workflow_id\n\n"
            parts.append(f"class C{index}:\n{init}    def run(self, {params}):\n{statements}")
        else:
            shadow = draw(st.sampled_from(["", "    tempfile = None\n", "    global tempfile\n",
                                           "    import tempfile\n"]))
            parts.append(f"def k{index}(workflow_id, {params}):\n{shadow}{statements}")
    if draw(st.booleans()):
        parts.append(f"MODULE_LEVEL = {draw(creators).format(m='tempfile', a='', c='')}\n")
    return "\n\n".join(parts).replace("(, ", "(")


@settings(max_examples=100, **SETTINGS)
@given(source=program(), config=st.sampled_from(FIX_CONFIGS), unsafe=st.booleans(),
       line_ending=st.sampled_from(["\n", "\r\n"]), bom=st.booleans())
def test_fix_on_the_shapes_it_rewrites(source, config, unsafe, line_ending, bom):
    assume(_compiles(source))
    data = (b"\xef\xbb\xbf" if bom else b"") + source.replace("\n", line_ending).encode()
    detector_is_total(data, ALL_RULES)
    fix_parses_and_is_idempotent(data, config, unsafe)


def test_the_generated_programs_are_mostly_valid_and_have_findings():
    """Guard against a generator whose programs the tests throw away or that exercise nothing."""
    examples = []

    @settings(max_examples=40, **SETTINGS)
    @given(source=program())
    def collect(source):
        valid = _compiles(source)
        examples.append((valid, valid and bool(check_bytes(source.encode(), "g.py", ALL_RULES))))

    collect()
    assert sum(valid for valid, _ in examples) >= len(examples) * 0.8
    assert sum(found for _, found in examples) >= len(examples) * 0.8


# --------------------------------------------------------------------------- statement groups


@settings(max_examples=150, **SETTINGS)
@given(source=st.one_of(hypothesmith.from_grammar(), injected()))
def test_statement_groups_parse_to_the_module_on_arbitrary_programs(source):
    assume(_compiles(source))
    code = universal_newlines(source)
    starts = statement_starts(code)
    if starts is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            whole, groups = ast.parse(code), groups_tree(code, starts)
        assert ast.dump(groups, include_attributes=True) == ast.dump(whole, include_attributes=True)
        # a class's body groups, each parsed after its header, give its statements
        groups = {code.count("\n", 0, start) + 1: (start, end) for start, end in zip(starts, starts[1:] + [len(code)])}
        for node in whole.body:
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            start, end = groups.get(first, (None, None))
            body = class_body_starts(code, start, end) if start is not None else None
            if body is not None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    parts = class_parts(code, start, end, body)
                assert [ast.dump(s, include_attributes=True) for s in parts] == [
                    ast.dump(s, include_attributes=True) for s in node.body
                ]
