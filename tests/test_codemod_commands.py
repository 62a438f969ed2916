"""The codemod classes as libcst commands: one per rewrite, plus the all-rules one."""
from __future__ import annotations

import ast

import pytest
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand

from tmplint.codemods.api import fix_bytes
from tmplint.codemods.gettempdir import FixGettempdir
from tmplint.codemods.literal_paths import FixLiteralPaths
from tmplint.codemods.migrate import MigrateToHelper
from tmplint.codemods.mkdtemp import FixMkdtemp
from tmplint.codemods.mkstemp import FixMkstemp
from tmplint.codemods.mktemp import FixMktemp
from tmplint.codemods.named_temporary_file import FixNamedTemporaryFile
from tmplint.codemods.temporary_directory import FixTemporaryDirectory
from tmplint.config import Config

MIXED = b'''import os
import tempfile
import uuid


def everything(job_id):
    with tempfile.NamedTemporaryFile() as f:
        f.write(b"x")
    fd, p = tempfile.mkstemp()
    d = tempfile.mkdtemp()
    with tempfile.TemporaryDirectory() as t:
        print(t)
    name = tempfile.mktemp()
    base = os.path.join(tempfile.gettempdir(), uuid.uuid4().hex)
    return p, d, name, base, "/tmp/x"
'''

COMMANDS = [
    (FixNamedTemporaryFile, "NamedTemporaryFile", "open_temp_file(job_id)"),
    (FixMkstemp, "mkstemp", "make_temp_file(job_id)"),
    (FixMkdtemp, "mkdtemp", "d = make_temp_dir(job_id)"),
    (FixTemporaryDirectory, "TemporaryDirectory", "t = make_temp_dir(job_id)"),
    (FixMktemp, "mktemp", "name = get_temp_path(job_id)"),
    (FixGettempdir, "gettempdir", "base = os.path.join(get_temp_dir(job_id), uuid.uuid4().hex)"),
    (FixLiteralPaths, '"/tmp/x"', 'os.path.join(get_temp_dir(job_id), "x")'),
]


@pytest.mark.parametrize("command, original, rewritten", COMMANDS, ids=lambda c: getattr(c, "__name__", None))
def test_each_command_rewrites_only_its_own_sites(command, original, rewritten) -> None:
    result = fix_bytes(MIXED, Config(), command=command)
    text = result.data.decode()
    assert rewritten in text
    assert f"tempfile.{original}(" not in text and original not in text.replace("tempfile.", "") \
        if original.startswith('"') else f"tempfile.{original}(" not in text
    for other, _, _ in COMMANDS:
        if other is not command and other is not FixLiteralPaths:
            name = dict((c, o) for c, o, _ in COMMANDS)[other]
            assert f"tempfile.{name}(" in text, f"{command.__name__} touched {name}"
    assert result.report.left == []  # sites of other rules are not this command's business
    ast.parse(text)


def test_the_all_rules_command_fixes_everything_it_safely_can() -> None:
    result = fix_bytes(MIXED, Config(), command=MigrateToHelper)
    text = result.data.decode()
    assert "tempfile" not in text
    assert [o.code for o in result.report.left] == ["TMP006"]  # the literal needs --unsafe-fixes


@pytest.mark.parametrize("command", [c for c, _, _ in COMMANDS] + [MigrateToHelper])
def test_commands_are_libcst_codemod_commands(command) -> None:
    assert issubclass(command, VisitorBasedCodemodCommand)
    assert command.DESCRIPTION and command.DESCRIPTION != VisitorBasedCodemodCommand.DESCRIPTION
    assert command.__module__.startswith("tmplint.codemods.")
    instance = command(CodemodContext())
    assert instance.report.fixed == []
