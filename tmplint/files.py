"""The one place for file I/O: finding Python files, reading them, writing them atomically."""
from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple, Union

from tmplint.config import Config
from tmplint.pool import interrupts_deferred, pause_for_test

if TYPE_CHECKING:
    import pathspec


class FileError(OSError):
    """A path that cannot be read or written; the message says why."""


def _gitignore_spec(directory: Path) -> Optional["pathspec.PathSpec"]:
    ignore_file = directory / ".gitignore"
    try:
        text = ignore_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    import pathspec  # only where there is a .gitignore: it takes a while to import

    return pathspec.PathSpec.from_lines("gitwildmatch", text.splitlines())


class _Excludes:
    """ruff/flake8-style excludes, compiled once: a pattern matches a path's basename or, with a
    slash, its path relative to the config's directory."""

    def __init__(self, patterns: Sequence[str], root: Path) -> None:
        names = [p.rstrip("/") for p in patterns if "/" not in p.rstrip("/")]
        paths = [p.strip("/").lstrip("./") for p in patterns if "/" in p.rstrip("/")]
        self.names = _compile_globs(names)
        self.paths = _compile_globs(paths)
        self.root = root
        #: the ``.gitignore`` of each directory asked about (``--force-exclude`` asks per file)
        self._gitignores: Dict[str, Optional["pathspec.PathSpec"]] = {}

    def gitignore(self, directory: str) -> Optional["pathspec.PathSpec"]:
        if directory not in self._gitignores:
            self._gitignores[directory] = _gitignore_spec(Path(directory))
        return self._gitignores[directory]

    def relative_dir(self, directory: Path) -> Optional[str]:
        """``directory`` (resolved) relative to the root, when slash patterns need it."""
        if self.paths is None:
            return None
        try:
            relative = directory.resolve().relative_to(self.root).as_posix()
        except (ValueError, OSError):
            return None
        return "" if relative == "." else relative

    def excluded(self, name: str, relative_dir: Optional[str]) -> bool:
        if self.names is not None and self.names.match(os.path.normcase(name)):
            return True
        if self.paths is not None and relative_dir is not None:
            relative = f"{relative_dir}/{name}" if relative_dir else name
            return self.paths.match(os.path.normcase(relative)) is not None
        return False


def _compile_globs(patterns: Sequence[str]) -> Optional["re.Pattern[str]"]:
    """One regex for ``fnmatch`` patterns (matched, like ``fnmatch.fnmatch``, case-normalized)."""
    if not patterns:
        return None
    return re.compile("|".join(fnmatch.translate(os.path.normcase(p)) for p in patterns))


def iter_python_files(paths: Iterable[Path], config: Config) -> Iterator[Tuple[Path, Optional[str]]]:
    """Yield ``(path, error)`` for every Python file under ``paths``.

    Explicitly named files are always yielded (as ruff does) unless ``config.force_exclude``;
    files found by walking a directory skip the configured excludes and whatever ``.gitignore``
    files on the way ignore. A path that does not exist is yielded with an error, so the run can
    report it and go on.
    """
    for path, walked, error in iter_python_file_names(paths, config):
        yield (path if walked is None else Path(walked)), error


def iter_python_file_names(paths: Iterable[Path], config: Config) -> Iterator[Tuple[Path, Optional[str], Optional[str]]]:
    """:func:`iter_python_files` as ``(path, walked, error)``: ``walked`` is the name of a file
    found by walking the directory ``path`` (a plain string: a Path per file costs more than the
    rest of a walk), None for ``path`` itself."""
    excludes = _excludes(config)
    paths = list(paths)
    # one walk never finds a file twice: only the walks of several paths can overlap
    seen: Optional[Set[str]] = set() if len(paths) > 1 else None
    for path in paths:
        if config.force_exclude and _excluded_path(path, excludes):
            continue
        if not path.exists() and not path.is_symlink():
            yield path, None, "no such file or directory"
            continue
        if not path.is_dir():
            yield path, None, None
            continue
        top = str(path)
        for found in _walk(top, excludes, []):
            if seen is not None:
                key = os.path.normcase(os.path.abspath(found))
                if key in seen:
                    continue
                seen.add(key)
            # named as the Path would be: ``src/a.py``, not ``./src/a.py``
            yield path, found[len(top) + 1:] if top == os.curdir else found, None


def _excludes(config: Config) -> _Excludes:
    return _Excludes(tuple(config.exclude) + tuple(config.extend_exclude), config.root_dir.resolve())


