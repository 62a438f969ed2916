"""Worker processes and Ctrl-C, shared by ``tmplint check`` and ``tmplint fix``.

Ctrl-C reaches the whole process group: the main process and every worker. Only the main process
acts on it. The workers ignore SIGINT (they start with it blocked, so that one cannot arrive before
they ignore it); the main process gets ``KeyboardInterrupt`` (the first Ctrl-C only: the entry
point ignores any later one, :func:`stop_on_first_interrupt`), kills the workers at once without
waiting for queued work (:meth:`WorkerPool.terminate`), and the command line prints one line and
exits 130 (:func:`report_interrupted`). A file being written when Ctrl-C comes is finished first
(:func:`interrupts_deferred`), so it is the old or the new file, never half of one. The process
then ends at once (:func:`exit_interrupted`): the interpreter's own shutdown would wait for (and
race with) the pool's threads, which a killed worker can leave stuck.

Memory (``tmplint fix``): :meth:`WorkerPool.run_within` starts the largest work first and keeps what
runs at once within a budget, and a worker hands the memory of each file back to the system when
the file is done (:func:`release_memory`), so the workers together never hold more than a few files'
syntax trees.

The test hook :func:`pause_for_test` (``$TMPLINT_TEST_PAUSE_DIR``, see docs/testing.md) lets a
test send its signals at a known point of a run instead of after a guessed delay.
"""
from __future__ import annotations

import gc
import os
import signal
import sys
import threading
import time
from bisect import bisect_right
from contextlib import contextmanager
from functools import lru_cache
from typing import (
    TYPE_CHECKING, Any, Callable, Dict, Hashable, Iterator, Mapping, NoReturn, Optional, Set, TextIO, Tuple, TypeVar,
)

if TYPE_CHECKING:
    from concurrent.futures import Future

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for a command stopped by Ctrl-C


def report_interrupted(stream: Optional[TextIO] = None) -> int:
    """Say that the run was interrupted; the exit status for it."""
    (sys.stderr if stream is None else stream).write("tmplint: interrupted\n")
    return EXIT_INTERRUPTED


#: set by the first Ctrl-C in a process that called :func:`stop_on_first_interrupt`
_interrupted = False


def _first_interrupt(signum: int, frame: Any) -> None:
    # Any later Ctrl-C would interrupt the cleanup of the first (killing workers, removing a temp
    # file, printing the message) and print a traceback: it is ignored.
    global _interrupted
    ignore_interrupts()
    _interrupted = True
    raise KeyboardInterrupt


def stop_on_first_interrupt() -> None:
    """For the ``tmplint`` process itself (not for callers of :func:`tmplint.cli.main`): the first
    Ctrl-C raises KeyboardInterrupt, later ones are ignored."""
    signal.signal(signal.SIGINT, _first_interrupt)


def ignore_interrupts() -> None:
    """Ctrl-C does nothing from now on (the run is over, or already stopping)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def was_interrupted() -> bool:
    """Whether the first Ctrl-C (see :func:`stop_on_first_interrupt`) has come."""
    return _interrupted


def exit_interrupted(status: int) -> NoReturn:
    """End the interrupted process now, with ``status``, once the interruption is handled (the
    workers killed and waited for, no file half-written, the line printed). Python's own shutdown
    is skipped: it would join the pool's manager thread, which can be stuck reading a result that a
    killed worker left half-sent, and wake it through a pipe that thread may be closing at that
    moment (CPython bpo-39098), printing an ``Exception ignored in: <module 'threading'>``."""
    pause_for_test("exiting")
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed or broken pipe: nothing more can be said there
            pass
    os._exit(status)


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """A Ctrl-C during the block takes effect when the block is done (as it would have, a moment
    later): for writes that must be whole. Only the main thread handles signals; elsewhere this
    changes nothing."""
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or previous is None:
        yield
        return
    received: list = []
    signal.signal(signal.SIGINT, lambda signum, frame: received.append(frame))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received and callable(previous):
            previous(signal.SIGINT, received[0])


def _ignore_sigint() -> None:
    # The worker was started with SIGINT blocked (_sigint_held): it ignores it, then unblocks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@contextmanager
def _sigint_held() -> Iterator[None]:
    """SIGINT blocked (held, not lost) while workers may be started: a worker (and the pool's
    threads) inherit the mask, so a Ctrl-C can never reach a worker before it ignores SIGINT, and
    always reaches the main thread; the main process gets a held SIGINT as soon as this ends."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no signal masks, no process groups
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


