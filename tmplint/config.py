"""``[tool.tmplint]`` configuration: discovery, validation and rule selection."""
from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from tmplint.registry import DEFAULT_CODES, RULES


def _tomllib() -> Any:
    """The TOML parser, imported when a file is read: a run without a pyproject.toml needs none."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python < 3.11 only
        import tomli as tomllib
    return tomllib


DEFAULT_TEMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/usr/tmp", "/private/tmp", "/private/var/tmp")
DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", ".bzr", "CVS", ".tox", ".nox", ".eggs", "*.egg", ".venv", "venv",
    ".direnv", "env", "site-packages", "build", "dist", "__pycache__", "node_modules",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tmplint_cache",
)
_WORKFLOW_ID_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MODULE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class ConfigError(Exception):
    """A configuration problem; the message names the file and the key."""


@dataclass(frozen=True)
class Config:
    select: Optional[Tuple[str, ...]] = None
    extend_select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    exclude: Tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: Tuple[str, ...] = ()
    temp_dirs: Tuple[str, ...] = DEFAULT_TEMP_DIRS
    extend_temp_dirs: Tuple[str, ...] = ()
    helper_module: str = "temp_paths"
    workflow_id_names: Tuple[str, ...] = ("workflow_id", "task_id", "job_id", "run_id")
    workflow_id_attributes: Tuple[str, ...] = ("workflow_id",)
    workflow_id_fallback: Optional[str] = None
    add_workflow_param: bool = False
    root: str = "/share/workflows"
    root_env: str = "WORKFLOW_TEMP_ROOT"
    honor_other_suppressions: bool = True
    #: runtime audit (``pytest --tmplint-audit``): "off", "warn" or "fail"
    audit: str = "off"
    #: globs of paths under the temp dirs the runtime audit does not report
    audit_allow: Tuple[str, ...] = ()
    #: apply the excludes to files named explicitly too (ruff's force-exclude; the pre-commit hooks)
    force_exclude: bool = False
    #: the pyproject.toml this came from, if any; relative excludes are anchored at its dir
    source: Optional[Path] = field(default=None, compare=False)

    @functools.cached_property
    def enabled_codes(self) -> FrozenSet[str]:
        # selected once per config: the detector asks several times per module (12 us each)
        return select_codes(self.select, self.extend_select, self.ignore)

    @property
    def all_temp_dirs(self) -> Tuple[str, ...]:
        return tuple(dict.fromkeys(d.rstrip("/") or "/" for d in self.temp_dirs + self.extend_temp_dirs))

    @property
    def root_dir(self) -> Path:
        return self.source.parent if self.source else Path.cwd()


def _matches(selector: str, code: str) -> bool:
    return code.startswith(selector)


def select_codes(
    select: Optional[Iterable[str]], extend_select: Iterable[str] = (), ignore: Iterable[str] = ()
) -> FrozenSet[str]:
    """Resolve ruff-style selectors. A prefix (``TMP``, ``TMP00``) never turns on a default-off
    rule; only its full code does, so ``--select TMP`` means the same in flake8 and tmplint."""
    chosen = set()
    for selector in list(select if select is not None else DEFAULT_CODES) + list(extend_select):
        for code, rule in RULES.items():
            if code == selector or (rule.default and _matches(selector, code)):
                chosen.add(code)
    longest_ignore = list(ignore)
    return frozenset(c for c in chosen if not any(_matches(i, c) for i in longest_ignore))


def validate_selectors(values: Sequence[str], where: str) -> Tuple[str, ...]:
    for value in values:
        if not isinstance(value, str) or not any(code.startswith(value) for code in RULES) or not value:
            raise ConfigError(f"{where}: unknown rule selector {value!r} (known: {', '.join(RULES)})")
    return tuple(values)


def _str_list(value: Any, where: str) -> Tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
    return tuple(value)


def _temp_dirs(value: Any, where: str) -> Tuple[str, ...]:
    dirs = _str_list(value, where)
    for d in dirs:
        if not d.startswith("/") or d == "/":
            raise ConfigError(f"{where}: {d!r} is not an absolute directory path")
    return dirs


def _identifiers(value: Any, where: str) -> Tuple[str, ...]:
    names = _str_list(value, where)
    for name in names:
        if not _WORKFLOW_ID_RE.match(name):
            raise ConfigError(f"{where}: {name!r} is not a Python identifier")
    return names


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    return value


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def _module(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _MODULE_RE.match(value):
        raise ConfigError(f"{where}: {value!r} is not a dotted module path")
    return value


def _audit_mode(value: Any, where: str) -> str:
    """``audit = true`` means "warn"; "warn" and "fail" are also accepted, ``false`` is "off"."""
    if isinstance(value, bool):
        return "warn" if value else "off"
    if value not in ("warn", "fail"):
        raise ConfigError(f"{where}: expected true, false, \"warn\" or \"fail\", got {value!r}")
    return value


def split_fallback(text: str) -> Tuple[Optional[str], str]:
    """``("pkg.ctx", "current_id()")`` for ``"pkg.ctx:current_id()"``; ``(None, text)`` for a plain
    expression. The module form makes the codemod import the expression's first name from it."""
    module, colon, expression = text.partition(":")
    if colon and _MODULE_RE.match(module.strip()):
        return module.strip(), expression.strip()
    return None, text


