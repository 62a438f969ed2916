"""Corpus run: ``tmplint check`` and ``tmplint fix`` over copies of CPython's Lib/ and site-packages.

    python benchmarks/corpus.py [--dest /work/corpus] [--site-packages DIR ...] [--skip-fix]
                                [--skip-prefilter] [--unsafe-fixes] [--jobs N]

Copies the ``.py``/``.pyi`` files of the running interpreter's ``Lib/`` and of every installed
site-packages dir into ``--dest`` (fresh each run; never the system temp dir), with a
``pyproject.toml`` that turns off the default excludes (so every file is checked) and gives a
workflow-id fallback plus ``add-workflow-param`` (so the codemod rewrites as much as it can).
Then it checks that:

* ``tmplint check`` does not crash (no traceback, no "internal error"), and a cached second run
  reports exactly the same;
* the shortcuts never change a file's findings (every file Python can parse run through the
  detector with and without them; ``--skip-prefilter`` skips this, the slowest part);
* ``tmplint fix`` does not crash, every file it rewrote still parses, every file without
  findings is byte-identical, and a second ``tmplint fix`` changes nothing.

It prints the counts and exits 1 when any of these fails.
"""
from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import shutil
import site
import subprocess
import sys
import sysconfig
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DEFAULT_DEST = Path("/work/corpus")
CORPUS_CONFIG = """\
[tool.tmplint]
# every file is part of the corpus: no default excludes (build/, dist/, env/ dirs exist in packages)
exclude = []
workflow-id-fallback = "'corpus'"
add-workflow-param = true
"""
CRASH = re.compile(r"Traceback \(most recent call last\)|internal error", re.IGNORECASE)


# --------------------------------------------------------------------------- the copy


def sources() -> List[Tuple[str, Path]]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    dirs = [("lib", stdlib)]
    packages = []
    # this environment's, and in a virtualenv also the base interpreter's
    base = sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_exec_prefix})
    candidates = [*site.getsitepackages(), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"],
                  base["purelib"], base["platlib"]]
    for candidate in candidates:
        path = Path(candidate)
        if path.is_dir() and path.resolve() not in [p.resolve() for p in packages]:
            packages.append(path)
    for index, path in enumerate(packages):
        dirs.append((f"packages{index}", path))
    return dirs


def copy_tree(source: Path, target: Path) -> int:
    """Copy the Python files under ``source`` (not site-packages inside Lib/, not symlinked dirs)."""
    count = 0
    for root, dirs, files in os.walk(source):
        root_path = Path(root)
        dirs[:] = [d for d in dirs if not (root_path / d).is_symlink() and d != "__pycache__"
                   and not (root_path == source and d == "site-packages")]
        for name in files:
            if name.endswith((".py", ".pyi")) and not (root_path / name).is_symlink():
                destination = target / root_path.relative_to(source) / name
                destination.parent.mkdir(parents=True, exist_ok=True)
                try:
                    shutil.copy2(root_path / name, destination)
                except OSError:
                    continue
                count += 1
    return count


