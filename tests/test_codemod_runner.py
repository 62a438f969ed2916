"""``tmplint fix`` as a whole: files, encodings, line endings, diffs, exit codes, errors, the CLI
and ``python -m libcst.tool``."""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Dict, Tuple

import pytest

from tmplint.config import Config
from tmplint.fix import run_fix, unified_diff

from tests.conftest import write_tree

FIXABLE = (
    "import tempfile\n"
    "\n"
    "\n"
    "def export(workflow_id, data):\n"
    "    with tempfile.NamedTemporaryFile(suffix='.json') as f:\n"
    "        f.write(data)\n"
)
UNFIXABLE = (
    "import tempfile\n"
    "\n"
    "\n"
    "def anywhere(job_id, *args):\n"
    "    return tempfile.mkstemp(*args)\n"
)
CLEAN = "import os\n\nprint(os.sep)\n"


def fix(paths, config: Config = Config(), **options) -> Tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    settings = dict(diff=False, check=False, unsafe_fixes=False, add_noqa=False, jobs=1)
    settings.update(options)
    code = run_fix([Path(p) for p in paths], config, stdout=out, stderr=err, **settings)  # type: ignore[arg-type]
    return code, out.getvalue(), err.getvalue()


def tree(root: Path, files: Dict[str, bytes]) -> Path:
    return write_tree(root, files)


def snapshot(root: Path) -> Dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------- writing


def test_fixes_files_and_leaves_the_others_alone(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"a.py": FIXABLE.encode(), "clean.py": CLEAN.encode()})
    old = 1_000_000_000
    os.utime(root / "clean.py", (old, old))
    code, out, err = fix([root])
    assert code == 0, err
    assert out == ""
    text = (root / "a.py").read_text()
    assert "open_temp_file(workflow_id, '.json')" in text and "cleanup_temp_path(tmp_file.name)" in text
    assert "import tempfile" not in text
    assert (root / "clean.py").stat().st_mtime == old
    assert "1 changed" in err and "1 site fixed (TMP001: 1)" in err


def test_unfixable_sites_are_reported_and_exit_1(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"a.py": FIXABLE.encode(), "u.py": UNFIXABLE.encode()})
    before = (root / "u.py").stat().st_mtime_ns
    code, _, err = fix([root])
    assert code == 1
    assert (root / "u.py").stat().st_mtime_ns == before
    assert "u.py:5:12: TMP002 tempfile.mkstemp: arguments passed with *args cannot be mapped" in err
    assert "1 left" in err


def test_second_run_changes_nothing(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"a.py": FIXABLE.encode(), "u.py": UNFIXABLE.encode()})
    fix([root])
    first = snapshot(root)
    code, _, err = fix([root])
    assert snapshot(root) == first
    assert code == 1 and "0 changed" in err


def test_check_writes_nothing_and_exits_1(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"a.py": FIXABLE.encode()})
    code, out, err = fix([root], check=True)
    assert code == 1
    assert out == ""
    assert (root / "a.py").read_bytes() == FIXABLE.encode()
    assert "1 would change" in err and "would be fixed" in err
    assert fix([tmp_path / "nothing-here.py"], check=True)[0] == 2


def test_check_on_a_clean_tree_exits_0(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"clean.py": CLEAN.encode()})
    assert fix([root], check=True)[0] == 0
    assert fix([root], diff=True)[:2] == (0, "")


def test_add_noqa_marks_what_it_cannot_fix(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"u.py": UNFIXABLE.encode()})
    code, _, err = fix([root], add_noqa=True)
    assert code == 0, err
    assert "    return tempfile.mkstemp(*args)  # noqa: TMP002\n" in (root / "u.py").read_text()
    assert "(1 marked with # noqa)" in err
    assert fix([root])[0] == 0  # the gate is green now, and nothing changes any more


def test_select_and_ignore_come_from_the_config(tmp_path: Path) -> None:
    source = FIXABLE + "\n\ndef name(job_id):\n    return tempfile.mktemp()\n"
    root = tree(tmp_path / "p", {"a.py": source.encode()})
    code, _, _ = fix([root], replace(Config(), ignore=("TMP001",)))
    text = (root / "a.py").read_text()
    assert code == 0
    assert "get_temp_path(job_id)" in text and "tempfile.NamedTemporaryFile" in text


