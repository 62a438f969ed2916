"""The result cache of ``tmplint check``: same results warm and cold, no parsing when warm,
invalidated by content, config and version, safe under concurrent runs and corrupt files."""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from tmplint import cache as cache_module
from tmplint import check as check_module
from tmplint import detector
from tmplint.cache import CACHE_DIR_ENV, ResultCache, cache_dir, config_key
from tmplint.check import check_paths
from tmplint.config import Config

BAD = "import tempfile\n\n\ndef f():\n    return tempfile.mkstemp()\n"
LITERAL = "PATH = '/tmp/x.json'\n"
CLEAN = "def f(workflow_id):\n    return workflow_id\n"
BROKEN = "import tempfile\ndef f(:\n    return tempfile.mkstemp()\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool.tmplint]\n")
    for name, text in {"bad.py": BAD, "literal.py": LITERAL, "clean.py": CLEAN, "broken.py": BROKEN}.items():
        (root / name).write_text(text)
    monkeypatch.delenv(CACHE_DIR_ENV, raising=False)
    monkeypatch.chdir(root)
    return root


def config_for(root: Path, **changes) -> Config:
    return replace(Config(source=root / "pyproject.toml"), **changes)


def run(root: Path, config: Config = None, **kwargs):
    results = list(check_paths([root], config or config_for(root), jobs=1, **kwargs))
    return {Path(r.path).name: ([(f.line, f.col, f.code, f.message) for f in r.findings], r.error) for r in results}


