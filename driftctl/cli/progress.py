"""A progress line on stderr, drawn only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from driftctl.progress import NullProgress, Progress


class TerminalProgress:
    """``label [#####.....] 12/50 node-7`` redrawn in place on a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.label = ""
        self.total = 0
        self.done = 0
        self.failed = 0
        self.started = 0.0

    def start(self, label: str, total: int) -> None:
        self.label, self.total, self.done, self.failed = label, total, 0, 0
        self.started = time.monotonic()
        self._draw("")

    def advance(self, item: str, ok: bool = True) -> None:
        self.done += 1
        self.failed += 0 if ok else 1
        self._draw(item)

    def finish(self) -> None:
        if self.total:
            self._draw("done")
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self, item: str) -> None:
        if not self.total:
            return
        width = 20
        filled = width * self.done // self.total
        bar = "#" * filled + "." * (width - filled)
        failed = f" ({self.failed} failed)" if self.failed else ""
        elapsed = time.monotonic() - self.started
        line = f"{self.label} [{bar}] {self.done}/{self.total}{failed} {elapsed:4.1f}s {item}"
        self.stream.write("\r" + line[:99].ljust(99))
        self.stream.flush()


def progress_for(stream: TextIO | None = None) -> Progress:
    """A terminal progress line when ``stream`` (default: stderr as it is now) is a TTY,
    otherwise silence."""
    stream = stream if stream is not None else sys.stderr
    return TerminalProgress(stream) if stream.isatty() else NullProgress()
