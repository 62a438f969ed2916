"""Benchmark tmplint against ruff, bandit, flake8 (+ flake8-bandit) and plain libcst on one tree.

    python benchmarks/run.py [TREE] [--repeat N] [--only NAME,...] [--json FILE]
    python benchmarks/run.py --only check      # the check goals only: tmplint check cold and warm, ruff

TREE defaults to the running interpreter's ``Lib/`` (sysconfig's stdlib dir). Installs nothing:
the tools come from the ``bench`` extra (``pip install -e '.[bench]'``: ruff, bandit,
flake8-bandit) in the same environment as this interpreter; a missing one is reported as
unavailable. Every tool runs once untimed (warm-up, findings count, sampled memory) and then
``--repeat`` times, round-robin so background load hits all of them alike. It prints a markdown
table of median and min wall time, findings and peak memory, and the ratios against the goals
of issue 16, all measured in this one run.

The fix rows: the migration (a fallback workflow id, ``--unsafe-fixes``: every site is planned,
and each run rewrites a fresh, untimed copy of the tree; "files changed" is from its summary)
against a plain libcst parse of the files with findings; generated modules with 100, 2,000 and
20,000 sites (one function each) and a 20,000-line module with one site, against its plain parse;
and the no-op ``fix --diff`` on the tree as it is (no workflow id, so nothing is planned).

Peak memory, from the untimed run: the high-water mark of the largest process of a tool's
process tree, and the peak sum over all its processes (pool workers included), sampled from
``/proc`` every 20 ms (Linux; elsewhere ``ru_maxrss`` only). "CPU s" is the median user + system
time of the whole process tree, which background load on the machine disturbs less than wall
time. Tools run with byte-code caching on (into ``benchmarks/.work``), as installed packages are.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / ".work"
PYTHON = sys.executable
#: byte-compiled modules as an installed package has them: environments that set
#: PYTHONDONTWRITEBYTECODE would otherwise make every Python tool compile itself on every start
BYTECODE_ENV = {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(WORK / "pycache")}

MIGRATION = "tmplint fix --unsafe-fixes, fallback id (migration, fresh copy)"
MIGRATION_PARSE = "libcst parse_module, files with findings"
NO_OP_FIX = "tmplint fix --diff (no-op: no workflow id, nothing planned)"
SITES_100, SITES_2000 = "tmplint fix, one file, 100 sites", "tmplint fix, one file, 2000 sites"
SITES_20000 = "tmplint fix, one file, 20000 sites"
LONG_FILE, LONG_FILE_PARSE = "tmplint fix, 20000-line file, 1 site", "libcst parse_module, the 20000-line file"
#: issue 16's goals, as (label, numerator row, denominator row, limit)
GOALS = [
    ("tmplint check cold <= 1.0x ruff", "tmplint check (cold, --no-cache)", "ruff S108,S306", 1.0),
    ("tmplint check warm <= 0.3x ruff", "tmplint check (warm, cached)", "ruff S108,S306", 0.3),
    ("migration <= 3.0x libcst parse of the files with findings", MIGRATION, MIGRATION_PARSE, 3.0),
    ("one file: 2000 sites <= 20x the time of 100", SITES_2000, SITES_100, 20.0),
    ("20000-line file with one site <= 3.0x its libcst parse", LONG_FILE, LONG_FILE_PARSE, 3.0),
    ("(no goal) no-op fix --diff vs libcst parse of the whole tree", NO_OP_FIX, "libcst parse_module, pool", None),
]
PLUGIN_GOAL = 0.03
FIX_RSS_GOAL_MB = 300


@dataclass
class Tool:
    name: str
    argv: List[str]
    #: findings from the output: a Counter by code
    count: Callable[[str, str], Counter]
    env: Dict[str, str] = field(default_factory=dict)
    #: exit codes that mean the tool worked
    ok_codes: Sequence[int] = (0, 1)
    #: runs before the measured ones that are not timed (priming a cache)
    setup: Optional[Callable[[], None]] = None
    #: runs untimed before every run (a fresh copy of the tree the run rewrites)
    before_each: Optional[Callable[[], None]] = None
    unavailable: Optional[str] = None
    times: List[float] = field(default_factory=list)
    #: user + system CPU seconds of the whole process tree, per timed run
    cpu: List[float] = field(default_factory=list)
    max_rss_kb: int = 0
    tree_rss_kb: int = 0
    findings: Counter = field(default_factory=Counter)
    note: str = ""


# --------------------------------------------------------------------------- counting


def _count(pattern: str) -> Callable[[str, str], Counter]:
    regex = re.compile(pattern, re.MULTILINE)

    def count(stdout: str, stderr: str) -> Counter:
        return Counter(match.group(1) for match in regex.finditer(stdout))

    return count


def _count_diff(stdout: str, stderr: str) -> Counter:
    return Counter({"files changed": len(re.findall(r"^\+\+\+ ", stdout, re.MULTILINE)),
                    "hunks": len(re.findall(r"^@@ ", stdout, re.MULTILINE))})


def _count_fixed(stdout: str, stderr: str) -> Counter:
    """``tmplint fix``'s summary line: files changed, sites fixed."""
    summary = re.search(r"(\d+) (?:would change|changed); (\d+) sites? (?:would be )?fixed", stderr)
    if summary is None:
        return Counter({"files changed": 0})
    return Counter({"files changed": int(summary.group(1)), "sites fixed": int(summary.group(2))})


