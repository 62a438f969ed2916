"""Run flake8 with only some of the installed third-party plugins.

    python benchmarks/flake8_plugins.py --keep tmplint,flake8-bandit -- FLAKE8 ARGS...

flake8 runs every installed plugin and only then filters the results by ``--select``, so
``flake8 --select E,F,W`` in an environment with tmplint installed still runs tmplint's plugin. To
time flake8 with and without a plugin in one environment, this drops every plugin whose
distribution is not flake8's own (pyflakes, pycodestyle, mccabe) or named in ``--keep``, then
runs flake8's ``main`` unchanged.
"""
from __future__ import annotations

import sys
from typing import List

BUILTIN = {"flake8", "pyflakes", "pycodestyle", "mccabe"}


def main(argv: List[str]) -> int:
    keep = set()
    if argv[:1] == ["--keep"]:
        keep = {name.strip().lower() for name in argv[1].split(",") if name.strip()}
        argv = argv[2:]
    if argv[:1] == ["--"]:
        argv = argv[1:]

    from flake8.main.cli import main as flake8_main
    from flake8.plugins import finder

    original = finder._find_importlib_plugins

    def only_kept():  # type: ignore[no-untyped-def]
        for plugin in original():
            if plugin.package.lower() in BUILTIN | keep:
                yield plugin

    finder._find_importlib_plugins = only_kept
    return flake8_main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
