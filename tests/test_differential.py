"""Differential test of the real ``tmplint init`` + ``tmplint fix`` command line.

Every case ``tests/fixtures/differential/<case>.py`` is a small self-contained program (standard
library only, ending in ``if __name__ == "__main__": main()``) that prints only deterministic
output (booleans, contents, sizes, exception types; never a path or a random name). The test:

1. copies it to ``tmp_path/orig/prog.py`` and ``tmp_path/fixed/prog.py``, plus every file of the
   optional sibling directory ``tests/fixtures/differential/<case>/`` into both (extra modules the
   program imports, e.g. the module of a ``workflow-id-fallback`` expression; these are not fixed).
   ``@TMPDIR@`` in the case file is replaced, in each copy, by the ``TMPDIR`` that copy will run
   with (see "The @TMPDIR@ placeholder" below);
2. in ``fixed/`` writes ``pyproject.toml`` with the case's ``[tool.tmplint]`` table, runs
   ``python -m tmplint init`` (writes ``temp_paths.py`` there) and ``python -m tmplint fix prog.py``;
3. runs both programs with ``sys.executable prog.py``, cwd = their own directory, umask 0o022,
   each with its own fresh empty ``TMPDIR``/``TMP``/``TEMP`` and its own fresh empty
   ``WORKFLOW_TEMP_ROOT`` (both under ``tmp_path``), a timeout, and no ``PYTHON*`` variables from
   the environment (``PYTHONHASHSEED=0``, ``PYTHONDONTWRITEBYTECODE=1``);
4. asserts the same exit status, the same stdout, the same exceptions (every unindented line of
   a traceback on stderr, chained exceptions included; see ``Run.exceptions``), that the original printed something (a case cannot pass on two empty
   outputs), that the FIXED program left nothing at all in its ``TMPDIR``, and that the ORIGINAL
   program left nothing in its ``$WORKFLOW_TEMP_ROOT`` (it does not know the helper), plus what
   the header asks for. On failure it prints the diff tmplint made, tmplint's output and the
   output of both programs.

Header format
-------------
The header is the leading block of comment (and blank) lines of the case file; it ends at the
first line of code. Only two kinds of lines in it mean something, every other comment is prose:

``# tmplint: <TOML line>``
    one line of the ``[tool.tmplint]`` table, verbatim, e.g.
    ``# tmplint: add-workflow-param = true``. When no such line sets ``workflow-id-fallback``,
    ``workflow-id-fallback = '"shared"'`` is added (unless ``default-fallback = no``).

``# differential: <key> = <value>`` with these keys:

``expect-change = yes|no`` (required)
    whether ``tmplint fix`` must change ``prog.py`` (so a case cannot pass vacuously).
``clean-workflow-root = yes|no`` (default ``no``)
    the fixed program must leave nothing in any ``$WORKFLOW_TEMP_ROOT/<id>/tmp/`` directory.
    Every case says what the job dirs hold afterwards: ``clean-workflow-root = yes``, a
    ``job-leaves`` count, or ``workflow-root = unusable``.
``workflow-dirs = <id>, <id>, ...`` (default: not checked)
    after the fixed run, the entries directly under ``$WORKFLOW_TEMP_ROOT`` (the job
    directories the helper made) must be exactly these ids: the rewrite used the ids the
    program holds, not a fallback. ``workflow-dirs =`` (empty) means none at all.
``workflow-root = usable|unusable`` (default ``usable``)
    ``unusable`` points ``WORKFLOW_TEMP_ROOT`` (for both programs) at a path below a regular
    file, which can never be created (the tests run as root, so a read-only dir would not do).
``default-fallback = yes|no`` (default ``yes``)
    ``no``: do not add the default ``workflow-id-fallback``.
``fix-args = <args>`` (default none)
    extra arguments for ``tmplint fix``, split on whitespace, e.g. ``--unsafe-fixes``.
``no-sites-left = yes|no`` (default ``no``)
    ``yes``: ``tmplint fix`` must rewrite every site it finds: its summary (stderr) says
    ``0 left`` and has no ``sites left (not rewritten):`` section.
``exit-status = <int>`` (default: not checked beyond "the same for both")
    both programs must exit with this status (``0``: neither may fail).
``original-leaves = <N>`` (default: not checked)
    the ORIGINAL program leaves exactly N entries directly in its ``TMPDIR`` (top level only: a
    directory counts as one, whatever is inside it).
``job-leaves = <M>`` (default: not checked)
    the FIXED program leaves exactly M entries directly in the ``$WORKFLOW_TEMP_ROOT/<id>/tmp/``
    directories, summed over the ids (top level only, as for ``original-leaves``).
    ``job-leaves = 0`` is weaker than ``clean-workflow-root = yes`` only in not looking below the
    top level; the two cannot be combined with M > 0.

The @TMPDIR@ placeholder
------------------------
A case that writes to literal temp paths (``open("@TMPDIR@/result.json", "w")``) spells the
system temp dir ``@TMPDIR@``, so the test never touches the real ``/tmp``. Each program has its
own ``TMPDIR`` (``tmp_path/run-orig/tmpdir``, ``tmp_path/run-fixed/tmpdir``), so the placeholder is
replaced per copy: the original's copy gets the original run's ``TMPDIR``, the fixed copy gets the
fixed run's ``TMPDIR``, before ``tmplint fix`` runs. For the detector to see those literals as temp
paths, the fixed copy's ``pyproject.toml`` gets ``temp-dirs = [<fixed run's TMPDIR>, ...]``: that
path first (``temp-dirs`` match in order, first match wins, and ``tmp_path`` is usually itself below
``/tmp``), then the ``temp-dirs`` of a ``# tmplint: temp-dirs = [...]`` line if the header has one,
else tmplint's default temp dirs. A literal the fix leaves alone therefore writes into the fixed
run's ``TMPDIR`` and fails the "nothing left in TMPDIR" check.

Run: ``python -m pytest -q tests/test_differential.py``; with ``TMPLINT_DIFFERENTIAL_SHOW=1`` and ``-s``
the report (diff, outputs) is printed for passing cases too.
"""
from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional

