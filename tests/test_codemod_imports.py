"""The import-removal pass decides exactly as libcst's ``RemoveImportsVisitor`` does.

``TidyRemoveImportsVisitor`` does not analyze the whole module: it analyzes the statements that
spell a name to remove (and the import lines), and walks only those. Here every import of a
module is scheduled for removal, and the result is compared with the same pass deciding on
libcst's own analysis of the whole module. The fixture pairs ``import_*`` show the decisions
in the rewrites themselves (kept when used elsewhere, in ``__all__``, under ``global``, in a
string annotation, ...).
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Tuple

import libcst as cst
import pytest
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import RemoveImportsVisitor

from tmplint.codemods.imports import TidyRemoveImportsVisitor
from tmplint.codemods.positions import ModulePositions

from tests.test_codemod_support import cases

Removal = Tuple[str, Optional[str], Optional[str]]


class WholeModuleAnalysis(TidyRemoveImportsVisitor):
    """The same pass, deciding on libcst's analysis of the whole module (what it replaces)."""

    _handle_metadata_reference = RemoveImportsVisitor._handle_metadata_reference
    visit_Module = RemoveImportsVisitor.visit_Module
    on_visit = RemoveImportsVisitor.on_visit


def every_import(module: cst.Module) -> List[Removal]:
    found: List[Removal] = []

    class Collect(cst.CSTVisitor):
        def visit_Import(self, node: cst.Import) -> None:
            found.extend((alias.evaluated_name, None, alias.evaluated_alias) for alias in node.names)

        def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
            if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
                return
            module_name = cst.Module([]).code_for_node(node.module)
            found.extend((module_name, alias.evaluated_name, alias.evaluated_alias) for alias in node.names)

    module.visit(Collect())
    return found


def removed_by(pass_class: type, module: cst.Module, removals: List[Removal], **options) -> str:
    return pass_class(CodemodContext(), removals, **options).transform_module(module).code


def positions_of(module: cst.Module) -> ModulePositions:
    """The module's positions, with every statement's ranges computed (as the engine has them
    for the statements it rewrites)."""
    positions = ModulePositions(module)
    for index in range(len(positions.statements)):
        positions.statement(index)
    return positions


TRICKY = '''\
"""Uses the pass must see: through global, __all__, string annotations, typing.cast, nested scopes."""
import os
import os.path
import tempfile as t
import typing
from json import dumps, loads
from typing import cast

__all__ = ["dumps"]


def a():
    global t
    return t.gettempdir()


def b(x: "loads") -> None:
    return cast("os.PathLike", x)


class C:
    typing = None

    def m(self):
        return typing.Any


def d():
    def inner():
        return os.path.join("a", "b")
    return inner


def e():
    import tempfile
    return 1
'''


@pytest.mark.parametrize("source", [
    TRICKY,
    TRICKY.replace("return t.gettempdir()", "return 1").replace('cast("os.PathLike", x)', "x"),
    TRICKY.replace('__all__ = ["dumps"]', "").replace('"loads"', "int").replace("return typing.Any", "return 2"),
], ids=["used", "some-unused", "more-unused"])
def test_same_decisions_as_libcst_on_tricky_uses(source: str) -> None:
    module = cst.parse_module(source)
    removals = every_import(module)
    assert removed_by(TidyRemoveImportsVisitor, module, removals) == removed_by(WholeModuleAnalysis, module, removals)


SPELLED_OUTSIDE_A_RANGE = '''\
import shutil
import tempfile
import unittest


@unittest.skipIf(shutil.which("x"), "a def's range starts after its decorators")
def m():
    pass


flag = (not
tempfile)
'''


@pytest.mark.parametrize("source", [TRICKY, SPELLED_OUTSIDE_A_RANGE], ids=["tricky", "outside-a-range"])
@pytest.mark.parametrize("ranges", [False, True], ids=["statement-texts", "computed-ranges"])
def test_same_decisions_as_libcst_reading_the_source_text(source: str, ranges: bool) -> None:
    # the engine hands the pass the text of the statements as parsed: their computed ranges, or
    # the statements' texts from the positions' layout
    module = cst.parse_module(source)
    positions = positions_of(module) if ranges else ModulePositions(module)
    removals = every_import(module)
    assert removed_by(TidyRemoveImportsVisitor, module, removals, source_of=positions.source_of) == \
        removed_by(WholeModuleAnalysis, module, removals)


def test_the_tricky_module_loses_only_what_is_unused() -> None:
    module = cst.parse_module(TRICKY)
    result = removed_by(TidyRemoveImportsVisitor, module, every_import(module))
    # every import is used somewhere except the function-local tempfile
    assert "    import tempfile\n" not in result
    for kept in ("import os\n", "import os.path\n", "import tempfile as t\n", "import typing\n",
                 "from json import dumps, loads\n", "from typing import cast\n"):
        assert kept in result


@pytest.mark.parametrize("before", cases(), ids=lambda p: p.name[: -len(".before.py")])
def test_same_decisions_as_libcst_on_every_fixture(before: Path) -> None:
    module = cst.parse_module(before.read_bytes())
    removals = every_import(module)
    expected = removed_by(WholeModuleAnalysis, module, removals)
    assert removed_by(TidyRemoveImportsVisitor, module, removals) == expected
    assert removed_by(TidyRemoveImportsVisitor, module, removals, source_of=positions_of(module).source_of) == expected
