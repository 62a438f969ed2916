"""The baseline for ``tmplint fix``: a plain libcst ``parse_module`` of every file, in a process pool.

    python benchmarks/libcst_parse.py TREE [--jobs N] [--files LIST]

Finds files as ``tmplint check`` does (same excludes), so both see the same tree, parses every
one with libcst in a pool of ``--jobs`` processes (default: the CPU count) and prints one JSON line:
``{"files": N, "parsed": N, "failed": N}``. This is the least any libcst-based codemod over the
whole tree costs. ``tmplint fix`` parses only the files the detector found something in:
``--files`` (a file with one path a line) parses just those, the baseline of the migration.
"""
from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def parse_chunk(paths: List[str]) -> Tuple[int, int]:
    import libcst

    parsed = failed = 0
    for path in paths:
        try:
            libcst.parse_module(Path(path).read_bytes())
            parsed += 1
        except Exception:  # noqa: BLE001 - syntax errors, Python 2 files, bad encodings: counted
            failed += 1
    return parsed, failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("--jobs", type=int, default=0)
    parser.add_argument("--files", type=Path, help="parse only the paths listed in this file, one a line")
    args = parser.parse_args()

    from tmplint.check import default_jobs
    from tmplint.config import load_config
    from tmplint.files import iter_python_files

    config = load_config(start=args.tree)
    files = [str(path) for path, error in iter_python_files([args.tree], config) if error is None]
    if args.files is not None:
        files = args.files.read_text().splitlines()
    jobs = min(args.jobs or default_jobs(), max(1, len(files)))
    # interleaved chunks spread big and small files over the workers
    chunks = [files[i::jobs * 8] for i in range(jobs * 8)]
    parsed = failed = 0
    with ProcessPoolExecutor(jobs) as pool:
        for ok, bad in pool.map(parse_chunk, chunks):
            parsed, failed = parsed + ok, failed + bad
    print(json.dumps({"files": len(files), "parsed": parsed, "failed": failed}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