_K = TypeVar("_K", bound=Hashable)


class WorkerPool:
    """A process pool whose workers ignore Ctrl-C. Used as a context manager: left normally, it
    waits for the workers to finish; left by an exception (``KeyboardInterrupt``), it kills them
    at once and drops the queued work."""

    def __init__(self, workers: int, mp_context: Any = None) -> None:
        from concurrent.futures import ProcessPoolExecutor  # here: most runs never start a pool

        self._executor = ProcessPoolExecutor(workers, mp_context=mp_context, initializer=_ignore_sigint)
        self._workers = workers
        self._results = 0

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> None:
        if exc_type is not None:
            self.terminate()
            return
        try:
            pause_for_test("pool-closing")
            self._executor.shutdown(wait=True)
        except BaseException:  # Ctrl-C while the workers finish: an interrupted run leaves none
            self.terminate()
            raise

    def submit(self, fn: Callable[..., Any], *args: Any) -> "Future":
        with _sigint_held():  # submit starts the workers and the pool's threads
            return self._executor.submit(fn, *args)

    def run_within(self, fn: Callable[[Any], Any], payloads: Mapping[_K, Any], weights: Mapping[_K, int],
                   budget: int) -> Iterator[Tuple[_K, "Future"]]:
        """``fn(payload)`` for each of ``payloads``, yielded as ``(key, future)`` as each is done.
        The heaviest are started first (the longest work does not come last), no more at once
        than there are workers, and no more than ``budget`` of weight at once (but one alone,
        whatever its weight): what runs together is what takes memory together. Once a worker
        has died (the pool is broken), the work not started yet is yielded at once, its future
        failed with the same ``BrokenProcessPool`` as the work that was running."""
        from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Future, wait

        waiting = sorted(payloads, key=weights.__getitem__)  # the heaviest last: popped first
        waiting_weights = [weights[key] for key in waiting]
        running: Dict["Future", Tuple[_K, int]] = {}
        load = 0
        while waiting or running:
            while waiting and len(running) < self._workers:
                # the heaviest that fits beside what runs; the heaviest of all when nothing runs
                index = bisect_right(waiting_weights, budget - load) - 1 if running else len(waiting) - 1
                if index < 0:
                    break
                key, weight = waiting.pop(index), waiting_weights.pop(index)
                try:
                    future = self.submit(fn, payloads[key])
                except BrokenExecutor as exc:
                    future = Future()
                    future.set_exception(exc)
                running[future] = (key, weight)
                load += weight
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                key, weight = running.pop(future)
                load -= weight
                yield key, future

    def result(self, future: "Future") -> Any:
        """``future``'s result, waiting for it (Ctrl-C interrupts the wait)."""
        value = future.result()
        self._results += 1
        if self._results == 1:
            pause_for_test("pool-result")
        return value

    def terminate(self) -> None:
        """Kill the workers now: queued work is dropped, nothing waits for a worker to finish.
        A Ctrl-C meanwhile (the first, when another error ended the run) takes effect once they
        are gone: an interrupted process ends without Python's shutdown, so no one else would."""
        with interrupts_deferred():
            self._kill_workers()

    def _kill_workers(self) -> None:
        pause_for_test("terminating")
        executor: Any = self._executor
        # private, and the same in 3.9-3.13: the executor has no public way to kill its workers
        processes = list((getattr(executor, "_processes", None) or {}).values())
        call_queue = getattr(executor, "_call_queue", None)
        if call_queue is not None:
            # its feeder thread may be stuck sending work that no worker will read: exit must not
            # wait for it (3.9 and 3.10 hang there)
            call_queue.cancel_join_thread()
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.kill()
        for process in processes:
            process.join()


# --------------------------------------------------------------------------- deep nesting