def is_excluded(path: Path, config: Config) -> bool:
    """Whether the excludes (and ``.gitignore`` files) of ``config`` leave out ``path`` or a
    directory above it: what ``--force-exclude`` applies to a path named explicitly (also a
    ``--stdin-filename``, which need not exist)."""
    return _excluded_path(path, _excludes(config))


def _excluded_path(path: Path, excludes: _Excludes) -> bool:
    # plain strings, not Path objects: pre-commit names every file of a commit
    parent, name = os.path.split(os.path.abspath(path))
    full = os.path.join(os.path.realpath(parent), name)
    root = str(excludes.root)
    if not full.startswith(root.rstrip(os.sep) + os.sep):  # outside the project: name patterns only
        return any(excludes.excluded(part, None) for part in Path(full).parts[1:])
    parts = full[len(root.rstrip(os.sep)) + 1:].split(os.sep)
    last_is_dir = os.path.isdir(full)
    ignores: List[Tuple[str, pathspec.PathSpec]] = []
    directory = root
    for index, part in enumerate(parts):
        spec = excludes.gitignore(directory)
        if spec is not None:
            ignores.append((directory, spec))
        child = os.path.join(directory, part)
        is_dir = index < len(parts) - 1 or last_is_dir
        if excludes.excluded(part, "/".join(parts[:index])) or _gitignored(child, is_dir, ignores):
            return True
        directory = child
    return False


def _walk(directory: str, excludes: _Excludes, ignores: List[Tuple[str, pathspec.PathSpec]]) -> Iterator[str]:
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return
    # opened only where the listing has one: a failed open per directory costs more than the rest
    spec = _gitignore_spec(Path(directory)) if any(e.name == ".gitignore" for e in entries) else None
    if spec is not None:
        ignores = ignores + [(str(directory), spec)]
    relative_dir = excludes.relative_dir(Path(directory))
    for entry in entries:
        try:
            is_dir = entry.is_dir()  # follows symlinks, like flake8 and ruff
        except OSError:  # a symlink loop: reading it reports the problem
            is_dir = False
        if not is_dir and not entry.name.endswith((".py", ".pyi")):
            continue
        if excludes.excluded(entry.name, relative_dir) or _gitignored(entry.path, is_dir, ignores):
            continue
        if is_dir:
            if entry.is_symlink():
                continue  # never walk into linked trees (loops, trees outside the project)
            yield from _walk(entry.path, excludes, ignores)
        else:
            yield entry.path


def _gitignored(path: str, is_dir: bool, ignores: Sequence[Tuple[str, pathspec.PathSpec]]) -> bool:
    for base, spec in ignores:
        if path.startswith(base + os.sep):
            relative = path[len(base) + 1:]
        else:
            relative = os.path.relpath(path, base)
        relative = relative.replace(os.sep, "/") + ("/" if is_dir else "")
        if spec.match_file(relative):
            return True
    return False


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def read_bytes(path: Union[str, Path]) -> bytes:
    """A file's bytes, or FileError naming the problem (not a file, unreadable, ...): see
    :func:`read_bytes_and_stat`."""
    return read_bytes_and_stat(path)[0]


