"""``tmplint check``: run the detector over files, in parallel where it pays off.

The main process finds the files; a file whose stat is the one the result cache recorded (see
:mod:`tmplint.cache`) takes its cached result unread. Others are read once and hashed, and a
result cached for that content ends it there. Otherwise the byte prefilter
(:mod:`tmplint.prefilter`) rules out almost every file without parsing it, and only the rest are
parsed (only their top-level statements the detector looks at, see :mod:`tmplint.toplevel`).

The main process does all of it alone while the work is small. Once it has seen enough (see
:data:`POOL_MIN_BYTES_FORK`), where it can fork (Linux), it forks workers that inherit the run
(the file list, the cache, the config): from then on each process claims the next file left (a
counter in shared memory) and reads, prefilters and parses it itself, so no file's bytes cross a
pipe, no process waits for another to feed it, and all finish within one file of each other. The
workers send back their results and what they added to the cache. Where it cannot fork, the main
process reads everything and a spawned pool parses chunks of what the prefilter let through, the
main process parsing the chunks no worker has started (see :class:`_Parser`).
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import operator
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, Optional, TextIO, Tuple, Union

from tmplint.config import Config, ProjectConfigs
from tmplint.files import (FileError, is_excluded, iter_python_file_names, iter_python_files, read_bytes_and_stat,
                           stat_or_none)
from tmplint.pool import WorkerPool, interrupts_deferred, with_deep_stack
from tmplint.progress import Progress

if TYPE_CHECKING:
    from concurrent.futures import Future

    from tmplint.cache import Learned
    from tmplint.findings import Finding

#: a cached result: the findings, or the error that kept the file from being checked
Cached = Tuple[List["Finding"], Optional[str]]


@dataclass
class FileResult:
    path: str
    findings: List[Finding] = field(default_factory=list)
    #: one line saying why the file could not be checked
    error: Optional[str] = None
    #: the bytes the findings are for (``check_paths(keep_data=True)``, files with findings only)
    data: Optional[bytes] = None


def check_data(data: bytes, path: str, config: Config, prefiltered: bool = False) -> FileResult:
    """The result for one file's bytes; never raises (a detector bug is an error result).
    ``prefiltered``: the caller already ran the prefilter on these bytes. Runs with a deep stack:
    a file CPython compiles is never too deeply nested to check."""
    return with_deep_stack(_check_data, data, path, config, prefiltered)


def _check_data(data: bytes, path: str, config: Config, prefiltered: bool) -> FileResult:
    # here, not at the top: a warm run, all from the cache, never imports the detector
    from tmplint.detector import DetectorError, check_bytes, detect_bytes

    # An AST is a tree of a million objects without cycles, freed by reference counting; the
    # cyclic GC would walk it again and again while it is built (about 10 % of the time).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return FileResult(path, detect_bytes(data, path, config) if prefiltered else check_bytes(data, path, config))
    except DetectorError as exc:
        return FileResult(path, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - one file's crash must not end the run
        return FileResult(path, error=f"internal error: {type(exc).__name__}: {exc}")
    finally:
        if gc_was_enabled:
            gc.enable()


def default_jobs() -> int:
    """The CPUs this process may run on (a container's limit, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# --------------------------------------------------------------------------- the pool

#: parsing runs at roughly 10 MB/s per core. Forked workers cost the main process about 15 ms
#: (importing the pool, forking), so they pay off when the work left is a few hundred KB to parse
#: (as the files read so far project it, reading and prefiltering counting as parsing
#: :data:`READ_BYTES_PER_PARSED_BYTE` times fewer bytes); spawned ones (macOS, Windows) re-import
#: everything in every worker, which only pays off for much more.
POOL_MIN_BYTES_FORK = 384 * 1024
POOL_MIN_BYTES_SPAWN = 8 * 1024 * 1024
#: reading and prefiltering a file costs about as much as parsing this many times fewer bytes
READ_BYTES_PER_PARSED_BYTE = 16
#: the files read before the work they project decides whether to fork
FORK_SAMPLE_FILES = 8
#: work sent to a spawned worker at once: big enough to amortize the round trip, small enough to balance
CHUNK_BYTES = 192 * 1024


def _can_fork() -> bool:
    """Whether workers may be forked (Linux, and no other threads, which a fork would copy stuck)."""
    return sys.platform.startswith("linux") and threading.active_count() == 1


def _check_chunk(config: Config, items: List[Tuple[str, bytes]]) -> List[FileResult]:
    """A worker's results for prefiltered files: all in one deep-stack thread, not one each."""
    return with_deep_stack(_check_items, config, items)


def _check_items(config: Config, items: List[Tuple[str, bytes]]) -> List[FileResult]:
    return [_check_data(data, path, config, True) for path, data in items]


class _Parser:
    """Parses the files the prefilter let through: here, or, where the run cannot fork workers
    that share it (see :meth:`_Run.settle_all`), in a spawned pool once there is enough.

    The main process is one of the ``jobs``: the pool has one worker less, which parses while the
    main process reads and prefilters; once done reading, the main process parses the chunks no
    worker has started yet, from the last one back, while the workers go on from the first."""

    def __init__(self, config: Config, jobs: int) -> None:
        self.config = config
        self.jobs = jobs
        self.pool: Optional[WorkerPool] = None
        self.pending: List[Tuple[int, str, bytes]] = []
        self.pending_bytes = 0
        #: the chunks sent to the pool: their files' indexes, their items, their future
        self.chunks: List[Tuple[List[int], List[Tuple[str, bytes]], "Future"]] = []

    def add(self, index: int, path: str, data: bytes) -> None:
        self.pending.append((index, path, data))
        self.pending_bytes += len(data)
        if self.pool is None and self.jobs > 1 and self.pending_bytes >= POOL_MIN_BYTES_SPAWN:
            import multiprocessing  # here, not at the top: most runs never start a pool

            # before starting it: a forked worker (Linux with other threads) needs it
            import tmplint.detector  # noqa: F401

            self.pool = WorkerPool(self.jobs - 1, multiprocessing.get_context())
        if self.pool is not None and self.pending_bytes >= CHUNK_BYTES:
            self._submit()

    def parse_here(self) -> Iterator[Tuple[int, FileResult]]:
        """The pending files' results, parsed in this thread (which has a deep stack already)."""
        pending, self.pending, self.pending_bytes = self.pending, [], 0
        for index, path, data in pending:
            yield index, _check_data(data, path, self.config, True)

    def _take_pending(self) -> Iterator[Tuple[List[int], List[Tuple[str, bytes]]]]:
        """The pending files, in chunks of about :data:`CHUNK_BYTES` (the files read before the
        pool started are more than one): each chunk's indexes and its ``(path, data)`` items."""
        chunk: List[Tuple[int, str, bytes]] = []
        size = 0
        pending, self.pending, self.pending_bytes = self.pending, [], 0
        for number, item in enumerate(pending, 1):
            chunk.append(item)
            size += len(item[2])
            if size >= CHUNK_BYTES or number == len(pending):
                yield [index for index, _, _ in chunk], [(path, data) for _, path, data in chunk]
                chunk, size = [], 0

    def _submit(self) -> None:
        """Send the pending files to the pool."""
        assert self.pool is not None
        for indexes, items in self._take_pending():
            self.chunks.append((indexes, items, self.pool.submit(_check_chunk, self.config, items)))

    def results(self) -> Iterator[Tuple[int, FileResult]]:
        """Every added file's result, as they come."""
        if self.pool is None:
            for indexes, items in self._take_pending():  # a deep-stack thread per chunk, not per file
                yield from zip(indexes, _check_chunk(self.config, items))
            return
        from concurrent.futures.process import BrokenProcessPool

        self._submit()
        chunks = self.chunks
        # a chunk no worker has started is cancelled and parsed here; the first chunk of each
        # worker is always theirs (taken at once in practice), so each has its results to report
        while len(chunks) > self.jobs - 1 and chunks[-1][2].cancel():
            indexes, items, _ = chunks.pop()
            yield from zip(indexes, _check_chunk(self.config, items))
        for indexes, _, future in chunks:
            try:
                results = self.pool.result(future)
            except BrokenProcessPool:
                results = [FileResult("", error="internal error: a worker process died") for _ in indexes]
            yield from zip(indexes, results)

    def __enter__(self) -> "_Parser":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        """Done with the pool, if one was started: its workers are killed at once when the run
        ends by an exception (Ctrl-C), else they finish."""
        if self.pool is not None:
            self.pool.__exit__(*exc_info)


# --------------------------------------------------------------------------- the run


def check_paths(
    paths: Iterable[Path], config: Config, jobs: Optional[int] = None, use_cache: bool = True,
    progress: Optional[bool] = None, keep_data: bool = False, stream: Optional[TextIO] = None,
) -> Iterator[FileResult]:
    """Results for every Python file under ``paths``, in discovery order.

    ``jobs``: processes at most, this one included (default: the CPU count); ``use_cache``: read
    and write the result cache; ``progress``: a progress bar on ``stream`` (default: stderr) when
    it is a terminal (or as told);
    ``keep_data``: results with findings carry the bytes they are for (``tmplint fix``)."""
    files: List[str] = []
    early: List[FileResult] = []
    for path, error in iter_python_files(paths, config):
        if error is not None:
            early.append(FileResult(str(path), error=error))
        else:
            files.append(str(path))
    yield from early
    yield from check_files(files, config, jobs, use_cache, progress, keep_data, stream)


def check_projects(paths: Iterable[Path], configs: ProjectConfigs, jobs: Optional[int] = None,
                   use_cache: bool = True, progress: Optional[bool] = None, keep_data: bool = False,
                   stream: Optional[TextIO] = None,
                   rewritten: Callable[[Finding], bool] = operator.attrgetter("fixable")) -> Iterator[FileResult]:
    """Results for every Python file under ``paths``, each checked with its own project's config
    (so the order of ``paths`` changes only the order of the results): the files of each config,
    found with that config's excludes, are checked together. A file found by walking a directory
    of another project is left out when its own project's excludes leave it out too. A broken
    config raises ConfigError before any result (as the first path's ends the run before it).

    A site whose ``tempfile`` function a test of the project patches for every module is not
    fixable (:func:`_mark_globally_patched`); ``rewritten``: the findings ``tmplint fix`` would
    rewrite, for which the project's files are scanned for such tests (default: the fixable ones)."""
    paths = list(paths)
    groups: Dict[Optional[Path], Tuple[Config, List[str]]] = {}
    early: List[FileResult] = []
    seen = set()
    #: directory name -> the config of its files (one lookup per directory, not per file)
    by_directory: Dict[str, Config] = {}
    for path in paths:
        config = configs.for_path(path)
        top = "" if str(path) == os.curdir else str(path)  # the directory of the files right in it, as named
        for _, walked, error in iter_python_file_names([path], config):
            if error is not None:
                early.append(FileResult(str(path), error=error))
                continue
            if walked is not None and len(paths) > 1:  # skip it when an earlier path's walk found it already
                key = os.path.normcase(os.path.abspath(walked))
                if key in seen:
                    continue
                seen.add(key)
            name = str(path) if walked is None else walked
            directory = os.path.dirname(name)
            own = by_directory.get(directory)
            if own is None:
                own = (_walked_directory_config(directory, top, by_directory, configs) if walked is not None
                       else by_directory.setdefault(directory, configs.for_directory(Path(name).parent)))
            # configs are one object per pyproject.toml
            if own is not config and is_excluded(Path(name), own):
                continue
            groups.setdefault(own.source, (own, []))[1].append(name)
    yield from early
    for config, files in groups.values():
        results = list(check_files(files, config, jobs, use_cache, progress, keep_data, stream))
        yield from _mark_globally_patched(results, paths, config, rewritten)


def _walked_directory_config(directory: str, top: str, by_directory: Dict[str, Config],
                             configs: ProjectConfigs) -> Config:
    """The config of the files in ``directory``, found by the walk of ``top``, kept in
    ``by_directory``: its parent's when it has no pyproject.toml (a walk's directories are real
    subdirectories, never links), so most directories cost one ``stat``, not a lookup of the
    project above them (a tenth of a warm run on Lib/)."""
    own = by_directory.get(directory)
    if own is None:
        if directory != top and not os.path.exists(os.path.join(directory, "pyproject.toml")):
            own = _walked_directory_config(os.path.dirname(directory), top, by_directory, configs)
        else:
            own = configs.for_directory(Path(directory))
        by_directory[directory] = own
    return own


def _mark_globally_patched(results: List[FileResult], paths: List[Path], config: Config,
                           rewritten: Callable[[Finding], bool]) -> List[FileResult]:
    """``results`` with the sites a test of the project patches for every module (when the test
    imports their module) not fixable, with the reason ``tmplint fix`` leaves them for. The
    project's files are read only when some finding would be rewritten; the result cache keeps
    the findings before this, as it depends on other files."""
    candidates = [index for index, result in enumerate(results) if any(map(rewritten, result.findings))]
    if not candidates:
        return results
    # imported here: it needs the detector, which a warm run does not import
    from tmplint.project_tests import bypassed_patch_reason, globally_patched, project_root

    rewritten_targets = {f.target for i in candidates for f in results[i].findings if rewritten(f)}
    patched = globally_patched([Path(results[i].path) for i in candidates], rewritten_targets,
                               project_root(paths, config), config)
    for position, targets in patched.items():
        result = results[candidates[position]]
        result.findings = [
            dataclasses.replace(f, fixable=False, reason=bypassed_patch_reason(f.target, targets[f.target]))
            if f.target in targets else f
            for f in result.findings
        ]
    return results


def check_files(
    files: List[str], config: Config, jobs: Optional[int] = None, use_cache: bool = True,
    progress: Optional[bool] = None, keep_data: bool = False, stream: Optional[TextIO] = None,
) -> Iterator[FileResult]:
    """Results for the Python ``files`` (found already), in their order (see :func:`check_paths`)."""
    run = _Run(files, config, jobs or default_jobs(), use_cache, keep_data)
    with Progress(len(files), "checking", stream=stream, enabled=progress) as bar, run.parser, run.workers:
        run.settle_all(bar.advance)
    with interrupts_deferred():  # a cache shard is written whole or not at all
        run.cache.save()
    for result in run.results:
        assert result is not None
        yield result


#: the run that forked workers share with the main process: set while they are forked, which
#: is how they get it (with its file list, config and cache, none of which is sent)
_shared_run: Optional["_Run"] = None


def _work_on_shared_run() -> Tuple[List[Tuple[int, FileResult]], Any]:
    """In a forked worker: settle the files it claims; their results and what the cache learned."""
    run = _shared_run
    assert run is not None, "only a forked worker has the shared run"
    # what the main process had queued and learned before the fork is its own to parse and save
    run.parser = _Parser(run.config, 1)
    run.cache.take_learned()
    indexes = with_deep_stack(run.settle_claimed, _no_progress)
    return [(index, run.results[index]) for index in indexes], run.cache.take_learned()


def _no_progress() -> None:
    """A worker draws no progress bar: the main process counts its files when they come."""


class _Claims:
    """Which file a process of the run claims next: a counter in memory that forked workers
    share (a plain mmap: ``multiprocessing.Value`` would import ctypes and make a file)."""

    def __init__(self, context: Any, first: int) -> None:
        import mmap  # here, not at the top: most runs never fork
        import struct

        self._counter = struct.Struct("q")
        self._next = mmap.mmap(-1, self._counter.size)
        self._counter.pack_into(self._next, 0, first)
        self._lock = context.Lock()

    def claim(self, count: int) -> Optional[int]:
        """The next file of ``count`` no process has claimed, now claimed; None when all are."""
        with self._lock:
            (index,) = self._counter.unpack_from(self._next)
            if index >= count:
                return None
            self._counter.pack_into(self._next, 0, index + 1)
        return index


class _Run:
    """The results of one run by file index: from the cache, the prefilter, or the parser."""

    def __init__(self, files: List[str], config: Config, jobs: int, use_cache: bool, keep_data: bool) -> None:
        self.files = files
        self.config = config
        self.keep_data = keep_data
        self.cache: Union[_Cache, _NoCache] = _Cache(config) if use_cache else _NoCache()
        #: forked workers that share the files with this process, when it can fork
        self.forks = jobs - 1 if jobs > 1 and _can_fork() else 0
        self.parser = _Parser(config, 1 if self.forks else jobs)
        self.workers = contextlib.ExitStack()
        self.results: List[Optional[FileResult]] = [None] * len(files)
        #: the bytes of the files that may have findings, while their results are out
        self.kept: Dict[int, bytes] = {}
        #: what the files read so far cost, in bytes parsed (see :data:`READ_BYTES_PER_PARSED_BYTE`)
        self.work = 0
        #: the files the processes claim, once the work is shared
        self.claims: Optional[_Claims] = None

    @functools.cached_property
    def prefilter(self) -> Callable[[bytes], bool]:
        """The prefilter, made for the first file the cache does not know."""
        from tmplint.prefilter import prefilter_for

        return prefilter_for(self.config)

    def settle_all(self, advance: Callable[[], None]) -> None:
        """Every file's result, ``advance`` called for each: read here until the work is worth
        sharing with forked workers, which then claim the files left with this process."""
        for index in range(len(self.files)):
            if self.settle_or_queue(index):
                advance()
            if self.forks and self.work and self._worth_sharing(index + 1):  # a warm run reads nothing
                self._share(index + 1, advance)
                return
        for index, result in self.parser.results():
            self.take_parsed(index, result)
            advance()

    def _worth_sharing(self, done: int) -> bool:
        """Whether the files left after the first ``done`` are worth forking for: the work they
        project (in a warm run, none), and what is queued to parse."""
        left = len(self.files) - done
        if not left or done < min(FORK_SAMPLE_FILES, len(self.files)):
            return False
        return self.work * left // done + self.parser.pending_bytes >= POOL_MIN_BYTES_FORK

    def _share(self, first: int, advance: Callable[[], None]) -> None:
        """Fork the workers, which claim files from ``first`` on with this process; then take
        their results."""
        global _shared_run
        import multiprocessing  # here, not at the top: most runs never start a pool
        from concurrent.futures import BrokenExecutor
        from concurrent.futures.process import BrokenProcessPool

        context = multiprocessing.get_context("fork")
        self.claims = _Claims(context, first)
        pool = self.workers.enter_context(WorkerPool(self.forks, context))
        futures = []
        _shared_run = self
        try:
            for _ in range(self.forks):
                futures.append(pool.submit(_work_on_shared_run))
        except (OSError, BrokenExecutor):
            pass  # no process could be forked (no memory, no process left): this one claims their files
        finally:
            _shared_run = None
        with_deep_stack(self.settle_claimed, advance)
        for future in futures:
            try:
                results, learned = pool.result(future)
            except BrokenProcessPool:
                continue  # its files have no result: they are reported below
            for index, result in results:
                self.results[index] = result
                advance()
            self.cache.merge_learned(learned)
        for index, result in enumerate(self.results):
            if result is None:  # claimed by a worker that died
                self.results[index] = FileResult(self.files[index], error="internal error: a worker process died")
                advance()

    def settle_claimed(self, advance: Callable[[], None]) -> List[int]:
        """Claim files and settle them, parsing each (and what was queued before) at once, until
        none is left: the indexes of the files claimed. Runs in a deep-stack thread (see
        :func:`check_data`)."""
        assert self.claims is not None, "the work is shared"
        indexes: List[int] = []
        while True:
            for parsed, result in self.parser.parse_here():
                self.take_parsed(parsed, result)
                advance()
            index = self.claims.claim(len(self.files))
            if index is None:
                return indexes
            if self.settle_or_queue(index):
                advance()
            indexes.append(index)

    def settle_or_queue(self, index: int) -> bool:
        """Read file ``index``: its result where no parse is needed (an error, the cache, the
        prefilter), else it goes to the parser. Whether its result is in."""
        path = self.files[index]
        # a fix needs the bytes of the files with findings: it reads every file
        cached = None if self.keep_data else self.cache.get_unread(index, path)
        if cached is not None:
            self.results[index] = FileResult(path, *cached)
            return True
        try:
            data, st = read_bytes_and_stat(path)
        except FileError as exc:
            self.results[index] = FileResult(path, error=str(exc))
            return True
        self.work += len(data) // READ_BYTES_PER_PARSED_BYTE
        cached = self.cache.get(index, data, st, path)
        if cached is not None:
            findings, error = cached
            self.results[index] = FileResult(path, findings, error, data if self.keep_data and findings else None)
            return True
        if not self.prefilter(data):
            self.results[index] = FileResult(path)
            self.cache.put(index, [])
            return True
        self.work += len(data)
        self.parser.add(index, path, data)
        if self.keep_data:
            self.kept[index] = data
        return False

    def take_parsed(self, index: int, result: FileResult) -> None:
        result.path = self.files[index]
        data = self.kept.pop(index, None)
        if result.findings:
            result.data = data
        self.results[index] = result
        if not (result.error or "").startswith("internal error"):
            self.cache.put(index, result.findings, result.error)


class _NoCache:
    """The result cache of a run without one (``use_cache=False``)."""

    def get_unread(self, index: int, path: str) -> Optional[Cached]:
        return None

    def get(self, index: int, data: bytes, st: os.stat_result, path: str) -> Optional[Cached]:
        return None

    def put(self, index: int, findings: List[Finding], error: Optional[str] = None) -> None:
        pass

    def take_learned(self) -> None:
        return None

    def merge_learned(self, learned: None) -> None:
        pass

    def save(self) -> None:
        pass


class _Cache:
    """The result cache, by file index: the key of a file is the digest of the bytes read, or the
    one recorded for its stat."""

    def __init__(self, config: Config) -> None:
        from tmplint.cache import ResultCache, digest

        self._cache = ResultCache.open(config)
        self._digest = digest
        self._keys: Dict[int, bytes] = {}

    def get_unread(self, index: int, path: str) -> Optional[Cached]:
        """The cached result of file ``index`` if its stat is the one recorded, else None."""
        st = stat_or_none(path)
        key = None if st is None else self._cache.key_by_stat(path, st)
        return None if key is None else self._cache.get(key, path)

    def get(self, index: int, data: bytes, st: os.stat_result, path: str) -> Optional[Cached]:
        """The cached result of file ``index``, read as ``data`` with the stat ``st``, or None."""
        key = self._keys[index] = self._digest(data)
        self._cache.remember_stat(path, st, key)
        return self._cache.get(key, path)

    def put(self, index: int, findings: List[Finding], error: Optional[str] = None) -> None:
        self._cache.put(self._keys[index], findings, error)

    def take_learned(self) -> "Learned":
        return self._cache.take_learned()

    def merge_learned(self, learned: "Learned") -> None:
        self._cache.merge_learned(learned)

    def save(self) -> None:
        self._cache.save()
