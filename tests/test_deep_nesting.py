"""Python's own limits are not tmplint's: code CPython compiles, however deeply nested, is checked
and fixed like any other (the per-file work runs with a deep stack, ``tmplint.pool.with_deep_stack``),
in ``tmplint check``, ``tmplint fix`` and in flake8's process."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import HELPER, write_project


def concatenation(terms: int) -> str:
    chain = " + ".join(['"a"'] * terms)
    return f"import tempfile\n\n\ndef f(workflow_id):\n    x = {chain}\n    path = tempfile.mkdtemp()\n    return x, path\n"


def elif_chain(branches: int) -> str:
    lines = ["import tempfile", "", "", "def g(workflow_id, n):", "    if n == 0:", "        r = 0"]
    for i in range(1, branches):
        lines += [f"    elif n == {i}:", f"        r = {i}"]
    lines += ["    else:", "        r = tempfile.mkdtemp()", "    return r", ""]
    return "\n".join(lines)


def nested_calls(depth: int) -> str:
    return ("import tempfile\n\n\ndef h(workflow_id, f):\n    return "
            + "f(" * depth + "tempfile.mkdtemp()" + ")" * depth + "\n")


def nested_blocks(depth: int) -> str:
    lines = ["import tempfile", "", "", "def k(workflow_id, x):"]
    for level in range(depth):
        lines.append("    " * (level + 1) + f"if x > {level}:")
    lines += ["    " * (depth + 1) + "return tempfile.mkdtemp()", "    return None", ""]
    return "\n".join(lines)


#: file name -> source, each with one site, each compiled by every CPython the package supports
FILES = {
    "concatenation.py": concatenation(1000),
    "elif_chain.py": elif_chain(600),
    "nested_calls.py": nested_calls(180),
    "nested_blocks.py": nested_blocks(90),
}


@pytest.fixture
def project(tmp_path):
    root = write_project(tmp_path / "project", {**HELPER, **FILES})
    for name, source in FILES.items():
        compile(source, name, "exec")  # CPython compiles it: tmplint must handle it
    return root


def site_line(source: str) -> int:
    return next(number for number, line in enumerate(source.splitlines(), 1) if "tempfile.mkdtemp()" in line)


def tmplint(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tmplint", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=1800)


def test_check_reports_the_sites_of_deeply_nested_files(project):
    result = tmplint("check", "--no-cache", ".", cwd=project)
    assert result.stderr.splitlines() == [f"Found {len(FILES)} findings ({len(FILES)} fixable with tmplint fix)."]
    assert result.returncode == 1
    found = {line.split(":")[0]: int(line.split(":")[1]) for line in result.stdout.splitlines()}
    assert found == {name: site_line(source) for name, source in FILES.items()}


def test_fix_rewrites_the_sites_of_deeply_nested_files(project):
    """Each site is rewritten, or (only where the interpreter's own limit stops libcst: 3.12
    counts C-level recursion against a fixed limit that no stack size lifts) the file is named in
    a one-line error and its site listed as left, without a traceback."""
    result = tmplint("fix", ".", cwd=project)
    assert "Traceback" not in result.stderr, result.stderr
    left = []
    for name in FILES:
        rewritten = (project / name).read_text()
        if rewritten == FILES[name]:
            left.append(name)
            assert f"{name}: error: " in result.stderr and f"  {name}:{site_line(FILES[name])}:" in result.stderr
            continue
        assert "tempfile.mkdtemp()" not in rewritten and "make_temp_dir(workflow_id)" in rewritten, name
        compile(rewritten, name, "exec")
    if sys.version_info[:2] != (3, 12):
        assert left == [], result.stderr
    assert result.returncode == (2 if left else 0), result.stderr


def test_flake8_reports_the_sites_of_deeply_nested_files(project):
    """flake8 runs the plugin in its own process (with its default recursion limit). pyflakes,
    which flake8 always runs, fails on the deepest two files itself, so those go through the
    plugin as flake8 calls it, in a fresh process; the others through flake8 itself."""
    result = subprocess.run([sys.executable, "-m", "flake8", "--select", "TMP", "nested_calls.py", "nested_blocks.py"],
                            cwd=project, capture_output=True, text=True, timeout=600)
    assert result.returncode == 1, result.stderr
    assert sorted(line.split(":")[:2] for line in result.stdout.splitlines()) == sorted(
        [name, str(site_line(FILES[name]))] for name in ("nested_blocks.py", "nested_calls.py"))
    plugin = textwrap.dedent("""
        import ast, sys
        from tmplint.flake8_plugin import TmplintChecker
        for name in sys.argv[1:]:
            with open(name) as handle:
                lines = handle.readlines()
            for line, col, message, _ in TmplintChecker(ast.parse("".join(lines)), lines, name).run():
                print(f"{name}:{line}:{message.split()[0]}")
    """)
    result = subprocess.run([sys.executable, "-c", plugin, "concatenation.py", "elif_chain.py"], cwd=project,
                            capture_output=True, text=True, timeout=600)
    assert result.stderr == ""
    assert result.stdout.splitlines() == [f"{name}:{site_line(FILES[name])}:TMP003"
                                          for name in ("concatenation.py", "elif_chain.py")]
