"""What happened to each site (the report), and why a site is left when the detector's finding
alone tells, before libcst parses anything.

The engine asks :func:`reason_left_before_planning` first for every site; ``tmplint fix`` and
``fix_bytes`` use :func:`sites_left_unparsed` to skip libcst altogether for a module whose every
site is left (most files of a codebase that has no workflow ids yet). Either way a module's report
is the same. This module does not import libcst, so the main process of ``tmplint fix`` can sort
files without paying for it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Sequence

from tmplint.config import Config
from tmplint.detector import Finding, decode_source
from tmplint.registry import RULES


@dataclass(frozen=True)
class SiteOutcome:
    code: str
    line: int
    #: 0-based, as in :class:`tmplint.detector.Finding`
    col: int
    target: str
    #: why it was left, or the note about its lifetime; empty for a plain fix
    message: str = ""


@dataclass(frozen=True)
class ParamAdded:
    """A function that got the ``workflow_id`` keyword parameter (``add-workflow-param``)."""
    #: the function's name, as callers spell it (``export`` for ``def export(...)``)
    name: str
    #: the line of its ``def`` in the original module
    line: int


@dataclass
class FixReport:
    fixed: List[SiteOutcome] = field(default_factory=list)
    left: List[SiteOutcome] = field(default_factory=list)
    #: fixed sites whose lifetime was left as the original had it, and why
    notes: List[SiteOutcome] = field(default_factory=list)
    #: how many left sites got a ``# noqa`` comment (``--add-noqa``)
    noqa_marked: int = 0
    #: functions that got the ``workflow_id`` parameter, once each, in the order first planned
    params_added: List[ParamAdded] = field(default_factory=list)


def workflow_id_possible(config: Config, spells: Callable[[str], bool]) -> bool:
    """Whether any site of a module could get a workflow id: a fallback or a new parameter is
    configured, or the module spells one of the configured id names or attributes."""
    if config.workflow_id_fallback is not None or config.add_workflow_param:
        return True
    return spells_an_id_name(config, spells)


def spells_an_id_name(config: Config, spells: Callable[[str], bool]) -> bool:
    """Whether a module spells one of the configured id names or attributes: else none of its
    functions holds a workflow id (``workflow_id_facts`` finds them by these names)."""
    return any(spells(name) for name in (*config.workflow_id_names, *config.workflow_id_attributes))


def id_decides_fixable(config: Config) -> bool:
    """Whether a site is fixable only when its own function holds a workflow id that cannot be
    None (no fallback and no new parameter configured): then ``tmplint check`` judges the id
    (``Finding.workflow_id``); otherwise only the rewrite needs it, and judges it itself."""
    return config.workflow_id_fallback is None and not config.add_workflow_param


def no_workflow_id_reason(config: Config) -> str:
    names = ", ".join(dict.fromkeys((*config.workflow_id_names, *config.workflow_id_attributes)))
    return (f"no workflow id in this module (nothing named {names}; "
            "set workflow-id-fallback or add-workflow-param)")


def reason_left_before_planning(finding: Finding, config: Config, *, unsafe_fixes: bool,
                                id_possible: bool) -> Optional[str]:
    """The reason ``finding``'s site is left whatever its syntax tree, or None. (Every target the
    detector reports has a planner in the all-rules command, which is tested; the one-rewrite
    commands only see their own targets.) ``id_possible``: :func:`workflow_id_possible` for the
    module. ``tmplint check`` asks the same for its ``fixable`` (``detector._fix_outlook``)."""
    rule = RULES[finding.code]
    if rule.fix == "none" or (rule.fix == "unsafe" and not unsafe_fixes):
        return rule.no_fix_reason or f"{rule.code} has no automatic fix"
    if finding.reason:
        return finding.reason
    if finding.target == "tempfile.tempdir":
        return "tempfile.tempdir is read or assigned; it has no automatic fix"
    if not id_possible:
        return no_workflow_id_reason(config)
    return None


def spelled_in(text: str) -> Callable[[str], bool]:
    """A conservative ``spells`` for :func:`workflow_id_possible` from a module's source text:
    true when the name occurs as a word anywhere (comments and strings included), so it is true
    whenever the syntax tree has an identifier of that name. (The substring test comes first: a
    pattern that starts with a lookbehind is tried at every position, which cost more than the
    whole detector on the many modules that spell no id name.)"""
    return lambda name: name in text and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) is not None


def sites_left_unparsed(data: bytes, path: str, findings: Sequence[Finding], config: Config,
                        unsafe_fixes: bool, add_noqa: bool) -> Optional[FixReport]:
    """The all-rules command's report when the findings alone show that no site of the module can
    be fixed (so libcst need not parse it), else None; always None with ``add_noqa``, which edits
    the module."""
    if add_noqa:
        return None
    id_possible = workflow_id_possible(config, spelled_in(decode_source(data, path)))
    report = FixReport()
    for finding in findings:
        reason = reason_left_before_planning(finding, config, unsafe_fixes=unsafe_fixes, id_possible=id_possible)
        if reason is None:
            return None
        report.left.append(SiteOutcome(finding.code, finding.line, finding.col, finding.target, reason))
    return report
