"""``tmplint fix``: run the codemods over files (docs/fix.md says what each rewrite does).

Per file: read the bytes once; the detector pass (``check_paths``, as ``tmplint check`` without
its cache) decides whether there is anything to do; files whose every finding is left whatever
their syntax tree (``codemods.triage``: e.g. no workflow id anywhere in the module) are reported
without libcst; only the rest are parsed by libcst (in a process pool, ``--jobs``);
every rewritten module is compiled again before anything is written, and written atomically
(``files.atomic_write``: temp file in the same dir, fsync, ``os.replace``, mode kept). libcst keeps
the encoding (coding cookie, BOM) and the line endings; files that do not change are never
written.

Symlinks stay links: the file a link points at is the one rewritten, and a link selected together
with its target (or two links to one file) is one file, rewritten and reported once. A file
without write permission (mode bits, also as root) or in a directory where no temp file can be
created is an error (``not writable (...)``) and is left as it is; ``--diff``/``--check`` still
show it. Every file is checked and rewritten with its own project's config (its nearest
pyproject.toml, as ``tmplint check`` finds it; ``--config`` names one for all): the files are fixed
project by project. Where a Python file of the project (the config's directory, else the paths'
common parent) patches a rewritten module's ``tempfile`` (``mock.patch("pkg.mod.tempfile.mkdtemp")``),
that module keeps ``import tempfile`` (``fix_bytes(keep_imports=...)``) and the summary names the
patching line. Where a test patches one of tempfile's functions for every module
(``mock.patch.object(tempfile, "mkdtemp")``, ``mock.patch("tempfile.mkdtemp")``) and imports a
module with such a site, the site is left: rewritten, it would bypass the test's mock.

Output: ``--diff`` prints a unified diff on stdout (git style ``a/``/``b/`` paths relative to the
current dir: apply it with ``git apply`` or ``patch -p1`` from that dir) and writes nothing;
``--check`` writes nothing. Reports, errors (``path: error: ...``) and the summary go to stderr;
a progress bar (``tmplint.progress``) only when stderr is a terminal.

Positions of sites left, notes and new ``workflow_id`` parameters are given in the rewritten file
(``fix_report.Rewrite``: a left site is matched with the rewritten file's finding of the same rule, target
and source line; the rest through a line diff) when the file was written, and in the file as it is
with ``--diff``/``--check``. ``--report FILE.md`` (``fix_report.render_report``) writes markdown for the pull
request, always with the rewritten file's positions, also with ``--diff``/``--check``; it lists
the calls, found by name in the project's Python files, that do not pass ``workflow_id=`` to a
function that just got the parameter. ``--baseline FILE`` leaves the sites a ``tmplint check
--write-baseline`` file records alone (matched as ``tmplint check --baseline`` matches them).

``tmplint fix -`` (``run_fix_stdin``) fixes the source on stdin and prints it on stdout. From the
command line, a run that would rewrite a site into a helper module that is neither in the project
nor installed stops before writing anything (``--diff``/``--check`` only warn).

Exit codes: 2 when any file could not be read, parsed or rewritten, or the report could not be
written (the others are still processed), or the helper module is missing; else with ``--check``: 1 when a file would change, 0
otherwise (sites left alone do not count); else 1 when findings remain (sites that could not be
fixed and were not marked with ``--add-noqa``) or when ``--diff`` found something to change, unless
``--exit-zero`` (the ``tmplint-fix`` pre-commit hook: pre-commit fails it when it changed files,
and what is left is the gate's business); else 0.
"""
from __future__ import annotations

import ast
import difflib
import os
import re
import time
import warnings
from collections import Counter
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Collection, Dict, Iterable, Iterator, List, Optional, Sequence, TextIO, Tuple

from tmplint.baseline import Baseline, new_findings
from tmplint.check import FileResult, check_projects
from tmplint.codemods.triage import FixReport, sites_left_unparsed
from tmplint.config import Config, ProjectConfigs
from tmplint.detector import DetectorError, Finding, decode_source
from tmplint.files import FileError, atomic_write, display_path, not_writable, resolve_target
from tmplint.fix_report import FileSection, Rewrite, UnpassedCall, per_rule, render_report, short_target
from tmplint.pool import WorkerPool, release_memory, with_deep_stack
from tmplint.progress import Progress
from tmplint.project_tests import patched_modules, project_root, project_sources, resolved
from tmplint.reporters import plural, warn_no_files
from tmplint.sources import split_lines