def _expression(value: Any, where: str) -> str:
    import ast

    text = _str(value, where)
    module, expression = split_fallback(text)
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        raise ConfigError(f"{where}: {value!r} is not a Python expression "
                          "(nor module:expression, e.g. \"app.ctx:current_workflow_id()\")") from None
    if module is not None and first_name(tree.body) is None:
        raise ConfigError(f"{where}: {value!r}: the expression after the colon must start with a name "
                          f"to import from {module}")
    return text


def first_name(node: Any) -> Optional[str]:
    """The first name an expression uses, in source order: ``current`` in ``current().id if ok
    else 'boot'`` (the name a ``module:expression`` fallback imports)."""
    import ast

    names = [n for n in ast.walk(node) if isinstance(n, ast.Name)]
    return min(names, key=lambda n: (n.lineno, n.col_offset)).id if names else None


_KEYS = {
    "select": lambda v, w: validate_selectors(_str_list(v, w), w),
    "extend-select": lambda v, w: validate_selectors(_str_list(v, w), w),
    "ignore": lambda v, w: validate_selectors(_str_list(v, w), w),
    "exclude": _str_list,
    "extend-exclude": _str_list,
    "temp-dirs": _temp_dirs,
    "extend-temp-dirs": _temp_dirs,
    "helper-module": _module,
    "workflow-id-names": _identifiers,
    "workflow-id-attributes": _identifiers,
    "workflow-id-fallback": _expression,
    "add-workflow-param": _bool,
    "root": lambda v, w: _temp_dirs([v], w)[0] if isinstance(v, str) else _str(v, w),
    "root-env": _str,
    "honor-other-suppressions": _bool,
    "audit": _audit_mode,
    "audit-allow": _str_list,
    "force-exclude": _bool,
}