def snapshot(root: Path) -> Dict[str, str]:
    hashes = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".pyi"):
            hashes[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


# --------------------------------------------------------------------------- running tmplint


def tmplint(*args: str, cwd: Path, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tmplint", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


def crashes(stderr: str) -> List[str]:
    lines = stderr.splitlines()
    found = [line for line in lines if CRASH.search(line)]
    if "Traceback (most recent call last)" in stderr:
        found.append(stderr[stderr.index("Traceback"):][:2000])
    return found


def check_errors(stderr: str) -> Counter:
    kinds: Counter = Counter()
    for line in stderr.splitlines():
        match = re.match(r".*?: error: ([^:(]+)", line)
        if match:
            kinds[match.group(1).strip()] += 1
    return kinds


# --------------------------------------------------------------------------- prefilter soundness


def _compare_chunk(paths: List[str]) -> Tuple[List[str], int]:
    """The detector with its shortcuts (the prefilter, parsing and walking only the statements
    with a tracked name or temp literal) against the plain one, file by file: the differences,
    and how many files Python cannot parse got findings (from statements the error is not in)."""
    from tmplint.config import Config
    from tmplint.detector import DetectorError, check_bytes, detect_bytes

    configs = {
        "default": Config(),
        "all": Config(select=("TMP001", "TMP002", "TMP003", "TMP004", "TMP005", "TMP006", "TMP007", "TMP008")),
    }
    problems = []
    unparseable_with_findings = 0
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError:
            continue
        for name, config in configs.items():
            try:
                unfiltered = detect_bytes(data, path, config, skip_statements=False)
            except (DetectorError, RecursionError):
                unfiltered = None
            try:
                filtered = check_bytes(data, path, config)
            except (DetectorError, RecursionError):
                filtered = None
            if unfiltered is not None and filtered != unfiltered:
                problems.append(f"{path} ({name}): {len(unfiltered)} findings without the prefilter, "
                                f"{len(filtered or [])} with it")
            elif unfiltered is None and filtered:
                unparseable_with_findings += 1
    return problems, unparseable_with_findings


def prefilter_soundness(files: List[str], jobs: int) -> Tuple[List[str], int]:
    chunks = [files[i::jobs * 16] for i in range(jobs * 16)]
    with ProcessPoolExecutor(jobs) as pool:
        results = list(pool.map(_compare_chunk, chunks))
    return [problem for problems, _ in results for problem in problems], sum(count for _, count in results)


# --------------------------------------------------------------------------- fix invariants


def parses(path: str) -> Optional[str]:
    try:
        ast.parse(Path(path).read_bytes())
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST, help="where the copy goes (default: /work/corpus)")
    parser.add_argument("--site-packages", type=Path, action="append", default=None,
                        help="site-packages dirs to copy (default: every installed one)")
    parser.add_argument("--skip-fix", action="store_true", help="only run tmplint check")
    parser.add_argument("--skip-prefilter", action="store_true", help="do not compare with and without the prefilter")
    parser.add_argument("--unsafe-fixes", action="store_true", help="run tmplint fix --unsafe-fixes")
    parser.add_argument("--jobs", type=int, default=0)
    args = parser.parse_args()
    from tmplint.check import default_jobs

    jobs = args.jobs or default_jobs()
    dest = args.dest.resolve()
    temp_root = Path(os.environ.get("TMPDIR", "/tmp")).resolve()
    if dest == temp_root or temp_root in dest.parents or Path("/tmp") in dest.parents:
        parser.error("--dest must not be in the system temp dir")
    failures: List[str] = []
    counts: Dict[str, object] = {}
    started = time.monotonic()

    # -- copy
    dirs = sources() if args.site_packages is None else [("lib", Path(sysconfig.get_paths()["stdlib"]))] + [
        (f"packages{i}", p) for i, p in enumerate(args.site_packages)]
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    (dest / "pyproject.toml").write_text(CORPUS_CONFIG)
    for name, source in dirs:
        copied = copy_tree(source, dest / name)
        counts[f"copied {name} ({source})"] = copied
    before = snapshot(dest)
    counts["files"] = len(before)
    cache_env = {"TMPLINT_CACHE_DIR": str(dest.parent / (dest.name + "-cache"))}
    shutil.rmtree(cache_env["TMPLINT_CACHE_DIR"], ignore_errors=True)
    print(f"copied {len(before)} files into {dest} ({time.monotonic() - started:.0f} s)", file=sys.stderr)

    # -- check
    tick = time.monotonic()
    first = tmplint("check", "--format", "json", ".", cwd=dest, env=cache_env)
    counts["check seconds (cold)"] = round(time.monotonic() - tick, 2)
    tick = time.monotonic()
    second = tmplint("check", "--format", "json", ".", cwd=dest, env=cache_env)
    counts["check seconds (warm)"] = round(time.monotonic() - tick, 2)
    for label, run in (("check", first), ("cached check", second)):
        if run.returncode not in (0, 1, 2) or crashes(run.stderr):
            failures.append(f"{label} crashed (exit {run.returncode}): {crashes(run.stderr)[:5]}")
    try:
        findings = json.loads(first.stdout or "[]")
    except ValueError:
        findings = []
        failures.append("check printed no JSON")
    if (first.stdout, first.stderr) != (second.stdout, second.stderr):
        failures.append("the cached check reported something else than the first")
    files_with_findings = {str((dest / f["path"]).resolve()) for f in findings}
    counts["check exit code"] = first.returncode
    counts["findings"] = len(findings)
    counts["findings by rule"] = dict(sorted(Counter(f["code"] for f in findings).items()))
    counts["files with findings"] = len(files_with_findings)
    counts["files with errors"] = dict(check_errors(first.stderr))
    print(f"check: {len(findings)} findings in {len(files_with_findings)} files", file=sys.stderr)

    # -- prefilter
    if not args.skip_prefilter:
        tick = time.monotonic()
        problems, unparseable_with_findings = prefilter_soundness(sorted(before), jobs)
        counts["prefilter differences"] = len(problems)
        counts["unparseable files with findings (file x config)"] = unparseable_with_findings
        counts["prefilter check seconds"] = round(time.monotonic() - tick, 1)
        failures += problems[:50]
        print(f"prefilter: {len(problems)} differences", file=sys.stderr)

    # -- fix
    if not args.skip_fix:
        fix_args = ["fix", "."] + (["--unsafe-fixes"] if args.unsafe_fixes else [])
        # tmplint fix only rewrites into a helper module that exists: write it first, as a user does
        tmplint("init", "--force", cwd=dest)
        tick = time.monotonic()
        fixed = tmplint(*fix_args, cwd=dest)
        counts["fix seconds"] = round(time.monotonic() - tick, 2)
        if "No module named 'tmplint.fix'" in fixed.stderr:
            counts["fix"] = "unavailable (tmplint/fix.py does not exist yet)"
        else:
            counts["fix exit code"] = fixed.returncode
            if fixed.returncode not in (0, 1, 2) or crashes(fixed.stderr):
                failures.append(f"fix crashed (exit {fixed.returncode}): {crashes(fixed.stderr)[:5]}")
            counts["fix errors"] = dict(check_errors(fixed.stderr))
            after = snapshot(dest)
            changed = sorted(path for path in before if after.get(path) != before[path])
            counts["files changed by fix"] = len(changed)
            unparsable = [(path, parses(path)) for path in changed]
            unparsable = [(p, why) for p, why in unparsable if why]
            counts["changed files that do not parse"] = len(unparsable)
            failures += [f"{p}: rewritten file does not parse: {why}" for p, why in unparsable[:50]]
            without = [p for p in changed if str(Path(p).resolve()) not in files_with_findings]
            counts["changed files without findings"] = len(without)
            failures += [f"{p}: changed although it had no findings" for p in without[:50]]
            vanished = [p for p in before if p not in after]
            if vanished:
                failures.append(f"{len(vanished)} files vanished, e.g. {vanished[:3]}")
            strays = [str(p) for p in dest.rglob(".*.tmplint-*.tmp")]
            counts["stray temp files"] = len(strays)
            failures += [f"stray temp file {p}" for p in strays[:20]]
            tick = time.monotonic()
            again = tmplint(*fix_args, cwd=dest)
            counts["second fix seconds"] = round(time.monotonic() - tick, 2)
            if crashes(again.stderr):
                failures.append(f"second fix crashed: {crashes(again.stderr)[:5]}")
            final = snapshot(dest)
            second_changed = sorted(p for p in after if final.get(p) != after[p])
            counts["files changed by the second fix"] = len(second_changed)
            failures += [f"{p}: changed again by the second fix" for p in second_changed[:50]]
            print(f"fix: {len(changed)} files changed, {len(second_changed)} changed again", file=sys.stderr)

    counts["failures"] = len(failures)
    counts["total seconds"] = round(time.monotonic() - started, 1)
    width = max(len(key) for key in counts)
    for key, value in counts.items():
        print(f"{key:<{width}}  {value}")
    for failure in failures:
        print(f"FAIL {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
