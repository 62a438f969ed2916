"""``python -m tmplint``, and ``run``, the ``tmplint`` command's entry point.

Ctrl-C must never print a traceback, also while the modules are still being imported: ``run``
takes over SIGINT before it imports the command line (only ``tmplint.pool``, which needs nothing
but the standard library, comes first), and once the command is done (or interrupted) the process
ends without taking any further Ctrl-C."""
import gc
import sys

from tmplint.pool import (exit_interrupted, ignore_interrupts, pause_for_test, report_interrupted,
                          stop_on_first_interrupt, was_interrupted)


def run() -> int:
    try:
        stop_on_first_interrupt()
        pause_for_test("starting")
        from tmplint.cli import main

        status = main()
        # here, inside the try: a Ctrl-C that comes before this is still the first one, handled
        # below; one that comes after it, during Python's shutdown, is not a traceback
        ignore_interrupts()
    except KeyboardInterrupt:
        status = report_interrupted()
    if was_interrupted():
        exit_interrupted(status)
    # The process ends next: what is alive now stays until then, and the collection Python makes
    # as it exits would walk all of it once more for nothing (5 ms of a warm run on Lib/).
    gc.freeze()
    return status


if __name__ == "__main__":
    sys.exit(run())