def _count_libcst(stdout: str, stderr: str) -> Counter:
    data = json.loads(stdout.strip().splitlines()[-1])
    return Counter({"parsed": data["parsed"], "failed": data["failed"]})


# --------------------------------------------------------------------------- measuring


def _tree_memory_kb(root: int) -> tuple:
    """(summed RSS, largest high-water mark) of ``root`` and its descendants, from /proc."""
    parents: Dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    parents[int(entry)] = int(handle.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        current = frontier.pop()
        for pid, parent in parents.items():
            if parent == current and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    total = highest = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/status") as handle:
                status = dict(line.split(":", 1) for line in handle if ":" in line)
        except OSError:
            continue
        total += int(status.get("VmRSS", "0 kB").split()[0])
        highest = max(highest, int(status.get("VmHWM", "0 kB").split()[0]))
    return total, highest


def run_once(tool: Tool, sample_memory: bool = False) -> tuple:
    """Run ``tool`` once: (seconds, exit code, stdout, stderr, largest process RSS KB, sampled tree
    RSS KB, CPU seconds). Memory only with ``sample_memory``: sampled from /proc every 20 ms on
    Linux (``ru_maxrss`` elsewhere, which also counts this process's size at the fork)."""
    WORK.mkdir(exist_ok=True)
    out_path, err_path = WORK / "stdout.txt", WORK / "stderr.txt"
    env = {**os.environ, **BYTECODE_ENV, **tool.env}
    if tool.before_each is not None:
        tool.before_each()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        process = subprocess.Popen(tool.argv, stdout=out, stderr=err, env=env, cwd=WORK)
        peak = [0, 0]
        stop = threading.Event()
        sampler = None
        if sample_memory and Path("/proc/self/status").is_file():
            def sample() -> None:
                while True:
                    total, highest = _tree_memory_kb(process.pid)
                    peak[0], peak[1] = max(peak[0], total), max(peak[1], highest)
                    if stop.wait(0.02):
                        break

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        stop.set()
        if sampler is not None:
            sampler.join()
    stdout = out_path.read_text(errors="replace")
    stderr = err_path.read_text(errors="replace")
    largest = peak[1]
    if sample_memory and sampler is None:
        largest = usage.ru_maxrss // (1024 if sys.platform == "darwin" else 1)
    return elapsed, process.returncode, stdout, stderr, largest, peak[0], usage.ru_utime + usage.ru_stime


def _first_error_line(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return lines[-1][:160] if lines else "no output"


def measure(tools: List[Tool], repeat: int) -> None:
    for tool in tools:
        if tool.unavailable:
            continue
        if tool.setup:
            tool.setup()
        elapsed, code, stdout, stderr, max_rss, tree_rss, _ = run_once(tool, sample_memory=True)
        if code not in tool.ok_codes or "Traceback (most recent call last)" in stderr:
            tool.unavailable = f"failed (exit {code}): {_first_error_line(stderr)}"
            continue
        tool.findings = tool.count(stdout, stderr)
        tool.max_rss_kb, tool.tree_rss_kb = max_rss, tree_rss
        print(f"  warm-up {tool.name}: {elapsed:.2f} s", file=sys.stderr)
    for round_number in range(repeat):
        for tool in tools:
            if tool.unavailable:
                continue
            elapsed, code, _, stderr, _, _, cpu = run_once(tool)
            if code not in tool.ok_codes:
                tool.unavailable = f"failed on run {round_number + 1} (exit {code}): {_first_error_line(stderr)}"
                continue
            tool.times.append(elapsed)
            tool.cpu.append(cpu)
        print(f"  round {round_number + 1}/{repeat} done", file=sys.stderr)


# --------------------------------------------------------------------------- the tools


def find_executable(name: str) -> Optional[str]:
    here = Path(PYTHON).parent
    for candidate in (here / name, here / f"{name}.exe"):
        if candidate.is_file():
            return str(candidate)
    return shutil.which(name)


def module_available(name: str) -> bool:
    return subprocess.run([PYTHON, "-c", f"import {name}"], capture_output=True).returncode == 0


def excluded_names() -> List[str]:
    sys.path.insert(0, str(REPO))
    from tmplint.config import DEFAULT_EXCLUDE

    return list(DEFAULT_EXCLUDE)


FALLBACK_CONFIG = WORK / "fallback" / "pyproject.toml"
MIGRATION_COPY = WORK / "migration"
FINDINGS_LIST = WORK / "files-with-findings.txt"
SITES_DIR = WORK / "sites"


def write_fallback_config() -> None:
    """A fallback workflow id: every site has an id, so every site is planned; and the helper
    module next to it (``tmplint fix`` refuses to import a helper that does not exist)."""
    FALLBACK_CONFIG.parent.mkdir(parents=True, exist_ok=True)
    FALLBACK_CONFIG.write_text("[tool.tmplint]\nworkflow-id-fallback = \"'bench'\"\n")
    if not (FALLBACK_CONFIG.parent / "temp_paths.py").exists():
        subprocess.run([PYTHON, "-m", "tmplint", "init", "--config", str(FALLBACK_CONFIG)], check=True,
                       capture_output=True)


def fresh_copy(tree: Path) -> Callable[[], None]:
    """A fresh copy of ``tree`` for a run that rewrites it (not timed)."""
    def copy() -> None:
        write_fallback_config()
        shutil.rmtree(MIGRATION_COPY, ignore_errors=True)
        shutil.copytree(tree, MIGRATION_COPY, symlinks=True)

    return copy


def list_files_with_findings(tree: Path) -> Callable[[], None]:
    """The files the migration parses with libcst: those the detector finds something in."""
    def write() -> None:
        sys.path.insert(0, str(REPO))
        from tmplint.check import check_paths
        from tmplint.config import load_config

        results = check_paths([tree], load_config(start=tree), 1, use_cache=False)
        FINDINGS_LIST.write_text("".join(f"{result.path}\n" for result in results if result.findings))

    return write


#: one function per site, the four kinds of site the migration rewrites most, in turn
SITE_FUNCTIONS = [
    "def f{i}(data):\n    with tempfile.NamedTemporaryFile('w', suffix='.txt') as handle:\n"
    "        handle.write(data)\n    return len(data)\n",
    "def f{i}():\n    path = tempfile.mkdtemp()\n    os.listdir(path)\n    return 1\n",
    "def f{i}():\n    fd, name = tempfile.mkstemp(suffix='.log')\n    os.close(fd)\n    return 2\n",
    "def f{i}(name):\n    return os.path.join(tempfile.gettempdir(), name)\n",
]
FILLER_FUNCTION = "def g{i}(a, b):\n    c = a + b * {i}\n    return [c for _ in range(b)]\n"


def generated_module(name: str, sites: int, filler_lines: int = 0) -> Path:
    """``SITES_DIR/name.py``: ``sites`` functions with one site each, then functions without sites
    up to about ``filler_lines`` lines."""
    SITES_DIR.mkdir(parents=True, exist_ok=True)
    parts = ["import os\nimport tempfile\n"]
    parts += ["\n\n" + SITE_FUNCTIONS[i % len(SITE_FUNCTIONS)].format(i=i) for i in range(sites)]
    parts += ["\n\n" + FILLER_FUNCTION.format(i=i) for i in range(filler_lines // 5)]
    path = SITES_DIR / f"{name}.py"
    path.write_text("".join(parts))
    return path


def build_tools(tree: Path) -> List[Tool]:
    excludes = excluded_names()
    cache = WORK / "tmplint-cache"
    tmplint = [PYTHON, "-m", "tmplint"]
    flake8 = [PYTHON, str(HERE / "flake8_plugins.py")]
    flake8_args = ["--extend-exclude", ",".join(excludes), str(tree)]
    bandit_excludes = ",".join(f"/{name}/" for name in excludes if "*" not in name)

    def prime_cache() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    tools = [
        Tool("tmplint check (cold, --no-cache)", tmplint + ["check", "--no-cache", str(tree)],
             _count(r": (TMP\d+) "), ok_codes=(0, 1, 2)),
        Tool("tmplint check (warm, cached)", tmplint + ["check", str(tree)], _count(r": (TMP\d+) "),
             env={"TMPLINT_CACHE_DIR": str(cache)}, ok_codes=(0, 1, 2), setup=prime_cache),
        Tool("ruff S108,S306", [find_executable("ruff") or "ruff", "check", "--select", "S108,S306", "--no-cache",
                                "--output-format", "concise", str(tree)], _count(r": (S\d+) ")),
        Tool("bandit -t B108,B306", [PYTHON, "-m", "bandit", "-q", "-r", "-t", "B108,B306", "-x", bandit_excludes,
                                     str(tree)], _count(r"Issue: \[(B\d+)")),
        Tool("flake8 + flake8-bandit S108,S306", flake8 + ["--keep", "flake8-bandit", "--", "--select", "S108,S306"]
             + flake8_args, _count(r": ([A-Z]+\d+) ")),
        Tool("flake8 E,F,W", flake8 + ["--keep", "", "--", "--select", "E,F,W"] + flake8_args,
             _count(r": ([A-Z]+)\d+ ")),
        Tool("flake8 E,F,W + tmplint plugin", flake8 + ["--keep", "tmplint", "--", "--select", "E,F,W,TMP"]
             + flake8_args, _count(r": ([A-Z]+)\d+ ")),
        Tool(NO_OP_FIX, tmplint + ["fix", "--diff", str(tree)], _count_diff, ok_codes=(0, 1, 2)),
        Tool("libcst parse_module, pool", [PYTHON, str(HERE / "libcst_parse.py"), str(tree)], _count_libcst),
        # the migration: a fallback id, so every site is planned and every file with findings goes
        # through libcst; each run rewrites a fresh copy of the tree
        Tool(MIGRATION, tmplint + ["fix", "--unsafe-fixes", "--config", str(FALLBACK_CONFIG), str(MIGRATION_COPY)],
             _count_fixed, ok_codes=(0, 1), before_each=fresh_copy(tree)),
        Tool(MIGRATION_PARSE, [PYTHON, str(HERE / "libcst_parse.py"), str(tree), "--files", str(FINDINGS_LIST)],
             _count_libcst, setup=list_files_with_findings(tree)),
    ]
    fix_one = tmplint + ["fix", "--diff", "--unsafe-fixes", "--config", str(FALLBACK_CONFIG)]
    for name, sites, filler in ((SITES_100, 100, 0), (SITES_2000, 2000, 0), (SITES_20000, 20000, 0),
                                (LONG_FILE, 1, 20000)):
        module = generated_module(name.rsplit(", ", 1)[-1].replace(" ", "-"), sites, filler)
        tools.append(Tool(name, fix_one + [str(module)], _count_fixed, ok_codes=(0, 1),
                          setup=write_fallback_config))
        if name == LONG_FILE:
            module_list = SITES_DIR / "long-file.txt"
            module_list.write_text(f"{module}\n")
            tools.append(Tool(LONG_FILE_PARSE, [PYTHON, str(HERE / "libcst_parse.py"), str(SITES_DIR),
                                                "--files", str(module_list)], _count_libcst))
    if find_executable("ruff") is None:
        tools[2].unavailable = "ruff not installed (pip install -e '.[bench]')"
    if not module_available("bandit"):
        tools[3].unavailable = "bandit not installed (pip install -e '.[bench]')"
    if not module_available("flake8_bandit"):
        tools[4].unavailable = "flake8-bandit not installed (pip install -e '.[bench]')"
    return tools


# --------------------------------------------------------------------------- reporting


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    sys.path.insert(0, str(REPO))
    from tmplint.check import default_jobs

    system = f"{platform.system()} {platform.release()}"
    return f"{system}, {default_jobs()} CPUs ({cpu}), Python {platform.python_version()}"


def versions() -> str:
    script = (
        "import importlib.metadata as m\n"
        "for name in ('tmplint', 'ruff', 'bandit', 'flake8', 'flake8-bandit', 'libcst'):\n"
        "    try: print(name, m.version(name))\n"
        "    except m.PackageNotFoundError: print(name, 'not installed')\n"
    )
    output = subprocess.run([PYTHON, "-c", script], capture_output=True, text=True).stdout
    return ", ".join(output.strip().splitlines())


def _mb(kb: int) -> str:
    return f"{kb / 1024:.0f} MB" if kb else "-"


def _findings(counter: Counter) -> str:
    if not counter:
        return "0"
    if len(counter) > 6:
        return f"{sum(counter.values())} total"
    return ", ".join(f"{key}: {value}" for key, value in sorted(counter.items()))


def _load() -> str:
    try:
        return "load average %.2f %.2f %.2f" % os.getloadavg()
    except (AttributeError, OSError):
        return "load average unknown"


def report(tools: List[Tool], tree: Path, file_count: int, repeat: int, load_before: str,
           plugin_seconds: Optional[float] = None) -> str:
    by_name = {tool.name: tool for tool in tools}
    lines = [
        f"Date: {time.strftime('%Y-%m-%d %H:%M %Z')}",
        f"Machine: {machine()}; {load_before} before the run, {_load()} after",
        f"Tools: {versions()}",
        f"Tree: {tree} ({file_count} Python files after the default excludes); {repeat} timed runs each",
        "",
        "| tool | median s | min s | CPU s | findings | peak RSS (largest process) | peak RSS (all processes) |",
        "| --- | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    for tool in tools:
        if tool.unavailable or not tool.times:
            lines.append(f"| {tool.name} | - | - | - | unavailable: {tool.unavailable} | - | - |")
            continue
        lines.append(
            f"| {tool.name} | {statistics.median(tool.times):.2f} | {min(tool.times):.2f} | "
            f"{statistics.median(tool.cpu):.2f} | {_findings(tool.findings)} | {_mb(tool.max_rss_kb)} | "
            f"{_mb(tool.tree_rss_kb)} |"
        )
    lines += ["", "| goal | median ratio | min ratio | CPU ratio | result |", "| --- | ---: | ---: | ---: | --- |"]

    def timed(name: str) -> Optional[Tool]:
        tool = by_name.get(name)
        return tool if tool and tool.times and not tool.unavailable else None

    for label, numerator, denominator, limit in GOALS:
        if numerator not in by_name:
            continue  # not selected (--only)
        top, bottom = timed(numerator), timed(denominator)
        if top is None or bottom is None:
            lines.append(f"| {label} | - | - | - | not measured |")
            continue
        median = statistics.median(top.times) / statistics.median(bottom.times)
        best = min(top.times) / min(bottom.times)
        cpu = statistics.median(top.cpu) / statistics.median(bottom.cpu)
        verdict = "for information" if limit is None else ("met" if median <= limit else "NOT met")
        lines.append(f"| {label} | {median:.2f}x | {best:.2f}x | {cpu:.2f}x | {verdict} |")
    with_plugin, without = timed("flake8 E,F,W + tmplint plugin"), timed("flake8 E,F,W")
    if with_plugin and without:
        # the two runs are adjacent in every round: compare them pair by pair
        wall = statistics.median(w / o for w, o in zip(with_plugin.times, without.times)) - 1
        cpu = statistics.median(w / o for w, o in zip(with_plugin.cpu, without.cpu)) - 1
        lines.append(f"| flake8 plugin overhead, whole runs (paired; wall, CPU) | {wall:+.1%} | {cpu:+.1%} | - | "
                     "see next row |")
        if plugin_seconds is not None:
            direct = plugin_seconds / statistics.median(without.cpu)
            verdict = "met" if direct <= PLUGIN_GOAL else "NOT met"
            lines.append(f"| flake8 plugin overhead <= 3 % (its own CPU time / flake8's) | {direct:+.2%} | "
                         f"{plugin_seconds:.2f} s | - | {verdict} |")
    elif "flake8 E,F,W + tmplint plugin" in by_name:
        lines.append("| flake8 plugin overhead <= 3 % | - | - | - | not measured |")
    for name in (MIGRATION, NO_OP_FIX):
        if name not in by_name:
            continue
        label = f"{name}: peak RSS <= {FIX_RSS_GOAL_MB} MB (all processes)"
        fix = timed(name)
        if fix is None:
            lines.append(f"| {label} | - | - | - | not measured |")
            continue
        peak = max(fix.tree_rss_kb, fix.max_rss_kb)
        verdict = "met" if peak / 1024 <= FIX_RSS_GOAL_MB else "NOT met"
        lines.append(f"| {label} | {_mb(peak)} | largest process {_mb(fix.max_rss_kb)} | - | {verdict} |")
    return "\n".join(lines) + "\n"


def select_tools(tools: List[Tool], only: Optional[str]) -> List[Tool]:
    """The tools whose names hold one of the comma-separated substrings of ``only`` (all without
    it), with the ones their goals compare them against: ``--only check`` also runs ruff."""
    if not only:
        return tools
    wanted = [part.strip().lower() for part in only.split(",")]
    names = {tool.name for tool in tools if any(part in tool.name.lower() for part in wanted)}
    pairs = [(top, bottom) for _, top, bottom, _ in GOALS] + [("flake8 E,F,W + tmplint plugin", "flake8 E,F,W")]
    names |= {bottom for top, bottom in pairs if top in names}
    return [tool for tool in tools if tool.name in names]


def count_files(tree: Path) -> int:
    sys.path.insert(0, str(REPO))
    from tmplint.config import load_config
    from tmplint.files import iter_python_files

    return sum(1 for _, error in iter_python_files([tree], load_config(start=tree)) if error is None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", nargs="?", type=Path, default=Path(sysconfig.get_paths()["stdlib"]),
                        help="the tree to run on (default: this interpreter's Lib/)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per tool (default: 3)")
    parser.add_argument("--only", help="comma-separated substrings of tool names to run (with the tools their "
                                       "goals compare them against: --only check runs the check rows and ruff)")
    parser.add_argument("--json", type=Path, help="also write the raw times here")
    args = parser.parse_args()
    tree = args.tree.resolve()
    if not tree.is_dir():
        parser.error(f"{tree} is not a directory")
    tools = select_tools(build_tools(tree), args.only)
    file_count = count_files(tree)
    print(f"benchmarking {len(tools)} tools on {tree} ({file_count} files), {args.repeat} runs each", file=sys.stderr)
    load_before = _load()
    measure(tools, max(1, args.repeat))
    plugin_seconds = None
    if any(tool.name.startswith("flake8 E,F,W") for tool in tools):
        # the plugin's own CPU time, called as flake8 calls it (whole flake8 runs are too noisy
        # to see a fraction of a percent in)
        output = subprocess.run([PYTHON, str(HERE / "plugin_cost.py"), str(tree)], capture_output=True, text=True,
                                env={**os.environ, **BYTECODE_ENV})
        try:
            plugin_seconds = json.loads(output.stdout.strip().splitlines()[-1])["seconds"]
        except (ValueError, IndexError, KeyError):
            print(f"plugin_cost.py failed: {output.stderr[-500:]}", file=sys.stderr)
    print(report(tools, tree, file_count, args.repeat, load_before, plugin_seconds))
    if args.json:
        raw = {
            tool.name: {"times": tool.times, "cpu": tool.cpu, "max_rss_kb": tool.max_rss_kb,
                        "tree_rss_kb": tool.tree_rss_kb, "findings": dict(tool.findings),
                        "unavailable": tool.unavailable}
            for tool in tools
        }
        args.json.write_text(json.dumps(raw, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
