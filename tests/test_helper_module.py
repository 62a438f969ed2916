"""The helper module that ``tmplint init`` writes (issue 4).

Every test imports the file that ``write_helper_module`` actually wrote (under pytest's
``tmp_path``), never a copy. Every path the tests make lives under ``tmp_path``: the rendered
default root points there, and the root environment variable is always set to a dir there.
"""
from __future__ import annotations

import ast
import enum
import importlib.util
import io
import itertools
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from types import ModuleType
from typing import Callable, Iterator, List

import pytest

from tmplint.helper import (
    DEFAULT_ROOT,
    DEFAULT_ROOT_ENV,
    helper_module_path,
    render_helper_module,
    write_helper_module,
)

ENV = "TMPLINT_TEST_WORKFLOW_ROOT"
WID = "job-1"
OLD = 7200  # seconds; "stale" for a 3600 s sweep
NAME_RE = re.compile(r"(?P<prefix>.*?)(?P<ms>\d{13})_(?P<rand>[0-9a-f]{16})(?P<suffix>.*)")
POSIX = os.name == "posix"
_counter = itertools.count()


def import_written(path: Path) -> ModuleType:
    """Import the module file ``write_helper_module`` wrote, under a fresh name."""
    spec = importlib.util.spec_from_file_location(f"temp_paths_{next(_counter)}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def default_root(tmp_path: Path) -> Path:
    return tmp_path / "default-root"


@pytest.fixture
def written(tmp_path: Path, default_root: Path) -> Path:
    return write_helper_module(tmp_path / "project" / "temp_paths.py", str(default_root), ENV)


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "root"
    monkeypatch.setenv(ENV, str(path))
    return path


@pytest.fixture
def tp(written: Path, root: Path) -> ModuleType:
    return import_written(written)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory outside the root that nothing may ever remove."""
    path = tmp_path / "outside"
    (path / "sub").mkdir(parents=True)
    (path / "secret.txt").write_text("keep")
    (path / "sub" / "data.txt").write_text("keep too")
    return path


def assert_outside_intact(outside: Path) -> None:
    assert (outside / "secret.txt").read_text() == "keep"
    assert (outside / "sub" / "data.txt").read_text() == "keep too"


def mode(path: object) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def age(path: Path, seconds: float) -> None:
    """Set the mtime of ``path`` and everything in it (symlinks themselves) ``seconds`` back."""
    when = time.time() - seconds
    for dirpath, dirnames, filenames in os.walk(path, topdown=False):
        for name in dirnames + filenames:
            os.utime(os.path.join(dirpath, name), (when, when), follow_symlinks=False)
    os.utime(path, (when, when), follow_symlinks=False)


def run_module(written: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(written), *args], capture_output=True, text=True, timeout=600, **kwargs
    )


# --------------------------------------------------------------------------- rendering


def test_render_defaults() -> None:
    text = render_helper_module()
    assert DEFAULT_ROOT == "/share/workflows" and DEFAULT_ROOT_ENV == "WORKFLOW_TEMP_ROOT"
    assert 'DEFAULT_ROOT = "/share/workflows"\n' in text
    assert 'ROOT_ENV = "WORKFLOW_TEMP_ROOT"\n' in text
    assert "{{" not in text and "}}" not in text
    compile(text, "temp_paths.py", "exec")


def test_render_substitutes_values(tmp_path: Path) -> None:
    text = render_helper_module("/srv/jobs", "JOBS_ROOT")
    assert 'DEFAULT_ROOT = "/srv/jobs"\n' in text and 'ROOT_ENV = "JOBS_ROOT"\n' in text
    module = import_written(write_helper_module(tmp_path / "m.py", "/srv/jobs", "JOBS_ROOT"))
    assert (module.DEFAULT_ROOT, module.ROOT_ENV) == ("/srv/jobs", "JOBS_ROOT")


@pytest.mark.parametrize(
    "root", ["relative/dir", "", "/", "//", "/a\nb", "/a\0b", "/a\tb", None, 5, b"/srv"]
)
def test_render_rejects_bad_root(root: object) -> None:
    with pytest.raises(ValueError):
        render_helper_module(root, "WORKFLOW_TEMP_ROOT")  # type: ignore[arg-type]


@pytest.mark.parametrize("root_env", ["", "1ABC", "A-B", "A B", "A=B", "A\0", "É", None, 3])
def test_render_rejects_bad_root_env(root_env: object) -> None:
    with pytest.raises(ValueError):
        render_helper_module("/srv/jobs", root_env)  # type: ignore[arg-type]


LONG_ROOT = "/srv/" + "/".join(f'dir "{i}" \\ é' for i in range(15))
LONG_ENV = "X" * 100


@pytest.mark.parametrize(
    "values", [(DEFAULT_ROOT, DEFAULT_ROOT_ENV), (LONG_ROOT, LONG_ENV)], ids=["default", "long"]
)
def test_rendered_module_passes_flake8(tmp_path: Path, values: tuple) -> None:
    path = write_helper_module(tmp_path / "temp_paths.py", *values)
    # --isolated: flake8's defaults (max-line-length 79), whatever config is around
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", str(path)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert max(len(line) for line in path.read_text().splitlines()) <= 79
    module = import_written(path)
    assert (module.DEFAULT_ROOT, module.ROOT_ENV) == values


@pytest.mark.skipif(importlib.util.find_spec("ruff") is None, reason="ruff not installed")
def test_rendered_module_is_black_formatted(tmp_path: Path) -> None:
    path = write_helper_module(tmp_path / "temp_paths.py", LONG_ROOT, LONG_ENV)
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--isolated", "--line-length", "79", "--diff", str(path)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_rendered_module_is_stdlib_only_and_typed() -> None:
    text = render_helper_module()
    tree = ast.parse(text)
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0
            imported.add(node.module.split(".")[0])
    assert imported and "tmplint" not in imported
    if hasattr(sys, "stdlib_module_names"):  # Python >= 3.10
        assert imported <= set(sys.stdlib_module_names)
    assert ast.get_docstring(tree)
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    for fn in functions:
        assert fn.returns is not None, fn.name
        for arg in fn.args.args + fn.args.kwonlyargs:
            assert arg.annotation is not None, (fn.name, arg.arg)
    public = {fn.name for fn in tree.body if isinstance(fn, ast.FunctionDef) and not fn.name.startswith("_")}
    for fn in tree.body:
        if isinstance(fn, ast.FunctionDef) and fn.name in public:
            assert ast.get_docstring(fn), fn.name
    assert public == {
        "get_temp_path", "get_temp_dir", "make_temp_file", "make_temp_dir", "open_temp_file",
        "cleanup_temp_path", "sweep_stale",
    }
    all_names = next(
        node.value for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "__all__"
    )
    assert {elt.value for elt in all_names.elts} == public


def test_rendered_module_has_no_temp_dir_usage() -> None:
    from tmplint.config import DEFAULT_TEMP_DIRS, Config

    text = render_helper_module()
    assert "tempfile" not in text and "TMPDIR" not in text
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            assert not any(node.value.startswith(d) for d in DEFAULT_TEMP_DIRS), node.value
    # and tmplint's own detector, every rule on, agrees
    from tmplint import detector
    findings = detector.check_bytes(text.encode(), "temp_paths.py", Config(select=("TMP",)))
    assert findings == []


# --------------------------------------------------------------------------- writing


def test_write_creates_parent_dirs(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "temp_paths.py"
    assert write_helper_module(target, "/srv/jobs", "JOBS_ROOT") == target
    assert target.read_text(encoding="utf-8") == render_helper_module("/srv/jobs", "JOBS_ROOT")
    assert sorted(os.listdir(target.parent)) == ["temp_paths.py"]  # no partial files left


def test_write_accepts_str_path(tmp_path: Path) -> None:
    target = write_helper_module(str(tmp_path / "temp_paths.py"), "/srv/jobs", "JOBS_ROOT")
    assert isinstance(target, Path) and target.is_file()


def test_write_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "temp_paths.py"
    target.write_text("# mine\n")
    with pytest.raises(FileExistsError):
        write_helper_module(target, "/srv/jobs", "JOBS_ROOT")
    assert target.read_text() == "# mine\n"
    dangling = tmp_path / "link.py"
    dangling.symlink_to(tmp_path / "nowhere.py")
    with pytest.raises(FileExistsError):
        write_helper_module(dangling, "/srv/jobs", "JOBS_ROOT")
    assert not (tmp_path / "nowhere.py").exists()


def test_write_force_overwrites_and_keeps_mode(tmp_path: Path) -> None:
    target = tmp_path / "temp_paths.py"
    target.write_text("# old\n")
    target.chmod(0o640)
    write_helper_module(target, "/srv/jobs", "JOBS_ROOT", force=True)
    assert target.read_text() == render_helper_module("/srv/jobs", "JOBS_ROOT")
    assert mode(target) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["temp_paths.py"]


def test_write_into_a_directory_fails(tmp_path: Path) -> None:
    (tmp_path / "temp_paths.py").mkdir()
    with pytest.raises(IsADirectoryError):
        write_helper_module(tmp_path / "temp_paths.py", "/srv/jobs", "JOBS_ROOT", force=True)


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "temp_paths.py"
    target.write_text("# old\n")
    calls = []
    real_fsync = os.fsync

    def failing_replace(src: str, dst: str) -> None:
        calls.append((src, dst))
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", lambda fd: calls.append("fsync") or real_fsync(fd))
    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_helper_module(target, "/srv/jobs", "JOBS_ROOT", force=True)
    assert calls[0] == "fsync"  # the data is synced before the rename
    src, dst = calls[1]
    assert Path(src).parent == tmp_path and Path(dst) == target
    assert target.read_text() == "# old\n"
    assert sorted(os.listdir(tmp_path)) == ["temp_paths.py"]


def test_write_validates_before_writing(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_helper_module(tmp_path / "x" / "temp_paths.py", "relative", "JOBS_ROOT")
    with pytest.raises(ValueError):
        write_helper_module(tmp_path / "x" / "temp_paths.py", "/srv", "BAD-NAME")
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    "name, expected",
    [("temp_paths", "temp_paths.py"), ("pkg.temp_paths", "pkg/temp_paths.py"), ("a.b.c", "a/b/c.py")],
)
def test_helper_module_path(name: str, expected: str) -> None:
    assert helper_module_path(name) == Path(expected)


@pytest.mark.parametrize("name", ["", "a..b", ".a", "a.", "1x", "a-b", "a/b", "class", "pkg.def", None])
def test_helper_module_path_rejects(name: object) -> None:
    with pytest.raises(ValueError):
        helper_module_path(name)  # type: ignore[arg-type]


def test_tests_use_the_written_file(tp: ModuleType, written: Path) -> None:
    assert Path(tp.__file__) == written
    assert written.read_text() == render_helper_module(tp.DEFAULT_ROOT, ENV)


# --------------------------------------------------------------------------- paths


def test_layout(tp: ModuleType, root: Path) -> None:
    before = time.time_ns() // 1_000_000
    path = tp.get_temp_path(WID, ".json")
    after = time.time_ns() // 1_000_000
    assert os.path.dirname(path) == str(root / WID / "tmp")
    match = NAME_RE.fullmatch(os.path.basename(path))
    assert match and match["prefix"] == "temp_" and match["suffix"] == ".json"
    assert before <= int(match["ms"]) <= after
    assert os.path.isdir(os.path.dirname(path)) and not os.path.lexists(path)


def test_root_is_read_at_call_time(
    tp: ModuleType, tmp_path: Path, default_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other-root"
    monkeypatch.setenv(ENV, str(other))
    assert tp.get_temp_dir(WID) == str(other / WID / "tmp")
    monkeypatch.setenv(ENV, "")
    assert tp.get_temp_dir(WID) == str(default_root / WID / "tmp")
    monkeypatch.delenv(ENV)
    assert tp.get_temp_path(WID).startswith(str(default_root / WID / "tmp") + os.sep)


def test_prefix_suffix_and_none_defaults(tp: ModuleType, root: Path) -> None:
    tmp = root / WID / "tmp"
    name = os.path.basename(tp.get_temp_path(WID, ".csv", "report-"))
    assert name.startswith("report-") and name.endswith(".csv") and NAME_RE.fullmatch(name)
    for path in (
        tp.get_temp_path(WID, None, None),
        tp.make_temp_file(WID, suffix=None, prefix=None)[1],
        tp.make_temp_dir(WID, None, None),
    ):
        match = NAME_RE.fullmatch(os.path.basename(path))
        assert match and match["prefix"] == "temp_" and match["suffix"] == ""
        assert os.path.dirname(path) == str(tmp)
    fd, path = tp.make_temp_file(WID, ".bin", "blob_")
    os.close(fd)
    assert os.path.basename(path).startswith("blob_") and path.endswith(".bin")
    assert os.path.isfile(path)
    path = tp.make_temp_dir(WID, ".d", "work_")
    assert os.path.basename(path).startswith("work_") and os.path.isdir(path)


def test_get_temp_dir(tp: ModuleType, root: Path) -> None:
    assert tp.get_temp_dir(WID) == str(root / WID / "tmp")
    assert tp.get_temp_dir(WID) == str(root / WID / "tmp")
    assert (root / WID / "tmp").is_dir()


AIRFLOW_SCHEDULED = "scheduled__2024-01-01T00:00:00+00:00"
AIRFLOW_MANUAL = "manual__2024-01-01T00:00:00.123+00:00"
CELERY_ID = "d3b07384-d9a0-4c6e-9f3e-7a4b1c2d3e4f"
FIXED_UUID = uuid.UUID("12345678-1234-5678-1234-567812345678")


class JobNumber(enum.IntEnum):
    SEVEN = 7


#: (workflow_id, the directory name it must get)
GOOD_IDS = [
    ("a", "a"), ("Z", "Z"), ("0", "0"), ("job-1", "job-1"), ("Job_1.v2", "Job_1.v2"),
    ("a..b", "a..b"), ("...", "..."), ("x" * 100, "x" * 100),
    (AIRFLOW_SCHEDULED, AIRFLOW_SCHEDULED), (AIRFLOW_MANUAL, AIRFLOW_MANUAL),
    (CELERY_ID, CELERY_ID), ("etl-worker-7d9f8b6c5-x2x7q", "etl-worker-7d9f8b6c5-x2x7q"),
    ("-x", "-x"), ("_x", "_x"), (".hidden", ".hidden"), ("~", "~"), ("$HOME", "$HOME"),
    ("a b", "a b"), (" ", " "), (" padded ", " padded "), ("a:b", "a:b"), ("lost+found", "lost+found"),
    ("é", "é"), ("ｊｏｂ", "ｊｏｂ"), ("日本語ジョブ", "日本語ジョブ"), ("a\u2028b", "a\u2028b"),
    ("x" * 255, "x" * 255), ("é" * 127 + "x", "é" * 127 + "x"),  # exactly 255 bytes
    (42, "42"), (0, "0"), (-7, "-7"), (JobNumber.SEVEN, "7"),
    (FIXED_UUID, "12345678-1234-5678-1234-567812345678"),
]
GOOD_ID_NAMES = [repr(wid)[:40] for wid, _ in GOOD_IDS]

BAD_IDS = [
    "", ".", "..", "../x", "..\\x", "a/..", "x/..", "a\\..", "../../etc", "a/b", "a\\b", "/", "\\",
    "/abs", "/etc/passwd", "\\\\server\\share", "x/", "x\\",
    "x\x00y", "\x00", "a\nb", "job\n", "\t", "\r", "\x1b[31m", "\x1f", "\x7f", "\x80", "a\x85b", "\x9f",
    "x" * 256, "é" * 128, "é" * 127 + "xx", "\udcff", "a\ud800b",
]
NON_IDS = [None, True, False, b"job", bytearray(b"job"), 1.0, Path("job"), ["job"], object()]

CREATORS: List[Callable[[ModuleType, object], object]] = [
    lambda tp, wid: tp.get_temp_path(wid),
    lambda tp, wid: tp.get_temp_dir(wid),
    lambda tp, wid: tp.make_temp_file(wid),
    lambda tp, wid: tp.make_temp_dir(wid),
    lambda tp, wid: tp.open_temp_file(wid).close(),
]
CREATOR_IDS = ["get_temp_path", "get_temp_dir", "make_temp_file", "make_temp_dir", "open_temp_file"]


def create_everything(tp: ModuleType, wid: object) -> List[str]:
    """Every kind of path the module hands out for ``wid``."""
    fd, file_path = tp.make_temp_file(wid)
    os.close(fd)
    with tp.open_temp_file(wid) as handle:
        opened = handle.name
    return [tp.get_temp_dir(wid), tp.get_temp_path(wid), file_path, tp.make_temp_dir(wid), opened]


@pytest.mark.parametrize("wid, dirname", GOOD_IDS, ids=GOOD_ID_NAMES)
def test_valid_workflow_ids(tp: ModuleType, root: Path, wid: object, dirname: str) -> None:
    assert tp.get_temp_dir(wid) == str(root / dirname / "tmp")
    assert os.listdir(root) == [dirname]


@pytest.mark.parametrize("wid, dirname", GOOD_IDS, ids=GOOD_ID_NAMES)
def test_valid_ids_stay_under_the_root(tp: ModuleType, root: Path, wid: object, dirname: str) -> None:
    tmp = os.path.realpath(root / dirname / "tmp")
    real_root = os.path.realpath(root)
    for path in create_everything(tp, wid):
        real = os.path.realpath(path)
        assert real == tmp or os.path.dirname(real) == tmp, path
        assert os.path.commonpath([real, real_root]) == real_root
        parts = Path(path).relative_to(root).parts
        assert parts[:2] == (dirname, "tmp") and len(parts) <= 3, parts
    assert os.listdir(root) == [dirname]  # nothing anywhere else
    assert len(os.listdir(tmp)) == 3  # file, opened file, dir (get_temp_path makes none)


@pytest.mark.parametrize("create", CREATORS, ids=CREATOR_IDS)
@pytest.mark.parametrize("wid", BAD_IDS, ids=[repr(wid)[:30] for wid in BAD_IDS])
def test_bad_workflow_id(tp: ModuleType, root: Path, create: Callable, wid: str) -> None:
    with pytest.raises(ValueError, match="workflow_id"):
        create(tp, wid)
    assert not root.exists()


@pytest.mark.parametrize("create", CREATORS, ids=CREATOR_IDS)
@pytest.mark.parametrize("wid", NON_IDS, ids=[type(wid).__name__ + repr(wid)[:10] for wid in NON_IDS])
def test_non_str_workflow_id(tp: ModuleType, root: Path, create: Callable, wid: object) -> None:
    with pytest.raises(TypeError, match=r"workflow_id must be a str, an int or a uuid\.UUID, not "):
        create(tp, wid)
    assert not root.exists()


def test_bad_id_messages(tp: ModuleType, root: Path) -> None:
    with pytest.raises(ValueError, match=r"'\.\./x'.*contains '/'"):
        tp.get_temp_dir("../x")
    with pytest.raises(ValueError, match="256 bytes"):
        tp.get_temp_dir("x" * 256)
    with pytest.raises(ValueError, match="empty"):
        tp.get_temp_dir("..")
    with pytest.raises(TypeError, match="not bool"):
        tp.get_temp_dir(True)
    assert not root.exists()


def test_int_and_uuid_ids_name_the_same_dir_as_their_str(tp: ModuleType, root: Path) -> None:
    job = uuid.uuid4()
    assert tp.get_temp_dir(job) == tp.get_temp_dir(str(job)) == str(root / str(job) / "tmp")
    assert tp.get_temp_path(42).startswith(str(root / "42" / "tmp") + os.sep)
    with tp.open_temp_file(job) as handle:
        assert os.path.dirname(handle.name) == str(root / str(job) / "tmp")
    assert sorted(os.listdir(root)) == sorted(["42", str(job)])


def test_id_that_is_not_one_component_after_join_is_refused(
    tp: ModuleType, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On Windows os.path.join(root, "C:x") == "C:x": a drive resets the path.
    real_join = os.path.join

    def drive_join(a: str, *p: str) -> str:
        return p[0] if p and p[0] == "C:x" else real_join(a, *p)

    monkeypatch.setattr(os.path, "join", drive_join)
    for create in CREATORS:
        with pytest.raises(ValueError, match="not one path component"):
            create(tp, "C:x")
    assert not root.exists()


BAD_AFFIXES = ["a/b", "/", "/x", "x/", os.sep + "x", "\0", "x\0y"] + ([os.altsep] if os.altsep else [])
AFFIX_CALLS = {
    "get_temp_path": lambda tp, **kw: tp.get_temp_path(WID, **kw),
    "make_temp_file": lambda tp, **kw: tp.make_temp_file(WID, **kw),
    "make_temp_dir": lambda tp, **kw: tp.make_temp_dir(WID, **kw),
    "open_temp_file": lambda tp, **kw: tp.open_temp_file(WID, **kw).close(),
}


@pytest.mark.parametrize("call", list(AFFIX_CALLS.values()), ids=list(AFFIX_CALLS))
@pytest.mark.parametrize("which", ["suffix", "prefix"])
@pytest.mark.parametrize("value", BAD_AFFIXES)
def test_bad_suffix_prefix(tp: ModuleType, root: Path, call: Callable, which: str, value: str) -> None:
    with pytest.raises(ValueError):
        call(tp, **{which: value})
    assert not root.exists()
    with pytest.raises(TypeError):
        call(tp, **{which: b".bin"})


# --------------------------------------------------------------------------- permissions


@pytest.mark.skipif(not POSIX, reason="POSIX permissions")
@pytest.mark.parametrize("umask", [0, 0o022, 0o077, 0o277])
def test_modes_whatever_the_umask(tp: ModuleType, root: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        tmp = tp.get_temp_dir(WID)
        fd, path = tp.make_temp_file(WID, ".txt")
        os.close(fd)
        fd, text_path = tp.make_temp_file(WID, ".txt", text=True)
        os.close(fd)
        directory = tp.make_temp_dir(WID)
    finally:
        os.umask(old)
    for created in (root, root / WID, tmp, directory):
        assert mode(created) == 0o700, (created, oct(mode(created)))
    assert mode(path) == 0o600 and mode(text_path) == 0o600


@pytest.mark.skipif(not POSIX, reason="POSIX permissions")
def test_existing_tmp_dir_is_made_private(tp: ModuleType, root: Path) -> None:
    (root / WID / "tmp").mkdir(parents=True)
    (root / WID).chmod(0o755)
    (root / WID / "tmp").chmod(0o777)
    tp.get_temp_path(WID)
    assert mode(root / WID / "tmp") == 0o700
    assert mode(root / WID) == 0o755  # the job's own dir is not ours to change


@pytest.mark.parametrize("linked", ["job", "tmp"])
def test_symlinked_job_or_tmp_dir_is_refused(tp: ModuleType, root: Path, outside: Path, linked: str) -> None:
    if linked == "job":
        root.mkdir()
        (root / WID).symlink_to(outside, target_is_directory=True)
    else:
        (root / WID).mkdir(parents=True)
        (root / WID / "tmp").symlink_to(outside, target_is_directory=True)
    for create in CREATORS:
        with pytest.raises(PermissionError):
            create(tp, WID)
    assert sorted(os.listdir(outside)) == ["secret.txt", "sub"]
    assert_outside_intact(outside)


def test_tmp_path_that_is_a_file_is_refused(tp: ModuleType, root: Path) -> None:
    (root / WID).mkdir(parents=True)
    (root / WID / "tmp").write_text("")
    with pytest.raises(NotADirectoryError):
        tp.get_temp_dir(WID)


# --------------------------------------------------------------------------- make_temp_file


def test_make_temp_file_open_flags(tp: ModuleType, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_binary, fake_noinherit = 1 << 28, 1 << 29
    monkeypatch.setattr(os, "O_BINARY", fake_binary, raising=False)
    monkeypatch.setattr(os, "O_NOINHERIT", fake_noinherit, raising=False)
    seen = []
    real_open = os.open

    def spy(path: str, flags: int, mode: int = 0o777, *args, **kwargs) -> int:
        seen.append((flags, mode))
        return real_open(path, flags & ~(fake_binary | fake_noinherit), mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    os.close(tp.make_temp_file(WID)[0])
    os.close(tp.make_temp_file(WID, text=True)[0])
    required = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    (binary_flags, binary_mode), (text_flags, text_mode) = seen
    assert binary_flags & required == required and text_flags & required == required
    assert binary_mode == text_mode == 0o600
    assert binary_flags & fake_binary and not text_flags & fake_binary
    assert binary_flags & fake_noinherit and text_flags & fake_noinherit


def test_make_temp_file_returns_open_rw_fd(tp: ModuleType, root: Path) -> None:
    fd, path = tp.make_temp_file(WID, ".bin")
    try:
        os.write(fd, b"hello")
        os.lseek(fd, 0, os.SEEK_SET)
        assert os.read(fd, 5) == b"hello"
    finally:
        os.close(fd)
    assert Path(path).read_bytes() == b"hello"
    assert os.path.dirname(path) == str(root / WID / "tmp")


def names(*sequence: str) -> Callable[[str, str], str]:
    it: Iterator[str] = iter(sequence)
    return lambda prefix, suffix: next(it)


def test_make_temp_file_never_follows_a_planted_symlink(
    tp: ModuleType, root: Path, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp = Path(tp.get_temp_dir(WID))
    (tmp / "planted").symlink_to(outside / "secret.txt")
    (tmp / "dangling").symlink_to(outside / "created-through-link")
    monkeypatch.setattr(tp, "_random_name", names("planted", "dangling", "fresh"))
    fd, path = tp.make_temp_file(WID)
    os.write(fd, b"mine")
    os.close(fd)
    assert path == str(tmp / "fresh")
    assert_outside_intact(outside)
    assert not (outside / "created-through-link").exists()


@pytest.mark.parametrize("kind", ["file", "dir", "path"])
def test_retry_on_name_collision(tp: ModuleType, root: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    tmp = Path(tp.get_temp_dir(WID))
    (tmp / "taken").write_text("other job's")
    (tmp / "taken-dir").mkdir()
    monkeypatch.setattr(tp, "_random_name", names("taken", "taken-dir", "free"))
    if kind == "file":
        fd, path = tp.make_temp_file(WID)
        os.close(fd)
    elif kind == "dir":
        path = tp.make_temp_dir(WID)
    else:
        path = tp.get_temp_path(WID)
    assert path == str(tmp / "free")
    assert (tmp / "taken").read_text() == "other job's"


@pytest.mark.parametrize("kind", ["file", "dir", "path"])
def test_retries_are_bounded(tp: ModuleType, root: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    tmp = Path(tp.get_temp_dir(WID))
    (tmp / "taken").write_text("")
    calls = []
    monkeypatch.setattr(tp, "_random_name", lambda prefix, suffix: calls.append(1) or "taken")
    monkeypatch.setattr(tp, "MAX_ATTEMPTS", 7)
    create = {"file": tp.make_temp_file, "dir": tp.make_temp_dir, "path": tp.get_temp_path}[kind]
    with pytest.raises(FileExistsError):
        create(WID)
    assert len(calls) == 7


def test_random_part_comes_from_secrets(tp: ModuleType, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tp.get_temp_path(WID), tp.get_temp_path(WID)
    assert NAME_RE.fullmatch(os.path.basename(first))["rand"] != NAME_RE.fullmatch(os.path.basename(second))["rand"]
    import secrets

    monkeypatch.setattr(secrets, "token_hex", lambda nbytes=None: "feedfacecafebeef")
    assert NAME_RE.fullmatch(os.path.basename(tp.get_temp_path(WID)))["rand"] == "feedfacecafebeef"


def test_recreates_tmp_dir_swept_away_meanwhile(tp: ModuleType, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = tp._job_tmp_dir
    state = {"calls": 0}

    def job_tmp_dir_then_sweep(wid: str) -> str:
        path = real(wid)
        state["calls"] += 1
        if state["calls"] == 1:
            shutil.rmtree(root / wid)  # a sweeper strikes right after the dir was made
        return path

    monkeypatch.setattr(tp, "_job_tmp_dir", job_tmp_dir_then_sweep)
    fd, path = tp.make_temp_file(WID)
    os.close(fd)
    assert os.path.isfile(path) and state["calls"] == 2


# --------------------------------------------------------------------------- open_temp_file


def open_fds() -> List[str]:
    return sorted(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else []


def test_open_temp_file_default(tp: ModuleType, root: Path) -> None:
    with tp.open_temp_file(WID) as handle:
        assert isinstance(handle, io.BufferedRandom) and handle.mode == "rb+"
        assert isinstance(handle.name, str) and handle.name == handle.raw.name
        assert os.path.dirname(handle.name) == str(root / WID / "tmp")
        match = NAME_RE.fullmatch(os.path.basename(handle.name))
        assert match and match["prefix"] == "temp_" and match["suffix"] == ""
        handle.write(b"hello")
        handle.seek(0)
        assert handle.read() == b"hello"
    assert handle.closed
    assert Path(handle.name).read_bytes() == b"hello"  # delete=False: the file stays
    tp.cleanup_temp_path(handle.name)
    assert not os.path.lexists(handle.name)


def test_open_temp_file_signature(tp: ModuleType, root: Path) -> None:
    import inspect

    params = inspect.signature(tp.open_temp_file).parameters
    assert list(params) == ["workflow_id", "suffix", "mode", "prefix", "open_kwargs"]
    assert (params["suffix"].default, params["mode"].default, params["prefix"].default) == ("", "w+b", "temp_")
    assert params["prefix"].kind is inspect.Parameter.KEYWORD_ONLY
    assert params["open_kwargs"].kind is inspect.Parameter.VAR_KEYWORD
    with tp.open_temp_file(WID, ".csv", "w", prefix="rows_") as handle:
        name = os.path.basename(handle.name)
    assert name.startswith("rows_") and name.endswith(".csv")
    with tp.open_temp_file(WID, None, prefix=None) as handle:
        match = NAME_RE.fullmatch(os.path.basename(handle.name))
    assert match and match["prefix"] == "temp_" and match["suffix"] == ""


def test_open_temp_file_reuses_make_temp_file(
    tp: ModuleType, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real = tp.make_temp_file

    def spy(*args: object, **kwargs: object) -> tuple:
        result = real(*args, **kwargs)
        calls.append((args, kwargs, result))
        return result

    monkeypatch.setattr(tp, "make_temp_file", spy)
    with tp.open_temp_file(WID, ".t", "w", prefix="p_") as text_file:
        assert text_file.fileno() == calls[0][2][0]  # the very fd make_temp_file created
    with tp.open_temp_file(WID, ".b", "wb") as binary_file:
        pass
    assert [c[2][1] for c in calls] == [text_file.name, binary_file.name]
    as_dict = [dict(zip(["workflow_id", "suffix", "prefix", "text"], args), **kw) for args, kw, _ in calls]
    assert as_dict[0] == {"workflow_id": WID, "suffix": ".t", "prefix": "p_", "text": True}
    assert as_dict[1]["text"] is False


def test_open_temp_file_open_flags(tp: ModuleType, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []
    real_open = os.open

    def spy(path: str, flags: int, mode: int = 0o777, *args, **kwargs) -> int:
        seen.append((path, flags, mode))
        return real_open(path, flags, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    with tp.open_temp_file(WID, mode="x") as handle:
        pass
    required = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    [(path, flags, mode_bits)] = seen  # opened once, by make_temp_file's code
    assert path == handle.name and flags & required == required and mode_bits == 0o600


@pytest.mark.skipif(not POSIX, reason="POSIX permissions")
@pytest.mark.parametrize("umask", [0, 0o022, 0o077])
def test_open_temp_file_is_private_whatever_the_umask(tp: ModuleType, root: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        with tp.open_temp_file(WID, ".bin") as binary, tp.open_temp_file(WID, ".txt", "w") as text:
            pass
    finally:
        os.umask(old)
    assert mode(binary.name) == 0o600 and mode(text.name) == 0o600
    for created in (root, root / WID, root / WID / "tmp"):
        assert mode(created) == 0o700


def test_open_temp_file_never_reuses_an_existing_path(
    tp: ModuleType, root: Path, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp = Path(tp.get_temp_dir(WID))
    (tmp / "taken").write_text("other job's")
    (tmp / "taken-dir").mkdir()
    (tmp / "planted").symlink_to(outside / "secret.txt")
    (tmp / "dangling").symlink_to(outside / "created-through-link")
    monkeypatch.setattr(tp, "_random_name", names("taken", "taken-dir", "planted", "dangling", "free"))
    with tp.open_temp_file(WID, mode="w") as handle:  # "w" would truncate a reused file
        handle.write("mine")
    assert handle.name == str(tmp / "free") and (tmp / "free").read_text() == "mine"
    assert (tmp / "taken").read_text() == "other job's"
    assert_outside_intact(outside)
    assert not (outside / "created-through-link").exists()


MODES = ["w+b", "wb", "w", "w+", "r+", "rb+", "r+b", "a", "a+", "ab", "ab+", "x", "x+", "xb", "x+b", "r", "rb", "wt", "rt"]


@pytest.mark.parametrize("file_mode", MODES)
def test_open_temp_file_every_mode(tp: ModuleType, root: Path, file_mode: str) -> None:
    binary = "b" in file_mode
    readable = "r" in file_mode or "+" in file_mode
    writable = any(c in file_mode for c in "wax+")
    data = b"abc\n" if binary else "abc\n"
    with tp.open_temp_file(WID, ".dat", file_mode) as handle:
        assert handle.name.startswith(str(root / WID / "tmp") + os.sep)
        assert isinstance(handle, io.TextIOBase) is not binary
        assert handle.readable() is readable and handle.writable() is writable
        if readable:
            assert handle.read() == data[:0]  # fresh and empty
        else:
            with pytest.raises(io.UnsupportedOperation):
                handle.read()
        if writable:
            handle.write(data)
            if readable:
                handle.seek(0)
                assert handle.read() == data
        else:
            with pytest.raises(io.UnsupportedOperation):
                handle.write(data)
    assert Path(handle.name).read_bytes() == (b"abc\n" if writable else b"")
    assert mode(handle.name) == 0o600 or not POSIX


def test_open_temp_file_text_round_trip(tp: ModuleType, root: Path) -> None:
    with tp.open_temp_file(WID, ".txt", "w+", encoding="utf-16", newline="\r\n") as handle:
        handle.write("é\nline 2\n")
        handle.seek(0)
        assert handle.read() == "é\r\nline 2\r\n"  # newline="\r\n" does not translate back
        assert handle.encoding == "utf-16"
    assert Path(handle.name).read_bytes() == "é\r\nline 2\r\n".encode("utf-16")
    with tp.open_temp_file(WID, ".csv", "w+", encoding="utf-8", newline="") as handle:
        handle.write("a,b\r\nc,d\n")
        handle.seek(0)
        assert handle.read() == "a,b\r\nc,d\n"
    assert Path(handle.name).read_bytes() == b"a,b\r\nc,d\n"
    with tp.open_temp_file(WID, mode="w", encoding="ascii", errors="replace") as handle:
        handle.write("né")
    assert Path(handle.name).read_bytes() == b"n?"


def test_open_temp_file_buffering(tp: ModuleType, root: Path) -> None:
    with tp.open_temp_file(WID, mode="wb", buffering=0) as raw:
        assert isinstance(raw, io.FileIO) and isinstance(raw.name, str)
        raw.write(b"now")
        assert Path(raw.name).read_bytes() == b"now"  # unbuffered: already on disk
    with tp.open_temp_file(WID, mode="w", buffering=1, encoding="utf-8") as lines:
        lines.write("one\n")
        assert Path(lines.name).read_text() == "one\n"  # line buffered


def test_open_temp_file_bad_arguments_create_nothing(tp: ModuleType, root: Path) -> None:
    for kwargs in ({"delete": False}, {"dir": str(root)}, {"closefd": False}, {"opener": None}):
        with pytest.raises(TypeError, match="unexpected keyword"):
            tp.open_temp_file(WID, **kwargs)
    with pytest.raises(TypeError, match="mode must be a str"):
        tp.open_temp_file(WID, mode=b"wb")
    with pytest.raises(ValueError):
        tp.open_temp_file(WID, "a/b")
    with pytest.raises(ValueError):
        tp.open_temp_file(WID, prefix="../")
    with pytest.raises(ValueError):
        tp.open_temp_file("../x")
    with pytest.raises(TypeError):
        tp.open_temp_file(None)
    assert not root.exists()


@pytest.mark.parametrize(
    "file_mode, kwargs, error",
    [
        ("q", {}, ValueError),
        ("rw", {}, ValueError),
        ("", {}, ValueError),
        ("wb", {"encoding": "utf-8"}, ValueError),
        ("w", {"encoding": "no-such-codec"}, LookupError),
        ("w", {"buffering": 0}, ValueError),
        ("w", {"newline": "x"}, ValueError),
        ("w", {"errors": 5}, TypeError),
        ("w", {"buffering": "big"}, TypeError),
    ],
)
def test_open_temp_file_failure_closes_and_removes(
    tp: ModuleType, root: Path, monkeypatch: pytest.MonkeyPatch, file_mode: str, kwargs: dict, error: type
) -> None:
    tmp = Path(tp.get_temp_dir(WID))
    created = []
    real = tp.make_temp_file
    monkeypatch.setattr(tp, "make_temp_file", lambda *a, **k: created.append(real(*a, **k)) or created[-1])
    fds_before = open_fds()
    with pytest.raises(error):
        tp.open_temp_file(WID, ".dat", file_mode, **kwargs)
    assert len(created) == 1  # the file was made, and then...
    assert not os.path.lexists(created[0][1])  # ...removed
    assert os.listdir(tmp) == []
    assert open_fds() == fds_before  # ...and its fd closed, exactly once
    with pytest.raises(OSError):
        os.fstat(created[0][0])


# --------------------------------------------------------------------------- concurrency


def test_unique_across_threads(tp: ModuleType, root: Path) -> None:
    threads, per_thread = 16, 200
    barrier = threading.Barrier(threads)
    results: List[List[str]] = [[] for _ in range(threads)]
    errors: List[BaseException] = []

    def work(index: int) -> None:
        try:
            barrier.wait()
            out = results[index]
            for i in range(per_thread):
                kind = i % 3
                if kind == 0:
                    out.append(tp.get_temp_path(WID, ".p"))
                elif kind == 1:
                    fd, path = tp.make_temp_file(WID, ".f")
                    os.close(fd)
                    out.append(path)
                else:
                    out.append(tp.make_temp_dir(WID, ".d"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert not errors
    paths = [p for out in results for p in out]
    assert len(paths) == threads * per_thread == len(set(paths))
    created = {p for p in paths if not p.endswith(".p")}
    assert created == {str(p) for p in (root / WID / "tmp").iterdir()}


CHILD = r"""
import importlib.util, os, sys
spec = importlib.util.spec_from_file_location("temp_paths", sys.argv[1])
tp = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tp)
print("ready", flush=True)
sys.stdin.readline()
out = []
for i in range(int(sys.argv[2])):
    out.append(tp.get_temp_path("shared-job", ".p"))
    fd, path = tp.make_temp_file("shared-job", ".f")
    os.close(fd)
    out.append(path)
    out.append(tp.make_temp_dir("shared-job", ".d"))
