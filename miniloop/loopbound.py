"""LoopBound: how a Lock or a Queue finds its loop without being given one.

What you learn here: since Python 3.10 the synchronization primitives take no `loop`
argument, so `lock = Lock()` works at import time, before any loop exists. The object
binds itself lazily instead: the first time it must *wait* (create a future), it adopts
the loop that is running right then. From that moment on, waiting on it from any other
loop is a bug (a future of loop A cannot wake a task of loop B), and asyncio reports it as

    RuntimeError: <Lock object at 0x... [locked]> is bound to a different event loop

Only waiting binds: an uncontended `acquire()`, `set()` or `put_nowait()` never asks for
the loop, so it neither binds the object nor checks the binding (as in asyncio).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from . import current

if TYPE_CHECKING:
    from .loop import EventLoop

__all__ = ("LoopBound",)

# asyncio binds under one process-wide lock, so that two threads whose loops first touch
# the same object at once cannot both win: exactly one binds, the other gets the error.
_binding = threading.Lock()


class LoopBound:
    """Base class of every primitive that creates futures on "its" loop."""

    _loop: EventLoop | None = None  # the loop that first waited on us (class default: none)

    def _get_loop(self) -> EventLoop:
        """The running loop, which becomes ours on first use; RuntimeError if ours is another."""
        # Outside a running loop asyncio fails a line later, with an AttributeError on
        # None; we say why instead.
        loop = current.get_running_loop()
        if self._loop is None:
            with _binding:
                if self._loop is None:
                    self._loop = loop
        if loop is not self._loop:
            raise RuntimeError(f"{self!r} is bound to a different event loop")
        return loop
