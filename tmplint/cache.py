"""The result cache of ``tmplint check``: results by file content, in a cache dir like ruff's.

Layout: ``<cache dir>/<tmplint version>/<key>/*.json``, where the cache dir is ``$TMPLINT_CACHE_DIR``
or ``.tmplint_cache`` in the project root, and ``key`` hashes everything besides the file's bytes
that decides its result: the enabled rules, the temp dirs, the suppression setting, the Python
version (``ast`` differs), the content of flake8's module of noqa patterns and of every module and
template of the installed package (found on disk, not listed by hand: an upgrade or a development
checkout never reads results of older code).

Inside, results are keyed by a hash of the file's content (not its path or mtime). Files without
findings are a set of digests, files with findings or errors store them (the path is filled in
when read back). A second map, as in ruff's cache, goes from a file's absolute path and ``stat``
(mtime, size, inode and ctime: :func:`signature`) to the digest of the content read with that
stat: a warm run stats every file and reads, hashes and parses none. A file whose stat differs is
read and hashed (and its stat entry replaced), so an edit is never missed, also one that keeps the
size and sets the old mtime back: that changes the ctime, which no one can set. A stat is recorded
only when the file last changed :data:`RACY_NS` before the run began: an edit right after the
read, within the filesystem's timestamp granularity, could otherwise keep every field the same.

Concurrent runs never write the same file: each run that learned something writes its own shard
(a temp file renamed into place, so readers see whole files or none), a reader merges all shards,
and when there are many, a run merges them into one and deletes the ones it read (a shard written
meanwhile is not among them, so nothing is lost). Unreadable, corrupt or foreign files are
ignored; a cache that cannot be written is silently not written. Entries not used for 30 days are
dropped when shards are merged.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

from tmplint import __version__
from tmplint.config import Config
from tmplint.findings import Finding

#: a file's identity and last change, as ``stat`` gives them: (mtime, size, inode, ctime)
Signature = Tuple[int, int, int, int]

CACHE_DIR_ENV = "TMPLINT_CACHE_DIR"
CACHE_DIR_NAME = ".tmplint_cache"
FORMAT = 3
#: entries unused for this long are dropped when shards are merged
MAX_AGE_DAYS = 30
#: an entry used again after this many days is rewritten with the new date
REFRESH_DAYS = 7
#: merge the shards when a run finds more than this many
MAX_SHARDS = 8
DIGEST_SIZE = 16
#: a file changed less than this long before the run began (more than any filesystem's timestamp
#: granularity: FAT's is 2 s) is not recorded by its stat: it might change again within the same tick
RACY_NS = 3 * 10**9
#: the packages whose code decides a file's findings (``fixable`` comes from the codemods' triage);
#: installed from a wheel the second is inside the first, in a checkout it is not
CODE_PACKAGES = ("tmplint", "tmplint.codemods")
CODE_SUFFIXES = (".py", ".tmpl")

#: a cached result: ``None`` (no findings), a list of findings as tuples, or an error message
Payload = Any
#: what a run learned for the cache: clean digests, results and stat entries (see ``ResultCache``)
Learned = Tuple[Dict[bytes, int], Dict[bytes, Tuple[int, Payload]], Dict[str, Tuple[Signature, bytes]]]


def digest(data: bytes) -> bytes:
    """The content key of a file's bytes."""
    return hashlib.sha256(data).digest()[:DIGEST_SIZE]


def signature(st: os.stat_result) -> Signature:
    """What the stat entry of a file compares: every field that a write or a rename changes."""
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)


def cache_dir(config: Config) -> Path:
    env = os.environ.get(CACHE_DIR_ENV)
    return Path(env) if env else config.root_dir / CACHE_DIR_NAME


def code_files(directory: Path) -> List[Path]:
    """The modules and templates under a package ``directory``, sorted by relative path."""
    return [Path(path) for _, path in _code_files(directory)]


