"""Why the result cache is one shard file per run and not one file per source file.

    python benchmarks/cache_layout.py [--entries 2000,20000]

Times, for N cached results, writing and reading them back both ways in a scratch dir under
``benchmarks/.work``: one small JSON file per entry (each written atomically: temp file +
``os.replace``) against one JSON shard holding all of them (what :mod:`tmplint.cache` does).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import time
from pathlib import Path

WORK = Path(__file__).resolve().parent / ".work" / "cache-layout"


def entries(count: int) -> dict:
    result = {}
    for index in range(count):
        key = hashlib.sha256(str(index).encode()).hexdigest()[:32]
        # like the real mix: most files clean, one in ten with a finding
        result[key] = [] if index % 10 else [[12, 4, "TMP002", "tempfile.mkstemp() writes ...", True, 12, 30, "t"]]
    return result


def per_file(data: dict, directory: Path) -> tuple:
    started = time.perf_counter()
    for key, value in data.items():
        temp = directory / f".{key}.tmp"
        temp.write_text(json.dumps(value))
        os.replace(temp, directory / key)
    written = time.perf_counter()
    loaded = {key: json.loads((directory / key).read_text()) for key in data}
    assert loaded == data
    return written - started, time.perf_counter() - written


def one_shard(data: dict, directory: Path) -> tuple:
    started = time.perf_counter()
    temp = directory / ".shard.tmp"
    temp.write_text(json.dumps(data, separators=(",", ":")))
    os.replace(temp, directory / "shard.json")
    written = time.perf_counter()
    loaded = json.loads((directory / "shard.json").read_text())
    assert loaded == data
    return written - started, time.perf_counter() - written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", default="2000,20000")
    args = parser.parse_args()
    print("| entries | layout | write s | read s |")
    print("| ---: | --- | ---: | ---: |")
    for count in (int(c) for c in args.entries.split(",")):
        data = entries(count)
        for name, layout in (("one file per entry", per_file), ("one shard", one_shard)):
            shutil.rmtree(WORK, ignore_errors=True)
            WORK.mkdir(parents=True)
            write, read = layout(data, WORK)
            print(f"| {count} | {name} | {write:.3f} | {read:.3f} |")
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