def unknown_key_hint(key: str, known: Iterable[str]) -> str:
    """`` (did you mean 'temp-dirs'?)`` for a misspelt key, or nothing when none is close."""
    import difflib  # here: only a misspelt key needs it

    spelled = key.replace("_", "-")
    close = [spelled] if spelled in known else difflib.get_close_matches(spelled, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def override_temp_dirs(config: Config, temp_dirs: Optional[Sequence[str]], extend_temp_dirs: Sequence[str],
                       where: str) -> Config:
    """``config`` with the temp dirs a command line gave: ``temp_dirs`` replaces the list,
    ``extend_temp_dirs`` adds to it (as the keys ``temp-dirs`` and ``extend-temp-dirs`` do)."""
    changes: Dict[str, Any] = {}
    if temp_dirs is not None:
        changes["temp_dirs"] = _temp_dirs(list(temp_dirs), f"{where}temp-dirs")
    if extend_temp_dirs:
        changes["extend_temp_dirs"] = config.extend_temp_dirs + _temp_dirs(list(extend_temp_dirs),
                                                                           f"{where}extend-temp-dirs")
    return replace(config, **changes)


def parse_table(table: Mapping[str, Any], where: str, base: Config = Config()) -> Config:
    """Validate a ``[tool.tmplint]`` table (keys with dashes) into a Config."""
    changes: Dict[str, Any] = {}
    for key, value in table.items():
        validator = _KEYS.get(key)
        if validator is None:
            hint = unknown_key_hint(key, _KEYS)
            raise ConfigError(f"{where}: unknown key {key!r} in [tool.tmplint]{hint}")
        changes[key.replace("-", "_")] = validator(value, f"{where}: [tool.tmplint] {key}")
    return replace(base, **changes)


def find_pyproject(start: Path, seen: Optional[Dict[Path, Optional[Path]]] = None) -> Optional[Path]:
    """The nearest pyproject.toml with a [tool.tmplint] table, walking up from ``start``.
    ``seen`` (directory -> its answer) is read and filled on the way, so the lookups of many
    files of one tree read each pyproject.toml once."""
    start = start.resolve()
    visited: List[Path] = []
    found: Optional[Path] = None
    for directory in [start, *start.parents] if start.is_dir() else list(start.parents):
        if seen is not None and directory in seen:
            found = seen[directory]
            break
        visited.append(directory)
        if _is_ours(directory / "pyproject.toml"):
            found = directory / "pyproject.toml"
            break
    if seen is not None:
        seen.update(dict.fromkeys(visited, found))
    return found


def _is_ours(candidate: Path) -> bool:
    """Whether ``candidate`` is a pyproject.toml with a [tool.tmplint] table."""
    if not candidate.is_file():
        return False
    tomllib = _tomllib()
    try:
        data = tomllib.loads(candidate.read_text(encoding="utf-8"))
    except OSError:
        return False
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        # a broken file that is meant for us is an error, not a reason to look further up
        return "tool.tmplint" in candidate.read_bytes().decode("utf-8", "replace")
    return "tmplint" in data.get("tool", {})


def load_config(explicit: Optional[Path] = None, start: Optional[Path] = None) -> Config:
    """Load the config from ``explicit`` or the nearest pyproject.toml above ``start``."""
    path = explicit if explicit is not None else find_pyproject(start or Path.cwd())
    return Config() if path is None else read_config(path)


def read_config(path: Path) -> Config:
    """The config in ``path``: a pyproject.toml's [tool.tmplint] table, else the whole file."""
    tomllib = _tomllib()
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    table = data.get("tool", {}).get("tmplint", {}) if Path(path).name == "pyproject.toml" else data
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.tmplint] must be a table")
    return replace(parse_table(table, str(path)), source=Path(path).resolve())


class ProjectConfigs:
    """The config of each file, as ruff and the flake8 plugin find it: that of the nearest
    pyproject.toml with a [tool.tmplint] table above the file (the defaults when there is none),
    or of ``explicit`` for every file (``--config``). ``adjust`` applies the command line's options
    to each. Every directory is looked up and every pyproject.toml read once."""

    def __init__(self, explicit: Optional[Path] = None, adjust: Callable[[Config], Config] = lambda config: config):
        self._explicit = explicit
        self._adjust = adjust
        #: directory (as given, and resolved) -> its nearest pyproject.toml of ours
        self._nearest: Dict[Path, Optional[Path]] = {}
        #: pyproject.toml -> its config, or the error reading it
        self._configs: Dict[Optional[Path], Union[Config, ConfigError]] = {}

    def for_path(self, path: Path) -> Config:
        """The config of file (or directory) ``path``; raises ConfigError when it is broken."""
        return self.for_directory(path if path.is_dir() else path.parent)

    def for_directory(self, directory: Path) -> Config:
        """The config of the files in ``directory``; raises ConfigError when it is broken."""
        source = self._explicit if self._explicit is not None else self._nearest_pyproject(directory)
        if source not in self._configs:
            try:
                self._configs[source] = self._adjust(read_config(source) if source is not None else Config())
            except ConfigError as exc:
                self._configs[source] = exc
        config = self._configs[source]
        if isinstance(config, ConfigError):
            raise config
        return config

    def _nearest_pyproject(self, directory: Path) -> Optional[Path]:
        if directory not in self._nearest:  # the directory as given, before resolving it
            parent = directory.parent
            if (parent in self._nearest and directory.name not in ("", "..") and not directory.is_symlink()
                    and not _is_ours(directory / "pyproject.toml")):
                # a subdirectory (not a link) of one looked up, as a walk finds them, without a
                # project of its own: its parent's answer, without resolving its path again
                self._nearest[directory] = self._nearest[parent]
            else:
                self._nearest[directory] = find_pyproject(directory, self._nearest)
        return self._nearest[directory]


