"""What the tests of a project patch, found by scanning all its Python files (not only those a run
was given): a module's ``tempfile`` (``mock.patch("pkg.mod.tempfile.mkdtemp")``: ``tmplint fix``
keeps that import), or one of tempfile's functions for every module (then a site calling it is
not rewritten, and ``tmplint check`` reports it as not fixable). The project's root and its files
are also what ``tmplint fix`` reads for the callers of a function it adds a parameter to."""
from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Collection, Dict, Iterator, List, Optional, Sequence, Set, Tuple

from tmplint.config import Config
from tmplint.detector import import_statements
from tmplint.files import FileError, display_path, iter_python_file_names, read_bytes


def resolved(path: Path) -> Optional[Path]:
    """``path`` with every link resolved, or None when it does not exist (or loops)."""
    try:
        return path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None



#: a string naming a module's ``tempfile`` attribute or something in it, as ``mock.patch`` and
#: ``monkeypatch.setattr`` take it: ``"pkg.mod.tempfile"``, ``'pkg.mod.tempfile.mkdtemp'``
_PATCH_TARGET = re.compile(
    rb"""(["'])([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*?)"""  # quote, the module
    rb"""\.tempfile(?:\.[A-Za-z_][A-Za-z0-9_]*)*\1"""  # .tempfile, maybe .mkdtemp, the same quote
)
#: how far before the string the patching call may start (``mock.patch(\n    "..."``)
_PATCH_CONTEXT = 200


def project_root(paths: Sequence[Path], config: Config) -> Path:
    """The directory of the pyproject.toml the config came from, else the paths' common parent."""
    if config.source is not None:
        return config.source.parent
    dirs = []
    for path in paths:
        absolute = os.path.abspath(path)
        dirs.append(absolute if os.path.isdir(absolute) else os.path.dirname(absolute))
    try:
        return Path(os.path.commonpath(dirs)) if dirs else Path.cwd()
    except ValueError:  # different drives (Windows)
        return Path.cwd()


def module_names(path: Path, root: Path) -> List[str]:
    """The dotted names ``path`` is imported by: relative to the project root and to its
    ``src/`` (``src/pkg/mod.py`` is ``pkg.mod``; ``pkg/__init__.py`` is ``pkg``)."""
    names: List[str] = []
    candidates = {Path(os.path.abspath(path))}
    real = resolved(path)
    if real is not None:
        candidates.add(real)
    roots = {Path(os.path.abspath(root))}
    if resolved(root) is not None:
        roots.add(root.resolve())
    for file in sorted(candidates):
        for base in sorted(roots):
            for anchor in (base, base / "src"):
                try:
                    relative = file.relative_to(anchor)
                except ValueError:
                    continue
                parts = list(relative.parts)
                if not parts:
                    continue
                parts[-1] = parts[-1].rsplit(".", 1)[0]
                if parts[-1] == "__init__":
                    parts.pop()
                if parts and all(part.isidentifier() for part in parts):
                    name = ".".join(parts)
                    if name not in names:
                        names.append(name)
    return names


def project_sources(root: Path, config: Config,
                    overrides: Optional[Dict[str, bytes]] = None) -> Iterator[Tuple[str, bytes]]:
    """Every Python file of the project (its name) with its bytes (``overrides``: by real path,
    what a file holds after this run). Files that cannot be read are skipped: the run reports the
    files it was asked about; these are only read for what tests and callers do. (Names, not
    Paths, and no real path without ``overrides``: ``tmplint check`` reads every file of a project
    this way, and those cost more than the reading.)"""
    for path, walked, problem in iter_python_file_names([root], config):
        if problem is not None:
            continue
        name = str(path) if walked is None else walked
        data = overrides.get(os.path.realpath(name)) if overrides else None
        if data is None:
            try:
                data = read_bytes(name)
            except FileError:
                continue
        yield name, data


def patched_modules(files: Sequence[Path], paths: Sequence[Path], config: Config) -> Dict[int, List[str]]:
    """For each of ``files`` (by index) that some Python file of the project patches the
    ``tempfile`` of (``mock.patch("pkg.mod.tempfile.mkdtemp")``): where, as ``path:line``."""
    root = project_root(paths, config)
    wanted: Dict[str, List[int]] = {}
    for index, path in enumerate(files):
        for name in module_names(path, root):
            wanted.setdefault(name, []).append(index)
    if not wanted:
        return {}
    found: Dict[int, List[str]] = {}
    for path, data in project_sources(root, config):
        if b".tempfile" not in data:  # the cheap test, for nearly every file
            continue
        for match in _PATCH_TARGET.finditer(data):
            indexes = wanted.get(match.group(2).decode("ascii"))
            if not indexes:
                continue
            before = data[max(0, match.start() - _PATCH_CONTEXT):match.start()]
            if b"patch" not in before and b"setattr" not in before:
                continue
            line = data.count(b"\n", 0, match.start()) + 1
            where = f"{display_path(path)}:{line}"
            for index in indexes:
                if where not in found.setdefault(index, []):
                    found[index].append(where)
    return found