import pytest

from tmplint.config import DEFAULT_TEMP_DIRS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CASES_DIR = Path(__file__).parent / "fixtures" / "differential"
CASES = sorted(CASES_DIR.glob("*.py"))
TIMEOUT = 600  # a hang guard: a slow machine must not turn a result into "timeout"
DEFAULT_FALLBACK = "workflow-id-fallback = '\"shared\"'"
TMPLINT = [sys.executable, "-m", "tmplint"]
PLACEHOLDER = "@TMPDIR@"
_TRACEBACK_FRAMING = frozenset({
    "Traceback (most recent call last):",
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
})
_LEFT_COUNT = re.compile(r"^tmplint fix: .*?, (\d+) left\b", re.MULTILINE)


# ------------------------------------------------------------------ header


@dataclass
class Header:
    config: List[str] = field(default_factory=list)
    expect_change: Optional[bool] = None
    clean_workflow_root: bool = False
    workflow_dirs: Optional[FrozenSet[str]] = None
    workflow_root_usable: bool = True
    default_fallback: bool = True
    fix_args: List[str] = field(default_factory=list)
    no_sites_left: bool = False
    exit_status: Optional[int] = None
    original_leaves: Optional[int] = None
    job_leaves: Optional[int] = None

    def toml(self, placeholder_dir: Optional[str] = None) -> str:
        """The ``[tool.tmplint]`` table; ``placeholder_dir`` (what ``@TMPDIR@`` became in the fixed
        copy) goes first in ``temp-dirs``, before the header's own or the default temp dirs."""
        lines = list(self.config)
        sets_fallback = any(line.split("=")[0].strip() == "workflow-id-fallback" for line in lines)
        if self.default_fallback and not sets_fallback:
            lines.append(DEFAULT_FALLBACK)
        if placeholder_dir is not None:
            own = [line for line in lines if line.split("=")[0].strip() == "temp-dirs"]
            dirs = list(tomllib.loads(own[-1])["temp-dirs"]) if own else list(DEFAULT_TEMP_DIRS)
            lines = [line for line in lines if line not in own]
            lines.append("temp-dirs = " + json.dumps([placeholder_dir] + [d for d in dirs if d != placeholder_dir]))
        return "[tool.tmplint]\n" + "".join(line + "\n" for line in lines)


def _yes_no(key: str, value: str) -> bool:
    if value not in ("yes", "no"):
        raise ValueError(f"{key} must be yes or no, not {value!r}")
    return value == "yes"


def _count(key: str, value: str) -> int:
    if not value.isdigit():
        raise ValueError(f"{key} must be a non-negative integer, not {value!r}")
    return int(value)


