"""Generate ``docs/rules.md`` from the rule registry.

    python -m tmplint.docs            # (re)write docs/rules.md
    python -m tmplint.docs --check    # exit 1 when docs/rules.md is stale

Each rule's section is exactly ``Rule.doc()``, the text ``tmplint rule CODE`` prints.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

from tmplint.files import FileError, atomic_write, read_bytes
from tmplint.registry import RULES

DEFAULT_OUTPUT = Path("docs") / "rules.md"
COMMAND = "python -m tmplint.docs"


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation other than ``-`` dropped, spaces
    to dashes."""
    kept = "".join(ch for ch in heading.lower() if ch.isalnum() or ch in " -_")
    return kept.replace(" ", "-")


def render_rules() -> str:
    """The full markdown of docs/rules.md."""
    lines = [
        "# tmplint rules",
        "",
        f"<!-- Generated from tmplint/registry.py by `{COMMAND}`; do not edit by hand. -->",
        "",
        "Every rule is also printed by `tmplint rule CODE`, and listed by `tmplint rules`.",
        "Default-off rules are turned on with `extend-select` (`[tool.tmplint]`, `--extend-select`,",
        "or flake8's `--extend-select` with the full code).",
        "",
        "| code | name | default | fix |",
        "| --- | --- | --- | --- |",
    ]
    for code, rule in RULES.items():
        anchor = _anchor(f"{code} ({rule.name})")
        default = "on" if rule.default else "off"
        lines.append(f"| [{code}](#{anchor}) | {rule.name} | {default} | {rule.fix} |")
    text = "\n".join(lines) + "\n"
    for rule in RULES.values():
        text += "\n" + rule.doc()
    return text


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description="Generate docs/rules.md from the rule registry.")
    parser.add_argument("--output", "-o", type=Path, default=DEFAULT_OUTPUT,
                        help=f"file to write (default: {DEFAULT_OUTPUT.as_posix()}, run from the repo root)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when the file is stale")
    args = parser.parse_args(argv)
    expected = render_rules().encode("utf-8")
    if args.check:
        try:
            current: Optional[bytes] = read_bytes(args.output)
        except FileError:
            current = None
        if current != expected:
            print(f"{args.output}: stale (or missing); regenerate it with `{COMMAND}`", file=sys.stderr)
            return 1
        return 0
    try:
        current = read_bytes(args.output)
    except FileError:
        current = None
    if current == expected:
        return 0
    try:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(args.output, expected)
    except (OSError, FileError) as exc:
        print(f"{args.output}: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