CONFIG_FIELDS = tuple(f.name for f in fields(Config))


@dataclass(frozen=True)
class ProjectStyle:
    """How the project around a file formats its code (what the codemod's output must follow)."""

    #: ruff ``line-length``, else black's, else isort's, else flake8's ``max-line-length``, else 88
    line_length: int = 88
    #: the lowest Python version ``requires-python`` (or ruff's ``target-version``) allows, if known
    requires_python: Optional[Tuple[int, int]] = None
    #: isort's/ruff's ``known-first-party`` modules
    known_first_party: Tuple[str, ...] = ()
    #: the project's root directory (where its pyproject.toml or .git is), if any
    root: Optional[Path] = None

    def is_first_party(self, module: str, is_stdlib: Callable[[str], bool] = lambda _: False) -> bool:
        """Whether ``module`` belongs to the project, as ruff decides: named in known-first-party,
        else (unless ``is_stdlib`` says it is the standard library's) a module or package at the
        project root or under ``src/``."""
        top = module.split(".")[0]
        if any(module == k or module.startswith(k + ".") or top == k for k in self.known_first_party):
            return True
        if self.root is None or not top or is_stdlib(top):
            return False
        return any((base / f"{top}.py").is_file() or (base / top).is_dir()
                   for base in (self.root, self.root / "src"))


_VERSION_RE = re.compile(r"(>=|~=|==|\^|>)?\s*(\d+)\.(\d+)")


def _lowest_version(spec: Any) -> Optional[Tuple[int, int]]:
    """``(3, 10)`` for ``">=3.10"``, ``"~=3.10"``, ``"^3.10"``, ``">=3.10,<4"``; ruff's ``"py310"``."""
    if not isinstance(spec, str):
        return None
    ruff = re.fullmatch(r"py3(\d+)", spec.strip())
    if ruff:
        return (3, int(ruff.group(1)))
    lows = [(int(m.group(2)), int(m.group(3)) + (1 if m.group(1) == ">" else 0))
            for m in _VERSION_RE.finditer(spec) if m.group(1) is not None]
    return min(lows) if lows else None


def _read_ini(path: Path, section: str, *keys: str) -> Optional[str]:
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, configparser.Error):
        return None
    for key in keys:
        if parser.has_option(section, key):
            return parser.get(section, key)
    return None


def _read_toml(path: Path) -> Dict[str, Any]:
    tomllib = _tomllib()
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def _positive_int(value: Any) -> Optional[int]:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _name_list(value: Any) -> Tuple[str, ...]:
    if isinstance(value, str):
        value = value.replace("\n", ",").split(",")
    if not isinstance(value, list):
        return ()
    return tuple(v.strip() for v in value if isinstance(v, str) and v.strip())


def read_project_style(path: Optional[Any]) -> ProjectStyle:
    """The formatting settings of the project ``path`` (a file or directory) is in: walks up to
    the project root (the first directory with a pyproject.toml or .git), and for each setting
    takes the nearest file that sets it. A path that does not exist (``"<module>"``) gives the
    defaults. Cached per directory."""
    if path is None or str(path).startswith("<") or str(path) in ("", "-"):
        return ProjectStyle()  # not a file: "<module>", "<stdin>"
    start = Path(str(path))
    try:
        start = start.resolve()
    except (OSError, RuntimeError):
        return ProjectStyle()
    directory = start if start.is_dir() else start.parent
    while not directory.is_dir() and directory != directory.parent:  # a file not written yet
        directory = directory.parent
    return _project_style_in(directory)