def parse_header(text: str, where: str) -> Header:
    header = Header()
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            break
        if stripped.startswith("# tmplint:"):
            header.config.append(stripped[len("# tmplint:"):].strip())
        elif stripped.startswith("# differential:"):
            key, sep, value = stripped[len("# differential:"):].partition("=")
            key, value = key.strip(), value.strip()
            if not sep:
                raise ValueError(f"{where}: expected `# differential: key = value`: {line!r}")
            if key == "expect-change":
                header.expect_change = _yes_no(key, value)
            elif key == "clean-workflow-root":
                header.clean_workflow_root = _yes_no(key, value)
            elif key == "workflow-dirs":
                header.workflow_dirs = frozenset(v.strip() for v in value.split(",") if v.strip())
            elif key == "workflow-root":
                if value not in ("usable", "unusable"):
                    raise ValueError(f"{where}: workflow-root must be usable or unusable, not {value!r}")
                header.workflow_root_usable = value == "usable"
            elif key == "default-fallback":
                header.default_fallback = _yes_no(key, value)
            elif key == "fix-args":
                header.fix_args = value.split()
            elif key == "no-sites-left":
                header.no_sites_left = _yes_no(key, value)
            elif key == "exit-status":
                try:
                    header.exit_status = int(value)
                except ValueError:
                    raise ValueError(f"{where}: exit-status must be an integer, not {value!r}") from None
            elif key == "original-leaves":
                header.original_leaves = _count(key, value)
            elif key == "job-leaves":
                header.job_leaves = _count(key, value)
            else:
                raise ValueError(f"{where}: unknown header key {key!r}")
    if header.expect_change is None:
        raise ValueError(f"{where}: the header must say `# differential: expect-change = yes|no`")
    if not header.workflow_root_usable and (header.clean_workflow_root or header.workflow_dirs is not None
                                            or header.job_leaves is not None):
        raise ValueError(f"{where}: workflow-root = unusable cannot be checked for leftovers or dirs")
    if header.clean_workflow_root and header.job_leaves:
        raise ValueError(f"{where}: clean-workflow-root = yes contradicts job-leaves = {header.job_leaves}")
    if header.workflow_root_usable and not header.clean_workflow_root and header.job_leaves is None:
        raise ValueError(f"{where}: say what the job dirs hold afterwards: clean-workflow-root = yes, "
                         "job-leaves = N or workflow-root = unusable")
    return header


# ------------------------------------------------------------------ running


@dataclass
class Run:
    returncode: object  # int, or "timeout"
    stdout: str
    stderr: str
    tmpdir_left: List[str]
    tmpdir: Path
    root: Path

    @property
    def exceptions(self) -> List[str]:
        """The exception lines of stderr: every unindented line but the ``Traceback`` headers and
        the chaining notes, so a chained exception (``During handling of the above exception…``)
        is compared as well as the last one. Stack lines are indented and hold paths, so they are
        left out; an exception message never holds a path in the cases."""
        return [line for line in self.stderr.splitlines()
                if line.strip() and not line[0].isspace() and line not in _TRACEBACK_FRAMING]


def _tree(directory: Path) -> List[str]:
    if not directory.is_dir():
        return []
    return sorted(p.relative_to(directory).as_posix() + ("/" if p.is_dir() else "") for p in directory.rglob("*"))


