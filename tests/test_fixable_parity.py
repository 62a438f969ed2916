"""``tmplint check``'s JSON ``fixable`` is true exactly for the sites plain ``tmplint fix`` (no
--unsafe-fixes) rewrites: both through the real command line, on a table of snippets (one file
each, every reason a planner used to find only after check had said fixable), on a table of
workflow ids a function may or may not hold (no fallback configured), on a project whose tests
patch tempfile's functions for every module, and on the example project."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Set, Tuple

import pytest

from tests.conftest import write_project
from tests.test_cli import tmplint

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "video_pipeline"

Site = Tuple[str, int, int, str]

#: name -> (source, how many of its sites fix rewrites); each function has the fallback id
SNIPPETS = {
    "plain": ("import tempfile\ndef f():\n    return tempfile.mkdtemp()\n", 1),
    "module_level": ("import tempfile\nD = tempfile.mkdtemp()\n", 0),
    "class_body": ("import tempfile\nclass C:\n    D = tempfile.mkdtemp()\n", 0),
    "default_value": ("import tempfile\ndef f(d=tempfile.mkdtemp()):\n    return d\n", 0),
    "decorator": ("import functools, tempfile\n@functools.lru_cache(tempfile.mkstemp())\ndef f():\n    pass\n", 0),
    "default_in_a_function": ("import tempfile\ndef f():\n    def g(d=tempfile.mkdtemp()):\n        return d\n"
                              "    return g\n", 1),
    "lambda_body": ("import tempfile\nmake = lambda: tempfile.mkdtemp()\n", 1),
    "main_block": ("import tempfile\nif __name__ == '__main__':\n    print(tempfile.mkdtemp())\n", 0),
    "prefix_separator": ("import tempfile\ndef f():\n    return tempfile.mkdtemp(prefix='a/b')\n", 0),
    "positional_suffix_separator": ("import tempfile\ndef f():\n    return tempfile.mkstemp('x\\\\y')\n", 0),
    "bytes_suffix": ("import tempfile\ndef f():\n    return tempfile.mkdtemp(b'.d')\n", 0),
    "f_string_prefix": ("import tempfile\ndef f(n):\n    return tempfile.mktemp(prefix=f'{n}/')\n", 0),
    "plain_prefix": ("import tempfile\ndef f():\n    return tempfile.mkdtemp(prefix='job-')\n", 1),
    "spooled_prefix": ("import tempfile\ndef f():\n    s = tempfile.SpooledTemporaryFile(1, prefix='a/')\n"
                       "    s.write(b'x')\n    return s\n", 1),
    "directory_prefix": ("import tempfile\ndef f():\n    with tempfile.TemporaryDirectory(prefix='a/') as d:\n"
                         "        return d\n", 0),
    "gettempdir_value": ("import tempfile\ndef f():\n    return tempfile.gettempdir()\n", 0),
    "gettempdir_argument": ("import tempfile\ndef f(g):\n    return g(tempfile.gettempdir())\n", 0),
    "gettempdir_listed": ("import tempfile\ndef f():\n    return ['/', tempfile.gettempdir()]\n", 0),
    "gettempdir_fixed_name": ("import os, tempfile\ndef f():\n    return os.path.join(tempfile.gettempdir(), 'state.json')\n", 0),
    "gettempdir_lock": ("import os, tempfile\ndef f(n):\n    return os.path.join(tempfile.gettempdir(), n + '.lock')\n", 0),
    "gettempdir_shared_name": ("import os, tempfile\ndef f(n):\n    return os.path.join(tempfile.gettempdir(), n)\n", 0),
    "gettempdir_unique_name": ("import os, tempfile, uuid\ndef f():\n"
                               "    return os.path.join(tempfile.gettempdir(), uuid.uuid4().hex)\n", 1),
    "gettempdir_unique_local": ("import os, tempfile\nfrom time import time\ndef f():\n    stamp = f'{time()}.log'\n"
                                "    return os.path.join(tempfile.gettempdir(), stamp)\n", 1),
    "gettempdir_local_twice": ("import os, tempfile, uuid\ndef f(n):\n    name = uuid.uuid4().hex\n    name = n\n"
                               "    return os.path.join(tempfile.gettempdir(), name)\n", 0),
    "gettempdir_path_division": ("import os, tempfile\nfrom pathlib import Path\ndef f():\n"
                                 "    return Path(tempfile.gettempdir()) / f'{os.getpid()}.sock'\n", 1),
    "gettempdir_path_alone": ("import tempfile\nfrom pathlib import Path\ndef f():\n    return Path(tempfile.gettempdir())\n", 0),
    "gettempdir_path_parts": ("import os, tempfile\nimport pathlib\ndef f():\n"
                              "    return pathlib.Path(tempfile.gettempdir(), str(os.getpid()))\n", 1),
    "gettempdir_starred": ("import os, tempfile, uuid\ndef f(parts):\n"
                           "    return os.path.join(tempfile.gettempdir(), *parts, uuid.uuid4().hex)\n", 0),
    "gettempdir_compared": ("import os, tempfile, uuid\ndef f(p):\n"
                            "    return p == os.path.join(tempfile.gettempdir(), uuid.uuid4().hex)\n", 0),
    "gettempdir_with_argument": ("import tempfile\ndef f():\n    return tempfile.gettempdir(1)\n", 0),
    "helper_bound": ("import tempfile\ndef make_temp_dir():\n    pass\ndef f():\n    return tempfile.mkdtemp()\n", 0),
    "helper_bound_locally": ("import tempfile\ndef f(make_temp_dir):\n    return tempfile.mkdtemp()\n", 0),
    "helper_bound_in_another_function": ("import tempfile\ndef g():\n    make_temp_dir = 1\n    return make_temp_dir\n"
                                         "def f():\n    return tempfile.mkdtemp()\n", 1),
    "helper_imported": ("import tempfile\nfrom temp_paths import make_temp_dir\ndef f():\n    return tempfile.mkdtemp()\n"
                        "def g():\n    return make_temp_dir('x')\n", 1),
    "cleanup_bound": ("import tempfile\ncleanup_temp_path = print\ndef f():\n    d = tempfile.mkdtemp()\n    return d\n", 0),
    "joined_by_another_function": ("import os, tempfile, uuid\ndef f(join):\n"
                                   "    return join(tempfile.gettempdir(), uuid.uuid4().hex)\n", 0),
}

_DATACLASS = "import tempfile\nfrom dataclasses import dataclass\nfrom typing import Optional\n@dataclass\n"
#: name -> (source, how many of its sites fix rewrites), with the default id names and no
#: fallback: the site's own function must hold an id that cannot be None
ID_SNIPPETS = {
    "parameter": ("import tempfile\ndef f(job_id):\n    return tempfile.mkdtemp()\n", 1),
    "parameter_none": ("import tempfile\ndef f(job_id=None):\n    return tempfile.mkdtemp()\n", 0),
    "parameter_optional": ("import tempfile\nfrom typing import Optional\ndef f(job_id: Optional[str]):\n"
                           "    return tempfile.mkdtemp()\n", 0),
    "keyword_only": ("import tempfile\ndef f(*, run_id: str):\n    return tempfile.mkdtemp()\n", 1),
    "missing": ("import tempfile\ndef f(data):\n    return tempfile.mkdtemp()\n", 0),
    "other_function_has_it": ("import tempfile\ndef g(job_id):\n    return job_id\ndef f():\n"
                              "    return tempfile.mkdtemp()\n", 0),
    "local_before": ("import tempfile\ndef f(c):\n    job_id = c['id']\n    return tempfile.mkdtemp()\n", 1),
    "local_after": ("import tempfile\ndef f(c):\n    d = tempfile.mkdtemp()\n    job_id = c['id']\n"
                    "    return d, job_id\n", 0),
    "local_same_line": ("import tempfile\ndef f(c):\n    job_id = c['id']; d = tempfile.mkdtemp()\n    return d\n", 0),
    "local_from_get": ("import tempfile\ndef f(c):\n    job_id = c.get('id')\n    return tempfile.mkdtemp()\n", 0),
    "local_in_branch": ("import tempfile\ndef f(c):\n    if c:\n        job_id = c['id']\n"
                        "    return tempfile.mkdtemp()\n", 0),
    "local_in_one_line_branch": ("import tempfile\ndef f(c):\n    if c: job_id = c['id']\n"
                                 "    if c:\n        return tempfile.mkdtemp()\n", 0),
    "loop_target": ("import tempfile\ndef f(ids):\n    for job_id in ids:\n        tempfile.mkdtemp()\n", 1),
    "with_target": ("import tempfile\ndef f(ctx):\n    with ctx as task_id:\n        tempfile.mkdtemp()\n", 1),
    "comprehension_target": ("import tempfile\ndef f(ids):\n    return [tempfile.mkdtemp() for job_id in ids]\n", 0),
    "nested_function": ("import tempfile\ndef f(job_id):\n    def g():\n        return tempfile.mkdtemp()\n"
                        "    return g\n", 1),
    "nested_function_shadowed": ("import tempfile\ndef f(job_id):\n    def g():\n        d = tempfile.mkdtemp()\n"
                                 "        job_id = 1\n        return d, job_id\n    return g\n", 0),
    "lambda": ("import tempfile\ndef f(job_id):\n    return lambda: tempfile.mkdtemp()\n", 1),
    "global_declared": ("import tempfile\njob_id = 'x'\ndef f():\n    global job_id\n"
                        "    return tempfile.mkdtemp()\n", 0),
    "attribute_in_use": ("import tempfile\ndef f(ctx):\n    print(ctx.workflow_id)\n    return tempfile.mkdtemp()\n", 1),
    "attribute_assigned_after": ("import tempfile\ndef f(ctx):\n    d = tempfile.mkdtemp()\n"
                                 "    ctx.workflow_id = 'x'\n    return d, ctx.workflow_id\n", 0),
    "self_attribute_from_init": ("import tempfile\nclass C:\n    def __init__(self, workflow_id):\n"
                                 "        self.workflow_id = workflow_id\n    def work(self):\n"
                                 "        return tempfile.mkdtemp()\n", 1),
    "self_attribute_may_be_none": ("import tempfile\nclass C:\n    def __init__(self, workflow_id=None):\n"
                                   "        self.workflow_id = workflow_id\n    def work(self):\n"
                                   "        return tempfile.mkdtemp()\n", 0),
    "in_init_after_assignment": ("import tempfile\nclass C:\n    def __init__(self, c):\n"
                                 "        self.job_id = c['job']\n        self.d = tempfile.mkdtemp()\n", 1),
    "in_init_before_assignment": ("import tempfile\nclass C:\n    def __init__(self, c):\n"
                                  "        self.d = tempfile.mkdtemp()\n        self.job_id = c['job']\n", 0),
    "called_from_init": ("import tempfile\nclass C:\n    def __init__(self, run_id):\n        self.setup()\n"
                         "        self.run_id = run_id\n    def setup(self):\n        return tempfile.mkdtemp()\n", 0),
    "dataclass_field": (_DATACLASS + "class T:\n    task_id: str\n    def scratch(self):\n"
                        "        return tempfile.mkdtemp()\n", 1),
    "dataclass_optional_field": (_DATACLASS + "class T:\n    task_id: Optional[str] = None\n"
                                 "    def scratch(self):\n        return tempfile.mkdtemp()\n", 0),
    "dataclass_base_field": (_DATACLASS + "class T:\n    task_id: str\nclass U(T):\n    def scratch(self):\n"
                             "        return tempfile.mkdtemp()\n", 1),
    "annotation_without_dataclass": ("import tempfile\nclass T:\n    task_id: str\n    def scratch(self):\n"
                                     "        return tempfile.mkdtemp()\n", 0),
    "staticmethod": ("import tempfile\nclass C:\n    def __init__(self, job_id):\n        self.job_id = job_id\n"
                     "    @staticmethod\n    def make():\n        return tempfile.mkdtemp()\n", 0),
    "classmethod": ("import tempfile\nclass C:\n    job_id = 'x'\n    @classmethod\n    def make(cls):\n"
                    "        return tempfile.mkdtemp()\n", 0),
    "literal_path": ("import os\ndef f(job_id):\n    return os.path.join('/tmp', 'out.txt')\n", 0),
}

#: a left site in ``tmplint fix``'s summary: ``  path:line:col: CODE target: reason``
_LEFT = re.compile(r"^  (.+?):(\d+):(\d+): (TMP\d{3}) ")


def check_sites(root: Path) -> Tuple[Set[Site], Set[Site]]:
    """Every finding of ``tmplint check --format json``, and those it marks fixable."""
    result = tmplint("check", "--no-cache", "--format", "json", "--exit-zero", ".", cwd=root)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    every = {(f["path"], f["line"], f["col"], f["code"]) for f in found}
    return every, {(f["path"], f["line"], f["col"], f["code"]) for f in found if f["fixable"]}


def sites_fix_rewrites(root: Path, every: Set[Site]) -> Set[Site]:
    """The findings ``tmplint fix --diff`` does not list as left."""
    result = tmplint("fix", "--diff", "--exit-zero", ".", cwd=root)
    assert result.returncode == 0, result.stderr
    section = ""
    left = set()
    for line in result.stderr.splitlines():
        if not line.startswith("  "):
            section = line
        elif section.startswith("sites left"):
            match = _LEFT.match(line)
            assert match, line
            left.add((Path(match[1]).as_posix(), int(match[2]), int(match[3]), match[4]))
    assert left <= every
    return every - left


def test_check_marks_fixable_exactly_the_snippet_sites_fix_rewrites(tmp_path):
    root = write_project(tmp_path, {f"{name}.py": source for name, (source, _) in SNIPPETS.items()},
                         ["workflow-id-fallback = '\"shared\"'"])
    every, fixable = check_sites(root)
    fixed = sites_fix_rewrites(root, every)
    assert fixable == fixed
    assert {name: sum(1 for site in fixed if site[0] == f"{name}.py") for name in SNIPPETS} == {
        name: count for name, (_, count) in SNIPPETS.items()}


def test_check_marks_fixable_exactly_the_sites_whose_function_holds_an_id(tmp_path):
    root = write_project(tmp_path, {f"{name}.py": source for name, (source, _) in ID_SNIPPETS.items()}, [])
    every, fixable = check_sites(root)
    fixed = sites_fix_rewrites(root, every)
    assert fixable == fixed
    assert {name: sum(1 for site in fixed if site[0] == f"{name}.py") for name in ID_SNIPPETS} == {
        name: count for name, (_, count) in ID_SNIPPETS.items()}


@pytest.mark.parametrize("fallback", [False, True])
def test_check_marks_fixable_exactly_what_fix_rewrites_in_the_example_project(tmp_path, fallback):
    root = Path(shutil.copytree(EXAMPLE, tmp_path / "example"))
    if fallback:  # every module then has an id: the facts beyond the workflow id decide
        config = root / "pyproject.toml"
        config.write_text(config.read_text().replace("[tool.tmplint]\n", "[tool.tmplint]\nworkflow-id-fallback = '\"shared\"'\n"))
    every, fixable = check_sites(root)
    fixed = sites_fix_rewrites(root, every)
    assert fixed and fixable == fixed
    assert fixable != every  # some sites are left, and check says so


#: a package whose tests patch tempfile's functions for every module: ``tests/test_mod.py`` imports
#: ``pkg.mod`` (its mkdtemp site would bypass the mock; its mkstemp site is not patched), and
#: ``tests/test_other.py`` patches mkstemp but imports only ``pkg.other``
PATCHING_PACKAGE = {
    "pkg/__init__.py": "",
    "pkg/mod.py": ("import tempfile\ndef make_dir():\n    return tempfile.mkdtemp()\n"
                   "def make_file():\n    return tempfile.mkstemp()\n"),
    "pkg/other.py": "import tempfile\ndef g():\n    return tempfile.mkdtemp()\n",
    "tests/test_mod.py": ("import tempfile\nfrom unittest import mock\nfrom pkg import mod\n\n"
                          "def test_make_dir():\n    with mock.patch.object(tempfile, 'mkdtemp', return_value='/x'):\n"
                          "        assert mod.make_dir() == '/x'\n"),
    "tests/test_other.py": ("import tempfile\nimport pkg.other\n\n"
                            "def test_g(monkeypatch):\n    monkeypatch.setattr('tempfile.mkstemp', lambda: (0, '/x'))\n"
                            "    pkg.other.g()\n"),
}


@pytest.mark.parametrize("given", [".", "pkg/mod.py"])
def test_check_marks_fixable_exactly_what_fix_rewrites_when_a_test_patches_tempfile_for_every_module(tmp_path, given):
    """The test that patches a function is found in the whole project, also when check is given
    only the module (as pre-commit gives the changed files)."""
    root = write_project(tmp_path, PATCHING_PACKAGE, ["workflow-id-fallback = '\"shared\"'"])
    every, fixable = check_sites(root)
    assert fixable == sites_fix_rewrites(root, every)
    assert fixable == {("pkg/mod.py", 5, 12, "TMP002"), ("pkg/other.py", 3, 12, "TMP003")}
    result = tmplint("check", "--no-cache", "--format", "json", "--exit-zero", given, cwd=root)
    found = {(f["path"], f["line"], f["col"], f["code"]): f["fixable"] for f in json.loads(result.stdout)}
    assert found[("pkg/mod.py", 3, 12, "TMP003")] is False
    assert found[("pkg/mod.py", 5, 12, "TMP002")] is True