def read_bytes_and_stat(path: Union[str, Path]) -> Tuple[bytes, os.stat_result]:
    """A file's bytes and the ``fstat`` of the file they were read from, or FileError naming the
    problem (not a file, unreadable, ...).

    Opened without blocking and checked to be a regular file first: a FIFO or a device named
    ``x.py`` must be an error, not a run that hangs or reads forever (reads of a regular file
    ignore ``O_NONBLOCK``). Read with plain ``read`` calls of the size ``fstat`` gives (one call
    for a file that does not grow meanwhile)."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except IsADirectoryError:
        raise FileError("is a directory") from None
    except OSError as exc:
        raise FileError(f"cannot read: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise FileError("is a directory")
        if not stat.S_ISREG(st.st_mode):
            raise FileError("not a regular file")
        return _read_all(fd, st.st_size), st
    except OSError as exc:
        raise FileError(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def stat_or_none(path: str) -> Optional[os.stat_result]:
    """``os.stat`` of ``path`` (following links, as reading it does), or None when it fails (a
    read of the file then reports why)."""
    try:
        return os.stat(path)
    except (OSError, ValueError):  # ValueError: a NUL in the name
        return None


def _read_all(fd: int, size: int) -> bytes:
    """Everything up to the end of the regular file ``fd`` (a read of one returns less than asked
    only at its end), however its size changed since ``fstat``."""
    data = os.read(fd, size + 1)  # one byte more than its size: if it comes, the file grew
    if len(data) <= size:
        return data
    chunks = [data]
    while True:
        chunk = os.read(fd, max(size, 65536))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def resolve_target(path: Path) -> Path:
    """The file a write to ``path`` must replace: ``path`` itself, or for a symlink (also a chain
    of links, or a link in a linked directory) the real file it points at. FileError for a
    dangling link or a loop."""
    try:
        return Path(path).resolve(strict=True)
    except FileNotFoundError:
        raise FileError(f"dangling symbolic link: {os.readlink(path) if os.path.islink(path) else path} "
                        "does not exist") from None
    except RuntimeError:  # a loop, on Pythons that do not raise OSError for it
        raise FileError("cannot resolve: Too many levels of symbolic links") from None
    except OSError as exc:
        raise FileError(f"cannot resolve: {exc.strerror or exc}") from None


def _write_bit_missing(st: os.stat_result) -> bool:
    """Whether the mode bits deny writing to whoever runs this. The owner's bit for the owner;
    root may write anything, but a file or directory its owner made read-only for everyone is
    still respected (``os.access`` alone says yes to root)."""
    euid = os.geteuid() if hasattr(os, "geteuid") else None
    if euid is None:  # Windows: only the read-only attribute
        return not st.st_mode & stat.S_IWUSR
    if euid == st.st_uid:
        return not st.st_mode & stat.S_IWUSR
    if euid == 0:
        return not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    if st.st_gid in _groups():
        return not st.st_mode & stat.S_IWGRP
    return not st.st_mode & stat.S_IWOTH


def _groups() -> set:
    try:
        return {os.getegid(), *os.getgroups()}
    except OSError:  # pragma: no cover
        return {os.getegid()}


def not_writable(path: Path) -> Optional[str]:
    """Why :func:`atomic_write` must not replace the existing file ``path`` (a resolved path, not
    a link), or None. The file itself must be writable (a read-only file is left read-only and
    unchanged, although replacing it would work), and so must its directory, where the temp file
    is created."""
    try:
        st = os.stat(path)
    except OSError as exc:
        return f"cannot stat: {exc.strerror or exc}"
    mode = stat.S_IMODE(st.st_mode)
    if _write_bit_missing(st) or not os.access(path, os.W_OK):
        return f"the file is read-only, mode {mode:04o}"
    directory = Path(path).parent
    try:
        dir_st = os.stat(directory)
    except OSError as exc:
        return f"cannot stat its directory: {exc.strerror or exc}"
    if _write_bit_missing(dir_st) or not os.access(directory, os.W_OK | os.X_OK):
        return (f"its directory {directory} is read-only, mode {stat.S_IMODE(dir_st.st_mode):04o}: "
                "no temp file can be created there")
    return None


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new content, never a
    mix: a temp file in the same directory, fsync, ``os.replace``; the file's mode is kept.

    A symlink stays a link: the file it points at is the one replaced (temp file in the target's
    directory); a dangling link is replaced by the new file, as a new file would be created."""
    path = Path(path)
    if os.path.islink(path):
        try:
            path = path.resolve(strict=True)
        except FileNotFoundError:
            pass  # dangling: replaced, not followed
        except (OSError, RuntimeError) as exc:
            raise FileError(f"cannot write: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:  # a new file, or a dangling symlink (replaced, not followed)
        mode = 0o644
    except OSError as exc:
        raise FileError(f"cannot write: {exc.strerror or exc}") from None
    # Ctrl-C waits until the file is replaced or the temp file removed: never both files
    with interrupts_deferred():
        _write_through_temp(path, data, mode)
    _fsync_directory(path.parent)


def _write_through_temp(path: Path, data: bytes, mode: int) -> None:
    temp = path.with_name(f".{path.name}.tmplint-{os.getpid()}-{os.urandom(4).hex()}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        if isinstance(exc, PermissionError) or exc.errno == errno.EROFS:
            raise FileError(f"not writable (cannot create a temp file in {path.parent}: "
                            f"{exc.strerror or exc})") from None
        raise FileError(f"cannot write: {exc.strerror or exc}") from None
    try:
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        finally:
            os.chmod(temp, mode)
        pause_for_test("writing")
        os.replace(temp, path)
    except BaseException as exc:  # never leave the temp file behind
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise FileError(f"cannot write: {exc.strerror or exc}") from None
        raise


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def display_path(path: Union[str, Path]) -> str:
    """``path`` as runs print it: relative to the working directory, with ``/``."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        relative = str(path)
    return Path(relative).as_posix()
