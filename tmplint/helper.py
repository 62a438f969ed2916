"""Render and write the per-workflow temp-path helper module (``tmplint init``).

The module text lives in ``templates/temp_paths.py.tmpl`` with two placeholders, ``{{ROOT}}``
(the default root) and ``{{ROOT_ENV}}`` (the environment variable that overrides it). Each sits
inside a double-quoted string literal in the template; rendering replaces the whole literal with
a correctly escaped one, split over several lines when it would not fit in 79 columns, so the
written module stays flake8-clean whatever the configured values are.
"""
from __future__ import annotations

import keyword
import os
import re
from importlib import resources
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import List, Optional, Union

from tmplint.files import atomic_write

DEFAULT_ROOT = "/share/workflows"
DEFAULT_ROOT_ENV = "WORKFLOW_TEMP_ROOT"
DEFAULT_HELPER_MODULE = "temp_paths"
TEMPLATE_NAME = "temp_paths.py.tmpl"
#: flake8's default max-line-length; the written module must pass flake8 out of the box
MAX_LINE = 79

_ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLACEHOLDERS = {"ROOT": '"{{ROOT}}"', "ROOT_ENV": '"{{ROOT_ENV}}"'}


def load_template() -> str:
    """The helper module template, read from the installed package data."""
    return (
        resources.files(__package__ or "tmplint")
        .joinpath("templates")
        .joinpath(TEMPLATE_NAME)
        .read_text(encoding="utf-8")
    )


def _check_root(root: object) -> str:
    if not isinstance(root, str):
        raise ValueError(f"root must be a string, got {root!r}")
    if not root.isprintable():
        raise ValueError(f"root {root!r} contains control or non-printable characters")
    if PurePosixPath(root).is_absolute():
        is_fs_root = not root.strip("/")
    elif PureWindowsPath(root).is_absolute():
        is_fs_root = not PureWindowsPath(root).parts[1:]
    else:
        raise ValueError(f"root {root!r} is not an absolute path")
    if is_fs_root:
        raise ValueError(f"root {root!r} is a filesystem root; use a directory below it")
    return root


def _check_root_env(root_env: object) -> str:
    if not isinstance(root_env, str) or not _ENV_NAME_RE.fullmatch(root_env):
        raise ValueError(
            f"root-env {root_env!r} is not an environment variable name "
            "(letters, digits and '_', not starting with a digit)"
        )
    return root_env


def _literal(value: str) -> str:
    """``value`` as a Python string literal, quoted the way black quotes it.

    Double quotes, unless the value holds more double than single quotes.
    """
    quote = "'" if value.count('"') > value.count("'") else '"'
    body = value.replace("\\", "\\\\").replace(quote, "\\" + quote)
    return quote + body + quote


def _render_literal_line(line: str, token: str, value: str) -> str:
    """Replace ``token`` (a quoted placeholder) in ``line`` by a string literal of ``value``.

    When the result would be longer than ``MAX_LINE`` and the line is a plain assignment, the
    literal is wrapped in parentheses and split into implicitly concatenated pieces, each of
    which fits.
    """
    rendered = line.replace(token, _literal(value))
    if len(rendered) <= MAX_LINE:
        return rendered
    head, _, tail = line.partition(token)
    indent = head[: len(head) - len(head.lstrip())]
    if not head.rstrip().endswith("=") or tail.strip():
        raise ValueError(f"value {value!r} is too long for the helper template line {line!r}")
    inner = indent + "    "
    width = MAX_LINE - len(inner)
    pieces: List[str] = []
    current = ""
    for ch in value:
        if current and len(_literal(current + ch)) > width:
            pieces.append(current)
            current = ""
        current += ch
    pieces.append(current)
    body = "".join(f"{inner}{_literal(piece)}\n" for piece in pieces)
    return f"{head.rstrip()} (\n{body}{indent})"


