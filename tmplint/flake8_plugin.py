"""flake8 plugin: a thin adapter over the detector (the flake8-bugbear shape)."""
from __future__ import annotations

import ast
import functools
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator, List, Optional, Tuple

from tmplint import __version__
from tmplint.config import Config, ConfigError, load_config, override_temp_dirs
from tmplint.detector import find_findings
from tmplint.pool import with_deep_stack
from tmplint.prefilter import prefilter_for
from tmplint.registry import RULES


@functools.lru_cache(maxsize=None)
def _project_config(start: str) -> Config:
    try:
        return load_config(start=Path(start))
    except ConfigError as exc:
        # flake8 has no per-file error channel for configuration; fail loudly once
        raise SystemExit(f"tmplint: {exc}") from None


class TmplintChecker:
    name = "tmplint"
    version = __version__

    #: names of default-off rules that flake8's --select/--extend-select named in full
    _named_codes: Tuple[str, ...] = ()
    _temp_dirs: Optional[Tuple[str, ...]] = None
    _extend_temp_dirs: Tuple[str, ...] = ()
    _config_file: Optional[str] = None

    def __init__(self, tree: ast.AST, lines: List[str], filename: str) -> None:
        self.tree = tree
        self.lines = lines
        self.filename = filename

    @classmethod
    def add_options(cls, option_manager: Any) -> None:
        option_manager.add_option(
            "--tmplint-temp-dirs", comma_separated_list=True, parse_from_config=True, default=None,
            help="tmplint: temp dirs whose literal paths TMP006 flags (replaces [tool.tmplint] temp-dirs "
                 "and the defaults)",
        )
        option_manager.add_option(
            "--tmplint-extend-temp-dirs", comma_separated_list=True, parse_from_config=True, default=None,
            help="tmplint: temp dirs TMP006 flags besides the configured ones (adds to extend-temp-dirs)",
        )
        option_manager.add_option(
            "--tmplint-config", parse_from_config=True, default=None,
            help="tmplint: pyproject.toml to read [tool.tmplint] from (default: found by walking up)",
        )

    @classmethod
    def parse_options(cls, options: Any) -> None:
        named = list(getattr(options, "select", None) or []) + list(getattr(options, "extend_select", None) or [])
        cls._named_codes = tuple(code for code in named if code in RULES)
        cls._temp_dirs = tuple(options.tmplint_temp_dirs) if getattr(options, "tmplint_temp_dirs", None) else None
        cls._extend_temp_dirs = tuple(getattr(options, "tmplint_extend_temp_dirs", None) or ())
        try:  # a bad dir is a usage error, reported once, like a bad [tool.tmplint]
            override_temp_dirs(Config(), cls._temp_dirs, cls._extend_temp_dirs, "--tmplint-")
        except ConfigError as exc:
            raise SystemExit(f"tmplint: {exc}") from None
        cls._config_file = getattr(options, "tmplint_config", None)

    def config(self) -> Config:
        if self._config_file:
            config = _project_config_file(self._config_file)
        else:
            config = _project_config(str(Path(self.filename).resolve().parent))
        if self._named_codes:
            config = replace(config, extend_select=config.extend_select + self._named_codes)
        return override_temp_dirs(config, self._temp_dirs, self._extend_temp_dirs, "--tmplint-")

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        config = self.config()
        source = "".join(self.lines)
        if not prefilter_for(config).matches_text(source):
            return
        # flake8 runs this in its own processes: a deep stack there too (tmplint.pool)
        findings = with_deep_stack(find_findings, self.tree, source, config, self.filename)
        for finding in findings:
            yield finding.line, finding.col, f"{finding.code} {finding.message}", type(self)


@functools.lru_cache(maxsize=None)
def _project_config_file(path: str) -> Config:
    try:
        return load_config(explicit=Path(path))
    except ConfigError as exc:
        raise SystemExit(f"tmplint: {exc}") from None
