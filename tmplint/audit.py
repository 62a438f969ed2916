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

import fnmatch
import io
import os
import sys
import threading
from pathlib import Path
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

import pytest

PLUGIN_NAME = "tmplint.audit"
CODE = "TMP900"
FORMATS = ("text", "json", "sarif", "github")
#: key of the records a pytest-xdist worker hands to the controller
WORKER_OUTPUT_KEY = "tmplint_audit"

#: audit event -> (index of the path it creates in the event's args, what the test did)
EVENTS: Dict[str, Tuple[int, str]] = {
    "open": (0, "wrote"),
    "os.mkdir": (0, "made dir"),
    "os.rename": (1, "moved a file to"),  # os.replace raises os.rename too
    "os.symlink": (1, "made link"),
    "os.link": (1, "made link"),
    "tempfile.mkstemp": (0, "made file"),
    "tempfile.mkdtemp": (0, "made dir"),
    "shutil.copyfile": (1, "copied a file to"),
    "shutil.copytree": (1, "copied a tree to"),
    "leak": (0, "left files in job dir"),
}
#: os.open flags that can create or change a file
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
#: an unnamed file in a directory (``TemporaryFile`` on Linux); 0 where the OS has none
_O_TMPFILE = getattr(os, "O_TMPFILE", 0)

# The hook reads these module globals only: flipping ``_recording`` is the whole on/off switch.
_recording = False
_recorder: Optional["Recorder"] = None
_hook_installed = False
#: set while the hook runs in a thread, so what the hook itself does is never recorded
_guard = threading.local()


class Record(NamedTuple):
    """One creation under a temp dir (or a leaked job dir); a plain tuple, so xdist can ship it."""

    test: str
    event: str
    target: str
    path: str
    line: int


def _audit_hook(event: str, args: Tuple[Any, ...]) -> None:
    if not _recording:
        return
    spec = EVENTS.get(event)
    if spec is None or getattr(_guard, "busy", False):
        return
    _guard.busy = True
    try:
        recorder = _recorder
        if recorder is not None:
            recorder.event(event, args, spec[0])
    except Exception as exc:  # noqa: BLE001 - raising here would break the test's own call
        if _recorder is not None:
            _recorder.errors.append(f"{event}: {type(exc).__name__}: {exc}")
    finally:
        _guard.busy = False


def _install_hook() -> None:
    global _hook_installed
    if not _hook_installed:
        sys.addaudithook(_audit_hook)
        _hook_installed = True


def _writes(args: Tuple[Any, ...]) -> bool:
    """Whether an ``open`` event (path, mode, flags) can create or change the file: ``open()``
    passes its mode string and the flags it computed, ``os.open`` None and its flags."""
    mode = args[1] if len(args) > 1 else None
    flags = args[2] if len(args) > 2 else 0
    if isinstance(mode, str) and any(ch in mode for ch in "wax+"):
        return True
    return isinstance(flags, int) and bool(flags & _WRITE_FLAGS)


def _opener_of_a_dir(args: Tuple[Any, ...], path: str) -> bool:
    """``NamedTemporaryFile`` calls ``open(dir, mode, opener=...)`` and its opener makes the real
    file (whose own event follows): an ``open`` of a directory without ``O_TMPFILE`` makes nothing."""
    flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
    return not (_O_TMPFILE and flags & _O_TMPFILE == _O_TMPFILE) and os.path.isdir(path)


def _package_dir(name: str) -> Optional[str]:
    module = sys.modules.get(name)
    file = getattr(module, "__file__", None)
    return os.path.dirname(os.path.abspath(file)) + os.sep if file else None


_PROJECT, _FRAMEWORK, _OTHER = "project", "framework", "other"


