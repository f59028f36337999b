"""The progress line shown while benchmarks run.

One line on stderr, rewritten in place (`\\r` and erase-to-end-of-line), saying which step of
how many is running and how long the run has taken so far. Only on a terminal: in a log or
a CI transcript, where a rewritten line would pile up as noise, it stays quiet.
"""

from __future__ import annotations

import sys
import time

__all__ = ("Progress",)


class Progress:
    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.started = time.perf_counter()
        self.shown = sys.stderr.isatty()

    def step(self, what: str) -> None:
        """Count one step and show it."""
        self.done += 1
        if self.shown:
            elapsed = time.perf_counter() - self.started
            sys.stderr.write(f"\r\033[K[{self.done}/{self.total}] {elapsed:4.0f} s  {what}")
            sys.stderr.flush()

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