def _code_files(directory: Path) -> List[Tuple[str, str]]:
    """:func:`code_files` as (relative POSIX path, path) strings, found without a Path per file
    (a warm run computes the digest; ``rglob`` and ``relative_to`` took most of its time)."""
    found = []
    top = str(directory)
    for root, _, names in os.walk(top):
        relative_dir = os.path.relpath(root, top).replace(os.sep, "/")
        for name in names:
            path = os.path.join(root, name)
            if os.path.splitext(name)[1] in CODE_SUFFIXES and os.path.isfile(path):
                found.append((name if relative_dir == "." else f"{relative_dir}/{name}", path))
    return sorted(found)


def code_digest(directories: Iterable[Path], files: Iterable[Path] = ()) -> str:
    """A hash of the relative paths and contents of the code files under ``directories``, and of
    the contents of ``files``. By content, not mtime: an install may keep the old mtimes (a
    wheel's are its build's)."""
    code = hashlib.sha256()
    for number, directory in enumerate(directories):
        for relative, path in _code_files(directory):
            code.update(f"{number}:{relative}\0".encode())
            code.update(_content_digest(Path(path)))
    for path in files:
        code.update(f"file:{path.name}\0".encode())
        code.update(_content_digest(path))
    return code.hexdigest()


def _content_digest(path: Path) -> bytes:
    try:
        return hashlib.sha256(path.read_bytes()).digest()
    except OSError:
        return b"unreadable"


@functools.lru_cache(maxsize=None)
def installed_code_digest() -> str:
    """:func:`code_digest` of the installed :data:`CODE_PACKAGES` and of flake8's noqa patterns, once
    per process."""
    directories = []
    for name in CODE_PACKAGES:
        # the dir of its ``__init__.py``: an editable install's search locations hold the checkout too
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            directories.append(Path(spec.origin).parent)
    return code_digest(directories, noqa_patterns_files())


def noqa_patterns_files() -> List[Path]:
    """flake8's module of the noqa patterns the detector uses, found without importing flake8."""
    spec = importlib.util.find_spec("flake8")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    return [Path(locations[0], "defaults.py")] if locations else []


def config_key(config: Config) -> str:
    """A hash of everything besides the content that decides a file's result."""
    settings = {
        "format": FORMAT,
        "version": __version__,
        "python": [sys.implementation.name, *sys.version_info[:2]],
        "code": installed_code_digest(),
        "enabled": sorted(config.enabled_codes),
        "temp_dirs": list(config.all_temp_dirs),
        "honor_other_suppressions": config.honor_other_suppressions,
        # ``fixable`` depends on whether a workflow id is possible (codemods.triage)
        "workflow_id": [list(config.workflow_id_names), list(config.workflow_id_attributes),
                        config.workflow_id_fallback, config.add_workflow_param],
    }
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:20]