def test_unsafe_fixes_enable_the_literal_rewrite(tmp_path: Path) -> None:
    source = b"def save(job_id):\n    return open('/tmp/out.json', 'w')\n"
    root = tree(tmp_path / "p", {"a.py": source})
    code, _, err = fix([root])
    assert code == 1 and "--unsafe-fixes" in err
    code, _, err = fix([root], unsafe_fixes=True)
    assert code == 0, err
    assert "open(os.path.join(get_temp_dir(job_id), 'out.json'), 'w')" in (root / "a.py").read_text()


# --------------------------------------------------------------------------- bytes on disk


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["no-bom", "bom"])
def test_line_endings_and_bom_are_kept(tmp_path: Path, newline: bytes, bom: bytes) -> None:
    data = bom + FIXABLE.encode().replace(b"\n", newline)
    root = tree(tmp_path / "p", {"a.py": data})
    assert fix([root])[0] == 0
    new = (root / "a.py").read_bytes()
    assert new.startswith(bom + b"from temp_paths import") or new.startswith(bom + b"from")
    assert new.count(b"\n") == new.count(newline) if newline == b"\r\n" else b"\r" not in new
    assert (bom == b"") == (not new.startswith(b"\xef\xbb\xbf"))
    compile(new, "a.py", "exec")


def test_coding_cookie_and_encoding_are_kept(tmp_path: Path) -> None:
    source = "# -*- coding: latin-1 -*-\n" + FIXABLE + "    print('caf\u00e9')\n"
    data = source.encode("latin-1")
    root = tree(tmp_path / "p", {"a.py": data})
    assert fix([root])[0] == 0
    new = (root / "a.py").read_bytes()
    assert new.startswith(b"# -*- coding: latin-1 -*-\n")
    assert b"caf\xe9" in new and b"open_temp_file" in new


def test_file_without_final_newline(tmp_path: Path) -> None:
    data = FIXABLE.encode().rstrip(b"\n")
    root = tree(tmp_path / "p", {"a.py": data})
    assert fix([root])[0] == 0
    assert (root / "a.py").read_bytes().endswith(b"cleanup_temp_path(tmp_file.name)")


# --------------------------------------------------------------------------- errors


def test_unparsable_file_is_reported_and_the_others_are_fixed(tmp_path: Path) -> None:
    broken = b"import tempfile\ndef f(:\n    tempfile.mkdtemp()\n"
    root = tree(tmp_path / "p", {"a.py": FIXABLE.encode(), "broken.py": broken})
    code, _, err = fix([root])
    assert code == 2
    assert f"{os.path.relpath(root / 'broken.py')}: error: cannot parse" in err
    assert (root / "broken.py").read_bytes() == broken
    assert b"open_temp_file" in (root / "a.py").read_bytes()


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    code, _, err = fix([tmp_path / "missing.py"])
    assert code == 2 and "missing.py: error: no such file or directory" in err


def test_rewrite_that_does_not_compile_leaves_the_file_untouched(tmp_path: Path, monkeypatch) -> None:
    import tmplint.codemods.api as api

    real = api.fix_bytes

    def broken(*args, **kwargs):
        result = real(*args, **kwargs)
        return replace(result, data=result.data + b"\ndef (:\n")

    monkeypatch.setattr(api, "fix_bytes", broken)
    root = tree(tmp_path / "p", {"a.py": FIXABLE.encode()})
    code, _, err = fix([root])
    assert code == 2
    assert "a.py: error: internal error: the rewritten file would not compile" in err
    assert (root / "a.py").read_bytes() == FIXABLE.encode()


def test_crash_in_the_codemod_costs_one_file(tmp_path: Path, monkeypatch) -> None:
    import tmplint.codemods.api as api

    real = api.fix_bytes

    def crash(data, *args, **kwargs):
        if b"crash" in data:
            raise RuntimeError("boom")
        return real(data, *args, **kwargs)

    monkeypatch.setattr(api, "fix_bytes", crash)
    root = tree(tmp_path / "p", {"a.py": FIXABLE.encode(), "b.py": (FIXABLE + "# crash\n").encode()})
    code, _, err = fix([root])
    assert code == 2
    assert "b.py: error: internal error: RuntimeError: boom" in err
    assert b"open_temp_file" in (root / "a.py").read_bytes()


