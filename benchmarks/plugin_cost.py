"""The CPU time tmplint's flake8 plugin itself takes over a tree, measured directly.

    python benchmarks/plugin_cost.py TREE

Timing a whole ``flake8`` run with and without the plugin buries a cost of a few tenths of a
second under a minute of pycodestyle and the noise of the machine. This calls the plugin exactly as
flake8 does (the checker class with the parsed tree, the lines and the file name, then ``run()``)
for every file of the tree, and sums the CPU time spent in ``run()`` (parsing is flake8's, done
once for all plugins) plus importing the plugin. Prints one JSON line:
``{"files": N, "seconds": S, "import_seconds": I, "findings": F}``.
"""
from __future__ import annotations

import ast
import json
import sys
import time
import tokenize
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    tree_dir = Path(sys.argv[1])
    from tmplint.config import load_config
    from tmplint.files import iter_python_files

    started = time.process_time()
    from tmplint.flake8_plugin import TmplintChecker  # what flake8 pays once to load the plugin

    import_seconds = time.process_time() - started

    TmplintChecker._named_codes, TmplintChecker._temp_dirs, TmplintChecker._config_file = (), None, None
    config = load_config(start=tree_dir)
    seconds = 0.0
    files = findings = 0
    for path, error in iter_python_files([tree_dir], config):
        if error is not None:
            continue
        try:
            with tokenize.open(path) as handle:
                lines = handle.readlines()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse("".join(lines))
        except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError, OSError):
            continue  # flake8 reports E902/E999 and runs no plugin on these
        files += 1
        started = time.process_time()
        findings += len(list(TmplintChecker(tree, lines, str(path)).run()))
        seconds += time.process_time() - started
    print(json.dumps({"files": files, "seconds": round(seconds + import_seconds, 4),
                      "import_seconds": round(import_seconds, 4), "findings": findings}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
