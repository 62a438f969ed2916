"""The runnable snippets of README.md and docs/*.md, for the tests that run them.

A fenced block is runnable when the line right before its opening fence is the HTML comment
``<!-- runnable -->`` (invisible on GitHub), optionally with options after the word:

* ``exit=N`` — the exit status every command of the block must have (default 0); a single
  command of a ``console`` or ``bash`` block may say otherwise with a trailing ``# exits N``;
* ``file=PATH`` — the block is a file (a ``[tool.tmplint]`` table, a ``.flake8``): it is written
  to PATH in the project, which tmplint and flake8 must then accept;
* ``pre-commit`` — a ``.pre-commit-config.yaml``, run by the real pre-commit
  (``tests/test_precommit.py``, with the repository URL pointed at a snapshot of this tree);
* ``release`` — the release commands, run in that snapshot to make the tag the snippet pins.

``console`` blocks hold ``$ command`` lines, each followed by lines it prints (stdout and stderr
together; each shown line must appear in what it prints). ``bash`` blocks hold one command per
line. Commands run one by one, each in its own bash (a shell variable does not outlive its line),
in a fresh copy of ``examples/video_pipeline``
(``tests/test_docs.py``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MARKER = re.compile(r"^<!-- runnable(?P<options>(?: [\w-]+(?:=\S+)?)*) -->$")
OPTIONS = ("exit", "file", "pre-commit", "release")
_EXITS = re.compile(r"#\s*exits?\s+(\d+)\b")


@dataclass
class Snippet:
    path: Path
    #: the line number of the opening fence
    line: int
    language: str
    text: str
    options: Dict[str, Optional[str]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT).as_posix()}:{self.line}"

    @property
    def kind(self) -> str:
        """``shell``, ``file``, ``pre-commit`` or ``release``."""
        for kind in ("file", "pre-commit", "release"):
            if kind in self.options:
                return kind
        return "shell"

    def commands(self) -> List[Tuple[str, int, List[str]]]:
        """``(command, expected exit status, lines it must print)`` of a shell snippet."""
        default = int(self.options.get("exit") or 0)
        found: List[Tuple[str, int, List[str]]] = []
        for line in self.text.splitlines():
            if self.language == "console" and not line.startswith("$ "):
                if found and line.strip():
                    found[-1][2].append(line.strip())
                continue
            command = line[2:] if self.language == "console" else line
            if not command.strip() or command.lstrip().startswith("#"):
                continue
            status = _EXITS.search(command)
            found.append((command, int(status.group(1)) if status else default, []))
        return found


def snippets() -> List[Snippet]:
    """Every runnable snippet of README.md and docs/, in document order."""
    found = []
    for document in DOCUMENTS:
        lines = document.read_text(encoding="utf-8").splitlines()
        for index, line in enumerate(lines):
            match = MARKER.match(line.strip())
            if match is None:
                continue
            fence = lines[index + 1] if index + 1 < len(lines) else ""
            if not fence.lstrip().startswith("```"):
                raise ValueError(f"{document}:{index + 1}: a runnable marker must stand right before a fence")
            indent = len(fence) - len(fence.lstrip())  # a block inside a list item
            end = next(i for i in range(index + 2, len(lines)) if lines[i].strip().startswith("```"))
            options = dict((opt.split("=", 1) + [None])[:2] for opt in match.group("options").split())
            unknown = set(options) - set(OPTIONS)
            if unknown:
                raise ValueError(f"{document}:{index + 1}: unknown runnable option(s) {sorted(unknown)}")
            text = "".join(line[indent:] + "\n" for line in lines[index + 2:end])
            found.append(Snippet(document, index + 2, fence.strip()[3:].strip(), text, options))
    return found


def snippets_of(kind: str) -> List[Snippet]:
    return [snippet for snippet in snippets() if snippet.kind == kind]