# --------------------------------------------------------------------------- diff


def _mixed_tree(root: Path) -> Path:
    return tree(root, {
        "pkg/lf.py": FIXABLE.encode(),
        "pkg/crlf.py": FIXABLE.encode().replace(b"\n", b"\r\n"),
        "pkg/bom.py": b"\xef\xbb\xbf" + FIXABLE.encode(),
        "pkg/latin1.py": ("# coding: latin-1\n" + FIXABLE + "    print('\u00e9')\n").encode("latin-1"),
        "pkg/no_newline.py": FIXABLE.encode().rstrip(b"\n"),
        "pkg/clean.py": CLEAN.encode(),
        "pkg/left.py": UNFIXABLE.encode(),
    })


@pytest.mark.parametrize("tool", ["patch", "git"])
def test_diff_applies_and_the_result_parses(tmp_path: Path, monkeypatch, tool: str) -> None:
    if shutil.which(tool) is None:  # pragma: no cover
        pytest.skip(f"{tool} is not installed")
    source = _mixed_tree(tmp_path / "source")
    expected = _mixed_tree(tmp_path / "expected")
    monkeypatch.chdir(source)
    out = io.BytesIO()
    stdout = io.TextIOWrapper(out, encoding="utf-8")
    err = io.StringIO()
    code = run_fix([Path(".")], Config(), diff=True, check=False, unsafe_fixes=False, add_noqa=False, jobs=1,
                   stdout=stdout, stderr=err)
    stdout.flush()
    assert code == 1
    patch_bytes = out.getvalue()
    assert snapshot(source) == snapshot(expected), "--diff wrote to the files"
    monkeypatch.chdir(expected)
    fix([Path(".")])  # what fix would have written
    fixed = snapshot(expected)

    target = _mixed_tree(tmp_path / "target")
    (tmp_path / "change.patch").write_bytes(patch_bytes)
    if tool == "patch":
        command = ["patch", "-p1", "--batch", "--input", str(tmp_path / "change.patch")]
    else:
        command = ["git", "apply", "--unsafe-paths", str(tmp_path / "change.patch")]
    subprocess.run(command, cwd=target, check=True, capture_output=True)
    assert snapshot(target) == fixed
    for name, data in snapshot(target).items():
        compile(data, name, "exec", dont_inherit=True)
    monkeypatch.chdir(target)
    assert fix([Path(".")], diff=True)[1] == ""  # a second run has nothing to change


def test_unified_diff_marks_a_missing_final_newline() -> None:
    patch = unified_diff(b"a\nb", b"a\nc", "x.py")
    assert patch.startswith(b"--- a/x.py\n+++ b/x.py\n")
    assert b"-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n" in patch


# --------------------------------------------------------------------------- parallel, progress


def test_jobs_give_the_same_result(tmp_path: Path) -> None:
    files = {f"m{i}.py": (FIXABLE if i % 2 else UNFIXABLE).encode() for i in range(6)}
    serial = tree(tmp_path / "serial", files)
    parallel = tree(tmp_path / "parallel", files)
    code_serial, _, err_serial = fix([serial], jobs=1)
    code_parallel, _, err_parallel = fix([parallel], jobs=3)
    assert code_serial == code_parallel == 1
    assert snapshot(serial) == snapshot(parallel)
    strip = lambda text: text.split("[")[0]  # noqa: E731 - the timing differs
    assert strip(err_serial.replace(str(serial), "")) == strip(err_parallel.replace(str(parallel), ""))


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal(tmp_path: Path, monkeypatch) -> None:
    import functools

    import tmplint.check as check_module
    import tmplint.fix as fix_module
    from tmplint.progress import Progress

    root = tree(tmp_path / "p", {"a.py": FIXABLE.encode(), "b.py": FIXABLE.encode()})
    code, _, err = fix([root], check=True)
    assert "\r" not in err
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setattr(fix_module, "Progress", functools.partial(Progress, delay=0))
    monkeypatch.setattr(check_module, "Progress", functools.partial(Progress, delay=0))
    tty = _Tty()
    run_fix([root], Config(), diff=False, check=True, unsafe_fixes=False, add_noqa=False, jobs=1,
            stdout=io.StringIO(), stderr=tty)
    assert "/2 files  fixing" in tty.getvalue() and "/2 files  checking" in tty.getvalue()
    assert tty.getvalue().startswith("\r[")


