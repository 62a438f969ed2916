"""What the detector reports: one finding (in a module of its own, so that reporting the cached
results of a warm ``tmplint check`` does not import the detector)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    #: 0-based, in characters (code points) of the line, as ruff counts (``ast`` counts UTF-8
    #: bytes; :func:`find_findings` converts); text, JSON, SARIF and GitHub print col + 1
    col: int
    code: str
    message: str
    #: plain ``tmplint fix`` (no --unsafe-fixes) rewrites this site
    fixable: bool
    end_line: int
    end_col: int
    #: what was found: a qualified name (``tempfile.mkstemp``) or ``"literal"``
    target: str
    #: why ``tmplint fix`` cannot rewrite the site, when the detector already knows (a ``dir=``
    #: built on the temp dir that a rewrite would drop); empty otherwise
    reason: str = ""
    #: the expression holding the workflow id in the site's function (``codemods.workflow_id_facts``),
    #: judged here when it decides ``fixable`` (no fallback, no new parameter configured; see
    #: ``triage.id_decides_fixable``); the planners write the id from it
    workflow_id: Optional["WorkflowIdFact"] = None

    def to_dict(self) -> dict:
        return {
            "path": self.path, "line": self.line, "col": self.col + 1, "code": self.code,
            "message": self.message, "fixable": self.fixable,
        }


@dataclass(frozen=True)
class WorkflowIdFact:
    """The expression that holds the workflow id at a site."""

    #: as the rewrite writes it: ``job_id``, ``self.workflow_id``, ``ctx.workflow_id``
    spelling: str
    #: why the value may be None ("" when it cannot): without a fallback the site is left
    may_be_none: str = ""
    #: nothing is known about it (an attribute of an object of unknown type): guarded with the
    #: fallback when one is configured, used as it is otherwise
    unknown: bool = False
