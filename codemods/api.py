"""Run the codemod on one module's bytes (what ``tmplint fix`` and the tests call)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Collection, FrozenSet, List, Optional, Sequence, Tuple, Type, Union

import libcst as cst
from libcst.codemod import CodemodContext

from tmplint.config import Config
from tmplint.detector import Finding, check_bytes
from tmplint.sources import line_opcodes
from tmplint.codemods.base import TmplintCommand
from tmplint.codemods.triage import FixReport, sites_left_unparsed


@dataclass
class FixResult:
    #: the rewritten module's bytes (the input's bytes when nothing changed)
    data: bytes
    report: FixReport
    changed: bool
    #: the ``keep_imports`` modules whose import the rewrite would have removed, and kept
    kept_imports: FrozenSet[str] = frozenset()


def fix_bytes(
    data: Union[bytes, str],
    config: Config = Config(),
    *,
    path: str = "<module>",
    findings: Optional[Sequence[Finding]] = None,
    unsafe_fixes: bool = False,
    add_noqa: bool = False,
    command: Optional[Type[TmplintCommand]] = None,
    keep_imports: Collection[str] = (),
) -> FixResult:
    """Fix one module. ``findings`` are the detector's for exactly these bytes (computed here when
    not given). ``keep_imports``: modules whose imports are never removed, even when the rewrites
    leave them unused (e.g. ``{"tempfile"}`` when a test patches ``pkg.mod.tempfile``).
    Raises ``libcst.ParserSyntaxError`` when libcst cannot parse the module."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if findings is None:
        findings = check_bytes(data, path, config)
    if not findings:
        return FixResult(data, FixReport(), False)
    if command is None:
        from tmplint.codemods.migrate import MigrateToHelper as command  # noqa: N813

        report = sites_left_unparsed(data, path, findings, config, unsafe_fixes, add_noqa)
        if report is not None:  # every site is left whatever the tree: no need to parse it
            return FixResult(data, report, False)
    module = cst.parse_module(data)
    transform = command(
        CodemodContext(filename=path), config=config, findings=findings,
        unsafe_fixes=unsafe_fixes, add_noqa=add_noqa, keep_imports=keep_imports,
    )
    result = transform.transform_module(module)
    if result is module:  # nothing rewritten: the bytes stay exactly as they were
        return FixResult(data, transform.report, False)
    kept = frozenset(transform.kept_imports)
    new = transform.code_of(result).encode(result.encoding)
    # the module as libcst prints it unchanged (printed once already, for the positions)
    roundtrip = transform.printed.encode(module.encoding) if transform.printed is not None else module.bytes
    if roundtrip != data:
        new = restore_roundtrip_losses(data, roundtrip, new)
    return FixResult(new, transform.report, new != data, kept if new != data else frozenset())


def _lines(data: bytes) -> List[bytes]:
    parts = data.split(b"\n")
    return [p + b"\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def restore_roundtrip_losses(original: bytes, roundtrip: bytes, new: bytes) -> bytes:
    """Put back what libcst's own parse/print round trip changed, wherever the rewrite left
    those lines alone.

    libcst is meant to print an unmodified tree byte for byte, but some versions lose details
    (libcst 1.8/1.9 drop the space in ``except OSError :``, Instagram/LibCST#1457). Lines the
    round trip changed are mapped through the rewrite; every such line the rewrite did not touch
    gets its original bytes back, so nothing outside the edits changes.
    """
    o, r, n = _lines(original), _lines(roundtrip), _lines(new)
    r_to_n = {}
    for tag, a1, a2, b1, _ in line_opcodes(r, n):
        if tag == "equal":
            for k in range(a2 - a1):
                r_to_n[a1 + k] = b1 + k
    replacements: List[Tuple[int, int, List[bytes]]] = []
    for tag, i1, i2, j1, j2 in line_opcodes(o, r):
        if tag == "equal" or j1 == j2:
            continue  # nothing of the round trip's output to anchor on
        targets = [r_to_n.get(j) for j in range(j1, j2)]
        first = targets[0]
        if first is None or targets != list(range(first, first + len(targets))):
            continue  # the rewrite changed these lines itself
        replacements.append((first, first + len(targets), o[i1:i2]))
    for start, end, lines in sorted(replacements, reverse=True):
        n[start:end] = lines
    return b"".join(n)