#: a test patching one of tempfile's functions for every module: ``mock.patch.object(tempfile,
#: "mkdtemp")``, ``mock.patch("tempfile.mkdtemp")``, ``monkeypatch.setattr(tempfile, "mkdtemp", ...)``,
#: ``monkeypatch.setattr("tempfile.mkdtemp", ...)``, found from its ``tempfile`` (a pattern that
#: starts with a word is found twenty times faster than one that starts with a choice): the object
#: form with the name in group 2, the string form with the name in group 3 and its closing quote
_GLOBAL_PATCH = re.compile(rb"""tempfile(?:\s*,\s*(["'])(\w+)\1|\.(\w+)(["']))""")
_WHITESPACE = b" \t\n\r\f\v"  # ``\s`` in a bytes pattern


@dataclass
class _GlobalPatch:
    target: str
    where: str
    #: the project modules the patching file imports (the code its tests run)
    imports: Set[str]


def _global_patches(root: Path, config: Config, targets: Collection[str]) -> List[_GlobalPatch]:
    found: List[_GlobalPatch] = []
    for path, data in project_sources(root, config):
        if b"tempfile" not in data or (b"patch" not in data and b"setattr" not in data):
            continue  # the cheap test, for nearly every file
        patches = [(name, start) for name, start in map(_patching_call, _GLOBAL_PATCH.finditer(data))
                   if f"tempfile.{name}" in targets]
        if not patches:
            continue
        imports = _imported_modules(data)  # parsed only now: test modules are large
        for name, start in patches:
            line = data.count(b"\n", 0, start) + 1
            found.append(_GlobalPatch(f"tempfile.{name}", f"{display_path(path)}:{line}", imports))
    return found


def _patching_call(match: "re.Match[bytes]") -> Tuple[str, int]:
    """The function a :data:`_GLOBAL_PATCH` match patches and where the patching call's name
    starts, when ``patch.object(``/``setattr(`` (the object form) or ``patch(``/``setattr(`` and
    the same quote (the string form) come right before it, whitespace between; else ("", -1)."""
    data = match.string
    if match.group(2):
        callers: Tuple[bytes, ...] = (b"patch.object(", b"setattr(")
        end = match.start()
    else:
        callers = (b"patch(", b"setattr(")
        end = match.start() - 1
        if end < 0 or data[end:end + 1] != match.group(4):
            return "", -1
    while end > 0 and data[end - 1:end] in _WHITESPACE:
        end -= 1
    for caller in callers:
        if data.endswith(caller, 0, end):
            return (match.group(2) or match.group(3)).decode("ascii"), end - len(caller)
    return "", -1


def _imported_modules(data: bytes) -> Set[str]:
    """Every module a file imports, and for ``from a import b`` also ``a.b`` (b may be a module)."""
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError):
        return set()
    modules: Set[str] = set()
    for node in import_statements(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif node.module and not node.level:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def globally_patched(files: Sequence[Path], targets: Collection[str], root: Path,
                     config: Config) -> Dict[int, Dict[str, str]]:
    """For each of ``files`` (by index) whose module a file of the project imports while it
    patches one of ``targets`` (``tempfile.mkdtemp``: the functions the caller would rewrite a
    call of) for every module: those functions, each with where it is patched (``path:line``).
    Rewritten, the module would no longer call what the test's mock replaces."""
    patches = _global_patches(root, config, targets)
    found: Dict[int, Dict[str, str]] = {}
    if not patches:
        return found
    for index, path in enumerate(files):
        names = set(module_names(path, root))
        relevant = {p.target: p.where for p in patches if names & p.imports}
        if relevant:
            found[index] = relevant
    return found


def bypassed_patch_reason(target: str, where: str) -> str:
    """Why a site whose function a test patches for every module is left (see :func:`globally_patched`)."""
    return (f"{where} patches {target} for every module and imports this one; "
            "the rewritten code would not call it, so the test's mock would be bypassed")
