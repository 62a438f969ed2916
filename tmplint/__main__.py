"""``python -m tmplint``, and ``run``, the ``tmplint`` command's entry point.

Ctrl-C must never print a traceback, also while the modules are still being imported: ``run``
takes over SIGINT before it imports the command line (only ``tmplint.pool``, which needs nothing
but the standard library, comes first)."""
import sys

from tmplint.pool import pause_for_test, report_interrupted, stop_on_first_interrupt


def run() -> int:
    stop_on_first_interrupt()
    try:
        pause_for_test("starting")
        from tmplint.cli import main

        return main()
    except KeyboardInterrupt:
        return report_interrupted()


if __name__ == "__main__":
    sys.exit(run())