def _project_style_in(directory: Path) -> ProjectStyle:
    cached = _STYLE_CACHE.get(directory)
    if cached is not None:
        return cached
    settings = _StyleSettings()
    root: Optional[Path] = None
    for current in [directory, *directory.parents]:
        _read_style_files(current, settings)
        if (current / "pyproject.toml").is_file() or (current / ".git").exists():
            root = current
            break
    style = settings.style(root)
    if len(_STYLE_CACHE) > 256:
        _STYLE_CACHE.clear()
    _STYLE_CACHE[directory] = style
    return style


class _StyleSettings:
    """The formatting settings found walking up from a file: the nearest file that sets one wins."""

    def __init__(self) -> None:
        self.found: Dict[str, Any] = {}

    def put(self, key: str, value: Any) -> None:
        if value is not None and value != () and key not in self.found:
            self.found[key] = value

    def style(self, root: Optional[Path]) -> ProjectStyle:
        found = self.found
        line = next((found[k] for k in ("ruff_line", "black_line", "isort_line", "flake8_line") if k in found), 88)
        return ProjectStyle(line_length=line, requires_python=found.get("requires", found.get("target")),
                            known_first_party=found.get("first", ()), root=root)


def _read_style_files(directory: Path, settings: _StyleSettings) -> None:
    """The settings of the config files in ``directory``, nearest-wins order within it."""
    for name in ("ruff.toml", ".ruff.toml"):
        if (directory / name).is_file():
            _put_ruff(_read_toml(directory / name), settings)
    pyproject = directory / "pyproject.toml"
    if pyproject.is_file():
        _put_pyproject(_read_toml(pyproject), settings)
    for name in ("setup.cfg", "tox.ini", ".flake8"):
        if (directory / name).is_file():
            _put_ini(directory / name, settings)
    isort_cfg = directory / ".isort.cfg"
    if isort_cfg.is_file():
        settings.put("isort_line", _positive_int(_read_ini(isort_cfg, "settings", "line_length")))
        settings.put("first", _name_list(_read_ini(isort_cfg, "settings", "known_first_party")))


def _put_ruff(ruff: Dict[str, Any], settings: _StyleSettings) -> None:
    """A ruff.toml, or the ``[tool.ruff]`` table of a pyproject.toml."""
    settings.put("ruff_line", _positive_int(ruff.get("line-length")))
    settings.put("target", _lowest_version(ruff.get("target-version")))
    isort = ruff.get("lint", {}).get("isort", {}) or ruff.get("isort", {})
    settings.put("first", _name_list(isort.get("known-first-party")))


def _put_pyproject(data: Dict[str, Any], settings: _StyleSettings) -> None:
    tool = _table(data, "tool")
    _put_ruff(_table(tool, "ruff"), settings)
    black = _table(tool, "black")
    settings.put("black_line", _positive_int(black.get("line-length") or black.get("line_length")))
    isort = _table(tool, "isort")
    settings.put("isort_line", _positive_int(isort.get("line_length") or isort.get("line-length")))
    settings.put("first", _name_list(isort.get("known_first_party") or isort.get("known-first-party")))
    settings.put("requires", _lowest_version(_table(data, "project").get("requires-python")))
    poetry_dependencies = _table(_table(tool, "poetry"), "dependencies")
    settings.put("requires", _lowest_version(poetry_dependencies.get("python")))


def _put_ini(path: Path, settings: _StyleSettings) -> None:
    """setup.cfg, tox.ini or .flake8."""
    settings.put("flake8_line", _positive_int(_read_ini(path, "flake8", "max-line-length", "max_line_length")))
    if path.name != ".flake8":
        settings.put("isort_line", _positive_int(_read_ini(path, "isort", "line_length")))
        settings.put("first", _name_list(_read_ini(path, "isort", "known_first_party")))
    if path.name == "setup.cfg":
        settings.put("requires", _lowest_version(_read_ini(path, "options", "python_requires")))


def _table(data: Dict[str, Any], key: str) -> Dict[str, Any]:
    """``data[key]`` when it is a table, else an empty one."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}


_STYLE_CACHE: Dict[Path, ProjectStyle] = {}
