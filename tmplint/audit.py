"""Runtime audit: a pytest plugin that proves a test suite writes nothing to the system temp dirs.

Loaded by pytest through the ``pytest11`` entry point and inactive unless asked for
(``--tmplint-audit[=warn|fail]``, ``-p tmplint.audit``, or ``audit = true`` under
``[tool.tmplint]``). When active it installs a PEP 578 audit hook (``sys.addaudithook``) that
records every file and directory a test creates under the system temp dirs, with the first line
of the project's own code on the stack, and reports them at the end of the session as TMP900
findings in tmplint's formats. See docs/audit.md.

An audit hook cannot be removed: outside a test the hook returns after reading one module flag.
"""
from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import pytest

from tmplint import audit_hook
from tmplint.audit_hook import VERBS, Record, Recorder

PLUGIN_NAME = "tmplint.audit"
CODE = "TMP900"
FORMATS = ("text", "json", "sarif", "github")
#: key of the records a pytest-xdist worker hands to the controller
WORKER_OUTPUT_KEY = "tmplint_audit"

# --------------------------------------------------------------------------- reporting


def _display(path: str) -> str:
    from tmplint.reporters import relative_posix

    relative = relative_posix(path)
    return relative if relative is not None else path


def findings(records: Iterable[Record]) -> List[Any]:
    """One TMP900 finding per site (path:line), sorted; its message names each test that wrote
    there with the first path it made (and how many more)."""
    from tmplint.detector import Finding

    by_site: Dict[Tuple[str, int], Dict[str, List[Record]]] = {}
    for record in records:
        by_site.setdefault((_display(record.path), record.line), {}).setdefault(record.test, []).append(record)
    result = []
    for (path, line), tests in sorted(by_site.items()):
        result.append(Finding(path=path, line=line, col=0, code=CODE, message=_message(tests), fixable=False,
                              end_line=line, end_col=0, target="runtime"))
    return result


def _message(tests: Dict[str, List[Record]]) -> str:
    parts = []
    for test, records in tests.items():
        first = records[0]
        more = f" (+{len(records) - 1} more)" if len(records) > 1 else ""
        parts.append(f"{test} {VERBS[first.event]} {first.target}{more}")
    return "; ".join(parts)


def render(records: Sequence[Record], fmt: str) -> str:
    from tmplint.reporters import REPORTERS

    out = io.StringIO()
    REPORTERS[fmt](findings(records), [], out)
    return out.getvalue()


# --------------------------------------------------------------------------- leaks


def _job_dirs_in_use(root: str) -> Dict[str, List[str]]:
    """``{scratch dir: its entries}`` for every job under ``root`` whose scratch dir
    (``{root}/{workflow_id}/tmp``, the helper's layout) is not empty."""
    found: Dict[str, List[str]] = {}
    try:
        jobs = [entry.path for entry in os.scandir(root) if entry.is_dir(follow_symlinks=False)]
    except OSError:
        return found
    for job in jobs:
        scratch = os.path.join(job, "tmp")
        try:
            entries = sorted(os.listdir(scratch))
        except OSError:
            continue
        if entries:
            found[scratch] = entries
    return found


class LeakCheck:
    """Job scratch dirs a test leaves non-empty. The root is read from the environment at the
    start of the test, of its call and after its teardown (fixtures may set and restore it)."""

    def __init__(self, root_env: str, default_root: str) -> None:
        self.root_env, self.default_root = root_env, default_root
        self.before: Dict[str, Dict[str, List[str]]] = {}

    def _root(self) -> str:
        return os.environ.get(self.root_env) or self.default_root

    def start(self) -> None:
        self.before = {}
        self.look()

    def look(self) -> None:
        root = os.path.abspath(self._root())
        if root not in self.before:
            self.before[root] = _job_dirs_in_use(root)

    def leaks(self) -> List[Tuple[str, List[str]]]:
        self.look()
        found = []
        for root, before in sorted(self.before.items()):
            for scratch, entries in sorted(_job_dirs_in_use(root).items()):
                if scratch not in before:
                    found.append((scratch, entries))
        return found