print("\n".join(out))
"""


def test_unique_across_processes(written: Path, root: Path) -> None:
    processes, per_process = 4, 150
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(written), str(per_process)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(processes)
    ]
    try:
        for proc in procs:  # all imported and waiting: start them at once
            assert proc.stdout.readline() == "ready\n"
        for proc in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outputs = [proc.communicate(timeout=600) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:  # pragma: no cover - only on failure
                proc.kill()
                proc.wait()
    paths = []
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
        paths.extend(out.split())
    assert len(paths) == processes * per_process * 3 == len(set(paths))
    tmp = root / "shared-job" / "tmp"
    assert all(os.path.dirname(p) == str(tmp) for p in paths)
    assert {p for p in paths if not p.endswith(".p")} == {str(p) for p in tmp.iterdir()}


# --------------------------------------------------------------------------- cleanup


def test_cleanup_file_and_tree(tp: ModuleType, root: Path) -> None:
    fd, path = tp.make_temp_file(WID)
    os.close(fd)
    tp.cleanup_temp_path(path)
    assert not os.path.lexists(path)
    tree = Path(tp.make_temp_dir(WID))
    (tree / "a" / "b").mkdir(parents=True)
    (tree / "a" / "b" / "f.txt").write_text("x")
    (tree / "g.txt").write_text("y")
    tp.cleanup_temp_path(tree)  # PathLike
    assert not tree.exists()
    assert (root / WID / "tmp").is_dir()


def test_cleanup_symlink_never_removes_target(tp: ModuleType, root: Path, outside: Path) -> None:
    tmp = Path(tp.get_temp_dir(WID))
    file_link = tmp / "file-link"
    file_link.symlink_to(outside / "secret.txt")
    dir_link = tmp / "dir-link"
    dir_link.symlink_to(outside, target_is_directory=True)
    tp.cleanup_temp_path(str(file_link))
    tp.cleanup_temp_path(str(dir_link) + os.sep)  # a trailing slash must not resolve the link
    assert not os.path.lexists(file_link) and not os.path.lexists(dir_link)
    assert_outside_intact(outside)
    dangling = tmp / "dangling"
    dangling.symlink_to(tmp / "nowhere")
    tp.cleanup_temp_path(dangling)
    assert not os.path.lexists(dangling)


def test_cleanup_tree_with_symlinks_pointing_outside(tp: ModuleType, root: Path, outside: Path) -> None:
    tree = Path(tp.make_temp_dir(WID))
    (tree / "nested").mkdir()
    (tree / "nested" / "to-dir").symlink_to(outside, target_is_directory=True)
    (tree / "to-file").symlink_to(outside / "secret.txt")
    tp.cleanup_temp_path(tree)
    assert not tree.exists()
    assert_outside_intact(outside)


def test_cleanup_missing_and_none(tp: ModuleType, root: Path, tmp_path: Path) -> None:
    tp.cleanup_temp_path(None)
    tp.cleanup_temp_path(tp.get_temp_path(WID))  # never created
    tp.cleanup_temp_path(tmp_path / "nothing" / "here")
    (tmp_path / "file").write_text("")
    tp.cleanup_temp_path(tmp_path / "file" / "under-a-file")
    assert (tmp_path / "file").exists()


@pytest.mark.parametrize("bad", [".", "..", "x/.", "x/..", "/"])
def test_cleanup_refuses_dot_paths(tp: ModuleType, bad: str) -> None:
    with pytest.raises(ValueError):
        tp.cleanup_temp_path(bad)


def test_cleanup_in_finally_after_partial_failure(tp: ModuleType, root: Path) -> None:
    path = tp.get_temp_path(WID, ".out")
    with pytest.raises(RuntimeError, match="before the file existed"):
        try:
            raise RuntimeError("before the file existed")
        finally:
            tp.cleanup_temp_path(path)  # must not mask the error with FileNotFoundError
    with pytest.raises(RuntimeError, match="half written"):
        try:
            with open(path, "xb") as handle:
                handle.write(b"partial")
                raise RuntimeError("half written")
        finally:
            tp.cleanup_temp_path(path)
    assert not os.path.lexists(path)
    directory = None
    with pytest.raises(RuntimeError, match="no dir yet"):
        try:
            raise RuntimeError("no dir yet")
            directory = tp.make_temp_dir(WID)  # pragma: no cover
        finally:
            tp.cleanup_temp_path(directory)


def test_cleanup_tolerates_entries_vanishing(tp: ModuleType, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = Path(tp.make_temp_dir(WID))
    for i in range(5):
        (tree / f"vanishing-{i}").write_text("")
    real_unlink = os.unlink

    def racing_unlink(path, *args, **kwargs) -> None:
        if "vanishing" in os.fsdecode(path):
            real_unlink(path, *args, **kwargs)  # someone else removed it first
        real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", racing_unlink)
    tp.cleanup_temp_path(tree)
    assert not tree.exists()


def _as_unprivileged_user(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make os.unlink/os.rmdir refuse, as for a user who is not root, to remove an entry of a
    directory without write permission (root, who runs CI, is never refused)."""
    if os.geteuid() != 0:
        return  # the real rule already applies

    def guarded(real):
        def remove(path, *, dir_fd=None):
            parent = os.fstat(dir_fd) if dir_fd is not None else os.stat(os.path.dirname(os.fspath(path)) or ".")
            if not parent.st_mode & 0o200:
                raise PermissionError(13, "Permission denied", os.fsdecode(path))
            real(path, dir_fd=dir_fd)
        return remove

    monkeypatch.setattr(os, "unlink", guarded(os.unlink))
    monkeypatch.setattr(os, "rmdir", guarded(os.rmdir))


