"""Each file is checked with the config of its nearest pyproject.toml (as ruff and the flake8
plugin find it), so the order of the paths on the command line never changes the findings;
``--config`` still gives one config for all. Through the real command line."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import write_project, write_tree
from tests.test_cli import tmplint

#: TMP006 (a literal temp path), TMP007 (default off: an environment read), TMP002 (tempfile)
SOURCE = 'import os\nimport tempfile\nP = "/tmp/x"\nT = os.environ["TMPDIR"]\nF = tempfile.mkstemp()\n'
#: a site ``tmplint fix`` rewrites
FIXABLE = "import tempfile\n\n\ndef f(workflow_id):\n    return tempfile.mkdtemp()\n"


@pytest.fixture
def siblings(tmp_path) -> Path:
    """Two projects side by side under a root without a config of its own."""
    write_project(tmp_path / "a", {"x.py": SOURCE, "gen/skip.py": SOURCE},
                  ['extend-select = ["TMP007"]', 'extend-exclude = ["gen/skip.py"]'])
    write_project(tmp_path / "b", {"y.py": SOURCE, "gen/skip.py": SOURCE}, ['ignore = ["TMP006"]'])
    return tmp_path


def findings(result) -> set:
    assert result.returncode == 1, result.stderr
    return {tuple(line.split(" ")[:2]) for line in result.stdout.splitlines()}


A_X = {("a/x.py:3:5:", "TMP006"), ("a/x.py:4:5:", "TMP007"), ("a/x.py:5:5:", "TMP002")}
B_Y = {("b/y.py:5:5:", "TMP002")}
#: b's excludes do not name gen/skip.py (a's do, anchored at a's dir)
B_GEN = {("b/gen/skip.py:5:5:", "TMP002")}


@pytest.mark.parametrize("paths", [("a/x.py", "b/y.py"), ("a", "b"), ("a/x.py", "b")])
def test_each_file_gets_its_own_projects_config_in_either_order(siblings, paths):
    expected = A_X | B_Y | (B_GEN if "b" in paths else set())
    assert findings(tmplint("check", "--no-cache", *paths, cwd=siblings)) == expected
    assert findings(tmplint("check", "--no-cache", *reversed(paths), cwd=siblings)) == expected


def test_a_walk_from_above_both_projects_uses_each_ones_config_and_excludes(siblings):
    assert findings(tmplint("check", "--no-cache", ".", cwd=siblings)) == A_X | B_Y | B_GEN


def test_a_nested_project_found_by_a_walk_gets_its_own_config(tmp_path):
    write_project(tmp_path, {"top.py": SOURCE}, ['ignore = ["TMP006"]'])
    write_project(tmp_path / "inner", {"m.py": SOURCE, "skipped/m.py": SOURCE},
                  ['extend-select = ["TMP007"]', 'extend-exclude = ["skipped"]'])
    expected = {("top.py:5:5:", "TMP002"),
                ("inner/m.py:3:5:", "TMP006"), ("inner/m.py:4:5:", "TMP007"), ("inner/m.py:5:5:", "TMP002")}
    assert findings(tmplint("check", "--no-cache", ".", cwd=tmp_path)) == expected


@pytest.mark.parametrize("absolute", [False, True], ids=["relative", "absolute"])
def test_a_walk_finds_projects_in_directories_without_modules_of_their_own(tmp_path, absolute):
    """Directories below the walk's start get the config of the nearest project above them,
    also through directories that hold no module, and not from a pyproject.toml of another tool."""
    write_project(tmp_path, {"top.py": SOURCE, "plain/deep/er/m.py": SOURCE}, ['ignore = ["TMP006"]'])
    write_project(tmp_path / "nested", {"only/sub/m.py": SOURCE}, ['extend-select = ["TMP007"]'])
    write_tree(tmp_path / "other", {"pyproject.toml": "[tool.black]\n", "sub/m.py": SOURCE})
    top = str(tmp_path) if absolute else "."
    result = tmplint("check", "--no-cache", top, cwd=tmp_path)
    prefix = f"{tmp_path}/" if absolute else ""
    expected = {(f"{prefix}{name}:5:5:", "TMP002") for name in ("top.py", "plain/deep/er/m.py", "other/sub/m.py")}
    expected |= {(f"{prefix}nested/only/sub/m.py:{line}:5:", code)
                 for line, code in ((3, "TMP006"), (4, "TMP007"), (5, "TMP002"))}
    assert findings(result) == expected


def test_files_named_through_a_linked_directory_get_the_config_where_the_link_points(siblings):
    """A link into a project is looked up where it points (not as a subdirectory of where it
    is), and so is a directory below it."""
    write_tree(siblings / "b" / "sub", {"z.py": SOURCE, "deeper/w.py": SOURCE})
    (siblings / "a" / "to_b_sub").symlink_to(siblings / "b" / "sub")
    result = tmplint("check", "--no-cache", "a/x.py", "a/to_b_sub/z.py", "a/to_b_sub/deeper/w.py", cwd=siblings)
    assert findings(result) == A_X | {("a/to_b_sub/z.py:5:5:", "TMP002"), ("a/to_b_sub/deeper/w.py:5:5:", "TMP002")}


def test_the_cache_keeps_the_projects_apart(siblings):
    """Same bytes in both projects, different configs: each project's results stay its own."""
    for paths in (("a/x.py", "b/y.py"), ("b/y.py", "a/x.py")):
        assert findings(tmplint("check", *paths, cwd=siblings)) == A_X | B_Y


