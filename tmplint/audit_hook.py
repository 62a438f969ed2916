"""The PEP 578 audit hook of the runtime audit and what it records; no pytest here.

``tmplint.audit`` (the pytest plugin) drives it in the test process; ``start_child`` drives it in
a Python process a test started, when the plugin's ``sitecustomize`` is on its PYTHONPATH
(``--tmplint-audit-subprocesses``). The hook reads the module globals ``recording`` and
``_recorder`` only: flipping ``recording`` is the whole on/off switch.
"""
from __future__ import annotations

import atexit
import fnmatch
import json
import os
import sys
import threading
import uuid
from pathlib import Path
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

#: audit event -> index of the path it creates in the event's args
EVENTS: Dict[str, int] = {
    "open": 0,
    "os.mkdir": 0,
    "os.rename": 1,  # os.replace raises os.rename too
    "os.symlink": 1,
    "os.link": 1,
    "tempfile.mkstemp": 0,
    "tempfile.mkdtemp": 0,
    "shutil.copyfile": 1,
    "shutil.copytree": 1,
}
#: what a record says the test did, by event ("leak": a job scratch dir left non-empty)
VERBS: Dict[str, str] = {
    "open": "wrote",
    "os.mkdir": "made dir",
    "os.rename": "moved a file to",
    "os.symlink": "made link",
    "os.link": "made link",
    "tempfile.mkstemp": "made file",
    "tempfile.mkdtemp": "made dir",
    "shutil.copyfile": "copied a file to",
    "shutil.copytree": "copied a tree to",
    "leak": "left files in job dir",
}
#: os.open flags that can create or change a file
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
#: mode characters that can create or change a file
_WRITE_MODES = frozenset("wax+")
#: an unnamed file in a directory (``TemporaryFile`` on Linux); 0 where the OS has none
_O_TMPFILE = getattr(os, "O_TMPFILE", 0)

#: True while a test runs (in a child process: from start to exit)
recording = False
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
    if not recording:
        return
    index = EVENTS.get(event)
    if index is None or (event == "open" and not _writes(args)) or getattr(_guard, "busy", False):
        return  # reads (every import opens files) leave here
    _guard.busy = True
    try:
        recorder = _recorder
        if recorder is not None:
            recorder.event(event, args, index)
    except Exception as exc:  # noqa: BLE001 - raising here would break the test's own call
        if _recorder is not None:
            _recorder.errors.append(f"{event}: {type(exc).__name__}: {exc}")
    finally:
        _guard.busy = False


def activate(recorder: "Recorder") -> None:
    """Make ``recorder`` the one the hook feeds, installing the hook on first use (once per
    process: it cannot be removed). Recording starts when ``recording`` is set."""
    global _hook_installed, _recorder
    _recorder = recorder
    if not _hook_installed:
        sys.addaudithook(_audit_hook)
        _hook_installed = True


def _writes(args: Tuple[Any, ...]) -> bool:
    """Whether an ``open`` event (path, mode, flags) can create or change the file: ``open()``
    passes its mode string and the flags it computed, ``os.open`` None and its flags."""
    flags = args[2] if len(args) > 2 else 0
    if isinstance(flags, int) and flags & _WRITE_FLAGS:
        return True
    mode = args[1] if len(args) > 1 else None
    return isinstance(mode, str) and not _WRITE_MODES.isdisjoint(mode)


def _opener_of_a_dir(args: Tuple[Any, ...], path: str) -> bool:
    """``NamedTemporaryFile`` calls ``open(dir, mode, opener=...)`` and its opener makes the real
    file (whose own event follows): an ``open`` of a directory without ``O_TMPFILE`` makes nothing."""
    flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
    return not (_O_TMPFILE and flags & _O_TMPFILE == _O_TMPFILE) and os.path.isdir(path)


#: the import system where it is not frozen
_IMPORTLIB_FILES = tuple(os.path.join("importlib", name) for name in ("_bootstrap.py", "_bootstrap_external.py"))


def _package_dir(name: str) -> Optional[str]:
    module = sys.modules.get(name)
    file = getattr(module, "__file__", None)
    return os.path.dirname(os.path.abspath(file)) + os.sep if file else None


