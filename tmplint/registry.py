"""The rule registry: the single source of truth for every TMP rule.

The flake8 plugin, ``tmplint check``, ``tmplint rule CODE``, ``docs/rules.md`` and the
parametrized tests all read these objects; nothing restates them.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Dict, Tuple


@dataclass(frozen=True)
class Needles:
    """What a file must contain for the rule to find anything in it: the byte prefilter
    (:mod:`tmplint.prefilter`) looks for exactly these, so it must be a sound over-approximation."""

    #: modules whose import the rule needs (``import tempfile`` / ``from tempfile import ...``)
    imports: Tuple[str, ...] = ()
    #: a str/bytes literal starting with one of the configured temp dirs
    temp_dir_literals: bool = False
    #: a str/bytes literal equal to one of these
    literals: Tuple[str, ...] = ()
    #: an identifier spelling one of these (also when NFKC-normalized)
    names: Tuple[str, ...] = ()


_TEMPFILE_IMPORT = Needles(imports=("tempfile",))


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    #: ``str.format`` template; ``{subject}`` is the call or literal that was found.
    message: str
    what: str
    why: str
    bad: Tuple[str, ...]
    good: Tuple[str, ...]
    default: bool
    fix_safety: str
    #: "safe", "unsafe" (only with --unsafe-fixes) or "none".
    fix: str
    needles: Needles = _TEMPFILE_IMPORT
    #: why ``tmplint fix`` leaves a site of the rule without looking at it: always for fix
    #: "none", without --unsafe-fixes for fix "unsafe"
    no_fix_reason: str = ""
    #: other tools' noqa codes that also suppress the rule (ruff / flake8-bandit), by default
    other_noqa_codes: Tuple[str, ...] = ()
    #: bandit test ids whose ``# nosec B...`` suppresses the rule; a bare ``# nosec`` suppresses
    #: every rule that has one (as bandit does for its tests)
    nosec_tests: Tuple[str, ...] = ()
    #: found at test time by the runtime audit (``pytest --tmplint-audit``), never by the detector
    runtime: bool = False

    def format_message(self, subject: str) -> str:
        return self.message.format(subject=subject)

    def doc(self) -> str:
        """ruff-style rule documentation, used by ``tmplint rule`` and docs/rules.md."""
        if self.runtime:
            status = "reported by the runtime audit (`pytest --tmplint-audit`), never by `tmplint check`"
        else:
            status = "on by default" if self.default else "off by default; enable with extend-select"
        parts = [
            f"# {self.code} ({self.name})",
            "",
            f"Default: {status}. Fix: {self.fix}.",
            "",
            "## What it does",
            self.what,
            "",
            "## Why is this bad?",
            self.why,
            "",
            "## Example",
            "```python",
            self.bad[0].rstrip("\n"),
            "```",
            "",
            "## Use instead",
            "```python",
            self.good[0].rstrip("\n"),
            "```",
            "",
            "## Fix safety",
            self.fix_safety,
        ]
        return "\n".join(parts) + "\n"


def _code(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


_SHARED_WHY = (
    "Jobs that run side by side (Celery workers, pipelines, pods sharing a volume) all write into "
    "the machine-wide temp dir: their files collide, leak between tenants, are invisible to other "
    "pods on the shared volume, and are never cleaned up when a job dies. Scratch files belong "
    "under the job's own directory, made by `get_temp_path(workflow_id, suffix)`."
)

_RULES = (
    Rule(
        code="TMP001",
        name="tempfile-file-in-system-tmp",
        message="{subject}() writes to the shared system temp dir; use get_temp_path(workflow_id, suffix)",
        what=(
            "Checks for `tempfile.NamedTemporaryFile`, `tempfile.TemporaryFile` and "
            "`tempfile.SpooledTemporaryFile` without an explicit `dir=` (or with a `dir=` that is "
            "itself the system temp dir). A `SpooledTemporaryFile` is flagged only when it can "
            "reach the disk: with a `max_size` other than a literal 0 (by keyword or first "
            "positional argument, or possibly in `*args`/`**kwargs`), or when the name it is bound "
            "to has `.rollover()` or `.fileno()` taken in the same function or class (anywhere in "
            "the module for module-level code); otherwise it stays in memory. A creator that is only named, not called (`factory="
            "tempfile.NamedTemporaryFile`, `functools.partial(tempfile.NamedTemporaryFile)`), is "
            "flagged where it is named, except where it only stands for a type: in an annotation, "
            "as an argument of `isinstance`/`issubclass`, or imported under `if TYPE_CHECKING:`. "
            "The same holds for every `tempfile` rule.\n\n"
            "Names are resolved as Python resolves them: every import form, in any scope, an "
            "import in a function that declares the name `global` or `nonlocal`, and in flow "
            "order where code runs in order (module and class bodies): a later `def mkstemp`, "
            "`del` or `tempfile = None` rebinds the name for the code after it, not before; an "
            "import with a fallback (`except ImportError: tempfile = None`) is still the import.\n\n"
            "A `dir=` that is the system temp dir counts as no `dir=`: a temp dir literal, "
            "`tempfile.gettempdir()`, `tempfile.tempdir`, a module constant of the same file that "
            "is None or a temp dir literal (`TEMP_DIR = None` ... `dir=TEMP_DIR`), and expressions "
            "built on one (`Path(\"/tmp\")`, `os.path.join(\"/tmp\", x)`, `\"/tmp/\" + x`, "
            "`f\"/tmp/{x}\"`, `(d := \"/tmp\")`, `**{\"dir\": \"/tmp\"}`). The site is "
            "reported once, under the creator's code (not as TMP006, nor TMP008). `tmplint fix` "
            "drops a plain temp dir; one built on it (which a rewrite would lose) is left, and "
            "reported as not fixable."
        ),
        why=_SHARED_WHY,
        bad=(
            _code(
                """
                import tempfile

                def export(workflow_id, data):
                    with tempfile.NamedTemporaryFile(suffix=".json") as f:
                        f.write(data)
                """
            ),
            _code(
                """
                from tempfile import TemporaryFile as TF

                def spool():
                    return TF()
                """
            ),
            _code(
                """
                import tempfile

                def export(data):
                    return tempfile.SpooledTemporaryFile(max_size=10, dir="/tmp")
                """
            ),
            _code(
                """
                import tempfile

                def buffer(data):
                    f = tempfile.SpooledTemporaryFile()
                    f.write(data)
                    f.rollover()
                    return f
                """
            ),
            _code(
                """
                import functools
                import tempfile

                make_json_file = functools.partial(tempfile.NamedTemporaryFile, suffix=".json")
                """
            ),
        ),
        good=(
            _code(
                """
                from temp_paths import cleanup_temp_path, get_temp_path

                def export(workflow_id, data):
                    path = get_temp_path(workflow_id, ".json")
                    try:
                        with open(path, "x+b") as f:
                            f.write(data)
                    finally:
                        cleanup_temp_path(path)
                """
            ),
            _code(
                """
                import tempfile

                def export(job_dir):
                    return tempfile.NamedTemporaryFile(dir=job_dir)
                """
            ),
            _code(
                """
                def export(tempfile):
                    return tempfile.NamedTemporaryFile()
                """
            ),
            _code(
                """
                import tempfile

                def buffer(data):
                    f = tempfile.SpooledTemporaryFile()  # no max_size: it never leaves memory
                    f.write(data)
                    return f
                """
            ),
            _code(
                """
                from __future__ import annotations

                import tempfile
                from typing import IO, TYPE_CHECKING, Union

                if TYPE_CHECKING:
                    from tempfile import NamedTemporaryFile

                def size(f: Union[IO[bytes], tempfile.SpooledTemporaryFile, NamedTemporaryFile]) -> int:
                    if isinstance(f, (tempfile.SpooledTemporaryFile, tempfile.TemporaryFile)):
                        f.seek(0, 2)
                    return f.tell()
                """
            ),
        ),
        default=True,
        fix_safety=(
            "Safe. The call becomes `open(get_temp_path(WID, suffix), mode)` with `w` turned into `x` "
            "so the file is still created exclusively; where the original deleted the file (a "
            "`with` block, `delete=True`), the rewrite deletes it in a `finally` at the same point. "
            "Sites with `*args`/`**kwargs` or no workflow id in scope are left alone and reported."
        ),
        fix="safe",
    ),
    Rule(
        code="TMP002",
        name="mkstemp-in-system-tmp",
        message="{subject}() writes to the shared system temp dir; use make_temp_file(workflow_id, suffix)",
        what="Checks for `tempfile.mkstemp` without an explicit `dir=`.",
        why=_SHARED_WHY,
        bad=(
            _code(
                """
                import tempfile

                def render(workflow_id):
                    fd, path = tempfile.mkstemp(suffix=".mp4")
                    return path
                """
            ),
            _code(
                """
                def render():
                    from tempfile import mkstemp as make
                    return make()
                """
            ),
        ),
        good=(
            _code(
                """
                from temp_paths import make_temp_file

                def render(workflow_id):
                    fd, path = make_temp_file(workflow_id, ".mp4")
                    return path
                """
            ),
            _code(
                """
                import tempfile

                def render(out_dir):
                    return tempfile.mkstemp(".mp4", "clip_", out_dir)
                """
            ),
        ),
        default=True,
        fix_safety=(
            "Safe. `mkstemp(suffix, prefix, dir, text)` becomes `make_temp_file(WID, suffix, prefix, "
            "text=text)`, which returns the same `(fd, path)` pair. A `finally` cleanup is added only "
            "when the path provably stays local to the function."
        ),
        fix="safe",
    ),
    Rule(
        code="TMP003",
        name="temp-dir-in-system-tmp",
        message="{subject}() creates a dir in the shared system temp dir; use make_temp_dir(workflow_id)",
        what="Checks for `tempfile.mkdtemp` and `tempfile.TemporaryDirectory` without an explicit `dir=`.",
        why=_SHARED_WHY,
        bad=(
            _code(
                """
                import tempfile

                def unpack(workflow_id, archive):
                    with tempfile.TemporaryDirectory() as d:
                        archive.extractall(d)
                """
            ),
            _code(
                """
                import tempfile as tf

                scratch = tf.mkdtemp(dir=tf.gettempdir())
                """
            ),
        ),
        good=(
            _code(
                """
                from temp_paths import cleanup_temp_path, make_temp_dir

                def unpack(workflow_id, archive):
                    d = make_temp_dir(workflow_id)
                    try:
                        archive.extractall(d)
                    finally:
                        cleanup_temp_path(d)
                """
            ),
            _code(
                """
                import tempfile

                def unpack(workdir):
                    return tempfile.mkdtemp(dir=workdir)
                """
            ),
            _code(
                """
                from typing import TYPE_CHECKING

                if TYPE_CHECKING:
                    from tempfile import TemporaryDirectory

                def unpack(target: "TemporaryDirectory[str]", archive):
                    archive.extractall(target.name)
                """
            ),
        ),
        default=True,
        fix_safety=(
            "Safe. `TemporaryDirectory` in a `with` becomes `make_temp_dir` plus a `finally` that "
            "removes the tree where the `with` ended; `mkdtemp` keeps its lifetime unless the path "
            "provably stays local."
        ),
        fix="safe",
    ),
    Rule(
        code="TMP004",
        name="insecure-mktemp",
        message="{subject}() is insecure (the name can be taken before it is used); use get_temp_path(workflow_id, suffix)",
        what="Checks for `tempfile.mktemp`, with or without `dir=`.",
        why=(
            "`mktemp` only returns a name: another process can create that path between the call and "
            "the use (a classic race, CWE-377). It also points into the shared temp dir. " + _SHARED_WHY
        ),
        bad=(
            _code(
                """
                import tempfile

                def name(workflow_id):
                    return tempfile.mktemp(suffix=".txt")
                """
            ),
            _code(
                """
                from tempfile import mktemp

                def name(out_dir):
                    return mktemp(dir=out_dir)
                """
            ),
        ),
        good=(
            _code(
                """
                from temp_paths import get_temp_path

                def name(workflow_id):
                    return get_temp_path(workflow_id, ".txt")
                """
            ),
        ),
        default=True,
        fix_safety=(
            "Safe. `mktemp(suffix, prefix)` becomes `get_temp_path(WID, suffix, prefix)`, a unique path "
            "in the job's own 0o700 directory. `# noqa: S306`, `# nosec B306` and a bare `# nosec` on "
            "the line suppress it."
        ),
        fix="safe",
        other_noqa_codes=("S306",),
        nosec_tests=("B306",),
    ),
    Rule(
        code="TMP005",
        name="system-temp-dir",
        message="{subject} points at the shared system temp dir; use get_temp_dir(workflow_id)",
        what="Checks for `tempfile.gettempdir()`, `tempfile.gettempdirb()` and reads or writes of `tempfile.tempdir`.",
        why=_SHARED_WHY,
        bad=(
            _code(
                """
                import os
                import tempfile

                def out(workflow_id):
                    return os.path.join(tempfile.gettempdir(), "out.bin")
                """
            ),
            _code(
                """
                import tempfile

                tempfile.tempdir = "/scratch"
                """
            ),
        ),
        good=(
            _code(
                """
                import os
                from temp_paths import get_temp_dir

                def out(workflow_id):
                    return os.path.join(get_temp_dir(workflow_id), "out.bin")
                """
            ),
        ),
        default=True,
        fix_safety="Safe for `gettempdir()`, which becomes `get_temp_dir(WID)`. `tempfile.tempdir` is reported, not rewritten.",
        fix="safe",
    ),
    Rule(
        code="TMP006",
        name="hardcoded-temp-path",
        message="hard-coded path {subject} in the shared system temp dir; use get_temp_dir(workflow_id)",
        what=(
            "Checks for string, bytes and f-string literals that start with a world-writable temp dir "
            "(`/tmp`, `/var/tmp`, `/dev/shm`, ... configurable with `temp-dirs`) on a path boundary, "
            "including `Path(\"/tmp\") / x` and `os.path.join(\"/tmp\", x)`. Docstrings, comments, "
            "prose and URLs are never flagged."
        ),
        why=_SHARED_WHY,
        bad=(
            _code(
                """
                def save(workflow_id, data):
                    with open("/tmp/result.json", "w") as f:
                        f.write(data)
                """
            ),
            _code(
                """
                from pathlib import Path

                CACHE = Path("/var/tmp") / "cache"
                """
            ),
            _code(
                """
                def frame(job_id, n):
                    return f"/dev/shm/{job_id}/frame_{n}.png"
                """
            ),
        ),
        good=(
            _code(
                """
                import os
                from temp_paths import get_temp_dir

                def save(workflow_id, data):
                    with open(os.path.join(get_temp_dir(workflow_id), "result.json"), "w") as f:
                        f.write(data)
                """
            ),
            _code(
                """
                def describe():
                    return "files go to /tmp later"
                """
            ),
            _code(
                """
                def job_dir(workflow_id):
                    return f"/share/workflows/{workflow_id}/tmp"
                """
            ),
            _code(
                """
                TMPFOO = "/tmpfoo/x"
                """
            ),
        ),
        default=True,
        fix_safety=(
            "Unsafe: the path may be shared on purpose with another process. Only with "
            "`--unsafe-fixes`, a literal inside a function with a workflow id becomes "
            "`os.path.join(get_temp_dir(WID), rest)`. `# noqa: S108`, `# nosec B108` and a bare "
            "`# nosec` on the line suppress it."
        ),
        fix="unsafe",
        needles=Needles(temp_dir_literals=True),
        no_fix_reason="rewriting a literal path is an unsafe fix (use --unsafe-fixes)",
        other_noqa_codes=("S108",),
        nosec_tests=("B108",),
    ),
    Rule(
        code="TMP007",
        name="temp-dir-from-environment",
        message="{subject} reads the system temp dir from the environment; use get_temp_dir(workflow_id)",
        what=(
            "Checks for the temp dir read from the environment: `os.environ[\"TMPDIR\"]`, "
            "`os.getenv(\"TMP\")`, `environ.get(\"TEMP\")`, also with `key=` "
            "(`os.getenv(key=\"TMPDIR\")`), and `os.environ.pop(\"TMPDIR\")` or "
            "`.setdefault(...)` whose value is used. Setting or deleting the variable is not "
            "a read and is not flagged: `os.environ[\"TMPDIR\"] = d`, `del os.environ[\"TMPDIR\"]`, "
            "and a bare `os.environ.pop(\"TMPDIR\", None)` or `os.environ.setdefault(...)` statement."
        ),
        why=_SHARED_WHY,
        bad=(
            _code(
                """
                import os

                def scratch():
                    return os.environ.get("TMPDIR", "/scratch")
                """
            ),
            _code(
                """
                from os import getenv

                SCRATCH = getenv("TEMP")
                """
            ),
        ),
        good=(
            _code(
                """
                from temp_paths import get_temp_dir

                def scratch(workflow_id):
                    return get_temp_dir(workflow_id)
                """
            ),
            _code(
                """
                import os

                HOME = os.environ["HOME"]
                """
            ),
        ),
        default=False,
        fix_safety="No fix: what the environment variable means depends on the deployment.",
        fix="none",
        needles=Needles(literals=("TMPDIR", "TMP", "TEMP"), names=("environ", "getenv")),
        no_fix_reason="a temp dir read from the environment has no automatic fix",
    ),
    Rule(
        code="TMP008",
        name="tempfile-with-explicit-dir",
        message="{subject}() with an explicit dir= still bypasses the per-job helper; use get_temp_path(workflow_id, suffix)",
        what=(
            "Strict mode: checks for every `tempfile` creator, even with an explicit `dir=`, so that "
            "all scratch files go through the helper. `functools.partial(creator, ..., dir=D)` "
            "counts as a call with that `dir` and is reported where the creator is named. A "
            "`SpooledTemporaryFile` that stays in memory (no `max_size`, or a literal 0, and no "
            "`.rollover()`/`.fileno()`, see TMP001) never writes to its `dir=`, so it is not "
            "flagged; with a `max_size` it is."
        ),
        why=(
            "An explicit `dir=` keeps files out of the shared temp dir, but the naming, permissions "
            "and cleanup then differ from site to site. Teams that want every scratch file made by "
            "the helper turn this on."
        ),
        bad=(
            _code(
                """
                import tempfile

                def render(out_dir):
                    return tempfile.mkstemp(dir=out_dir)
                """
            ),
            _code(
                """
                from functools import partial
                from tempfile import NamedTemporaryFile

                def writer(out_dir):
                    return partial(NamedTemporaryFile, "w", dir=out_dir)
                """
            ),
            _code(
                """
                import tempfile

                def buffer(out_dir):
                    return tempfile.SpooledTemporaryFile(max_size=1 << 20, dir=out_dir)
                """
            ),
        ),
        good=(
            _code(
                """
                from temp_paths import make_temp_file

                def render(workflow_id):
                    return make_temp_file(workflow_id)
                """
            ),
            _code(
                """
                import tempfile

                def buffer(out_dir):
                    return tempfile.SpooledTemporaryFile(dir=out_dir)  # never written to out_dir
                """
            ),
        ),
        default=False,
        fix_safety="No fix: the explicit directory was chosen on purpose.",
        fix="none",
        no_fix_reason="an explicit dir= is kept (TMP008 has no automatic fix)",
    ),
    Rule(
        code="TMP900",
        name="test-wrote-to-system-tmp",
        message="{subject}",
        what=(
            "Runtime audit only: `pytest --tmplint-audit` records every file and directory a test "
            "creates under the system temp dirs (`tempfile.gettempdir()` and `temp-dirs`), through "
            "any code path: `tempfile`, `open()`, `os.mkdir`, `os.rename`/`os.replace`, `shutil` "
            "copies, third-party libraries, paths built at run time. Each write is reported at the "
            "first line of the project's own code on the stack. With `--tmplint-audit-leaks` it "
            "also reports job temp dirs under `WORKFLOW_TEMP_ROOT` that a test left non-empty. "
            "Static analysis cannot see these sites; `tmplint check` never reports this code."
        ),
        why=_SHARED_WHY,
        bad=(
            _code(
                """
                import importlib

                def test_export():
                    tf = importlib.import_module("temp" + "file")
                    with tf.NamedTemporaryFile() as f:  # TMP900 at run time
                        f.write(b"data")
                """
            ),
        ),
        good=(
            _code(
                """
                from temp_paths import cleanup_temp_path, get_temp_path

                def test_export():
                    path = get_temp_path("job-1", ".json")
                    try:
                        with open(path, "wb") as f:
                            f.write(b"data")
                    finally:
                        cleanup_temp_path(path)
                """
            ),
        ),
        default=False,
        fix_safety="No fix: the site is found at run time; `tmplint fix` rewrites the static sites it reaches.",
        fix="none",
        no_fix_reason="found at run time by the runtime audit; tmplint fix rewrites the static sites",
        runtime=True,
    ),
)

RULES: Dict[str, Rule] = {rule.code: rule for rule in _RULES}
DEFAULT_CODES = frozenset(code for code, rule in RULES.items() if rule.default)