def test_explicit_config_is_used_for_every_file(siblings):
    result = tmplint("check", "--no-cache", "--config", "a/pyproject.toml", "b/y.py", "a/x.py", cwd=siblings)
    b_with_a_config = {("b/y.py:3:5:", "TMP006"), ("b/y.py:4:5:", "TMP007"), ("b/y.py:5:5:", "TMP002")}
    assert findings(result) == A_X | b_with_a_config


def test_command_line_options_apply_to_every_projects_config(siblings):
    result = tmplint("check", "--no-cache", "--ignore", "TMP002", "b/y.py", "a/x.py", cwd=siblings)
    assert findings(result) == A_X - {("a/x.py:5:5:", "TMP002")}


@pytest.mark.parametrize("order", [1, -1])
def test_a_broken_config_of_any_path_is_one_error_line(siblings, order):
    (siblings / "b" / "pyproject.toml").write_text("[tool.tmplint]\nbogus = 1\n")
    result = tmplint("check", "--no-cache", *["a/x.py", "b/y.py"][::order], cwd=siblings)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "unknown key 'bogus'" in result.stderr
    assert str(Path("b", "pyproject.toml")) in result.stderr


def test_files_outside_any_project_use_the_defaults(tmp_path):
    write_tree(tmp_path, {"loose/m.py": SOURCE})
    write_project(tmp_path / "a", {"x.py": SOURCE}, ['ignore = ["TMP002", "TMP006"]'])
    expected = {("loose/m.py:3:5:", "TMP006"), ("loose/m.py:5:5:", "TMP002")}
    for paths in (("a/x.py", "loose/m.py"), ("loose/m.py", "a/x.py")):
        assert findings(tmplint("check", "--no-cache", *paths, cwd=tmp_path)) == expected


#: two projects whose fixes differ in every setting ``tmplint fix`` reads: the workflow id (a
#: fallback, an id name), the helper module, and the excludes
FIX_A = ['workflow-id-fallback = \'"alpha"\'', 'helper-module = "a_paths"', 'extend-exclude = ["gen"]']
FIX_B = ['workflow-id-names = ["job"]', 'helper-module = "b_paths"']
UNFIXED = "import tempfile\n\n\ndef f(job):\n    return tempfile.mkdtemp()\n"