def test_cleanup_removes_read_only_entries(tp: ModuleType, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As TemporaryDirectory does: a read-only dir inside the tree (a Go module cache, a read-only
    checkout) is made writable and removed, instead of failing the finally block."""
    tree = Path(tp.make_temp_dir(WID))
    (tree / "cache" / "deep").mkdir(parents=True)
    (tree / "cache" / "deep" / "f").write_text("x")
    (tree / "cache" / "g").write_text("x")
    (tree / "cache" / "deep").chmod(0o555)
    (tree / "cache").chmod(0o555)
    _as_unprivileged_user(monkeypatch)
    tp.cleanup_temp_path(tree)
    assert not tree.exists()


def test_cleanup_read_only_never_touches_what_links_point_to(tp: ModuleType, root: Path, outside: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    tree = Path(tp.make_temp_dir(WID))
    (tree / "locked").mkdir()
    (tree / "locked" / "link").symlink_to(outside)
    (tree / "locked").chmod(0o555)
    before = stat.S_IMODE(outside.stat().st_mode)
    _as_unprivileged_user(monkeypatch)
    tp.cleanup_temp_path(tree)
    assert not tree.exists()
    assert (outside / "secret.txt").read_text() == "keep"
    assert stat.S_IMODE(outside.stat().st_mode) == before


# --------------------------------------------------------------------------- sweep


def make_job(root: Path, wid: str, old: bool = True) -> Path:
    tmp = root / wid / "tmp"
    (tmp / "work" / "deep").mkdir(parents=True)
    (tmp / "work" / "deep" / "f.bin").write_bytes(b"x")
    (tmp / "scratch.txt").write_text("y")
    if old:
        age(tmp, OLD)
    return tmp


def test_sweep_removes_only_stale_tmp_dirs(tp: ModuleType, root: Path) -> None:
    stale = make_job(root, "old")
    fresh = make_job(root, "fresh", old=False)
    busy = make_job(root, "old-but-busy")
    os.utime(busy / "work" / "deep" / "f.bin")  # one recent write deep inside
    with_outputs = make_job(root, "with-outputs")
    (root / "with-outputs" / "result.json").write_text("{}")
    age(root / "with-outputs", OLD)
    not_a_job = root / "lost+found" / "tmp"
    not_a_job.mkdir(parents=True)
    age(root / "lost+found", OLD)
    (root / "stray-file").write_text("")
    assert tp.sweep_stale(3600) == 2
    assert not stale.exists() and not with_outputs.exists()
    assert fresh.is_dir() and busy.is_dir() and not_a_job.is_dir()
    assert (root / "old").is_dir()  # the job dir itself stays
    assert (root / "with-outputs" / "result.json").read_text() == "{}"
    assert tp.sweep_stale(3600) == 0


def test_sweep_handles_real_world_ids(tp: ModuleType, root: Path) -> None:
    swept = [make_job(root, wid) for wid in (AIRFLOW_SCHEDULED, CELERY_ID, "42", "é job", " ")]
    fresh = make_job(root, AIRFLOW_MANUAL, old=False)
    kept = [make_job(root, name) for name in ("lost+found", "bad\x01name", "bad\x7fname")]
    assert tp.sweep_stale(3600) == len(swept)
    assert not any(tmp.exists() for tmp in swept)
    assert fresh.is_dir() and all(tmp.is_dir() for tmp in kept)


def test_sweep_root_argument_and_missing_root(tp: ModuleType, tmp_path: Path, root: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    stale = make_job(elsewhere, "old")
    in_env_root = make_job(root, "old")
    assert tp.sweep_stale(3600, root=elsewhere) == 1
    assert not stale.exists() and in_env_root.exists()
    assert tp.sweep_stale(3600, root=str(tmp_path / "missing")) == 0
    (tmp_path / "a-file").write_text("")
    assert tp.sweep_stale(3600, root=tmp_path / "a-file") == 0
    assert tp.sweep_stale(3600) == 1  # root=None: the env var's root


@pytest.mark.parametrize("bad", [-1, float("nan")])
def test_sweep_rejects_bad_age(tp: ModuleType, root: Path, bad: float) -> None:
    with pytest.raises(ValueError):
        tp.sweep_stale(bad)
    with pytest.raises(TypeError):
        tp.sweep_stale("3600")


def test_sweep_never_follows_symlinked_job_or_tmp_dirs(tp: ModuleType, root: Path, outside: Path) -> None:
    victim = make_job(outside, "victim")  # outside/victim/tmp, old
    age(outside, OLD)
    root.mkdir()
    (root / "linked-job").symlink_to(outside / "victim", target_is_directory=True)
    (root / "real-job").mkdir()
    (root / "real-job" / "tmp").symlink_to(victim, target_is_directory=True)
    age(root, OLD)
    assert tp.sweep_stale(3600) == 0
    assert (victim / "scratch.txt").exists() and (victim / "work" / "deep" / "f.bin").exists()
    assert_outside_intact(outside)
    assert os.path.islink(root / "linked-job") and os.path.islink(root / "real-job" / "tmp")


def test_sweep_judges_symlinks_by_their_own_mtime(tp: ModuleType, root: Path, outside: Path) -> None:
    tmp = root / "old" / "tmp"
    (tmp / "nested").mkdir(parents=True)
    (tmp / "nested" / "to-dir").symlink_to(outside, target_is_directory=True)
    (tmp / "to-file").symlink_to(outside / "secret.txt")
    age(tmp, OLD)  # the links are old, their (fresh) targets are not looked at
    assert tp.sweep_stale(3600) == 1
    assert not tmp.exists()
    assert_outside_intact(outside)


def test_using_a_job_dir_keeps_it_from_the_sweep(tp: ModuleType, root: Path) -> None:
    tmp = make_job(root, "active")
    tp.get_temp_path("active")  # the job is alive: a fresh name was just handed out
    assert tp.sweep_stale(3600) == 0
    assert tmp.is_dir()


class FakeScandir:
    """``os.scandir`` whose listing is taken first, then ``hook`` runs (things vanish)."""

    def __init__(self, entries: list, hook: Callable[[], None]) -> None:
        self.entries = entries
        hook()

    def __enter__(self) -> "FakeScandir":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __iter__(self) -> Iterator:
        return iter(self.entries)


def test_sweep_tolerates_entries_vanishing(
    tp: ModuleType, root: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    survivors = make_job(root, "a-survivor")
    job_gone = make_job(root, "b-job-gone")
    tmp_gone = make_job(root, "c-tmp-gone")
    sub_gone = make_job(root, "d-sub-gone")
    removed = make_job(root, "e-removed")
    real_scandir = os.scandir

    def racing_scandir(path):
        if isinstance(path, int):  # shutil.rmtree lists by fd
            return real_scandir(path)
        path = os.fsdecode(path)
        if path == str(root):
            with real_scandir(path) as listing:
                entries = list(listing)
            return FakeScandir(entries, lambda: shutil.rmtree(root / "b-job-gone"))
        if path == str(tmp_gone):
            shutil.rmtree(tmp_gone)  # vanishes just before it is listed
        if path == str(sub_gone):
            with real_scandir(path) as listing:
                entries = list(listing)
            # removing "work" bumps the tmp dir's mtime: age it again, as if long ago
            return FakeScandir(entries, lambda: (shutil.rmtree(sub_gone / "work"), age(sub_gone, OLD)))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", racing_scandir)
    os.utime(survivors)  # fresh: not removed
    count = tp.sweep_stale(3600)
    assert count == 2  # d (its "work" vanished mid-walk) and e
    assert not caplog.records  # vanishing is normal, not worth a warning
    assert not job_gone.exists() and not tmp_gone.exists()
    assert not sub_gone.exists() and not removed.exists()
    assert survivors.is_dir()


# --------------------------------------------------------------------------- python -m temp_paths


def test_main_sweeps_once(written: Path, root: Path, tmp_path: Path) -> None:
    stale = make_job(root, "old")
    fresh = make_job(root, "fresh", old=False)
    result = run_module(written, "--sweep", "3600", "--root", str(root))
    assert result.returncode == 0, result.stderr
    assert re.search(r"\bremoved 1\b", result.stdout), result.stdout
    assert not stale.exists() and fresh.exists()


def test_python_dash_m_uses_env_root(written: Path, root: Path) -> None:
    stale = make_job(root, "old")
    result = subprocess.run(
        [sys.executable, "-m", "temp_paths", "--sweep", "3600"],
        cwd=written.parent, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"\bremoved 1\b", result.stdout) and str(root) in result.stdout
    assert not stale.exists()


@pytest.mark.parametrize("args", [[], ["--sweep", "-5"], ["--sweep", "soon"], ["--sweep", "1", "--every", "0"]])
def test_main_rejects_bad_arguments(written: Path, root: Path, args: List[str]) -> None:
    result = run_module(written, *args)
    assert result.returncode == 2 and "usage" in result.stderr


def test_main_every_keeps_sweeping(written: Path, root: Path, tmp_path: Path) -> None:
    log = tmp_path / "sidecar.log"

    def lines() -> List[str]:
        return log.read_text().splitlines()

    def wait_for(condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 600  # a hang guard
        while not condition():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.02)

    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, str(written), "--sweep", "3600", "--every", "0.05"],
            stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: len(lines()) >= 1)
        stale = make_job(root, "crashed")  # a job dies after the sidecar started
        wait_for(lambda: not stale.exists())
        wait_for(lambda: any(re.search(r"\bremoved 1\b", line) for line in lines()))
    finally:
        proc.terminate()
        proc.wait(timeout=600)