def _clean_env(**extra: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYTHON") and k not in ("TMPDIR", "TMP", "TEMP", "WORKFLOW_TEMP_ROOT")}
    env.update(PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1", PYTHONIOENCODING="utf-8")
    env.update(extra)
    return env


def _sandbox_root(sandbox: Path, usable: bool) -> Path:
    if usable:
        root = sandbox / "workflows"
        root.mkdir()
        return root
    blocker = sandbox / "not-a-dir"
    blocker.write_text("a regular file: nothing can ever be created below it\n")
    return blocker / "workflows"


def sandbox_tmpdir(sandbox: Path) -> Path:
    """The ``TMPDIR`` a program run in ``sandbox`` gets (known before the run: ``@TMPDIR@``)."""
    return sandbox / "tmpdir"


def run_program(workdir: Path, sandbox: Path, usable_root: bool) -> Run:
    sandbox.mkdir()
    tmpdir = sandbox_tmpdir(sandbox)
    tmpdir.mkdir()
    root = _sandbox_root(sandbox, usable_root)
    env = _clean_env(TMPDIR=str(tmpdir), TMP=str(tmpdir), TEMP=str(tmpdir), WORKFLOW_TEMP_ROOT=str(root))
    try:
        proc = subprocess.run([sys.executable, "prog.py"], cwd=workdir, env=env, capture_output=True,
                              text=True, timeout=TIMEOUT, umask=0o022)
        returncode, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:
        def text(data) -> str:
            return data.decode("utf-8", "replace") if isinstance(data, bytes) else (data or "")
        returncode, stdout, stderr = "timeout", text(exc.stdout), text(exc.stderr)
    return Run(returncode, stdout, stderr, _tree(tmpdir), tmpdir, root)


def run_tmplint(args: List[str], cwd: Path, sandbox: Path) -> subprocess.CompletedProcess:
    tool_tmp = sandbox / "tmplint-tmp"
    tool_tmp.mkdir(parents=True, exist_ok=True)
    env = _clean_env(TMPDIR=str(tool_tmp), TMPLINT_CACHE_DIR=str(sandbox / "tmplint-cache"))
    return subprocess.run(TMPLINT + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT)


def _entries(directory: Path) -> List[str]:
    """The names directly in ``directory`` (none if it does not exist)."""
    return sorted(p.name for p in directory.iterdir()) if directory.is_dir() else []


def _job_tmp_entries(root: Path) -> List[str]:
    """``<id>/tmp/<name>`` for the entries directly in each job's tmp dir under ``root``."""
    if not root.is_dir():
        return []
    return [f"{job.name}/tmp/{name}" for job in sorted(root.iterdir()) for name in _entries(job / "tmp")]


def _job_tmp_left(root: Path) -> List[str]:
    if not root.is_dir():
        return []
    return [f"{job.name}/tmp/{entry}" for job in sorted(root.iterdir()) for entry in _tree(job / "tmp")]


def _block(title: str, body: str) -> str:
    return f"\n----- {title} -----\n{body.rstrip()}\n" if body.strip() else f"\n----- {title}: (empty) -----\n"


def _report(diff: str, fix_out: str, orig: Run, fixed: Run) -> str:
    out = _block("diff made by tmplint fix", diff) + _block("tmplint init/fix output", fix_out)
    for name, run in (("original", orig), ("fixed", fixed)):
        out += _block(f"{name}: exit status {run.returncode}, stdout", run.stdout)
        out += _block(f"{name}: stderr", run.stderr)
        out += _block(f"{name}: left in TMPDIR", "\n".join(run.tmpdir_left))
    out += _block("fixed: left in $WORKFLOW_TEMP_ROOT", "\n".join(_tree(fixed.root)))
    if _tree(orig.root):
        out += _block("original: left in $WORKFLOW_TEMP_ROOT", "\n".join(_tree(orig.root)))
    return out


# ------------------------------------------------------------------ tests


def test_cases_are_laid_out_right():
    assert len(CASES) >= 18
    stems = {case.stem for case in CASES}
    for extra in CASES_DIR.iterdir():
        if extra.is_dir() and extra.name != "__pycache__":
            assert extra.name in stems, f"{extra} has no case file {extra.name}.py"
    for case in CASES:
        text = case.read_text(encoding="utf-8")
        parse_header(text, case.name)
        assert text.rstrip().endswith('if __name__ == "__main__":\n    main()'), case.name


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_fix_keeps_behaviour(case: Path, tmp_path: Path) -> None:
    source = case.read_text(encoding="utf-8")
    header = parse_header(source, case.name)
    extras = CASES_DIR / case.stem

    # each copy gets its own run's TMPDIR for @TMPDIR@; the fixed one is also a configured temp dir
    sandboxes = {"orig": tmp_path / "run-orig", "fixed": tmp_path / "run-fixed"}
    uses_placeholder = PLACEHOLDER in source
    dirs, inputs = {}, {}
    for name in ("orig", "fixed"):
        directory = tmp_path / name
        directory.mkdir()
        if extras.is_dir():
            shutil.copytree(extras, directory, dirs_exist_ok=True)
        inputs[name] = source.replace(PLACEHOLDER, str(sandbox_tmpdir(sandboxes[name])))
        (directory / "prog.py").write_text(inputs[name], encoding="utf-8")
        dirs[name] = directory
    fixed_dir = dirs["fixed"]
    placeholder_dir = str(sandbox_tmpdir(sandboxes["fixed"])) if uses_placeholder else None
    (fixed_dir / "pyproject.toml").write_text(header.toml(placeholder_dir), encoding="utf-8")

    tool = tmp_path / "tool"
    init = run_tmplint(["init"], fixed_dir, tool)
    fix = run_tmplint(["fix", *header.fix_args, "prog.py"], fixed_dir, tool)
    fix_out = (f"$ tmplint init -> {init.returncode}\n{init.stdout}{init.stderr}"
               f"$ tmplint fix {' '.join(header.fix_args + ['prog.py'])} -> {fix.returncode}\n{fix.stdout}{fix.stderr}")
    fixed_input = inputs["fixed"]
    fixed_source = (fixed_dir / "prog.py").read_text(encoding="utf-8")
    diff = "".join(difflib.unified_diff(fixed_input.splitlines(True), fixed_source.splitlines(True),
                                        "fixed/prog.py (before)", "fixed/prog.py"))

    orig = run_program(dirs["orig"], sandboxes["orig"], header.workflow_root_usable)
    fixed = run_program(fixed_dir, sandboxes["fixed"], header.workflow_root_usable)

    problems: List[str] = []
    if init.returncode != 0:
        problems.append(f"tmplint init exited {init.returncode}")
    if fix.returncode not in (0, 1):
        problems.append(f"tmplint fix exited {fix.returncode}")
    if header.expect_change and fixed_source == fixed_input:
        problems.append("tmplint fix did not change prog.py (expect-change = yes)")
    if not header.expect_change and fixed_source != fixed_input:
        problems.append("tmplint fix changed prog.py (expect-change = no)")
    if header.no_sites_left:
        fix_text = fix.stdout + fix.stderr
        counts = _LEFT_COUNT.findall(fix_text)
        if counts != ["0"] or "sites left (not rewritten):" in fix_text:
            problems.append(f"tmplint fix left sites (no-sites-left = yes): summary says {counts or 'nothing'} left")
    if header.exit_status is not None and (orig.returncode, fixed.returncode) != (header.exit_status,) * 2:
        problems.append(f"exit status: original {orig.returncode}, fixed {fixed.returncode}, "
                        f"expected {header.exit_status} (exit-status)")
    if orig.returncode != fixed.returncode:
        problems.append(f"exit status differs: original {orig.returncode}, fixed {fixed.returncode}")
    if orig.exceptions != fixed.exceptions:
        problems.append(f"exceptions differ: original {orig.exceptions!r}, fixed {fixed.exceptions!r}")
    if orig.stdout != fixed.stdout:
        first = next((f"line {i + 1}: original {a!r}, fixed {b!r}" for i, (a, b) in
                     enumerate(zip_longest(orig.stdout.splitlines(), fixed.stdout.splitlines())) if a != b), "the end of the output")
        problems.append(f"stdout differs at {first}")
    if not orig.stdout.strip():
        problems.append("the original program printed nothing: the case checks nothing")
    if fixed.tmpdir_left:
        problems.append(f"fixed program left in TMPDIR: {fixed.tmpdir_left}")
    if _tree(orig.root):
        problems.append(f"original program wrote to $WORKFLOW_TEMP_ROOT: {_tree(orig.root)}")
    if header.original_leaves is not None and len(_entries(orig.tmpdir)) != header.original_leaves:
        problems.append(f"original program left {len(_entries(orig.tmpdir))} entries in TMPDIR "
                        f"{_entries(orig.tmpdir)}, expected {header.original_leaves} (original-leaves)")
    if header.job_leaves is not None and len(_job_tmp_entries(fixed.root)) != header.job_leaves:
        problems.append(f"fixed program left {len(_job_tmp_entries(fixed.root))} entries in the job tmp dirs "
                        f"{_job_tmp_entries(fixed.root)}, expected {header.job_leaves} (job-leaves)")
    if header.clean_workflow_root:
        left = _job_tmp_left(fixed.root)
        if left:
            problems.append(f"fixed program left in $WORKFLOW_TEMP_ROOT job tmp dirs: {left}")
    if header.workflow_dirs is not None:
        made = frozenset(p.name for p in fixed.root.iterdir()) if fixed.root.is_dir() else frozenset()
        if made != header.workflow_dirs:
            problems.append(f"job dirs under $WORKFLOW_TEMP_ROOT: {sorted(made)}, expected {sorted(header.workflow_dirs)}")
    if os.environ.get("TMPLINT_DIFFERENTIAL_SHOW"):
        print(f"\n===== {case.stem}: {'; '.join(problems) or 'pass'}" + _report(diff, fix_out, orig, fixed))
    if problems:
        pytest.fail("; ".join(problems) + "\n" + _report(diff, fix_out, orig, fixed), pytrace=False)