class Recorder:
    """What the hook calls during a test: filters paths, finds the site, keeps the records."""

    def __init__(self, temp_dirs: Iterable[str], rootdir: Path, allow: Sequence[str]) -> None:
        dirs = set()
        for directory in temp_dirs:
            dirs.add(os.path.abspath(directory))
            dirs.add(os.path.realpath(directory))
        self.temp_dirs = frozenset(dirs)
        self.temp_prefixes = tuple(d.rstrip(os.sep) + os.sep for d in dirs)
        self.excluded: Tuple[str, ...] = ()
        self.allow = tuple(allow)
        self.root = str(rootdir.resolve()) + os.sep
        self.plugin_file = os.path.abspath(__file__)
        self.framework_dirs = tuple(d for d in map(_package_dir, ("_pytest", "pytest", "pluggy", "xdist", "execnet"))
                                    if d)
        self._kinds: Dict[str, str] = {}
        self.test = ""
        #: where a write that no project frame explains is reported: the test's own line
        self.fallback: Tuple[str, int] = ("", 0)
        #: (test, target, path, line) -> event; a later tempfile.* event names what an open made
        self.records: Dict[Tuple[str, str, str, int], str] = {}
        self.errors: List[str] = []

    def exclude(self, directory: str) -> None:
        """Never report what is made under ``directory`` (pytest's tmp_path base)."""
        prefixes = {os.path.abspath(directory) + os.sep, os.path.realpath(directory) + os.sep}
        self.excluded = tuple(sorted(set(self.excluded) | prefixes))

    def start(self, test: str, fallback: Tuple[str, int]) -> None:
        self.test, self.fallback = test, fallback

    def watched(self, path: str) -> bool:
        if not (path.startswith(self.temp_prefixes) or path in self.temp_dirs):
            return False
        if path.startswith(self.excluded) or (path + os.sep) in self.excluded:
            return False
        return not any(fnmatch.fnmatchcase(path, pattern) for pattern in self.allow)

    def event(self, event: str, args: Tuple[Any, ...], index: int) -> None:
        if event == "open" and not _writes(args):
            return
        raw = args[index] if len(args) > index else None
        if raw is None or isinstance(raw, int):  # an fd, not a path
            return
        path = os.path.abspath(os.fsdecode(os.fspath(raw)))
        if not self.watched(path) or (event == "open" and _opener_of_a_dir(args, path)):
            return
        site = self.site(sys._getframe(1))
        if site is None:
            return
        key = (self.test, path) + site
        if key not in self.records or event.startswith("tempfile."):
            self.records[key] = event

    def add(self, record: Record) -> None:
        self.records[(record.test, record.target, record.path, record.line)] = record.event

    def site(self, frame: Any) -> Optional[Tuple[str, int]]:
        """The first frame in the project's own code; the test's line when none is but the write
        is not pytest's own (a library's thread); None for pytest's own (``capfd``'s files)."""
        framework = False
        while frame is not None:
            filename = frame.f_code.co_filename
            kind = self._kinds.get(filename)
            if kind is None:
                kind = self._kinds[filename] = self._classify(filename)
            if kind == _PROJECT:
                return filename, frame.f_lineno
            framework = framework or kind == _FRAMEWORK
            frame = frame.f_back
        return None if framework else self.fallback

    def _classify(self, filename: str) -> str:
        if filename.startswith("<"):  # "<frozen runpy>", "<string>": no file of the project
            return _OTHER
        path = os.path.abspath(filename)
        if path.startswith(self.framework_dirs):
            return _FRAMEWORK
        parts = path.split(os.sep)
        if (path.startswith(self.root) and path != self.plugin_file
                and "site-packages" not in parts and "dist-packages" not in parts):
            return _PROJECT
        return _OTHER

    def take(self) -> List[Record]:
        """Every record so far, as Record tuples (in the order they were made)."""
        return [Record(test, event, target, path, line) for (test, target, path, line), event in self.records.items()]


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
        parts.append(f"{test} {EVENTS[first.event][1]} {first.target}{more}")
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


class AuditSession:
    """The active audit of one pytest session (on a pytest-xdist worker: of that worker's tests)."""

    def __init__(self, config: Any, mode: str, tmplint_config: Any) -> None:
        import tempfile

        global _recorder
        self.config = config
        self.mode = mode
        self.fmt = config.getoption("tmplint_audit_format")
        self.output = config.getoption("tmplint_audit_output")
        temp_dirs = [tempfile.gettempdir(), "/tmp", "/var/tmp", *tmplint_config.all_temp_dirs]
        self.recorder = Recorder(temp_dirs, Path(str(config.rootpath)), tmplint_config.audit_allow)
        self.leak_check = (LeakCheck(tmplint_config.root_env, tmplint_config.root)
                           if config.getoption("tmplint_audit_leaks") else None)
        #: records merged from pytest-xdist workers
        self.merged: List[Record] = []
        #: how many records of the current test were already reported by a phase
        self.seen = 0
        _recorder = self.recorder
        _install_hook()

    def pytest_sessionstart(self, session: Any) -> None:
        factory = getattr(self.config, "_tmp_path_factory", None)
        if factory is not None:
            self.recorder.exclude(str(factory.getbasetemp()))

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item: Any, nextitem: Any) -> Any:
        global _recording
        path, line, _ = item.location
        self.recorder.start(item.nodeid, (str(Path(str(self.config.rootpath)) / path), (line or 0) + 1))
        self.seen = len(self.recorder.records)
        if self.leak_check is not None:
            self.leak_check.start()
        _recording = True
        try:
            yield
        finally:
            _recording = False

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
        new = self.recorder.take()[self.seen:]
        self.seen += len(new)
        if new and self.mode == "fail" and report.passed:
            report.outcome = "failed"
            report.longrepr = (f"tmplint audit ({call.when}): this test created files under the system "
                               "temp dirs or left job scratch files:\n" + render(new, "text"))

    def pytest_sessionfinish(self, session: Any) -> None:
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