def render_helper_module(root: str = DEFAULT_ROOT, root_env: str = DEFAULT_ROOT_ENV) -> str:
    """The helper module's source text with ``root`` and ``root_env`` filled in.

    Raises ``ValueError`` when ``root`` is not an absolute directory path or ``root_env`` is not
    an environment variable name.
    """
    values = {"ROOT": _check_root(root), "ROOT_ENV": _check_root_env(root_env)}
    lines = load_template().splitlines(keepends=True)
    out: List[str] = []
    for line in lines:
        text, newline = (line[:-1], "\n") if line.endswith("\n") else (line, "")
        for name, token in _PLACEHOLDERS.items():
            if token in text:
                text = _render_literal_line(text, token, values[name])
        out.append(text + newline)
    rendered = "".join(out)
    leftover = re.search(r"\{\{[A-Z_]+\}\}", rendered)
    if leftover:  # pragma: no cover - a broken template, not a user error
        raise RuntimeError(f"helper template has an unknown placeholder {leftover.group()}")
    return rendered


def helper_module_path(helper_module: str = DEFAULT_HELPER_MODULE) -> Path:
    """The file (relative to the project root) for a dotted module name.

    ``temp_paths`` -> ``temp_paths.py``, ``pkg.temp_paths`` -> ``pkg/temp_paths.py``.
    """
    parts = helper_module.split(".") if isinstance(helper_module, str) else [""]
    if not all(part.isidentifier() and not keyword.iskeyword(part) for part in parts):
        raise ValueError(f"helper-module {helper_module!r} is not a dotted module path")
    return Path(*parts[:-1], parts[-1] + ".py")


def _module_files(helper_module: str, root: Path) -> List[Path]:
    """Where the module may live in the project at ``root``: at the root or under ``src/``, as a
    module or a package."""
    relative = helper_module_path(helper_module)
    package = relative.with_suffix("") / "__init__.py"
    return [base / name for base in (root, root / "src") for name in (relative, package)]


def helper_module_target(helper_module: str, root: Path) -> Path:
    """The file ``tmplint init`` writes for ``helper_module`` in the project at ``root``: the
    module's existing file; else where its package is (``svc.util.temp_paths`` with ``src/svc/util/``
    is ``src/svc/util/temp_paths.py``, the src layout); else at the root."""
    existing = find_helper_module(helper_module, root)
    if existing is not None:
        return existing
    relative = helper_module_path(helper_module)
    package = relative.parent.parts
    for depth in range(len(package), 0, -1):  # the deepest package dir that exists wins
        for base in (root, root / "src"):
            if (base.joinpath(*package[:depth])).is_dir():
                return base / relative
    return root / relative


def find_helper_module(helper_module: str, root: Path) -> Optional[Path]:
    """The file of ``helper_module`` in the project at ``root``, or None."""
    return next((path for path in _module_files(helper_module, root) if path.is_file()), None)


def _importable(module: str) -> bool:
    """Whether ``module`` is installed where this Python finds modules (found, never imported:
    importing would run the project's code)."""
    from importlib.machinery import PathFinder

    search: Optional[List[str]] = None
    for part in module.split("."):
        try:
            spec = PathFinder.find_spec(part, search)
        except (ImportError, ValueError, OSError):
            return False
        if spec is None:
            return False
        search = list(spec.submodule_search_locations or [])
    return True


def missing_helper_error(helper_module: str, root: Path) -> Optional[str]:
    """The error line for a helper module that is neither in the project at ``root`` nor
    installed (what ``tmplint fix`` would import in every file it rewrites), else None."""
    if find_helper_module(helper_module, root) is not None or _importable(helper_module):
        return None
    target = helper_module_target(helper_module, root)
    try:
        shown = Path(os.path.relpath(target)).as_posix()
    except ValueError:  # another drive (Windows)
        shown = str(target)
    return (f"{shown}: error: helper module {helper_module!r} does not exist; the rewrites would import it "
            f"(create it with `tmplint init`, or set helper-module in [tool.tmplint])")


def write_helper_module(
    path: Union[str, os.PathLike],
    root: str = DEFAULT_ROOT,
    root_env: str = DEFAULT_ROOT_ENV,
    force: bool = False,
) -> Path:
    """Write the rendered helper module to ``path``; return the path written.

    Refuses to replace an existing file (``FileExistsError``) unless ``force``. Missing parent
    directories are created. The write is atomic (:func:`tmplint.files.atomic_write`), so an
    interrupted run never leaves a half-written module; a replaced file keeps its permission bits.
    """
    path = Path(path)
    text = render_helper_module(root, root_env)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory")
    if os.path.lexists(path) and not force:
        raise FileExistsError(f"{path} already exists (use --force to overwrite it)")
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text.encode("utf-8"))
    return path
