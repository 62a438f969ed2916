"""``tmplint fix`` and the files it writes: symlinks (written through, a link and its target
rewritten once, a dangling link is an error), files and directories without write permission
(reported, left alone; ``--diff``/``--check`` still work), and modules whose ``tempfile`` a test
patches (the import stays, the summary names the test). Every case runs the real command line
(``tmplint.cli.main``, and once ``python -m tmplint``) on a project under ``tmp_path``."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from tmplint.cli import main
from tmplint.codemods.api import fix_bytes
from tmplint.config import Config

from tests.conftest import HELPER, write_tree

MODULE = b"import tempfile\n\ndef f():\n    return tempfile.mkdtemp()\n"
PYPROJECT = "[tool.tmplint]\nworkflow-id-fallback = '\"shared\"'\n"


def project(tmp_path: Path, files: Dict[str, bytes]) -> Path:
    return write_tree(tmp_path / "project", {"pyproject.toml": PYPROJECT, **HELPER, **files})


def fix(root: Path, *args: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> Tuple[int, str, str]:
    """``tmplint fix ARGS`` run from ``root``: (exit code, stdout, stderr)."""
    monkeypatch.chdir(root)
    monkeypatch.setenv("TMPLINT_CACHE_DIR", str(root / ".cache"))
    capsys.readouterr()
    code = main(["fix", "--jobs", "1", *args])
    out, err = capsys.readouterr()
    return code, out, err


def error_lines(stderr: str) -> List[str]:
    return [line for line in stderr.splitlines() if ": error: " in line]


def fixed(data: bytes) -> bool:
    return b'make_temp_dir("shared")' in data and b"tempfile.mkdtemp" not in data


def temp_files(*dirs: Path) -> List[Path]:
    return [p for d in dirs for p in d.iterdir() if ".tmplint-" in p.name]


# --------------------------------------------------------------------------- symlinks


def test_symlink_is_written_through_and_stays_a_link(tmp_path, monkeypatch, capsys):
    root = project(tmp_path, {})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "real.py"
    target.write_bytes(MODULE)
    target.chmod(0o640)
    (root / "link.py").symlink_to(target)
    # --config: the config lookup starts from the resolved path, outside the project here
    code, _, err = fix(root, "--config", "pyproject.toml", "link.py", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0, err
    assert (root / "link.py").is_symlink() and os.readlink(root / "link.py") == str(target)
    assert fixed(target.read_bytes())
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert not temp_files(root, elsewhere)
    assert "1 changed" in err


def test_relative_link_chain_is_written_through(tmp_path, monkeypatch, capsys):
    root = project(tmp_path, {"real/mod.py": MODULE})
    (root / "hop.py").symlink_to("real/mod.py")
    (root / "link.py").symlink_to("hop.py")
    code, _, err = fix(root, "link.py", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0, err
    assert os.readlink(root / "link.py") == "hop.py" and os.readlink(root / "hop.py") == "real/mod.py"
    assert fixed((root / "real" / "mod.py").read_bytes())


@pytest.mark.parametrize("how", ["walked", "named", "named link first"])
def test_link_and_target_both_selected_are_rewritten_once(tmp_path, monkeypatch, capsys, how):
    root = project(tmp_path, {"b_real.py": MODULE})
    (root / "a_link.py").symlink_to("b_real.py")
    args = {"walked": ["."], "named": ["b_real.py", "a_link.py"], "named link first": ["a_link.py", "b_real.py"]}[how]
    writes = []
    import tmplint.fix as fix_module

    real_write = fix_module.atomic_write

    def counting(path, data):
        writes.append(Path(path))
        real_write(path, data)

    monkeypatch.setattr(fix_module, "atomic_write", counting)
    code, _, err = fix(root, *args, monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0, err
    assert writes == [(root / "b_real.py").resolve()]
    assert (root / "a_link.py").is_symlink()
    assert fixed((root / "b_real.py").read_bytes())
    scanned = "2 files" if how == "walked" else "1 file"  # walked: the helper module too
    assert f"{scanned} scanned, 1 with findings, 1 changed; 1 site fixed" in err
    assert "a_link.py" not in err  # reported once, under the file's own name
    assert err.count("b_real.py:4:12") == 1


def test_two_links_to_one_file_are_one_file(tmp_path, monkeypatch, capsys):
    root = project(tmp_path, {})
    target = tmp_path / "outside.py"
    target.write_bytes(MODULE)
    (root / "one.py").symlink_to(target)
    (root / "two.py").symlink_to(target)
    code, _, err = fix(root, ".", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0, err
    assert "2 files scanned, 1 with findings, 1 changed" in err  # the link and the helper module
    assert (root / "one.py").is_symlink() and (root / "two.py").is_symlink()
    assert fixed(target.read_bytes())


def test_dangling_link_is_an_error_and_the_run_goes_on(tmp_path):
    root = project(tmp_path, {"good.py": MODULE})
    (root / "dangling.py").symlink_to("nowhere.py")
    result = subprocess.run([sys.executable, "-m", "tmplint", "fix", "."], cwd=root, capture_output=True,
                            text=True, timeout=600, env={**os.environ, "TMPLINT_CACHE_DIR": str(root / ".cache")})
    assert result.returncode == 2, result.stderr
    assert error_lines(result.stderr) == ["dangling.py: error: cannot read: No such file or directory"]
    assert "Traceback" not in result.stderr
    assert (root / "dangling.py").is_symlink() and not (root / "nowhere.py").exists()
    assert fixed((root / "good.py").read_bytes())


def test_diff_through_a_link_names_the_file_it_points_at(tmp_path, monkeypatch, capsys):
    root = project(tmp_path, {"pkg/real.py": MODULE})
    (root / "link.py").symlink_to("pkg/real.py")
    code, out, err = fix(root, "--diff", "link.py", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 1, err
    assert out.startswith("--- a/pkg/real.py\n+++ b/pkg/real.py\n")
    assert (root / "pkg" / "real.py").read_bytes() == MODULE


# --------------------------------------------------------------------------- no write permission


def test_read_only_file_is_not_rewritten(tmp_path, monkeypatch, capsys):
    root = project(tmp_path, {"ro.py": MODULE, "rw.py": MODULE})
    (root / "ro.py").chmod(0o444)
    code, _, err = fix(root, ".", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 2, err
    assert error_lines(err) == ["ro.py: error: not writable (the file is read-only, mode 0444)"]
    assert (root / "ro.py").read_bytes() == MODULE
    assert stat.S_IMODE((root / "ro.py").stat().st_mode) == 0o444
    assert fixed((root / "rw.py").read_bytes())  # the rest of the run went on
    assert "ro.py:4:12: TMP003 tempfile.mkdtemp: not rewritten (see the error above)" in err
    assert not temp_files(root)


def test_read_only_target_of_a_link_is_not_rewritten(tmp_path, monkeypatch, capsys):
    root = project(tmp_path, {"real.py": MODULE})
    (root / "real.py").chmod(0o400)
    (root / "link.py").symlink_to("real.py")
    code, _, err = fix(root, "link.py", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 2, err
    assert error_lines(err) == ["link.py: error: not writable (the file is read-only, mode 0400)"]
    assert (root / "real.py").read_bytes() == MODULE and (root / "link.py").is_symlink()


def test_file_in_a_read_only_directory_is_not_rewritten(tmp_path, monkeypatch, capsys):
    root = project(tmp_path, {"locked/mod.py": MODULE, "open.py": MODULE})
    locked = root / "locked"
    locked.chmod(0o555)
    try:
        code, _, err = fix(root, ".", monkeypatch=monkeypatch, capsys=capsys)
        entries = sorted(p.name for p in locked.iterdir())
    finally:
        locked.chmod(0o755)
    assert code == 2, err
    lines = error_lines(err)
    assert len(lines) == 1 and lines[0].startswith("locked/mod.py: error: not writable (its directory "), err
    assert "no temp file can be created there" in lines[0]
    assert entries == ["mod.py"]
    assert (locked / "mod.py").read_bytes() == MODULE
    assert fixed((root / "open.py").read_bytes())


def test_temp_file_refused_by_the_system_is_not_writable(tmp_path, monkeypatch):
    """When the mode bits allow it but creating the temp file fails anyway (an ACL, a read-only
    mount): the same ``not writable`` error, nothing left behind."""
    from tmplint.files import FileError, atomic_write

    path = tmp_path / "mod.py"
    path.write_bytes(MODULE)
    real_open = os.open

    def refuse(name, flags, *args, **kwargs):
        if ".tmplint-" in str(name):
            raise PermissionError(13, "Permission denied")
        return real_open(name, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(FileError, match=r"^not writable \(cannot create a temp file in .*: Permission denied\)$"):
        atomic_write(path, b"new\n")
    assert path.read_bytes() == MODULE


@pytest.mark.parametrize("option", ["--diff", "--check"])
def test_diff_and_check_work_on_read_only_files(tmp_path, monkeypatch, capsys, option):
    root = project(tmp_path, {"ro.py": MODULE})
    (root / "ro.py").chmod(0o444)
    code, out, err = fix(root, option, ".", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 1, err
    assert not error_lines(err)
    assert ("+    return make_temp_dir(\"shared\")" in out) == (option == "--diff")
    assert (root / "ro.py").read_bytes() == MODULE
    assert stat.S_IMODE((root / "ro.py").stat().st_mode) == 0o444


# --------------------------------------------------------------------------- tests that patch tempfile

PATCHING_TEST = b'from unittest import mock\n\nfrom pkg import mod\n\n\n@mock.patch("pkg.mod.tempfile.mkdtemp")\n' \
                b'def test_f(mkdtemp):\n    mod.f()\n'


def package(tmp_path: Path, extra: Dict[str, bytes], layout: str = "") -> Path:
    files = {f"{layout}pkg/__init__.py": b"", f"{layout}pkg/mod.py": MODULE}
    files.update(extra)
    return project(tmp_path, files)


def test_import_patched_by_a_test_is_kept(tmp_path, monkeypatch, capsys):
    root = package(tmp_path, {"tests/test_mod.py": PATCHING_TEST})
    code, _, err = fix(root, ".", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0, err
    text = (root / "pkg" / "mod.py").read_bytes()
    assert text.startswith(b"import tempfile\n")
    assert b'return make_temp_dir("shared")' in text and b"tempfile.mkdtemp" not in text
    assert "  kept import tempfile in pkg/mod.py: patched by tests/test_mod.py:6\n" in err
    assert (root / "tests" / "test_mod.py").read_bytes() == PATCHING_TEST


def test_without_a_patching_test_the_import_is_removed(tmp_path, monkeypatch, capsys):
    root = package(tmp_path, {})
    code, _, err = fix(root, ".", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0, err
    text = (root / "pkg" / "mod.py").read_bytes()
    assert b"import tempfile" not in text and fixed(text)
    assert "kept import" not in err


@pytest.mark.parametrize("test_source", [
    b'from unittest import mock\n\n\ndef test_f():\n    with mock.patch("pkg.mod.tempfile"):\n        pass\n',
    b"def test_f(monkeypatch):\n    monkeypatch.setattr(\n        'pkg.mod.tempfile.gettempdir', lambda: '/x'\n    )\n",
    b'def test_f(mocker):\n    mocker.patch("pkg.mod.tempfile.mkdtemp", return_value="/x")\n',
    b'from unittest.mock import patch\n\n\n@patch(\n    target="pkg.mod.tempfile",\n)\ndef test_f(t):\n    pass\n',
])
def test_every_way_of_patching_keeps_the_import(tmp_path, monkeypatch, capsys, test_source):
    root = package(tmp_path, {"tests/test_mod.py": test_source})
    code, _, err = fix(root, ".", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0, err
    assert (root / "pkg" / "mod.py").read_bytes().startswith(b"import tempfile\n")
    assert "kept import tempfile in pkg/mod.py: patched by tests/test_mod.py:" in err


def test_tests_outside_the_fixed_paths_are_found_src_layout(tmp_path, monkeypatch, capsys):
    root = package(tmp_path, {"tests/test_mod.py": PATCHING_TEST}, layout="src/")
    code, _, err = fix(root, "src/pkg", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0, err
    assert (root / "src" / "pkg" / "mod.py").read_bytes().startswith(b"import tempfile\n")
    assert "kept import tempfile in src/pkg/mod.py: patched by tests/test_mod.py:6" in err


def test_a_test_patching_another_module_changes_nothing(tmp_path, monkeypatch, capsys):
    other = PATCHING_TEST.replace(b"pkg.mod.tempfile", b"pkg.other.tempfile")
    root = package(tmp_path, {"tests/test_mod.py": other, "pkg/other.py": b"import os\n"})
    code, _, err = fix(root, ".", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0, err
    assert b"import tempfile" not in (root / "pkg" / "mod.py").read_bytes()
    assert "kept import" not in err


def test_kept_import_in_diff_mode(tmp_path, monkeypatch, capsys):
    root = package(tmp_path, {"tests/test_mod.py": PATCHING_TEST})
    code, out, err = fix(root, "--diff", ".", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 1, err
    assert "-import tempfile" not in out and "+from temp_paths import make_temp_dir" in out
    assert "kept import tempfile in pkg/mod.py: patched by tests/test_mod.py:6" in err
    assert (root / "pkg" / "mod.py").read_bytes() == MODULE


def test_fix_bytes_keep_imports() -> None:
    config = Config(workflow_id_fallback='"shared"')
    kept = fix_bytes(MODULE, config, path="mod.py", keep_imports={"tempfile"})
    assert kept.data.startswith(b"import tempfile\n") and kept.kept_imports == {"tempfile"}
    assert b"tempfile.mkdtemp" not in kept.data
    removed = fix_bytes(MODULE, config, path="mod.py")
    assert b"import tempfile" not in removed.data and not removed.kept_imports
    # an import that stays anyway (tempfile is still used) is not reported as kept
    used = MODULE + b"\nNAME = tempfile.gettempprefix()\n"
    assert not fix_bytes(used, config, path="mod.py", keep_imports={"tempfile"}).kept_imports
    # only the module named: another import bound on the same line goes as usual
    two = b"import os, tempfile\n\ndef f():\n    return tempfile.mkdtemp()\n"
    assert fix_bytes(two, config, path="mod.py", keep_imports={"os"}).data.startswith(b"import os\n")


# --------------------------------------------------------------------------- tests that patch tempfile itself


@pytest.mark.parametrize("patching", [
    b'    with mock.patch.object(tempfile, "mkdtemp", return_value="/x"):\n        mod.f()\n',
    b'    with mock.patch("tempfile.mkdtemp", return_value="/x"):\n        mod.f()\n',
    b'    monkeypatch.setattr(tempfile, "mkdtemp", lambda: "/x")\n    mod.f()\n',
    b"    monkeypatch.setattr('tempfile.mkdtemp', lambda: '/x')\n    mod.f()\n",
])
def test_a_site_a_test_patches_through_tempfile_itself_is_left(tmp_path, monkeypatch, capsys, patching):
    """Rewritten, mod.f() would no longer call tempfile.mkdtemp, and the test's mock would be
    bypassed (seen on pip-tools): the site is left, naming the test."""
    test = b"import tempfile\nfrom unittest import mock\n\nfrom pkg import mod\n\n\ndef test_f(monkeypatch):\n" + patching
    root = package(tmp_path, {"tests/test_mod.py": test})
    code, _, err = fix(root, ".", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 1, err
    assert (root / "pkg" / "mod.py").read_bytes() == MODULE
    assert "pkg/mod.py:4:12: TMP003 tempfile.mkdtemp: tests/test_mod.py:" in err
    assert "patches tempfile.mkdtemp for every module and imports this one" in err


def test_a_global_patch_in_a_test_of_other_code_changes_nothing(tmp_path, monkeypatch, capsys):
    test = (b"import tempfile\nfrom unittest import mock\n\nimport other\n\n\ndef test_f():\n"
            b"    with mock.patch.object(tempfile, 'mkdtemp'):\n        other.g()\n")
    root = package(tmp_path, {"tests/test_other.py": test, "other.py": b"def g():\n    pass\n"})
    code, _, err = fix(root, ".", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0, err
    assert fixed((root / "pkg" / "mod.py").read_bytes())