# --------------------------------------------------------------------------- the plugin


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("tmplint", "tmplint runtime audit (files tests create in the system temp dirs)")
    group.addoption(
        "--tmplint-audit", nargs="?", const="warn", default=None, choices=("warn", "fail"),
        help="record files and dirs tests create under the system temp dirs; warn (default) only "
             "reports them at the end, fail also fails each test that made one "
             "(write --tmplint-audit=fail, or put it after the test paths)",
    )
    group.addoption("--tmplint-audit-format", choices=FORMATS, default="text",
                    help="format of the audit report (default: text)")
    group.addoption("--tmplint-audit-output", metavar="FILE", default=None,
                    help="write the audit report to FILE instead of the terminal")
    group.addoption("--tmplint-audit-leaks", action="store_true", default=False,
                    help="also report job scratch dirs under WORKFLOW_TEMP_ROOT a test left non-empty")
    group.addoption("--tmplint-audit-subprocesses", action="store_true", default=False,
                    help="also record what Python processes started by tests create (through a "
                         "sitecustomize put first on PYTHONPATH)")


def _requested_mode(config: Any) -> Optional[str]:
    mode = config.getoption("tmplint_audit")
    if mode is None and PLUGIN_NAME in (getattr(config.option, "plugins", None) or []):
        mode = "warn"
    return mode


def pytest_configure(config: Any) -> None:
    from tmplint.config import ConfigError, load_config

    mode = _requested_mode(config)
    try:
        tmplint_config = load_config(start=Path(str(config.rootpath)))
    except ConfigError as exc:
        if mode is not None:
            raise pytest.UsageError(f"tmplint audit: {exc}") from None
        config.issue_config_time_warning(pytest.PytestConfigWarning(f"tmplint audit stays off: {exc}"), stacklevel=2)
        return
    mode = mode or tmplint_config.audit
    if mode == "off":
        return
    config.pluginmanager.register(AuditSession(config, mode, tmplint_config), "tmplint-audit-session")