_PROJECT, _FRAMEWORK, _IMPORT, _OTHER = "project", "framework", "import", "other"


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
        self.excluded_dirs: List[str] = []
        self.allow = tuple(allow)
        self.rootdir = str(rootdir.resolve())
        self.root = self.rootdir + os.sep
        self.plugin_file = os.path.abspath(__file__)
        self.framework_dirs = tuple(d for d in map(_package_dir, ("_pytest", "pytest", "pluggy", "xdist", "execnet"))
                                    if d)
        self._kinds: Dict[str, str] = {}
        self.test = ""
        #: where a write that no project frame explains is reported: the test's own line
        self.fallback: Tuple[str, int] = ("", 0)
        #: (test, target, path, line) -> event; a later tempfile.* event names what an open made
        self.records: Dict[Tuple[str, str, str, int], str] = {}
        #: keys added since the last ``take_new``
        self.new: List[Tuple[str, str, str, int]] = []
        self.errors: List[str] = []

    def exclude(self, directory: str) -> None:
        """Never report what is made under ``directory`` (pytest's tmp_path base)."""
        prefixes = {os.path.abspath(directory) + os.sep, os.path.realpath(directory) + os.sep}
        self.excluded = tuple(sorted(set(self.excluded) | prefixes))
        self.excluded_dirs.append(directory)

    def start(self, test: str, fallback: Tuple[str, int]) -> None:
        self.test, self.fallback = test, fallback

    def watched(self, path: str) -> bool:
        if not (path.startswith(self.temp_prefixes) or path in self.temp_dirs):
            return False
        if path.startswith(self.excluded) or (path + os.sep) in self.excluded:
            return False
        return not any(fnmatch.fnmatchcase(path, pattern) for pattern in self.allow)

    def event(self, event: str, args: Tuple[Any, ...], index: int) -> None:
        raw = args[index] if len(args) > index else None
        if raw is None or isinstance(raw, int):  # an fd, not a path
            return
        path = os.path.abspath(os.fsdecode(os.fspath(raw)))
        if not self.watched(path) or (event == "open" and _opener_of_a_dir(args, path)):
            return
        site = self.site(sys._getframe(1))
        if site is None:
            return
        self._put((self.test, path) + site, event)

    def add(self, record: Record) -> None:
        self._put((record.test, record.target, record.path, record.line), record.event)

    def _put(self, key: Tuple[str, str, str, int], event: str) -> None:
        if key not in self.records:
            self.new.append(key)
        elif not event.startswith("tempfile."):
            return  # the same path made at the same site again: the first event names it
        self.records[key] = event

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
            if kind == _IMPORT:
                return None  # the import system caching bytecode (__pycache__), not the code's own write
            framework = framework or kind == _FRAMEWORK
            frame = frame.f_back
        return None if framework else self.fallback

    def _classify(self, filename: str) -> str:
        if filename.startswith(("<frozen importlib.", "<frozen zipimport")) or filename.endswith(_IMPORTLIB_FILES):
            return _IMPORT
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

    def take_new(self) -> List[Record]:
        """The records added since the last call."""
        keys, self.new = self.new, []
        return [Record(key[0], self.records[key], *key[1:]) for key in keys]


# --------------------------------------------------------------------------- child processes

#: the parent session's settings, as JSON, for the Python processes its tests start
CHILD_ENV = "TMPLINT_AUDIT_CHILD"
#: ``[nodeid, path, line]`` of the test running in the parent, as JSON
TEST_ENV = "TMPLINT_AUDIT_TEST"


def child_settings(recorder: Recorder, records_dir: str) -> str:
    return json.dumps({
        "temp_dirs": sorted(recorder.temp_dirs), "excluded": recorder.excluded_dirs,
        "allow": list(recorder.allow), "rootdir": recorder.rootdir, "records": records_dir,
    })


def start_child() -> None:
    """Record this process's writes for the test that started it (called by the plugin's
    ``sitecustomize``); at exit they go to the parent's records dir, one JSON file per process."""
    global recording
    try:
        settings = json.loads(os.environ[CHILD_ENV])
        test, path, line = json.loads(os.environ[TEST_ENV])
    except (KeyError, ValueError, TypeError):
        return  # started outside a test, or the settings were mangled: nothing to attribute
    recorder = Recorder(settings["temp_dirs"], Path(settings["rootdir"]), settings["allow"])
    for directory in settings["excluded"]:
        recorder.exclude(directory)
    recorder.start(test, (path, line))
    import tempfile

    tempfile.gettempdir()  # its first call writes a probe file; the test process made it before its tests too
    activate(recorder)
    atexit.register(_leave_records, recorder, settings["records"])
    recording = True


def _leave_records(recorder: Recorder, directory: str) -> None:
    global recording
    recording = False
    records = [list(record) for record in recorder.take()]
    if not records:
        return
    name = os.path.join(directory, f"{os.getpid()}-{uuid.uuid4().hex}")
    try:
        with open(name + ".part", "w", encoding="utf-8") as handle:
            json.dump(records, handle)
        os.replace(name + ".part", name + ".json")  # the parent reads whole files only
    except OSError:
        pass  # the parent's session is gone: nobody is left to report to


def collect_child_records(directory: str) -> List[Record]:
    """The records children left in ``directory`` (each file read once, then removed)."""
    records: List[Record] = []
    try:
        names = sorted(n for n in os.listdir(directory) if n.endswith(".json"))
    except OSError:
        return records
    for name in names:
        path = os.path.join(directory, name)
        try:
            with open(path, encoding="utf-8") as handle:
                records.extend(Record(*fields) for fields in json.load(handle))
            os.remove(path)
        except (OSError, ValueError, TypeError):
            continue
    return records