@pytest.fixture
def fix_projects(tmp_path) -> Path:
    """Projects a and b with the same source, each with its helper module (``tmplint init``)."""
    root = tmp_path / "projects"
    write_project(root / "a", {"x.py": UNFIXED, "gen/g.py": UNFIXED}, FIX_A)
    write_project(root / "b", {"y.py": UNFIXED}, FIX_B)
    (root / "loose.py").write_text(UNFIXED)
    for project in ("a", "b"):
        assert tmplint("init", cwd=root / project).returncode == 0
    return root


def sources(root: Path) -> dict:
    return {str(path.relative_to(root)): path.read_text() for path in sorted(root.rglob("*.py"))}


#: what each file becomes with its own project's config (loose.py: the defaults, no id in reach)
FIXED_A = 'from a_paths import make_temp_dir\n\n\ndef f(job):\n    return make_temp_dir("alpha")\n'
FIXED_B = "from b_paths import make_temp_dir\n\n\ndef f(job):\n    return make_temp_dir(job)\n"


@pytest.mark.parametrize("paths", [("a/x.py", "b/y.py", "loose.py"), ("a", "b"), (".",)])
def test_fix_rewrites_each_file_with_its_own_projects_config_in_either_order(fix_projects, tmp_path, paths):
    """As ``tmplint check``: each file's nearest pyproject.toml decides its workflow id, helper
    module and excludes; the order of the paths changes nothing."""
    results = []
    for order in (paths, paths[::-1]):
        copy = shutil.copytree(fix_projects, tmp_path / f"run{len(results)}")
        result = tmplint("fix", *order, cwd=copy)
        # loose.py's site is left (the defaults find no id): with loose.py, sites remain
        assert result.returncode == (0 if paths == ("a", "b") else 1), result.stderr
        results.append(sources(copy))
        assert result.stderr.count("error") == 0, result.stderr
    assert results[0] == results[1]
    fixed = results[0]
    assert fixed["a/x.py"] == FIXED_A and fixed["b/y.py"] == FIXED_B
    assert fixed["a/gen/g.py"] == UNFIXED  # a's excludes, also when walked from above
    assert fixed["loose.py"] == UNFIXED


def test_fix_stops_before_writing_when_one_projects_helper_module_is_missing(fix_projects):
    (fix_projects / "b" / "b_paths.py").unlink()
    before = sources(fix_projects)
    result = tmplint("fix", "a", "b", cwd=fix_projects)
    assert result.returncode == 2 and "'b_paths' does not exist" in result.stderr, result.stderr
    assert sources(fix_projects) == before


@pytest.mark.parametrize("order", [1, -1])
def test_fix_with_a_broken_config_of_any_path_is_one_error_line_and_writes_nothing(fix_projects, order):
    (fix_projects / "b" / "pyproject.toml").write_text("[tool.tmplint]\nbogus = 1\n")
    before = sources(fix_projects)
    result = tmplint("fix", *["a/x.py", "b/y.py"][::order], cwd=fix_projects)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "unknown key 'bogus'" in result.stderr
    assert sources(fix_projects) == before


def test_fix_with_explicit_config_uses_it_for_every_file(fix_projects):
    result = tmplint("fix", "--config", "a/pyproject.toml", "b/y.py", "a/x.py", cwd=fix_projects)
    assert result.returncode == 0, result.stderr
    fixed = sources(fix_projects)
    assert fixed["a/x.py"] == FIXED_A and fixed["b/y.py"] == FIXED_A


def test_fix_of_one_project_or_with_explicit_config_runs(siblings):
    for name in ("a/x.py", "b/y.py"):
        (siblings / name).write_text(FIXABLE)
    result = tmplint("fix", "--diff", "a/x.py", "a", cwd=siblings)
    assert result.returncode == 1 and "+++ b/a/x.py" in result.stdout, result.stderr
    result = tmplint("fix", "--diff", "--config", "a/pyproject.toml", "a/x.py", "b/y.py", cwd=siblings)
    assert "+++ b/a/x.py" in result.stdout and "+++ b/b/y.py" in result.stdout, result.stderr
