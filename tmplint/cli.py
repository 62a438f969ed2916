"""The ``tmplint`` command line: check, fix, init, rules, rule."""
from __future__ import annotations

import argparse
import functools
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from tmplint import __version__
from tmplint.config import Config, ConfigError, ProjectConfigs, load_config, override_temp_dirs, validate_selectors
from tmplint.pool import report_interrupted
from tmplint.registry import RULES

if TYPE_CHECKING:  # for annotations only: the commands import these when they run
    from tmplint.baseline import Baseline
    from tmplint.check import FileResult
    from tmplint.findings import Finding

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _selectors(value: str) -> List[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _add_selection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", type=Path, help="files or directories (default: .); - reads stdin")
    parser.add_argument("--config", type=Path, help="pyproject.toml to read [tool.tmplint] from")
    for flag, what in (("--select", "the rules to use (replaces the configured selection)"),
                       ("--extend-select", "rules to use besides the selected ones"),
                       ("--ignore", "rules not to use")):
        parser.add_argument(flag, type=_selectors, action="append", default=[],
                            metavar="CODES", help=f"{what}: comma-separated rule codes or prefixes")
    parser.add_argument("--temp-dirs", type=_selectors, metavar="DIRS",
                        help="comma-separated temp dirs whose literal paths TMP006 flags (replaces temp-dirs)")
    parser.add_argument("--extend-temp-dirs", type=_selectors, action="append", default=[], metavar="DIRS",
                        help="comma-separated temp dirs to flag besides the configured ones")
    parser.add_argument("--force-exclude", action="store_true",
                        help="apply the excludes to files named explicitly too (and to --stdin-filename)")
    parser.add_argument("--stdin-filename", metavar="PATH",
                        help="the path of the source read from - (stdin): for the config, excludes and reports")
    parser.add_argument("--jobs", "-j", type=int, default=None, help="processes to work in (default: CPU count)")


@functools.lru_cache(maxsize=None)
def _help_width() -> int:
    """The width argparse formats help for: the terminal's as ``shutil.get_terminal_size`` finds
    it (``$COLUMNS``, else the size of the terminal of stdout, else 80), less 2. Found once, here:
    argparse makes a formatter for every option it adds (to check its metavar), and each asked
    the terminal, after importing shutil (with bz2 and lzma, 5 ms of every run)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return (columns or 80) - 2


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's, with the width from :func:`_help_width`."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: Optional[int] = None, **kwargs: Any) -> None:
        super().__init__(prog, indent_increment, max_help_position, _help_width() if width is None else width, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tmplint",
        description="Find and rewrite scratch files in the shared system temp dir.",
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("-V", "--version", action="version", version=f"tmplint {__version__}",
                        help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND",
                                     help="what to do (tmplint COMMAND --help for its options)")
    commands.required = True
    add_command = functools.partial(commands.add_parser, formatter_class=_HelpFormatter)

    check = add_command("check", help="report findings (exit 1 when there are any)")
    _add_selection_options(check)
    check.add_argument("--format", choices=sorted(_formats()), default="text",
                       help="output format (default: text, flake8's path:line:col: CODE message)")
    check.add_argument("--statistics", action="store_true", help="print counts per rule")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings (errors still exit 2)")
    check.add_argument("--baseline", type=Path, metavar="FILE",
                       help="report only findings not recorded in this baseline file")
    check.add_argument("--write-baseline", type=Path, metavar="FILE",
                       help="record the current findings in this baseline file (and report none of them)")
    check.add_argument("--no-cache", action="store_true", help="do not read or write the result cache")
    verbosity = check.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true",
                           help="print the findings and the files that could not be checked, nothing else "
                                "(no summary line, no warnings)")
    verbosity.add_argument("-s", "--silent", action="store_true",
                           help="print nothing about the files checked; the exit status tells (usage and "
                                "config errors are still printed)")
    # ruff users type it: answered with a pointer to `tmplint fix`, not argparse's "unrecognized"
    check.add_argument("--fix", action="store_true", help=argparse.SUPPRESS)

    fix = add_command("fix", help="rewrite call sites into the per-workflow helper")
    _add_selection_options(fix)
    fix.add_argument("--diff", action="store_true", help="print a unified diff, write nothing")
    fix.add_argument("--check", action="store_true",
                     help="write nothing; exit 1 only if a file would change (sites left alone do not count)")
    fix.add_argument("--unsafe-fixes", action="store_true", help="also rewrite literal temp paths (TMP006)")
    fix.add_argument("--add-noqa", action="store_true", help="mark sites that cannot be fixed with # noqa")
    fix.add_argument("--report", type=Path, metavar="FILE.md",
                     help="also write a markdown report for the pull request (with --diff/--check too)")
    fix.add_argument("--baseline", type=Path, metavar="FILE",
                     help="leave the sites recorded in this baseline (tmplint check --write-baseline) alone")
    fix.add_argument("--exit-zero", action="store_true",
                     help="exit 0 even when sites are left (errors still exit 2); the tmplint-fix hook uses it, "
                          "pre-commit itself fails when files changed")

    init = add_command("init", help="write the helper module into your project")
    init.add_argument("--module", type=Path, help="where to write it (default: from helper-module)")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.add_argument("--config", type=Path, help="pyproject.toml to read [tool.tmplint] from")

    add_command("rules", help="list every rule")
    rule = add_command("rule", help="explain one rule")
    rule.add_argument("code", help="a rule code, e.g. TMP001")
    return parser


def _formats() -> List[str]:
    from tmplint.reporters import REPORTERS

    return list(REPORTERS)


def _load_config(args: argparse.Namespace) -> Config:
    paths = getattr(args, "paths", None) or []
    start = Path(args.stdin_filename) if getattr(args, "stdin_filename", None) else (paths[0] if paths else Path.cwd())
    return _with_options(args, load_config(explicit=args.config, start=start if start.exists() else start.parent))


def _with_options(args: argparse.Namespace, config: Config) -> Config:
    """``config`` with the command line's options applied."""
    changes: Dict[str, object] = {}
    if getattr(args, "force_exclude", False):
        changes["force_exclude"] = True
    for option in ("select", "extend_select", "ignore"):
        values = [code for group in getattr(args, option, []) for code in group]
        if values:
            validate_selectors(values, f"--{option.replace('_', '-')}")
            changes[option] = tuple(values) if option == "select" else getattr(config, option) + tuple(values)
    config = replace(config, **changes)
    if hasattr(args, "temp_dirs"):
        extend = [d for group in args.extend_temp_dirs for d in group]
        config = override_temp_dirs(config, args.temp_dirs, extend, "--")
    return config


def _usage_problem(args: argparse.Namespace) -> Optional[str]:
    """The one-line error for options that do not go together, if any."""
    if getattr(args, "fix", False):
        return "tmplint: error: `tmplint check` does not rewrite files; use `tmplint fix` (`--diff` to preview)"
    paths = [str(p) for p in getattr(args, "paths", None) or []]
    if getattr(args, "stdin_filename", None) and paths != ["-"]:
        return "tmplint: error: --stdin-filename needs - (stdin) as the only path"
    if "-" in paths and paths != ["-"]:
        return "tmplint: error: '-' (stdin) cannot be combined with other paths"
    if getattr(args, "jobs", None) is not None and args.jobs < 1:
        return "tmplint: error: --jobs must be at least 1"
    return None


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        return _run(argv)
    except KeyboardInterrupt:
        return report_interrupted()


def _run(argv: Optional[Sequence[str]]) -> int:
    args = build_parser().parse_args(argv)
    problem = _usage_problem(args)
    if problem is not None:
        print(problem, file=sys.stderr)
        return EXIT_ERROR
    try:
        if args.command == "rules":
            return cmd_rules()
        if args.command == "rule":
            return cmd_rule(args.code)
        config = _load_config(args)
    except ConfigError as exc:
        print(f"tmplint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    try:
        if args.command == "check":
            return cmd_check(args, config)
        if args.command == "fix":
            return cmd_fix(args, config)
        return cmd_init(args, config)
    except _CommandError as exc:
        print(exc, file=sys.stderr)
        return EXIT_ERROR


def cmd_rules() -> int:
    for code, rule in RULES.items():
        status = "on " if rule.default else "off"
        print(f"{code}  {status}  fix={rule.fix:<6}  {rule.name}")
    return EXIT_OK


def cmd_rule(code: str) -> int:
    rule = RULES.get(code.upper())
    if rule is None:
        print(f"tmplint: error: unknown rule {code!r} (known: {', '.join(RULES)})", file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(rule.doc())
    return EXIT_OK


class _CommandError(Exception):
    """The line for stderr that ends the command with EXIT_ERROR."""


def cmd_check(args: argparse.Namespace, config: Config) -> int:
    from tmplint.reporters import warn_no_files

    results, sources = _check_results(args, config)
    # as ruff's: --quiet prints the findings (and here the files that could not be checked) only,
    # --silent nothing at all
    quiet = args.quiet or args.silent
    if not results:  # nothing selected; an excluded --stdin-filename passes silently, as in ruff
        if [str(p) for p in args.paths] != ["-"] and not quiet:
            warn_no_files(sys.stderr)
        return EXIT_OK
    findings = [f for result in results for f in result.findings]
    errors = [(result.path, result.error) for result in results if result.error]
    if not args.silent:
        for path, error in errors:
            print(f"{path}: error: {error}", file=sys.stderr)
    if args.write_baseline or args.baseline:
        findings = _apply_baselines(args, findings, sources, quiet)
    if not args.silent:
        _report(args, findings, errors)
    if errors:
        return EXIT_ERROR
    if findings and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_OK


def _report(args: argparse.Namespace, findings: List[Finding], errors: List[Tuple[str, str]]) -> None:
    """The findings in ``--format`` on stdout, and unless ``--quiet``, the summary line."""
    from tmplint.reporters import REPORTERS, report_statistics, report_summary

    REPORTERS[args.format](findings, errors, sys.stdout)
    if args.statistics:
        # keep stdout parseable for the machine formats
        report_statistics(findings, sys.stdout if args.format in ("text", "github") else sys.stderr)
    if args.format == "text" and not args.quiet:  # as ruff: the machine formats end without a summary
        report_summary(findings, errors, sys.stderr)


def _check_results(args: argparse.Namespace, config: Config) -> Tuple[List[FileResult], Dict[str, str]]:
    """The check result of every file asked about, and the text of those a baseline needs
    besides the files themselves (stdin's)."""
    from tmplint.check import check_projects

    paths = args.paths or [Path(".")]
    if [str(p) for p in paths] == ["-"]:
        return _check_stdin(args.stdin_filename, config)
    configs = ProjectConfigs(args.config, functools.partial(_with_options, args))
    try:
        return list(check_projects(paths, configs, args.jobs, use_cache=not args.no_cache)), {}
    except ConfigError as exc:  # the config of another path's project than the first's
        raise _CommandError(f"tmplint: error: {exc}") from None


def _check_stdin(filename: Optional[str], config: Config) -> Tuple[List[FileResult], Dict[str, str]]:
    from tmplint.check import check_data
    from tmplint.detector import DetectorError, decode_source
    from tmplint.files import is_excluded

    data = sys.stdin.buffer.read()
    name = filename or "-"
    if filename and config.force_exclude and is_excluded(Path(filename), config):
        return [], {}  # as ruff: an excluded file is not checked, and nothing is said
    results = [check_data(data, name, config)]
    sources = {}
    try:
        sources[name] = decode_source(data, name)
    except DetectorError:
        pass
    return results, sources


def _apply_baselines(args: argparse.Namespace, findings: List[Finding], sources: Dict[str, str],
                     quiet: bool = False) -> List[Finding]:
    """The findings not in ``--baseline``, after recording them all in ``--write-baseline`` (and
    saying so, unless ``quiet``)."""
    from tmplint import baseline

    # --baseline is read before --write-baseline writes, so both may name the same file
    # (report what is new since it was written, then record the current state).
    known = _load_baseline(args.baseline) if args.baseline else None
    if args.write_baseline:
        try:
            count = baseline.write_baseline(args.write_baseline, findings, sources)
        except baseline.BaselineError as exc:
            raise _CommandError(f"{args.write_baseline}: error: {exc}") from None
        if not quiet:
            print(f"tmplint: recorded {count} finding{'s' if count != 1 else ''} in {args.write_baseline}",
                  file=sys.stderr)
    if known is None:
        return []  # every current finding is now in the written baseline
    return baseline.new_findings(findings, known, sources)


def _load_baseline(path: Path) -> Baseline:
    from tmplint import baseline

    try:
        return baseline.load_baseline(path)
    except baseline.BaselineError as exc:
        raise _CommandError(f"{path}: error: {exc}") from None


def cmd_fix(args: argparse.Namespace, config: Config) -> int:
    from tmplint.fix import run_fix, run_fix_stdin

    baseline = _load_baseline(args.baseline) if args.baseline else None
    if [str(p) for p in args.paths] == ["-"]:
        return run_fix_stdin(
            args.stdin_filename, config, diff=args.diff, check=args.check, unsafe_fixes=args.unsafe_fixes,
            add_noqa=args.add_noqa, stdin=sys.stdin, stdout=sys.stdout, stderr=sys.stderr,
            baseline=baseline, exit_zero=args.exit_zero,
        )
    paths = args.paths or [Path(".")]
    # each file with its own project's config, as `tmplint check` finds it (--config: that one for all)
    configs = ProjectConfigs(args.config, functools.partial(_with_options, args))
    try:
        return run_fix(
            paths, config, diff=args.diff, check=args.check,
            unsafe_fixes=args.unsafe_fixes, add_noqa=args.add_noqa, jobs=args.jobs or os.cpu_count() or 1,
            stdout=sys.stdout, stderr=sys.stderr, report=args.report,
            baseline=baseline, exit_zero=args.exit_zero, require_helper=True, configs=configs,
        )
    except ConfigError as exc:  # the config of another path's project than the first's
        raise _CommandError(f"tmplint: error: {exc}") from None


def cmd_init(args: argparse.Namespace, config: Config) -> int:
    from tmplint.files import display_path
    from tmplint.helper import helper_module_target, write_helper_module

    target = args.module or Path(display_path(helper_module_target(config.helper_module, config.root_dir)))
    try:
        written = write_helper_module(target, config.root, config.root_env, force=args.force)
    except FileExistsError:
        print(f"{target}: error: already exists (use --force to overwrite)", file=sys.stderr)
        return EXIT_ERROR
    except (OSError, ValueError) as exc:
        print(f"{target}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(f"wrote {written}", file=sys.stderr)
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