#: a site left: (code, line, col, target, reason)
Left = Tuple[str, int, int, str, str]


@dataclass
class FileOutcome:
    #: the new bytes when the file changes
    data: Optional[bytes] = None
    fixed: List[Tuple[str, int, int, str]] = field(default_factory=list)
    left: List[Left] = field(default_factory=list)
    notes: List[Tuple[str, int, int, str, str]] = field(default_factory=list)
    noqa: int = 0
    error: Optional[str] = None
    #: the ``keep_imports`` modules whose import the rewrite would have removed
    kept_imports: List[str] = field(default_factory=list)
    #: (name, line of its ``def``) of the functions that got the ``workflow_id`` parameter
    params: List[Tuple[str, int]] = field(default_factory=list)
    #: the positions above moved to the rewritten file, when the run shows them (made by the
    #: worker, :func:`_moved_positions`)
    rewrite: Optional[Rewrite] = None

    @classmethod
    def from_report(cls, report: FixReport) -> "FileOutcome":
        return cls(
            fixed=[(o.code, o.line, o.col, o.target) for o in report.fixed],
            left=[(o.code, o.line, o.col, o.target, o.message) for o in report.left],
            notes=[(o.code, o.line, o.col, o.target, o.message) for o in report.notes],
            noqa=report.noqa_marked,
            params=[(p.name, p.line) for p in report.params_added],
        )


def fix_file(path: str, data: bytes, findings: Sequence[Finding], config: Config,
             unsafe_fixes: bool, add_noqa: bool, keep_imports: Collection[str] = (), dry: bool = True,
             with_sections: bool = False) -> FileOutcome:
    """Rewrite one file's bytes (runs in a worker process). Never raises. ``dry`` (nothing is
    written) and ``with_sections`` (a ``--report``): which positions the run shows
    (:func:`_moved_positions`)."""
    import libcst as cst

    from tmplint.codemods.api import fix_bytes

    try:
        result = fix_bytes(data, config, path=path, findings=findings, unsafe_fixes=unsafe_fixes,
                           add_noqa=add_noqa, keep_imports=keep_imports)
    except cst.ParserSyntaxError as exc:
        return FileOutcome(error=f"cannot parse with libcst: {exc.message} (line {exc.raw_line})")
    except RecursionError:
        return FileOutcome(error="internal error: too deeply nested to rewrite")
    except Exception as exc:  # a bug must cost one file, not the run
        return FileOutcome(error=f"internal error: {type(exc).__name__}: {exc}")
    outcome = FileOutcome.from_report(result.report)
    if result.changed:
        problem = _check_compiles(result.data, data, path)
        if problem is not None:
            return FileOutcome(error=f"internal error: the rewritten file would not compile ({problem}); "
                                     "left untouched")
        outcome.data = result.data
        outcome.kept_imports = sorted(result.kept_imports)
        outcome.rewrite = _moved_positions(path, data, outcome, config, dry=dry, with_sections=with_sections)
    return outcome


def _moved_positions(path: str, data: bytes, outcome: FileOutcome, config: Config, *, dry: bool,
                     with_sections: bool) -> Optional[Rewrite]:
    """The outcome's positions in the rewritten file, when the run shows them: in the report's
    sections, and in the summary of a file it writes (its left sites, notes and new parameters,
    named where they now are). Made where the file was rewritten: the lines are at hand there,
    and the workers map files side by side."""
    wanted = with_sections or (not dry and bool(outcome.left or outcome.notes or outcome.params))
    return Rewrite(path, data, outcome, config) if wanted else None


