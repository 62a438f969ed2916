"""A progress bar on stderr for long runs, shared by ``tmplint check`` and ``tmplint fix``.

It draws only when the stream is a terminal and not in CI (``CI`` set) or a dumb terminal, and only
once a run has taken longer than ``delay`` seconds, so short runs, pipes and logs never see it.
It redraws at most ten times a second and erases itself when done, so whatever is printed after it
(the summary, errors) starts on a clean line.

    with Progress(total=len(files), label="fixing") as bar:
        for path in files:
            ...
            bar.advance()
"""
from __future__ import annotations

import os
import sys
import time
from typing import Optional, TextIO


def progress_wanted(stream: Optional[TextIO] = None) -> bool:
    """Whether a progress bar belongs on ``stream`` (default: stderr)."""
    stream = sys.stderr if stream is None else stream
    if os.environ.get("CI") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


class Progress:
    """``[#####.....]  512/1790 files  checking`` on one line of a terminal."""

    def __init__(
        self, total: int, label: str = "", stream: Optional[TextIO] = None,
        enabled: Optional[bool] = None, delay: float = 0.5, unit: str = "files",
    ) -> None:
        self.total = max(total, 0)
        self.label = label
        self.unit = unit
        self.stream = sys.stderr if stream is None else stream
        self.enabled = progress_wanted(self.stream) if enabled is None else enabled
        self.delay = delay
        self.done = 0
        self._start = time.monotonic()
        self._last_draw = 0.0
        self._drawn = False

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def advance(self, count: int = 1) -> None:
        self.done += count
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._start < self.delay or now - self._last_draw < 0.1:
            return
        self._last_draw = now
        self._draw()

    def _draw(self) -> None:
        import shutil  # here: most runs never draw, and shutil takes a while to import

        width = shutil.get_terminal_size((80, 24)).columns
        counts = f" {self.done}/{self.total} {self.unit}"
        label = f"  {self.label}" if self.label else ""
        bar_width = max(10, min(40, width - len(counts) - len(label) - 4))
        filled = bar_width * self.done // self.total if self.total else bar_width
        line = f"[{'#' * filled}{'.' * (bar_width - filled)}]{counts}{label}"[: max(width - 1, 1)]
        try:
            self.stream.write("\r" + line + "\x1b[K")
            self.stream.flush()
            self._drawn = True
        except (OSError, ValueError):
            self.enabled = False

    def close(self) -> None:
        if self._drawn:
            try:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
            except (OSError, ValueError):
                pass
            self._drawn = False
        self.enabled = False
