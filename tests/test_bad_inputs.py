"""The bad input matrix, each case through the real command line (``python -m tmplint check`` /
``fix``): a clear one-line ``path: error: ...`` on stderr per bad file, the rest of the run goes on,
nothing is written wrongly, and the exit codes are the documented ones (0 clean, 1 findings, 2 errors).

Valid but unusual files (a latin-1 cookie, a BOM, CRLF, an empty file, a 10 MB file, a directory
named ``x.py``) are no errors at all: they are checked and fixed like any other, keeping their
encoding and line endings.
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

from tests.conftest import HELPER, write_tree

GOOD = b"import tempfile\n\n\ndef export(workflow_id):\n    fd, path = tempfile.mkstemp()\n    return path\n"
GOOD_FINDING = "good.py:5:16: TMP002"


def tmplint(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "TMPLINT_CACHE_DIR": str(cwd / ".cache")}
    return subprocess.run([sys.executable, "-m", "tmplint", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool.tmplint]\n")
    (root / "good.py").write_bytes(GOOD)
    write_tree(root, HELPER)  # what the rewrites import
    return root


def only_summary(stderr: str) -> bool:
    """Whether ``tmplint check`` printed nothing on stderr but its closing summary line."""
    return stderr in ("All checks passed!\n",) or (stderr.startswith("Found ") and stderr.count("\n") == 1)


def error_lines(stderr: str, name: str) -> List[str]:
    return [line for line in stderr.splitlines() if line.startswith(f"{name}: error: ")]


def snapshot(root: Path) -> Dict[str, bytes]:
    files = {}
    for path in root.rglob("*"):
        if ".cache" in path.parts or not path.name.endswith(".py"):
            continue
        try:
            files[str(path.relative_to(root))] = path.read_bytes() if path.is_file() else b"<not a file>"
        except OSError:
            files[str(path.relative_to(root))] = b"<unreadable>"
    return files


# --------------------------------------------------------------------------- files with errors


def _unreadable(path: Path) -> None:
    """A file that cannot be read, also when the tests run as root (where mode 000 is no
    obstacle): a symlink to a procfs file that refuses reads even to root."""
    if os.geteuid() != 0:
        path.write_bytes(GOOD)
        path.chmod(0)
        return
    for target in ("/proc/sys/vm/compact_memory", "/proc/sys/vm/drop_caches_write_only", "/proc/self/mem"):
        if os.path.exists(target):
            try:
                with open(target, "rb") as handle:
                    handle.read(1)
            except OSError:
                path.symlink_to(target)
                return
    pytest.fail("found no way to make an unreadable file as root on this system")


def _symlink_loop(path: Path) -> None:
    other = path.with_name("loop_b.py")
    path.symlink_to(other.name)
    other.symlink_to(path.name)


def _fifo(path: Path) -> None:
    os.mkfifo(path)


ERROR_CASES: Dict[str, tuple] = {
    # name: (file name, bytes or a function making the file, what the error says)
    "syntax error": ("bad.py", b"import tempfile\ndef f(:\n    return tempfile.mkstemp()\n",
                     "cannot parse: SyntaxError"),
    "NUL bytes": ("bad.py", b"import tempfile\nx = tempfile.mkstemp()\x00\n", "cannot parse"),
    "invalid UTF-8": ("bad.py", b"import tempfile\nx = '\xff\xfe'\ny = tempfile.mkstemp()\n", "cannot decode source"),
    "unknown coding cookie": ("bad.py", b"# coding: klingon\nimport tempfile\n", "cannot decode source"),
    "deeply nested expression": ("bad.py", b"import tempfile\nx = tempfile.mkstemp()" + b" + 1" * 100_000 + b"\n",
                                 "too deeply nested"),
    "symlink loop": ("loop_a.py", _symlink_loop, "cannot read: Too many levels of symbolic links"),
    "unreadable file": ("bad.py", _unreadable, "cannot read:"),
    "FIFO named x.py": ("bad.py", _fifo, "not a regular file"),
}


def _make(root: Path, case: str) -> Path:
    name, content, _ = ERROR_CASES[case]
    path = root / name
    if callable(content):
        content(path)
    else:
        path.write_bytes(content)
    return path


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
@pytest.mark.parametrize("how", ["walked", "named"])
def test_check_reports_bad_file_and_goes_on(tmp_path, case, how):
    root = project(tmp_path)
    bad = _make(root, case)
    args = ["check", "."] if how == "walked" else ["check", bad.name, "good.py"]
    result = tmplint(*args, cwd=root)
    assert result.returncode == 2, result.stderr
    lines = error_lines(result.stderr, bad.name)
    assert len(lines) == 1 and ERROR_CASES[case][2] in lines[0], result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert GOOD_FINDING in result.stdout  # the rest of the run went on


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_fix_reports_bad_file_leaves_it_alone_and_fixes_the_rest(tmp_path, case):
    root = project(tmp_path)
    bad = _make(root, case)
    before = snapshot(root)
    result = tmplint("fix", ".", cwd=root)
    assert result.returncode == 2, result.stderr
    lines = error_lines(result.stderr, bad.name)
    assert len(lines) == 1 and ERROR_CASES[case][2] in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    after = snapshot(root)
    assert {k: v for k, v in after.items() if k != "good.py"} == {k: v for k, v in before.items() if k != "good.py"}
    fixed = (root / "good.py").read_bytes()
    assert fixed != GOOD and b"tempfile.mkstemp" not in fixed
    ast.parse(fixed)
    assert not list(root.rglob(".*.tmplint-*.tmp"))


def test_missing_path_is_an_error_and_the_rest_goes_on(tmp_path):
    root = project(tmp_path)
    for command in ("check", "fix"):
        result = tmplint(command, "missing.py", "gone/", "good.py", cwd=root)
        assert result.returncode == 2
        assert error_lines(result.stderr, "missing.py") == ["missing.py: error: no such file or directory"]
        assert len(error_lines(result.stderr, "gone")) == 1
    assert b"make_temp_file" in (root / "good.py").read_bytes()  # fix went on


def test_broken_symlink_is_an_error(tmp_path):
    root = project(tmp_path)
    (root / "dangling.py").symlink_to("nowhere.py")
    result = tmplint("check", ".", cwd=root)
    assert result.returncode == 2
    assert error_lines(result.stderr, "dangling.py") == ["dangling.py: error: cannot read: No such file or directory"]
    assert GOOD_FINDING in result.stdout


# --------------------------------------------------------------------------- unusual but valid files


def _check_and_fix(root: Path, name: str, expected_codes: List[str]) -> bytes:
    check = tmplint("check", name, cwd=root)
    codes = [line.split(": ")[1].split()[0] for line in check.stdout.splitlines()]
    assert codes == expected_codes and only_summary(check.stderr), check.stderr
    assert check.returncode == (1 if expected_codes else 0)
    fix = tmplint("fix", name, cwd=root)
    assert fix.returncode in (0, 1) and "error" not in fix.stderr.lower(), fix.stderr
    return (root / name).read_bytes()


def test_latin1_cookie(tmp_path):
    root = project(tmp_path)
    source = "# -*- coding: latin-1 -*-\nimport tempfile\n\n\ndef f(workflow_id):\n    s = 'caf\u00e9'\n" \
             "    return tempfile.mkstemp(), s\n"
    (root / "latin.py").write_bytes(source.encode("latin-1"))
    check = tmplint("check", "latin.py", cwd=root)
    assert check.stdout.startswith("latin.py:7:12: TMP002")
    fixed = _check_and_fix(root, "latin.py", ["TMP002"])
    assert b"caf\xe9" in fixed and fixed.startswith(b"# -*- coding: latin-1 -*-\n")
    assert "make_temp_file" in fixed.decode("latin-1")
    ast.parse(fixed)


def test_bom(tmp_path):
    root = project(tmp_path)
    (root / "bom.py").write_bytes(b"\xef\xbb\xbf" + GOOD)
    assert tmplint("check", "bom.py", cwd=root).stdout.startswith("bom.py:5:16: TMP002")
    fixed = _check_and_fix(root, "bom.py", ["TMP002"])
    assert fixed.startswith(b"\xef\xbb\xbf") and b"make_temp_file" in fixed
    ast.parse(fixed)


def test_crlf(tmp_path):
    root = project(tmp_path)
    (root / "crlf.py").write_bytes(GOOD.replace(b"\n", b"\r\n"))
    assert tmplint("check", "crlf.py", cwd=root).stdout.startswith("crlf.py:5:16: TMP002")
    fixed = _check_and_fix(root, "crlf.py", ["TMP002"])
    assert b"make_temp_file" in fixed
    assert fixed.count(b"\n") == fixed.count(b"\r\n")  # every line ending is still CRLF
    ast.parse(fixed)


def test_empty_file(tmp_path):
    root = project(tmp_path)
    (root / "empty.py").write_bytes(b"")
    assert _check_and_fix(root, "empty.py", []) == b""
    (root / "blank.py").write_bytes(b"\n\n   \n")
    assert _check_and_fix(root, "blank.py", []) == b"\n\n   \n"


def test_ten_megabyte_file(tmp_path):
    """A 10 MB module (generated data: one big string) is checked and fixed like any other."""
    root = project(tmp_path)
    line = b"x" * 99 + b"\n"
    tail = b'"""\nLATER = \'/tmp/later\'\n'
    body = GOOD + b'DATA = """\\\n' + line * (10 * 1024 * 1024 // len(line)) + tail
    (root / "big.py").write_bytes(body)
    assert len(body) > 10 * 1024 * 1024
    check = tmplint("check", "big.py", cwd=root)
    assert check.returncode == 1 and check.stderr == "Found 2 findings (1 fixable with tmplint fix).\n"
    assert [line.split(": ")[1].split()[0] for line in check.stdout.splitlines()] == ["TMP002", "TMP006"]
    fix = tmplint("fix", "big.py", cwd=root)
    assert fix.returncode in (0, 1) and "error" not in fix.stderr.lower(), fix.stderr
    fixed = (root / "big.py").read_bytes()
    assert b"make_temp_file" in fixed and fixed.endswith(line * 3 + tail)
    assert len(fixed) > 10 * 1024 * 1024


def test_directory_named_like_a_python_file(tmp_path):
    root = project(tmp_path)
    (root / "pkg.py").mkdir()
    (root / "pkg.py" / "inner.py").write_bytes(GOOD)
    (root / "empty.py").mkdir()
    result = tmplint("check", ".", cwd=root)
    assert result.returncode == 1 and only_summary(result.stderr), result.stderr
    assert sorted(line.split(":")[0] for line in result.stdout.splitlines()) == ["good.py", "pkg.py/inner.py"]
    named = tmplint("check", "pkg.py", "empty.py", cwd=root)
    assert named.returncode == 1 and only_summary(named.stderr), named.stderr
    fix = tmplint("fix", "pkg.py", cwd=root)
    assert fix.returncode in (0, 1) and b"make_temp_file" in (root / "pkg.py" / "inner.py").read_bytes()
    assert (root / "pkg.py").is_dir() and (root / "empty.py").is_dir()


def test_stdin_with_bad_bytes(tmp_path):
    root = project(tmp_path)
    result = subprocess.run([sys.executable, "-m", "tmplint", "check", "-", "--stdin-filename", "s.py"], cwd=root,
                            input=b"import tempfile\nx = '\xff'\n", capture_output=True)
    assert result.returncode == 2
    assert result.stderr.decode().startswith("s.py: error: cannot decode source")


def test_compiler_warnings_are_not_printed(tmp_path):
    """Python 3.12+ warns while parsing (invalid escape sequences); stderr is for errors only."""
    root = project(tmp_path)
    (root / "escapes.py").write_bytes(b'import re\nimport tempfile\nPATTERN = re.compile("\\d+")\nx = 1()\n'
                                      b"tempfile.mkstemp()\n")
    result = tmplint("check", "escapes.py", cwd=root)
    assert result.returncode == 1 and only_summary(result.stderr), result.stderr