class ChildProcesses:
    """``--tmplint-audit-subprocesses``: Python processes started by tests run the plugin's
    ``sitecustomize`` (put first on PYTHONPATH), record their own writes and leave them in a
    dir under pytest's base temp dir, which this collects after each test phase."""

    SITE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "audit_site")
    VARIABLES = (audit_hook.CHILD_ENV, audit_hook.TEST_ENV, "PYTHONPATH")

    def __init__(self, recorder: Recorder, basetemp: Path) -> None:
        self.directory = basetemp / "tmplint-audit-children"
        self.directory.mkdir(exist_ok=True)
        self.saved = {name: os.environ.get(name) for name in self.VARIABLES}
        os.environ[audit_hook.CHILD_ENV] = audit_hook.child_settings(recorder, str(self.directory))
        python_path = self.saved["PYTHONPATH"]
        os.environ["PYTHONPATH"] = self.SITE_DIR + (os.pathsep + python_path if python_path else "")

    def test_started(self, test: str, fallback: Tuple[str, int]) -> None:
        os.environ[audit_hook.TEST_ENV] = json.dumps([test, *fallback])

    def test_finished(self) -> None:
        os.environ.pop(audit_hook.TEST_ENV, None)

    def collect(self) -> List[Record]:
        return audit_hook.collect_child_records(str(self.directory))

    def close(self) -> None:
        for name, value in self.saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class AuditSession:
    """The active audit of one pytest session (on a pytest-xdist worker: of that worker's tests)."""

    def __init__(self, config: Any, mode: str, tmplint_config: Any) -> None:
        import tempfile

        self.config = config
        self.mode = mode
        self.fmt = config.getoption("tmplint_audit_format")
        self.output = config.getoption("tmplint_audit_output")
        temp_dirs = [tempfile.gettempdir(), "/tmp", "/var/tmp", *tmplint_config.all_temp_dirs]
        self.recorder = Recorder(temp_dirs, Path(str(config.rootpath)), tmplint_config.audit_allow)
        self.leak_check = (LeakCheck(tmplint_config.root_env, tmplint_config.root)
                           if config.getoption("tmplint_audit_leaks") else None)
        self.children: Optional[ChildProcesses] = None
        #: records merged from pytest-xdist workers
        self.merged: List[Record] = []
        audit_hook.activate(self.recorder)

    def pytest_sessionstart(self, session: Any) -> None:
        factory = getattr(self.config, "_tmp_path_factory", None)
        if factory is not None:
            basetemp = factory.getbasetemp()
            self.recorder.exclude(str(basetemp))
            if self.config.getoption("tmplint_audit_subprocesses"):
                self.children = ChildProcesses(self.recorder, basetemp)

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item: Any, nextitem: Any) -> Any:
        path, line, _ = item.location
        fallback = (str(Path(str(self.config.rootpath)) / path), (line or 0) + 1)
        self.recorder.start(item.nodeid, fallback)
        self.recorder.take_new()  # anything recorded outside a test (a child's late records) is not this test's
        if self.leak_check is not None:
            self.leak_check.start()
        if self.children is not None:
            self.children.test_started(item.nodeid, fallback)
        audit_hook.recording = True
        try:
            yield
        finally:
            audit_hook.recording = False
            if self.children is not None:
                self.children.test_finished()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_call(self, item: Any) -> None:
        if self.leak_check is not None:
            self.leak_check.look()  # the root a fixture may have set for the test

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: Any, call: Any) -> Any:
        outcome = yield
        report = outcome.get_result()
        if call.when == "teardown" and self.leak_check is not None:
            for scratch, entries in self.leak_check.leaks():
                more = f" (+{len(entries) - 1} more)" if len(entries) > 1 else ""
                path, line = self.recorder.fallback
                self.recorder.add(Record(item.nodeid, "leak", f"{scratch}: {entries[0]}{more}", path, line))
        for record in self.children.collect() if self.children is not None else ():
            self.recorder.add(record)
        new = self.recorder.take_new()
        if new and self.mode == "fail" and report.passed:
            report.outcome = "failed"
            report.longrepr = (f"tmplint audit ({call.when}): this test created files under the system "
                               "temp dirs or left job scratch files:\n" + render(new, "text"))

    def pytest_sessionfinish(self, session: Any) -> None:
        if self.children is not None:
            for record in self.children.collect():  # children that outlived their test
                self.recorder.add(record)
            self.children.close()
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput[WORKER_OUTPUT_KEY] = {
                "records": [list(r) for r in self.recorder.take()], "errors": self.recorder.errors,
            }

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        output = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY, {})
        self.merged.extend(Record(*r) for r in output.get("records", []))
        self.recorder.errors.extend(output.get("errors", []))

    def records(self) -> List[Record]:
        return sorted(set(self.recorder.take() + self.merged), key=lambda r: (r.path, r.line, r.test, r.target))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if hasattr(self.config, "workerinput"):
            return  # a worker's records go to the controller
        records = self.records()
        report = render(records, self.fmt)
        terminalreporter.section("tmplint audit")
        for error in dict.fromkeys(self.recorder.errors):
            terminalreporter.line(f"tmplint audit: internal error: {error}", red=True)
        if self.output:
            from tmplint.files import FileError, atomic_write

            try:
                atomic_write(Path(self.output), report.encode("utf-8"))
            except FileError as exc:
                raise pytest.UsageError(f"tmplint audit: {self.output}: {exc}") from None
        elif report:
            terminalreporter.write(report)
        tests = _count(len({r.test for r in records}), "test")
        sites = _count(len({(r.path, r.line) for r in records}), "site")
        where = f"; report written to {self.output}" if self.output else ""
        terminalreporter.line(f"tmplint audit ({self.mode}): {_count(len(records), 'path')} created under the "
                              f"system temp dirs or left in job dirs, at {sites}, by {tests}{where}")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
