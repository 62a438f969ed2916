"""What the runtime audit costs a test suite: the same pytest run with and without it.

    python benchmarks/audit_overhead.py                      # the default subset, 3 rounds
    python benchmarks/audit_overhead.py --repeat 5 -- tests  # any pytest arguments after --

Each round runs pytest twice, in alternating order (plain, then with
``-p tmplint.audit --tmplint-audit``; the next round the other way round), each in its own
process, output discarded. CPU
time (user + system of the pytest process and its children) is what the ratio is taken of: on a
loaded machine wall time mostly measures the neighbours. Prints one line per run and a JSON
summary: ``{"plain_cpu_s": ..., "audit_cpu_s": ..., "cpu_ratio": ..., "wall_ratio": ...}`` with
medians over the rounds, then what the hook adds to one audit event, measured in this process
(``hook_ns``: before the hook is installed, installed but outside a test, during a test for an
event it ignores and for an ``open`` for reading, which it looks at and drops).

The default subset is the project's in-process tests (detector, registry, codemod fixtures,
prefilter, reporters, line opcodes, docs): tests that start subprocesses (the CLI, flake8,
pre-commit, pytester) are left out, since the audit hook does not run in a child process and
they would only dilute the ratio.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TESTS = [
    "tests/test_detector.py", "tests/test_detector_references.py", "tests/test_registry.py",
    "tests/test_codemod_fixtures.py", "tests/test_prefilter.py", "tests/test_reporters.py",
    "tests/test_line_opcodes.py", "tests/test_docs.py",
]


def timed_run(command: Sequence[str]) -> Tuple[float, float, int]:
    """(CPU seconds of the process tree, wall seconds, exit code) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, completed.returncode


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("pytest_args", nargs="*", help="after --: what pytest runs (default: the in-process subset)")
    args = parser.parse_args(argv)
    tests = args.pytest_args or DEFAULT_TESTS
    base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests]
    audit = base + ["-p", "tmplint.audit", "--tmplint-audit"]
    samples: dict = {"plain": [], "audit": []}
    for round_index in range(args.repeat):
        order = [("plain", base), ("audit", audit)]
        for name, command in order if round_index % 2 == 0 else order[::-1]:
            cpu, wall, code = timed_run(command)
            print(f"round {round_index + 1} {name:5}: cpu {cpu:7.2f}s  wall {wall:7.2f}s  exit {code}", flush=True)
            if code != 0:
                print(f"pytest failed ({code}): {' '.join(command)}", file=sys.stderr)
                return 1
            samples[name].append((cpu, wall))
    summary = _summary(samples["plain"], samples["audit"])
    summary["tests"] = tests
    summary["hook_ns"] = hook_cost()
    print(json.dumps(summary))
    return 0


def hook_cost(events: int = 300_000) -> dict:
    """Nanoseconds per ``sys.audit`` call: no hook, hook between tests, hook during a test."""
    sys.path.insert(0, str(ROOT))
    from tmplint import audit_hook

    def per_event(*args: object) -> float:
        started = time.perf_counter()
        for _ in range(events):
            sys.audit(*args)
        return round((time.perf_counter() - started) / events * 1e9, 1)

    cost = {"no_hook": per_event("tmplint.bench", 1)}
    audit_hook.activate(audit_hook.Recorder([str(ROOT / "no-such-temp-dir")], ROOT, ()))
    cost["between_tests"] = per_event("tmplint.bench", 1)
    audit_hook.recording = True
    try:
        cost["in_test_other_event"] = per_event("tmplint.bench", 1)
        cost["in_test_open_for_reading"] = per_event("open", __file__, "r", os.O_RDONLY)
    finally:
        audit_hook.recording = False
    return cost


def _summary(plain: List[Tuple[float, float]], audit: List[Tuple[float, float]]) -> dict:
    plain_cpu = statistics.median(c for c, _ in plain)
    audit_cpu = statistics.median(c for c, _ in audit)
    return {
        "plain_cpu_s": round(plain_cpu, 2), "audit_cpu_s": round(audit_cpu, 2),
        "cpu_ratio": round(audit_cpu / plain_cpu, 3),
        "wall_ratio": round(statistics.median(w for _, w in audit) / statistics.median(w for _, w in plain), 3),
    }


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