#: Python frames a file's work may nest (the default 1,000 is less than the visitors need for
#: code CPython compiles: a 1,000-term ``"a" + "a" + ...``, a 600-branch ``elif`` chain), and the
#: stack for them. The stack is address space: only the pages a deep file touches are used.
DEEP_RECURSION_LIMIT = 60_000
DEEP_STACK_BYTES = 512 * 1024 * 1024

_T = TypeVar("_T")


def with_deep_stack(fn: Callable[..., _T], *args: Any) -> _T:
    """``fn(*args)`` in a thread with a stack deep enough for any file CPython compiles; what it
    returns or raises. The thread is a daemon: a Ctrl-C in the waiting main thread ends the
    process without waiting for it."""
    outcome: Dict[str, Any] = {}

    def target() -> None:
        try:
            pause_for_test("deep-stack")
            outcome["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller as it is
            outcome["error"] = exc

    # The limit is the process's; raised only while the deep thread runs: a main thread with its
    # usual stack would crash where it now raises RecursionError.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, DEEP_RECURSION_LIMIT))
    try:
        previous = threading.stack_size(DEEP_STACK_BYTES)
        try:
            thread = threading.Thread(target=target, name="tmplint-deep", daemon=True)
            thread.start()
        except RuntimeError:  # no memory for such a stack (strict overcommit): the usual one
            sys.setrecursionlimit(limit)
            target()
        else:
            thread.join()
        finally:
            threading.stack_size(previous)
    finally:
        sys.setrecursionlimit(limit)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


# --------------------------------------------------------------------------- memory


@lru_cache(maxsize=None)
def _malloc_trim() -> Optional[Callable[[int], int]]:
    """glibc's ``malloc_trim``, where the C library has it."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None).malloc_trim  # type: ignore[no-any-return]
    except (ImportError, OSError, AttributeError):  # no ctypes, or a C library without it (musl)
        return None


def release_memory(trim: bool = True) -> None:
    """Give the memory a finished file's work freed back to the system: collect its cycles, and
    (``trim``: after a big file) let glibc return the free pages of its heap, which it otherwise
    keeps (a worker would stay as big as the largest file it ever rewrote, and every worker so at
    the same time). What is left then (the modules, their caches) lives on: frozen, the
    collections during the next files do not scan it again (a sixth of the migration's CPU time)."""
    gc.collect()
    gc.freeze()
    malloc_trim = _malloc_trim() if trim else None
    if malloc_trim is not None:
        malloc_trim(0)


# --------------------------------------------------------------------------- the test hook

_paused: Set[str] = set()


def pause_for_test(point: str) -> None:
    """The test hook, off unless ``$TMPLINT_TEST_PAUSE_DIR`` names a directory and
    ``$TMPLINT_TEST_PAUSE_AT`` names ``point`` (names separated by commas): the first time the run
    reaches ``point``, it creates the file ``<dir>/<point>`` and waits until the test removes it
    (or a Ctrl-C interrupts the wait). Only one process of a run pauses at a point: the one that
    creates the file. The points (docs/testing.md): ``starting`` (the command line is not imported
    yet), ``deep-stack`` (a file's work is about to start in the thread with the deep stack; in
    the main process with ``--jobs 1``), ``pool-result`` (the main process has the first result
    of a worker, the others are busy), ``pool-closing`` (all the work is done, the workers are
    about to be told to exit and waited for), ``terminating`` (the first Ctrl-C is being
    handled, the workers are not killed yet), ``writing`` (the new content of the first file
    written is in its temp file, not yet moved in place), ``exiting`` (the interrupted run has
    printed its line and the process ends next)."""
    directory = os.environ.get("TMPLINT_TEST_PAUSE_DIR")
    if not directory or point in _paused or point not in os.environ.get("TMPLINT_TEST_PAUSE_AT", "").split(","):
        return
    _paused.add(point)
    marker = os.path.join(directory, point)
    try:
        with open(marker, "x"):
            pass
    except FileExistsError:  # another process of the run (a worker) is paused there
        return
    while os.path.exists(marker):
        time.sleep(0.01)
