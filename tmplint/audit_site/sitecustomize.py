"""Put first on PYTHONPATH by ``pytest --tmplint-audit-subprocesses``: a Python process a test
starts records what it creates under the system temp dirs for that test (see docs/audit.md)."""
import importlib.machinery
import importlib.util
import os
import sys


def _start() -> None:
    try:
        from tmplint.audit_hook import start_child
    except ImportError:  # another interpreter, without tmplint: nothing to record with
        pass
    else:
        start_child()
    # the sitecustomize this one hides, if any, still runs
    here = os.path.dirname(os.path.abspath(__file__))
    rest = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is not None and spec.loader is not None:
        spec.loader.exec_module(importlib.util.module_from_spec(spec))


_start()