def _check_compiles(new: bytes, old: bytes, path: str) -> Optional[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarnings of the original code are not ours to print
        return _compile_problem(new, old, path)


def _compile_problem(new: bytes, old: bytes, path: str) -> Optional[str]:
    try:
        text = decode_source(new, path)
        compile(text, path, "exec", dont_inherit=True)
    except DetectorError as exc:
        return str(exc)
    except (SyntaxError, ValueError) as exc:
        message = f"{type(exc).__name__}: {getattr(exc, 'msg', exc)} (line {getattr(exc, 'lineno', '?')})"
        # a file that only the symbol table rejects (compile, not ast) was already broken
        try:
            compile(decode_source(old, path), path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError, DetectorError):
            try:
                ast.parse(text, filename=path)
                return None
            except (SyntaxError, ValueError):
                return message
        return message
    return None


#: the source bytes the workers rewrite at once, at most (one file alone may be bigger): libcst's
#: work on a file takes about 500 times its size in memory, so this bounds what the workers
#: take together to about 150 MB (a 250 KB test module alone takes 130 MB)
PARALLEL_SOURCE_BYTES = 256 * 1024


#: a file at least this big leaves a heap worth giving back to the system (about 30 MB); after a
#: smaller one, the pages a later file would take back cost more than they free
TRIM_AFTER_BYTES = 64 * 1024


def _worker(task: Tuple[str, bytes, List[Finding], Config, bool, bool, Collection[str], bool, bool]) -> FileOutcome:
    # a deep stack: a file CPython compiles is never too deeply nested to rewrite
    try:
        return with_deep_stack(fix_file, *task)
    finally:
        release_memory(trim=len(task[1]) >= TRIM_AFTER_BYTES)  # the file's trees are garbage now


# --------------------------------------------------------------------------- diff


def _lines(data: bytes) -> List[bytes]:
    parts = data.split(b"\n")
    lines = [p + b"\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def unified_diff(old: bytes, new: bytes, display: str) -> bytes:
    """A unified diff of two versions of a file, byte-exact (any encoding, CRLF, BOM, a missing
    final newline), with git-style ``a/``/``b/`` paths."""
    name = display.encode("utf-8", "surrogateescape")
    out: List[bytes] = []
    for line in difflib.diff_bytes(difflib.unified_diff, _lines(old), _lines(new),
                                   fromfile=b"a/" + name, tofile=b"b/" + name):
        out.append(line)
        if not line.endswith(b"\n"):
            out.append(b"\n\\ No newline at end of file\n")
    return b"".join(out)


def _write_out(stream: TextIO, data: bytes) -> None:
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        stream.flush()
        buffer.write(data)
        buffer.flush()
    else:
        stream.write(data.decode("utf-8", "surrogateescape"))


# --------------------------------------------------------------------------- the run


@dataclass
class _Entry:
    """One file of the run: the name it is reported under, and its check result."""
    path: Path
    result: FileResult


def _identity(path: Path) -> Optional[Tuple[int, int]]:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _is_canonical(path: Path) -> bool:
    """Whether ``path`` names its file without going through a symlink."""
    try:
        return Path(os.path.abspath(path)) == path.resolve(strict=True)
    except (OSError, RuntimeError):
        return False


def _unique_files(results: Iterable[FileResult]) -> List[_Entry]:
    """The check results, one per file: a symlink and the file it points at (or two links to
    one file) selected together are one file, reported under the file's own name when that was
    selected, else under the first link's. Hard links (two real names) stay two files."""
    entries: List[_Entry] = []
    by_key: Dict[Tuple[int, int], List[int]] = {}
    for result in results:
        path = Path(result.path)
        key = _identity(path)
        if key is not None and key in by_key:
            target = resolved(path)
            same = next((i for i in by_key[key] if resolved(entries[i].path) == target), None)
            if same is not None and target is not None:
                entry = entries[same]
                if not _is_canonical(entry.path) and _is_canonical(path):
                    entry.path = path
                continue
        if key is not None:
            by_key.setdefault(key, []).append(len(entries))
        entries.append(_Entry(path, result))
    return entries


def run_fix(
    paths: List[Path],
    config: Config,
    *,
    diff: bool,
    check: bool,
    unsafe_fixes: bool,
    add_noqa: bool,
    jobs: int,
    stdout: TextIO,
    stderr: TextIO,
    report: Optional[Path] = None,
    baseline: Optional[Baseline] = None,
    exit_zero: bool = False,
    require_helper: bool = False,
    configs: Optional[ProjectConfigs] = None,
) -> int:
    """Fix (or with ``diff``/``check``, only show) every finding under ``paths``; returns the exit code.
    ``configs``: each file's own project config, as ``tmplint check`` finds it (the command line);
    without it, ``config`` for every file. ``report``: also write a markdown report there
    (``--report``); ``baseline``: leave the sites it records alone (``--baseline``); ``exit_zero``:
    sites left (or a diff shown) do not make the exit status 1 (``--exit-zero``, what the pre-commit
    hook runs); ``require_helper``: a rewrite needs the helper module to exist (the command line's
    check, :func:`_helper_problem`). Raises ConfigError, before writing anything, when a file's
    project config is broken."""
    started = time.monotonic()
    errors = _ErrorLog(stderr)
    scan = _scan(paths, configs or _OneConfig(config), jobs, baseline, unsafe_fixes, add_noqa, errors)
    if scan.scanned == 0 and not errors.count:
        warn_no_files(stderr)
        return 0
    outcomes: List[FileOutcome] = [FileOutcome()] * len(scan.tasks)
    patchers: Dict[int, List[str]] = {}
    helper_missing = False
    for project, indexes in _projects(scan):
        done = _fix_project(scan, indexes, paths, project, unsafe_fixes, add_noqa, jobs, stderr, patchers,
                            dry=diff or check, with_sections=report is not None)
        for j, i in enumerate(indexes):
            outcomes[i] = done[j]
        if require_helper and _helper_problem(done, project, dry=diff or check, stderr=stderr):
            helper_missing = True
    if helper_missing:
        return 2

    tally = _Tally(dry=diff or check, with_sections=report is not None)
    for index, ((path, data, findings), outcome) in enumerate(zip(scan.tasks, outcomes)):
        problem = outcome.error
        if problem is None and outcome.data is not None:
            problem = _deliver(path, data, outcome.data, diff=diff, check=check, stdout=stdout)
        if problem is not None:
            errors.report(path, problem)
            tally.add_failed(path, findings, problem)
        else:
            tally.add(path, outcome, patchers.get(index, []))

    baselined = scan.baselined if baseline is not None else None
    _summary(stderr, scanned=scan.scanned, with_findings=len(scan.tasks), changed=tally.changed,
             fixed=tally.fixed_by_rule, left=tally.left, notes=tally.notes, noqa=tally.noqa_marked,
             dry=tally.dry, add_noqa=add_noqa, elapsed=time.monotonic() - started, kept=tally.kept,
             params=tally.params, baselined=baselined)
    if report is not None:
        text = _report_text(scan, outcomes, tally, paths, config, noqa=tally.noqa_marked if add_noqa else None,
                            baselined=baselined, errors=errors.count, mode=_dry_run_flag(diff=diff, check=check))
        _write_report(report, text, errors, stderr)
    return _exit_status(errors=errors.count, diff=diff, check=check, changed=tally.changed,
                        remaining=len(tally.left) - tally.noqa_marked, exit_zero=exit_zero)


class _OneConfig(ProjectConfigs):
    """One config for every file (``run_fix`` called without a project's configs)."""

    def __init__(self, config: Config) -> None:
        super().__init__()
        self._config = config

    def for_directory(self, directory: Path) -> Config:
        return self._config


def _projects(scan: "_Scan") -> Iterator[Tuple[Config, List[int]]]:
    """The tasks of each project config (by its pyproject.toml), in the order first met."""
    groups: Dict[Optional[Path], Tuple[Config, List[int]]] = {}
    for index, config in enumerate(scan.configs):
        groups.setdefault(config.source, (config, []))[1].append(index)
    yield from groups.values()


def _fix_project(scan: "_Scan", indexes: List[int], paths: Sequence[Path], config: Config, unsafe_fixes: bool,
                 add_noqa: bool, jobs: int, stderr: TextIO, patchers: Dict[int, List[str]], *, dry: bool,
                 with_sections: bool) -> List[FileOutcome]:
    """The outcomes of one project's tasks (``indexes`` of ``scan``'s), rewritten with its config;
    the files whose ``tempfile`` a test of the project patches are added to ``patchers`` (by task
    index). (Sites a test patches for every module were marked by the detector pass: see
    :func:`tmplint.check.check_projects`.) ``dry``, ``with_sections``: see :func:`fix_file`."""
    tasks = [scan.tasks[i] for i in indexes]
    settled = {j: scan.settled[i] for j, i in enumerate(indexes) if i in scan.settled}
    # only a file libcst rewrites can lose an import that a test patches
    rewritable = len(settled) < len(tasks)
    found = patched_modules([path for path, _, _ in tasks], paths, config) if rewritable else {}
    keep = {index: ("tempfile",) for index in found}
    outcomes = _run_tasks(tasks, config, unsafe_fixes, add_noqa, jobs, stderr, settled, keep, dry=dry,
                          with_sections=with_sections)
    for j, i in enumerate(indexes):
        if j in found:
            patchers[i] = found[j]
    return outcomes


def _helper_problem(outcomes: Sequence[FileOutcome], config: Config, *, dry: bool, stderr: TextIO) -> bool:
    """Whether the run must stop before writing anything: a site would be rewritten into a call of
    a helper module that does not exist. A dry run (``--diff``/``--check``) writes nothing, so it
    only warns."""
    from tmplint.helper import missing_helper_error

    if not any(outcome.fixed and outcome.data is not None for outcome in outcomes):
        return False
    problem = missing_helper_error(config.helper_module, config.root_dir)
    if problem is None:
        return False
    stderr.write((problem.replace(": error: ", ": warning: ", 1) if dry else problem) + "\n")
    return not dry


def run_fix_stdin(
    filename: Optional[str], config: Config, *, diff: bool, check: bool, unsafe_fixes: bool, add_noqa: bool,
    stdin: TextIO, stdout: TextIO, stderr: TextIO, baseline: Optional[Baseline] = None, exit_zero: bool = False,
) -> int:
    """``tmplint fix -``: the source on stdin, fixed, on stdout (as ``ruff check --fix -`` does; with
    ``diff`` a diff, with ``check`` nothing). ``filename`` (``--stdin-filename``) names it in reports
    and for the excludes; an excluded file, or one that cannot be fixed, comes out as it went in.
    The summary and the sites left go to stderr; exit codes as for files."""
    from tmplint.files import is_excluded

    data = stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read().encode("utf-8")
    name = filename or "-"
    if filename and config.force_exclude and is_excluded(Path(filename), config):
        _show_stdin_result(stdout, data, data, name, diff=diff, check=check)
        return 0
    started = time.monotonic()
    findings, skipped, outcome, problem = _fix_stdin_source(data, name, config, baseline, unsafe_fixes, add_noqa,
                                                            dry=diff or check)
    if problem is None and _helper_problem([outcome], config, dry=diff or check, stderr=stderr):
        problem = "not rewritten: the helper module is missing"
    new = outcome.data if problem is None and outcome.data is not None else data
    _show_stdin_result(stdout, data, new, name, diff=diff, check=check)
    if problem is not None:
        stderr.write(f"{name}: error: {problem}\n")
        return 2
    tally = _Tally(dry=diff or check, with_sections=False)
    tally.add(Path(name), outcome, [])
    _summary(stderr, scanned=1, with_findings=1 if findings else 0, changed=tally.changed,
             fixed=tally.fixed_by_rule, left=tally.left, notes=tally.notes, noqa=tally.noqa_marked,
             dry=tally.dry, add_noqa=add_noqa, elapsed=time.monotonic() - started, params=tally.params,
             baselined=skipped if baseline is not None else None)
    return _exit_status(errors=0, diff=diff, check=check, changed=tally.changed,
                        remaining=len(tally.left) - tally.noqa_marked, exit_zero=exit_zero)


def _fix_stdin_source(data: bytes, name: str, config: Config, baseline: Optional[Baseline], unsafe_fixes: bool,
                      add_noqa: bool, *, dry: bool) -> Tuple[List[Finding], int, FileOutcome, Optional[str]]:
    """The findings to fix in ``data``, how many the baseline skipped, the outcome, and the problem
    that stops it (cannot be read, parsed or rewritten), if any."""
    from tmplint.check import check_data

    result = check_data(data, name, config)
    result.data = data
    findings = _findings_to_fix(result, baseline)
    outcome = fix_file(name, data, findings, config, unsafe_fixes, add_noqa, dry=dry) if findings else FileOutcome()
    return findings, len(result.findings) - len(findings), outcome, result.error or outcome.error


def _show_stdin_result(stdout: TextIO, old: bytes, new: bytes, name: str, *, diff: bool, check: bool) -> None:
    """What ``tmplint fix -`` prints: the source (fixed or not), a diff with ``diff``, nothing with ``check``."""
    if diff:
        if new != old:
            _write_out(stdout, unified_diff(old, new, name))
    elif not check:
        _write_out(stdout, new)


#: one file to rewrite: its path, its bytes, the findings to fix
_Task = Tuple[Path, bytes, List[Finding]]


class _ErrorLog:
    """The ``path: error: ...`` lines on stderr, counted for the exit status."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.count = 0

    def report(self, path: Path, message: str) -> None:
        self.count += 1
        self.stream.write(f"{display_path(path)}: error: {message}\n")


@dataclass
class _Scan:
    """What the detector pass found to do."""
    tasks: List[_Task] = field(default_factory=list)
    #: by task index: the config of the task's file (its project's)
    configs: List[Config] = field(default_factory=list)
    #: by task index: the outcomes known without libcst (``codemods.triage``)
    settled: Dict[int, FileOutcome] = field(default_factory=dict)
    scanned: int = 0
    baselined: int = 0


def _scan(paths: List[Path], configs: ProjectConfigs, jobs: int, baseline: Optional[Baseline], unsafe_fixes: bool,
          add_noqa: bool, errors: _ErrorLog) -> _Scan:
    """Check every file under ``paths`` (each file once, with its project's config) and triage
    the ones with findings."""
    scan = _Scan()
    # no result cache: --diff and --check write nothing, and a fix changes the files anyway
    results = check_projects(paths, configs, jobs, use_cache=False, keep_data=True, stream=errors.stream,
                             rewritten=lambda finding: finding.fixable or (unsafe_fixes and not finding.reason))
    for entry in _unique_files(results):
        result = entry.result
        if result.error is not None:
            errors.report(entry.path, result.error)
            continue
        scan.scanned += 1
        findings = _findings_to_fix(result, baseline)
        scan.baselined += len(result.findings) - len(findings)
        if not findings:
            continue
        assert result.data is not None
        config = configs.for_directory(Path(result.path).parent)
        triaged = sites_left_unparsed(result.data, result.path, findings, config, unsafe_fixes, add_noqa)
        if triaged is not None:  # every site is left whatever the tree: libcst need not parse it
            scan.settled[len(scan.tasks)] = FileOutcome.from_report(triaged)
        scan.tasks.append((entry.path, result.data, findings))
        scan.configs.append(config)
    return scan


def _findings_to_fix(result: FileResult, baseline: Optional[Baseline]) -> List[Finding]:
    """``result``'s findings without those ``baseline`` records, matched as ``tmplint check
    --baseline`` matches them."""
    if baseline is None or not result.findings:
        return result.findings
    assert result.data is not None
    sources: Dict[str, str] = {}
    try:
        text = decode_source(result.data, result.findings[0].path)
    except DetectorError:  # pragma: no cover - the detector decoded these very bytes
        pass
    else:
        sources = {finding.path: text for finding in result.findings}
    return new_findings(result.findings, baseline, sources)


def _deliver(path: Path, old: bytes, new: bytes, *, diff: bool, check: bool, stdout: TextIO) -> Optional[str]:
    """Show a file's new bytes as a diff (``diff``), or write them (neither ``diff`` nor ``check``);
    the problem that stopped it, if any."""
    try:
        # a symlink stays a link: the file it points at is the one rewritten
        target = resolve_target(path)
    except FileError as exc:
        return str(exc)
    if diff:
        _write_out(stdout, unified_diff(old, new, display_path(target)))
        return None
    if check:
        return None
    reason = not_writable(target)
    if reason is not None:
        return f"not writable ({reason})"
    try:
        atomic_write(target, new)
    except FileError as exc:
        return str(exc)
    return None


def _site_line(shown: str, code: str, line: int, col: int, target: str, reason: str) -> str:
    """A site left or a note, as the summary lists it."""
    return f"{shown}:{line}:{col + 1}: {code} {short_target(target)}: {reason}"


class _Tally:
    """What the run did to each file: the summary's lines and counts, and the report's sections."""

    def __init__(self, *, dry: bool, with_sections: bool) -> None:
        self.dry = dry
        self.with_sections = with_sections
        self.fixed_by_rule: Counter = Counter()
        self.left: List[str] = []
        self.notes: List[str] = []
        self.params: List[str] = []
        self.kept: List[str] = []
        self.sections: List[FileSection] = []
        self.changed = 0
        self.noqa_marked = 0

    def add_failed(self, path: Path, findings: Sequence[Finding], problem: str) -> None:
        """A file left as it was: each of its findings is a site left."""
        shown = display_path(path)
        section = FileSection(shown, error=problem)
        for finding in findings:
            self.left.append(_site_line(shown, finding.code, finding.line, finding.col, finding.target,
                                        "not rewritten (see the error above)"))
            section.left.append((finding.code, finding.line, finding.col, finding.target,
                                 "not rewritten (see the error)"))
        self.sections.append(section)

    def add(self, path: Path, outcome: FileOutcome, patched_by: List[str]) -> None:
        shown = display_path(path)
        if outcome.data is not None:
            self.changed += 1
        # positions in the rewritten file (the original's are stale once lines were inserted)
        view = outcome.rewrite
        # the stderr summary gives positions in the file as it now is on disk
        on_disk = view if view is not None and not self.dry else outcome
        self.fixed_by_rule.update(code for code, _line, _col, _target in outcome.fixed)
        self.left += [_site_line(shown, *site) for site in on_disk.left]
        self.notes += [_site_line(shown, *note) for note in on_disk.notes]
        self.params += [f"{shown}:{line} {name}()" for name, line in on_disk.params]
        self.kept += [f"kept import {module} in {shown}: patched by {', '.join(patched_by)}"
                      for module in outcome.kept_imports]
        self.noqa_marked += outcome.noqa
        if self.with_sections:
            self.sections.append(FileSection.build(shown, outcome, view, patched_by if view else []))


def _dry_run_flag(*, diff: bool, check: bool) -> Optional[str]:
    """The option that kept the run from writing, as the report names it."""
    if check:
        return "--check"
    return "--diff" if diff else None


def _report_text(scan: _Scan, outcomes: Sequence[FileOutcome], tally: _Tally, paths: Sequence[Path],
                 config: Config, *, noqa: Optional[int], baselined: Optional[int], errors: int, mode: Optional[str]) -> str:
    """The ``--report`` markdown, with the calls that do not pass a new ``workflow_id`` looked up
    in each project's files as this run leaves them. ``config``: the run's, for the helper's name
    when no file had findings."""
    overrides = {os.path.realpath(path): outcome.data for (path, _, _), outcome in zip(scan.tasks, outcomes)
                 if outcome.data is not None and outcome.error is None}
    names = {name for s in tally.sections for name, _ in s.params}
    calls: Dict[str, List[UnpassedCall]] = {name: [] for name in names}
    helpers: List[str] = []
    for config, _indexes in _projects(scan):
        for name, found in _unpassed_calls(names, project_root(paths, config), config, overrides).items():
            calls[name] = sorted(set(calls[name]) | set(found))
        helpers.append(config.helper_module)
    return render_report(tally.sections, calls, scanned=scan.scanned, with_findings=len(scan.tasks),
                         changed=tally.changed, fixed=tally.fixed_by_rule, noqa=noqa, baselined=baselined,
                         errors=errors, mode=mode, helper=", ".join(dict.fromkeys(helpers)) or config.helper_module)


def _write_report(report: Path, text: str, errors: _ErrorLog, stderr: TextIO) -> None:
    try:
        atomic_write(report, text.encode("utf-8"))
    except FileError as exc:
        errors.report(report, f"cannot write the report: {exc}")
    else:
        stderr.write(f"tmplint fix: report written to {display_path(report)}\n")


def _exit_status(*, errors: int, diff: bool, check: bool, changed: int, remaining: int, exit_zero: bool) -> int:
    """The exit code (the module docstring gives the rules)."""
    if errors:
        return 2
    if check:  # the pre-commit hook's question: would a file change?
        return 1 if changed else 0
    if (remaining > 0 or (diff and changed)) and not exit_zero:
        return 1
    return 0


# --------------------------------------------------------------------------- the project's callers of a function
# given a new workflow_id parameter


def _unpassed_calls(names: Collection[str], root: Path, config: Config,
                    overrides: Dict[str, bytes]) -> Dict[str, List[UnpassedCall]]:
    """By function name: the calls ``name(...)`` / ``x.name(...)`` in the project's Python files
    (matched by name only) that do not pass ``workflow_id=``. ``overrides``: the bytes a file
    has after this run (by real path), for ``--diff``/``--check``, which write nothing."""
    found: Dict[str, List[UnpassedCall]] = {name: [] for name in names}
    if not names:
        return found
    quick = re.compile(rb"(?<![\w])(?:" + b"|".join(re.escape(n.encode()) for n in sorted(names)) + rb")\s*\(")
    for path, data in project_sources(root, config, overrides):
        if not quick.search(data):
            continue
        try:
            text = decode_source(data, str(path))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(text, filename=str(path))
        except (DetectorError, SyntaxError, ValueError, RecursionError):
            continue
        lines = split_lines(text)
        shown = display_path(path)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name not in found or any(k.arg == "workflow_id" for k in node.keywords):
                continue
            source = lines[node.lineno - 1].strip() if node.lineno <= len(lines) else ""
            found[name].append((shown, node.lineno, source, any(k.arg is None for k in node.keywords)))
    for calls in found.values():
        calls.sort()
    return found


def _run_tasks(tasks: List[Tuple[Path, bytes, List[Finding]]], config: Config, unsafe_fixes: bool,
               add_noqa: bool, jobs: int, stderr: TextIO, settled: Dict[int, FileOutcome],
               keep: Optional[Dict[int, Collection[str]]] = None, *, dry: bool = True,
               with_sections: bool = False) -> List[FileOutcome]:
    """Every task's outcome: ``settled`` ones as they are, the others from libcst, in a pool.
    ``keep``: per task, the modules whose imports must stay (``fix_bytes(keep_imports=...)``);
    ``dry``, ``with_sections``: see :func:`fix_file`."""
    results: Dict[int, FileOutcome] = dict(settled)
    keep = keep or {}
    payloads = {index: (str(path), data, findings, config, unsafe_fixes, add_noqa, tuple(keep.get(index, ())), dry,
                        with_sections)
                for index, (path, data, findings) in enumerate(tasks) if index not in settled}
    progress = Progress(len(payloads), "fixing", stream=stderr)
    workers = min(jobs if jobs and jobs > 0 else (os.cpu_count() or 1), len(payloads))
    try:
        if workers <= 1:
            for index, payload in payloads.items():
                results[index] = _worker(payload)
                progress.advance()
        else:
            try:
                with WorkerPool(workers) as pool:
                    sizes = {index: len(payload[1]) for index, payload in payloads.items()}
                    for index, future in pool.run_within(_worker, payloads, sizes, PARALLEL_SOURCE_BYTES):
                        try:
                            results[index] = pool.result(future)
                        except BrokenProcessPool:
                            results[index] = FileOutcome(error="internal error: the worker process died")
                        except Exception as exc:  # pragma: no cover - fix_file never raises
                            results[index] = FileOutcome(error=f"internal error: {type(exc).__name__}: {exc}")
                        progress.advance()
            except (BrokenProcessPool, OSError) as exc:  # pragma: no cover - no pool on this platform
                for index in payloads:
                    if index not in results:
                        results[index] = FileOutcome(error=f"internal error: worker pool failed: {exc}")
    finally:
        progress.close()
    return [results[i] for i in range(len(tasks))]


def _summary(stream: TextIO, *, scanned: int, with_findings: int, changed: int, fixed: Counter,
             left: List[str], notes: List[str], noqa: int, dry: bool, add_noqa: bool, elapsed: float,
             kept: Sequence[str] = (), params: Sequence[str] = (), baselined: Optional[int] = None) -> None:
    total_fixed = sum(fixed.values())
    by_rule = per_rule(fixed)
    verb_files = "would change" if dry else "changed"
    verb_sites = "would be fixed" if dry else "fixed"
    stream.write(
        f"tmplint fix: {plural(scanned, 'file')} scanned, {with_findings} with findings, {changed} {verb_files}; "
        f"{plural(total_fixed, 'site')} {verb_sites}" + (f" ({by_rule})" if by_rule else "")
        + f", {len(left)} left" + (f" ({noqa} marked with # noqa)" if add_noqa else "")
        + (f", {plural(baselined, 'baselined site')} skipped" if baselined is not None else "")
        + f" [{elapsed:.2f}s]\n"
    )
    for title, lines in (
        ("sites left (not rewritten)", left),
        ("lifetimes kept as they were (no cleanup added)", notes),
        ("workflow_id parameter " + ("would be added" if dry else "added") + " to", params),
        ("imports kept because tests patch them (the rewritten sites no longer use them)", kept),
    ):
        if lines:
            stream.write(f"{title}:\n" + "".join(f"  {line}\n" for line in lines))