def forbid_parsing(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("parsed a file on a warm run")

    monkeypatch.setattr(detector, "parse_source", fail)
    monkeypatch.setattr(detector, "decode_source", fail)


def test_warm_run_gives_the_same_results_without_parsing(project, monkeypatch):
    cold = run(project)
    assert cold["bad.py"][0] and cold["literal.py"][0] and cold["broken.py"][1] and cold["clean.py"] == ([], None)
    assert (project / ".tmplint_cache" / "CACHEDIR.TAG").is_file()
    assert (project / ".tmplint_cache" / ".gitignore").read_text().endswith("*\n")
    forbid_parsing(monkeypatch)
    assert run(project) == cold


def test_cached_findings_carry_the_current_path(project, monkeypatch):
    run(project)
    (project / "copy.py").write_text(BAD)
    forbid_parsing(monkeypatch)
    results = list(check_paths([project / "copy.py"], config_for(project), jobs=1))
    assert [f.path for f in results[0].findings] == [str(project / "copy.py")]


def test_changed_content_is_checked_again(project):
    run(project)
    (project / "clean.py").write_text(BAD)
    assert run(project)["clean.py"][0] == run(project, use_cache=False)["bad.py"][0]


def test_config_that_changes_findings_gets_its_own_entries(project):
    assert run(project)["literal.py"][0]
    assert run(project, config_for(project, ignore=("TMP006",)))["literal.py"] == ([], None)
    assert run(project, config_for(project, temp_dirs=("/scratch",)))["literal.py"] == ([], None)
    keys = {config_key(config_for(project)), config_key(config_for(project, ignore=("TMP006",)))}
    assert len(keys) == 2
    # settings that do not change findings share the entries
    assert config_key(config_for(project, helper_module="x.y")) == config_key(config_for(project))


def test_new_version_or_changed_detector_code_does_not_read_old_entries(project, monkeypatch):
    run(project)
    calls = []
    original = detector.parse_source
    monkeypatch.setattr(detector, "parse_source", lambda *a: calls.append(a) or original(*a))
    monkeypatch.setattr(cache_module, "__version__", "999.0")
    run(project)
    assert calls
    calls.clear()
    monkeypatch.setattr(cache_module, "installed_code_digest", lambda: "other code")
    run(project)
    assert calls


def test_code_digest_covers_every_module_and_template_of_the_package(tmp_path):
    import shutil

    import tmplint
    import tmplint.codemods

    package, codemods = Path(tmplint.__file__).parent, Path(tmplint.codemods.__file__).parent
    noqa_patterns = cache_module.noqa_patterns_files()
    assert [path.name for path in noqa_patterns] == ["defaults.py"]
    assert "NOQA_INLINE_REGEX" in noqa_patterns[0].read_text()
    assert cache_module.installed_code_digest() == cache_module.code_digest([package, codemods], noqa_patterns)
    assert cache_module.code_digest([package, codemods]) != cache_module.installed_code_digest()
    copies = [tmp_path / "tmplint", tmp_path / "codemods"]
    for source, copy in zip((package, codemods), copies):
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
    files = [path for copy in copies for path in cache_module.code_files(copy)]
    names = {path.relative_to(tmp_path).as_posix() for path in files}
    # the module the hand-written list used to miss, the helper template, a codemod
    assert {"tmplint/toplevel.py", "tmplint/templates/temp_paths.py.tmpl", "codemods/triage.py"} <= names
    original = cache_module.code_digest(copies)
    for path in files:
        data = path.read_bytes()
        path.write_bytes(data + b"\n")
        assert cache_module.code_digest(copies) != original, path
        path.write_bytes(data)
    assert cache_module.code_digest(copies) == original
    (copies[0] / "new_rule.py").write_text("")
    assert cache_module.code_digest(copies) != original


def test_no_cache_neither_reads_nor_writes(project, monkeypatch):
    run(project, use_cache=False)
    assert not (project / ".tmplint_cache").exists()
    run(project)
    calls = []
    original = detector.parse_source
    monkeypatch.setattr(detector, "parse_source", lambda *a: calls.append(a) or original(*a))
    run(project, use_cache=False)
    assert calls


def test_cache_dir_from_the_environment(project, tmp_path, monkeypatch):
    target = tmp_path / "elsewhere"
    monkeypatch.setenv(CACHE_DIR_ENV, str(target))
    run(project)
    assert not (project / ".tmplint_cache").exists()
    assert list(target.rglob("*.json"))
    assert cache_dir(config_for(project)) == target


@pytest.mark.parametrize("garbage", [
    b"", b"{", b"\x00\xff" * 10, b"[]", b'{"format": 1, "clean": {"x": "zz"}}',
    b'{"format": 1, "results": {"00": [1, 2]}}', b'{"format": 1, "clean": [], "results": []}',
    json.dumps({"format": 1, "results": {"ab" * 16: [99999, [["x"]]]}}).encode(),
    json.dumps({"format": 1, "results": {"ab" * 16: [99999, {"nope": 1}]}}).encode(),
])
def test_corrupt_cache_files_are_ignored(project, garbage):
    expected = run(project, use_cache=False)
    run(project)
    shard_dir = next((project / ".tmplint_cache").rglob("*.json")).parent
    for shard in shard_dir.glob("*.json"):
        shard.write_bytes(garbage)
    (shard_dir / "zz-extra.json").write_bytes(garbage)
    assert run(project) == expected
    assert run(project) == expected


def test_corrupt_entry_for_a_file_is_a_miss(project):
    expected = run(project, use_cache=False)
    run(project)
    for shard in (project / ".tmplint_cache").rglob("*.json"):
        document = json.loads(shard.read_bytes())
        document["results"] = {key: [day, [["bad"]]] for key, (day, _) in document["results"].items()}
        shard.write_text(json.dumps(document))
    assert run(project) == expected


def test_unwritable_cache_dir_is_not_an_error(project, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv(CACHE_DIR_ENV, str(blocker / "cache"))
    assert run(project) == run(project, use_cache=False)


def test_many_shards_are_merged_and_nothing_is_lost(project, monkeypatch):
    monkeypatch.setattr(cache_module, "MAX_SHARDS", 3)
    for index in range(6):
        (project / f"extra{index}.py").write_text(BAD + f"# {index}\n")
        run(project)
    shards = list((project / ".tmplint_cache").rglob("*.json"))
    assert len(shards) <= 3
    forbid_parsing(monkeypatch)
    results = run(project)
    assert all(results[f"extra{i}.py"][0] for i in range(6))


def test_entries_unused_for_a_month_are_dropped_when_merging(project, monkeypatch):
    monkeypatch.setattr(cache_module, "MAX_SHARDS", 1)
    today = cache_module._today()
    monkeypatch.setattr(cache_module, "_today", lambda: today - 40)
    run(project)
    (project / "bad.py").write_text(CLEAN)  # the old bad.py content is not used any more
    monkeypatch.setattr(cache_module, "_today", lambda: today)
    run(project)
    run(project)  # merges
    cache = ResultCache.open(config_for(project))
    assert cache.get(cache_module.digest(BAD.encode()), "x.py") is None
    assert cache.get(cache_module.digest(CLEAN.encode()), "x.py") == ([], None)


def test_concurrent_runs_leave_a_consistent_cache(project):
    """Processes checking overlapping parts of the tree at once (as pre-commit runs them)."""
    for index in range(40):
        (project / f"m{index}.py").write_text((BAD if index % 3 else CLEAN) + f"# {index}\n")
    expected = run(project, use_cache=False)
    files = sorted(p.name for p in project.glob("*.py"))
    groups = [files[i::4] + files[:5] for i in range(4)] * 2
    processes = [
        subprocess.Popen([sys.executable, "-m", "tmplint", "check", "--exit-zero", *group], cwd=project,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for group in groups
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=600)
        assert b"Traceback" not in stderr
    for shard in (project / ".tmplint_cache").rglob("*.json"):
        json.loads(shard.read_bytes())  # every shard is whole
    assert not list((project / ".tmplint_cache").rglob("*.tmp"))
    assert run(project) == expected


def test_parallel_run_matches_serial_run(project, monkeypatch):
    """The pool (forced on for a small tree) gives the same results in the same order."""
    for index in range(30):
        (project / f"p{index:02}.py").write_text((BAD if index % 2 else LITERAL) + f"# {index}\n")
    serial = list(check_paths([project], config_for(project), jobs=1, use_cache=False))
    monkeypatch.setattr(check_module, "POOL_MIN_BYTES_FORK", 1)
    monkeypatch.setattr(check_module, "FORK_SAMPLE_FILES", 1)
    monkeypatch.setattr(check_module, "POOL_MIN_BYTES_SPAWN", 1)
    monkeypatch.setattr(check_module, "CHUNK_BYTES", 200)
    parallel = list(check_paths([project], config_for(project), jobs=2, use_cache=False))
    assert [(r.path, r.findings, r.error) for r in parallel] == [(r.path, r.findings, r.error) for r in serial]


def test_a_crash_in_one_file_is_an_error_for_that_file_only(project, monkeypatch):
    original = detector.find_findings

    def explode(tree, source, config, path="<unknown>", *rest):
        if path.endswith("bad.py"):
            raise KeyError("boom")
        return original(tree, source, config, path, *rest)

    monkeypatch.setattr(detector, "find_findings", explode)
    results = run(project, use_cache=False)
    assert results["bad.py"] == ([], "internal error: KeyError: 'boom'")
    assert results["literal.py"][0]
    run(project)  # internal errors are not cached
    monkeypatch.setattr(detector, "find_findings", original)
    assert run(project)["bad.py"][0]