# --------------------------------------------------------------------------- command lines


def _env() -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def test_cli_fix_diff_stdout_is_only_the_patch(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {
        "pyproject.toml": b'[tool.tmplint]\nworkflow-id-fallback = \'"shared"\'\n',
        "a.py": b"import tempfile\n\n\ndef scratch():\n    return tempfile.mkdtemp()\n",
    })
    result = subprocess.run([sys.executable, "-m", "tmplint", "fix", "--diff", "."], cwd=root, env=_env(),
                            capture_output=True, timeout=600)
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith(b"--- a/a.py\n+++ b/a.py\n")
    assert b"+    return make_temp_dir(\"shared\")\n" in result.stdout
    assert b"tmplint fix:" in result.stderr and b"tmplint fix:" not in result.stdout
    assert (root / "a.py").read_bytes() == b"import tempfile\n\n\ndef scratch():\n    return tempfile.mkdtemp()\n"


def test_libcst_tool_runs_the_commands(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"a.py": FIXABLE.encode(), "b.py": b"import tempfile\n\n\ndef f(job_id):\n"
                                 b"    fd, p = tempfile.mkstemp()\n    return p\n"})
    command = [sys.executable, "-m", "libcst.tool", "codemod", "--no-format", "--hide-progress"]
    result = subprocess.run(command + ["-x", "tmplint.codemods.migrate.MigrateToHelper", "a.py"], cwd=root,
                            env=_env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "cleanup_temp_path(tmp_file.name)" in (root / "a.py").read_text()
    # the command's own arguments (add_args) reach it; [tool.tmplint] is read from the pyproject
    (root / "c.py").write_text("import tempfile\n\n\ndef scratch():\n    return tempfile.mkdtemp()\n")
    (root / "pyproject.toml").write_text('[tool.tmplint]\nhelper-module = "jobs.scratch"\n')
    result = subprocess.run(command + ["-x", "tmplint.codemods.migrate.MigrateToHelper", "--workflow-id-fallback",
                                       '"boot"', "c.py"], cwd=root, env=_env(), capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    assert (root / "c.py").read_text() == \
        'from jobs.scratch import make_temp_dir\n\n\ndef scratch():\n    return make_temp_dir("boot")\n'
    # with a libcst config naming the package, the short form works too
    (root / ".libcst.codemod.yaml").write_text("modules:\n  - tmplint.codemods\n")
    result = subprocess.run(command + ["mkstemp.FixMkstemp", "b.py"], cwd=root, env=_env(),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "fd, p = make_temp_file(job_id)" in (root / "b.py").read_text()


def test_a_file_that_cannot_be_written_is_an_error(tmp_path: Path, monkeypatch) -> None:
    import tmplint.fix as fix_module
    from tmplint.files import FileError

    def refuse(path, data):
        raise FileError("cannot write: Read-only file system")

    monkeypatch.setattr(fix_module, "atomic_write", refuse)
    root = tree(tmp_path / "p", {"a.py": FIXABLE.encode()})
    code, _, err = fix([root])
    assert code == 2
    assert "a.py: error: cannot write: Read-only file system" in err
    assert "a.py:5:10: TMP001 tempfile.NamedTemporaryFile: not rewritten (see the error above)" in err
    assert (root / "a.py").read_bytes() == FIXABLE.encode()


def test_exit_zero_ignores_sites_left_but_not_errors(tmp_path: Path) -> None:
    root = tree(tmp_path / "p", {"a.py": FIXABLE.encode(), "b.py": UNFIXABLE.encode()})
    assert fix([root])[0] == 1  # b.py's site is left
    assert fix([root], exit_zero=True)[0] == 0
    (root / "c.py").write_bytes(b"import tempfile\ndef f(:\n    tempfile.mkdtemp()\n")
    assert fix([root], exit_zero=True)[0] == 2
