"""The one place for file I/O: finding Python files, reading them, writing them atomically."""
from __future__ import annotations

import os
import secrets
import stat
from fnmatch import fnmatch
from pathlib import Path
from typing import Iterable, Iterator, List, Optional, Sequence, Tuple

import pathspec

from tmplint.config import Config


class FileError(Exception):
    """A path that cannot be read or written; the message says why."""


def _gitignore_spec(directory: Path) -> Optional[pathspec.PathSpec]:
    ignore_file = directory / ".gitignore"
    try:
        text = ignore_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return pathspec.PathSpec.from_lines("gitwildmatch", text.splitlines())


def _excluded_name(path: Path, patterns: Sequence[str], root: Path) -> bool:
    """ruff/flake8-style excludes: a pattern matches a path's basename or, with a slash, its
    path relative to the config's directory."""
    name = path.name
    try:
        relative = path.resolve().relative_to(root).as_posix()
    except ValueError:
        relative = None
    for pattern in patterns:
        if "/" in pattern.rstrip("/"):
            if relative is not None and fnmatch(relative, pattern.strip("/").lstrip("./")):
                return True
        elif fnmatch(name, pattern.rstrip("/")):
            return True
    return False


def iter_python_files(paths: Iterable[Path], config: Config) -> Iterator[Tuple[Path, Optional[str]]]:
    """Yield ``(path, error)`` for every Python file under ``paths``.

    Explicitly named files are always yielded (as ruff does); files found by walking a directory
    skip the configured excludes and whatever ``.gitignore`` files on the way ignore. A path
    that does not exist is yielded with an error, so the run can report it and go on.
    """
    patterns = tuple(config.exclude) + tuple(config.extend_exclude)
    root = config.root_dir.resolve()
    seen = set()
    for path in paths:
        if not path.exists() and not path.is_symlink():
            yield path, "no such file or directory"
            continue
        if not path.is_dir():
            yield path, None
            continue
        for found in _walk(path, patterns, root, []):
            key = os.path.normcase(os.path.abspath(found))
            if key not in seen:
                seen.add(key)
                yield found, None


def _walk(directory: Path, patterns: Sequence[str], root: Path,
          ignores: List[Tuple[Path, pathspec.PathSpec]]) -> Iterator[Path]:
    spec = _gitignore_spec(directory)
    if spec is not None:
        ignores = ignores + [(directory, spec)]
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir()  # follows symlinks, like flake8 and ruff
        except OSError:
            continue
        if _excluded_name(path, patterns, root) or _gitignored(path, is_dir, ignores):
            continue
        if is_dir:
            if entry.is_symlink():
                continue  # never walk into linked trees (loops, trees outside the project)
            yield from _walk(path, patterns, root, ignores)
        elif entry.name.endswith((".py", ".pyi")):
            yield path


def _gitignored(path: Path, is_dir: bool, ignores: Sequence[Tuple[Path, pathspec.PathSpec]]) -> bool:
    for base, spec in ignores:
        relative = path.relative_to(base).as_posix() + ("/" if is_dir else "")
        if spec.match_file(relative):
            return True
    return False


def read_bytes(path: Path) -> bytes:
    """A file's bytes, or FileError naming the problem (not a file, unreadable, ...)."""
    try:
        if path.is_dir():
            raise FileError("is a directory")
        return path.read_bytes()
    except FileError:
        raise
    except OSError as exc:
        raise FileError(f"cannot read: {exc.strerror or exc}") from None


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new content, never a
    mix: a temp file in the same directory, fsync, ``os.replace``; the file's mode is kept."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:  # a new file, or a dangling symlink (replaced, not followed)
        mode = 0o644
    temp = path.with_name(f".{path.name}.tmplint-{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        finally:
            os.chmod(temp, mode)
        os.replace(temp, path)
    except OSError as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise FileError(f"cannot write: {exc.strerror or exc}") from None
    _fsync_directory(path.parent)


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
