"""The stat entries of the result cache: a warm run takes the result of a file whose stat is the
recorded one without reading it, and never serves a result for content that changed, however the
change kept the size or the mtime (all through the real command line)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tmplint
import tmplint.codemods
from tmplint import cache as cache_module
from tmplint import check as check_module
from tmplint.cache import CACHE_DIR_ENV, ResultCache
from tmplint.check import check_paths
from tmplint.config import Config

BAD = "import tempfile\n\n\ndef f():\n    return tempfile.mkstemp()\n"
#: as long as BAD, without findings
CLEAN = "import tempfile\n\n\ndef f():\n    return tempfilx.mkstemp()\n"
LITERAL = "PATH = '/tmp/x.json'\n"
assert len(BAD) == len(CLEAN)

#: the real command line, except that stat entries are recorded also for files changed just now (a
#: test's files are a moment old, and the product waits ``RACY_NS`` before it trusts a stat)
DRIVER = "import sys, tmplint.cache; tmplint.cache.RACY_NS = 0; from tmplint.__main__ import run; sys.exit(run())"


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool.tmplint]\n")
    for name, text in {"a.py": CLEAN, "b.py": BAD, "literal.py": LITERAL}.items():
        (root / name).write_text(text)
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    return root


def check(root: Path, *args: str, python_path: str = "") -> dict:
    """``tmplint check --format json`` on ``root``: {file name: [(line, code, message)]}."""
    env = dict(os.environ, PYTHONPATH=python_path) if python_path else None
    result = subprocess.run([sys.executable, "-c", DRIVER, "check", "--format", "json", *args, "."], cwd=root,
                            capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode in (0, 1), result.stderr
    found: dict = {}
    for finding in json.loads(result.stdout):
        found.setdefault(Path(finding["path"]).name, []).append((finding["line"], finding["code"], finding["message"]))
    return found


def cold(root: Path) -> dict:
    return check(root, "--no-cache")


def stat_entries(cache_root: Path) -> dict:
    """Every stat entry in the cache: {file name: digest}."""
    entries = {}
    for shard in sorted(cache_root.rglob("*.json")):
        for path, entry in json.loads(shard.read_bytes()).get("stats", {}).items():
            entries[Path(path).name] = entry[-1]
    return entries


def rewrite(path: Path, text: str, mtime_ns: int) -> None:
    """``text`` into ``path`` in place (same inode), with the mtime set to ``mtime_ns``."""
    before = path.stat()
    with open(path, "r+b") as handle:
        handle.write(text.encode())
        handle.truncate()
    os.utime(path, ns=(before.st_atime_ns, mtime_ns))
    after = path.stat()
    assert after.st_ino == before.st_ino
    # what tells the change apart when size and mtime are kept: a run came between the two writes
    assert after.st_ctime_ns != before.st_ctime_ns


def test_warm_runs_record_stats_and_give_the_cold_results(project, tmp_path):
    expected = cold(project)
    assert expected["b.py"] and expected["literal.py"] and "a.py" not in expected
    assert check(project) == expected
    assert set(stat_entries(tmp_path / "cache")) == {"a.py", "b.py", "literal.py"}
    assert check(project) == expected


@pytest.mark.parametrize("change", ["new mtime", "same size, new mtime", "same size, same mtime"])
def test_changed_content_is_never_served_from_its_old_stat(project, tmp_path, change):
    check(project)
    target = project / "a.py"
    assert "a.py" in stat_entries(tmp_path / "cache")
    old = target.stat().st_mtime_ns
    text = {"new mtime": BAD + "# more\n"}.get(change, BAD)
    rewrite(target, text, old if change == "same size, same mtime" else old - 10**9)
    assert check(project)["a.py"] == cold(project)["a.py"]
    # and the other way round, from findings to none
    rewrite(target, CLEAN, target.stat().st_mtime_ns if change == "same size, same mtime" else old + 10**9)
    assert "a.py" not in check(project)


def test_a_file_replaced_by_rename_is_checked_again(project, tmp_path):
    check(project)
    target = project / "a.py"
    old = target.stat()
    replacement = project / "new.tmp"
    replacement.write_text(BAD)
    os.utime(replacement, ns=(old.st_atime_ns, old.st_mtime_ns))
    os.replace(replacement, target)
    assert target.stat().st_size == old.st_size and target.stat().st_mtime_ns == old.st_mtime_ns
    assert check(project)["a.py"] == cold(project)["a.py"]


def test_a_config_change_is_not_served_from_the_stat_entries(project):
    assert check(project)["literal.py"]
    (project / "pyproject.toml").write_text("[tool.tmplint]\nignore = ['TMP006']\n")
    assert "literal.py" not in check(project)
    (project / "pyproject.toml").write_text("[tool.tmplint]\n")
    assert check(project)["literal.py"] == cold(project)["literal.py"]


def test_an_upgrade_is_not_served_from_the_stat_entries(project, tmp_path):
    """Other code of tmplint (here: a copy whose TMP002 message changed) reads none of the entries
    of the code before it, although no file changed."""
    before = check(project)
    installed = tmp_path / "installed"
    package = Path(tmplint.__file__).parent
    shutil.copytree(package, installed / "tmplint", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(Path(tmplint.codemods.__file__).parent, installed / "codemods",
                    ignore=shutil.ignore_patterns("__pycache__"))
    registry = installed / "tmplint" / "registry.py"
    original = "writes to the shared system temp dir; use make_temp_file(workflow_id, suffix)"
    assert original in registry.read_text()
    registry.write_text(registry.read_text().replace(original, "is UPGRADED"))
    after = check(project, python_path=str(installed))
    assert [message for _, _, message in after["b.py"]] == ["tempfile.mkstemp() is UPGRADED"]
    assert check(project) == before


def test_a_warm_run_imports_no_detector_flake8_or_pool(project, tmp_path):
    """What a run imports after the command is done: the detector, flake8, the prefilter and the
    pool's modules only when some file has to be checked."""
    listing = tmp_path / "modules.txt"
    driver = DRIVER.replace("sys.exit(run())", "out = sys.argv.pop(); status = run(); "
                            "open(out, 'w').write('\\n'.join(sys.modules)); sys.exit(status)")
    never_warm = {"tmplint.detector", "flake8", "tmplint.prefilter", "multiprocessing", "concurrent.futures", "libcst"}

    def modules_of_a_run() -> set:
        result = subprocess.run([sys.executable, "-c", driver, "check", ".", str(listing)], cwd=project,
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 1, result.stderr
        return set(listing.read_text().splitlines())

    assert {"tmplint.detector", "flake8", "tmplint.prefilter"} <= modules_of_a_run()  # cold: it checks
    assert not never_warm & modules_of_a_run()


# --------------------------------------------------------------------------- in this process


def config_for(root: Path) -> Config:
    return Config(source=root / "pyproject.toml")


def test_a_file_whose_stat_matches_is_not_read(project, monkeypatch):
    monkeypatch.setattr(cache_module, "RACY_NS", 0)
    expected = [(r.path, r.findings, r.error) for r in check_paths([project], config_for(project), jobs=1)]

    def fail(path):
        raise AssertionError(f"read {path} on a warm run")

    monkeypatch.setattr(check_module, "read_bytes_and_stat", fail)
    assert [(r.path, r.findings, r.error) for r in check_paths([project], config_for(project), jobs=1)] == expected


def test_a_file_changed_just_before_the_run_is_not_recorded(project):
    """An edit in the same timestamp tick as the read could keep every field of the stat."""
    cache = ResultCache.open(config_for(project))
    path = project / "a.py"
    st = path.stat()
    key = cache_module.digest(path.read_bytes())
    cache.racy_after = max(st.st_mtime_ns, st.st_ctime_ns)
    cache.remember_stat(str(path), st, key)
    assert cache.key_by_stat(str(path), st) is None
    cache.save()
    assert ResultCache.open(config_for(project)).key_by_stat(str(path), st) is None
    cache.racy_after += 1
    cache.remember_stat(str(path), st, key)
    cache.save()
    assert ResultCache.open(config_for(project)).key_by_stat(str(path), st) == key


def test_stat_entries_of_dropped_results_are_dropped_when_merging(project, monkeypatch):
    monkeypatch.setattr(cache_module, "RACY_NS", 0)
    monkeypatch.setattr(cache_module, "MAX_SHARDS", 1)
    today = cache_module._today()
    monkeypatch.setattr(cache_module, "_today", lambda: today - 40)
    list(check_paths([project], config_for(project), jobs=1))
    (project / "b.py").unlink()
    monkeypatch.setattr(cache_module, "_today", lambda: today)
    list(check_paths([project], config_for(project), jobs=1))
    list(check_paths([project], config_for(project), jobs=1))  # merges
    cache = ResultCache.open(config_for(project))
    assert {Path(path).name for path in cache._stats} == {"a.py", "literal.py"}