def _today() -> int:
    return int(time.time() // 86400)


def encode_findings(findings: List[Finding]) -> List[list]:
    return [[f.line, f.col, f.code, f.message, f.fixable, f.end_line, f.end_col, f.target, f.reason] for f in findings]


def decode_findings(rows: List[list], path: str) -> List[Finding]:
    findings = []
    for line, col, code, message, fixable, end_line, end_col, target, reason in rows:
        if not (isinstance(line, int) and isinstance(col, int) and isinstance(code, str) and isinstance(message, str)):
            raise ValueError("bad finding")
        findings.append(Finding(path, line, col, code, message, bool(fixable), end_line, end_col, target, reason))
    return findings


class ResultCache:
    """Results of one configuration, read from and written to one shard directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.today = _today()
        #: files changed after this (ns since the epoch) are not recorded by their stat
        self.racy_after = time.time_ns() - RACY_NS
        try:
            self._cwd: Optional[str] = os.getcwd()
        except OSError:  # removed: only absolute paths have stat entries
            self._cwd = None
        #: digest -> day last used, for files without findings
        self._clean: Dict[bytes, int] = {}
        #: digest -> (day last used, findings rows or {"error": message})
        self._results: Dict[bytes, Tuple[int, Any]] = {}
        #: what this run learned or used after a while: written as this run's shard
        self._new_clean: Dict[bytes, int] = {}
        self._new_results: Dict[bytes, Tuple[int, Any]] = {}
        #: absolute path -> (its stat signature, the digest of the content read with it)
        self._stats: Dict[str, Tuple[Signature, bytes]] = {}
        self._new_stats: Dict[str, Tuple[Signature, bytes]] = {}
        self._shards: List[Path] = []

    @classmethod
    def open(cls, config: Config) -> "ResultCache":
        cache = cls(cache_dir(config) / __version__ / config_key(config))
        cache._load()
        return cache

    # -- reading

    def _load(self) -> None:
        try:
            shards = sorted(self.directory.glob("*.json"))
        except OSError:
            return
        for shard in shards:
            self._shards.append(shard)
            try:
                data = json.loads(shard.read_bytes())
                if not isinstance(data, dict) or data.get("format") != FORMAT:
                    continue
                for day, blob in data.get("clean", {}).items():
                    day, raw = int(day), bytes.fromhex(blob)
                    for i in range(0, len(raw) - DIGEST_SIZE + 1, DIGEST_SIZE):
                        key = raw[i:i + DIGEST_SIZE]
                        if self._clean.get(key, -1) < day:
                            self._clean[key] = day
                for hex_key, (day, payload) in data.get("results", {}).items():
                    key = bytes.fromhex(hex_key)
                    if len(key) == DIGEST_SIZE and self._results.get(key, (-1,))[0] < int(day):
                        self._results[key] = (int(day), payload)
                # shards are read oldest first: a later entry for a path replaces an earlier one
                for path, (mtime, size, inode, ctime, hex_key) in data.get("stats", {}).items():
                    key = bytes.fromhex(hex_key)
                    if isinstance(path, str) and len(key) == DIGEST_SIZE:
                        self._stats[path] = ((int(mtime), int(size), int(inode), int(ctime)), key)
            except (OSError, ValueError, TypeError, AttributeError):
                continue  # a corrupt or unreadable shard is just not used

    def key_by_stat(self, path: str, st: os.stat_result) -> Optional[bytes]:
        """The content key recorded for file ``path`` when it had the stat ``st``, if any."""
        entry = self._stats.get(self._absolute(path))
        if entry is not None and entry[0] == signature(st):
            return entry[1]
        return None

    def remember_stat(self, path: str, st: os.stat_result, key: bytes) -> None:
        """Record that file ``path``, read with the stat ``st`` (its ``fstat`` while open), has the
        content key ``key``; not for a file changed just before the run (see :data:`RACY_NS`)."""
        if max(st.st_mtime_ns, st.st_ctime_ns) >= self.racy_after:
            return
        absolute, entry = self._absolute(path), (signature(st), key)
        if absolute and self._stats.get(absolute) != entry:
            self._new_stats[absolute] = entry

    def _absolute(self, path: str) -> str:
        """The key of file ``path`` in the stat entries (not normalized: joining is cheaper, and
        another name of a file is only a miss); "" when it has none."""
        if os.path.isabs(path):
            return path
        return "" if self._cwd is None else os.path.join(self._cwd, path)

    def get(self, key: bytes, path: str) -> Optional[Tuple[List[Finding], Optional[str]]]:
        """``(findings, error)`` cached for content ``key``, or None on a miss."""
        day = self._clean.get(key)
        if day is not None:
            if day < self.today - REFRESH_DAYS:
                self._new_clean[key] = self.today
            return [], None
        entry = self._results.get(key)
        if entry is None:
            return None
        day, payload = entry
        try:
            if isinstance(payload, dict):
                result: Tuple[List[Finding], Optional[str]] = ([], str(payload["error"]))
            else:
                result = (decode_findings(payload, path), None)
        except (KeyError, ValueError, TypeError):
            return None
        if day < self.today - REFRESH_DAYS:
            self._new_results[key] = (self.today, payload)
        return result

    # -- writing

    def put(self, key: bytes, findings: List[Finding], error: Optional[str] = None) -> None:
        if error is not None:
            self._new_results[key] = (self.today, {"error": error})
        elif findings:
            self._new_results[key] = (self.today, encode_findings(findings))
        else:
            self._new_clean[key] = self.today

    def take_learned(self) -> "Learned":
        """What this process learned and would save (see :meth:`save`), forgotten here: what a
        forked worker sends back to the process that saves it (:meth:`merge_learned`)."""
        learned = (self._new_clean, self._new_results, self._new_stats)
        self._new_clean, self._new_results, self._new_stats = {}, {}, {}
        return learned

    def merge_learned(self, learned: "Learned") -> None:
        """Save what another process learned (:meth:`take_learned`) with what this one did."""
        clean, results, stats = learned
        self._new_clean.update(clean)
        self._new_results.update(results)
        self._new_stats.update(stats)

    def save(self) -> None:
        """Write what this run learned as a new shard (merging all when there are many)."""
        if not (self._new_clean or self._new_results or self._new_stats) and len(self._shards) <= MAX_SHARDS:
            return
        try:
            self._prepare_directory()
            if len(self._shards) + 1 > MAX_SHARDS:
                self._merge_shards()
            else:
                self._write_shard(self._new_clean, self._new_results, self._new_stats)
        except OSError:
            pass  # a read-only or full disk: run without a cache

    def _merge_shards(self) -> None:
        oldest = self.today - MAX_AGE_DAYS
        clean = {k: d for k, d in self._clean.items() if d >= oldest}
        clean.update(self._new_clean)
        results = {k: v for k, v in self._results.items() if v[0] >= oldest}
        results.update(self._new_results)
        for key in results:
            clean.pop(key, None)
        # a stat entry goes with its content's result (a deleted file's within a month)
        stats = {path: entry for path, entry in {**self._stats, **self._new_stats}.items()
                 if entry[1] in clean or entry[1] in results}
        self._write_shard(clean, results, stats)
        for shard in self._shards:
            try:
                shard.unlink()
            except OSError:
                pass
        self._remove_stale_temp_files()

    def _write_shard(self, clean: Dict[bytes, int], results: Dict[bytes, Tuple[int, Any]],
                     stats: Dict[str, Tuple[Signature, bytes]]) -> None:
        by_day: Dict[int, List[bytes]] = {}
        for key, day in clean.items():
            by_day.setdefault(day, []).append(key)
        document = {
            "format": FORMAT,
            "clean": {str(day): b"".join(sorted(keys)).hex() for day, keys in by_day.items()},
            "results": {key.hex(): [day, payload] for key, (day, payload) in results.items()},
            "stats": {path: [*sig, key.hex()] for path, (sig, key) in stats.items()},
        }
        name = f"{time.time_ns():020d}-{os.getpid()}-{os.urandom(4).hex()}"
        temp = self.directory / f".{name}.tmp"
        try:
            temp.write_bytes(json.dumps(document, separators=(",", ":")).encode())
            os.replace(temp, self.directory / f"{name}.json")
        except BaseException:  # also Ctrl-C: leave no temp file behind
            try:
                temp.unlink()
            except OSError:
                pass
            raise

    def _prepare_directory(self) -> None:
        root = self.directory.parent.parent
        if not root.is_dir():
            root.mkdir(parents=True, exist_ok=True)
            # like ruff's: keep the cache out of git and out of backups
            (root / ".gitignore").write_text("# Automatically created by tmplint.\n*\n")
            (root / "CACHEDIR.TAG").write_text(
                "Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This file is a cache directory tag created by tmplint.\n"
            )
        self.directory.mkdir(parents=True, exist_ok=True)

    def _remove_stale_temp_files(self) -> None:
        """Temp files a killed run left behind (an hour is far longer than any write)."""
        limit = time.time() - 3600
        for temp in self.directory.glob(".*.tmp"):
            try:
                if temp.stat().st_mtime < limit:
                    temp.unlink()
            except OSError:
                pass
