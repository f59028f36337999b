"""Which loop is current: the loop running in this thread, and the loop set for it.

What you learn here: there are two different notions, and mixing them up is a classic
source of confusion.

* The **running** loop is the one whose `run_forever()` is on the stack of this thread right
  now. Coroutines and callbacks always run inside it, so `get_running_loop()` is what library
  code should call; outside a loop it raises `RuntimeError('no running event loop')`.
* The **set** loop is a per-thread default that `set_event_loop()` records, for code that runs
  before any loop does. `get_event_loop()` returns the running loop if there is one, else the
  set loop; in the main thread, if nothing was ever set, it creates one (with a
  DeprecationWarning since 3.12, the first step of removing that convenience).

asyncio routes the second notion through "event loop policies"; miniloop keeps just the
default policy's behaviour, in thread-local fields (policies.py puts asyncio's policy API
on top). This module is the only global state in miniloop, and asyncio has the same.
"""

from __future__ import annotations

import threading
import warnings
from typing import TYPE_CHECKING

from . import versions

if TYPE_CHECKING:
    from .loop import EventLoop

__all__ = ("get_running_loop", "get_event_loop", "set_event_loop", "new_event_loop")


class _RunningLoop(threading.local):
    loop: EventLoop | None = None     # the loop inside run_forever() in this thread


class _ThreadState(threading.local):
    loop: EventLoop | None = None     # the loop set_event_loop() chose for this thread
    set_called = False                # set_event_loop() was called (even with None)


_running = _RunningLoop()
# Replaced by a fresh one when the event loop policy is replaced (policies.py): a new policy
# knows no set loop in any thread, while the running loops keep running.
_state = _ThreadState()


def get_running_loop() -> EventLoop:
    """The loop running in this thread. Call it from a coroutine or a callback."""
    loop = _running.loop
    if loop is None:
        raise RuntimeError("no running event loop")
    return loop


def _get_running_loop() -> EventLoop | None:
    """The running loop, or None: the quiet version, for code that has a fallback."""
    return _running.loop


def _set_running_loop(loop: EventLoop | None) -> None:
    _running.loop = loop


def get_event_loop() -> EventLoop:
    """The running loop; else this thread's set loop; else (main thread only) a new one."""
    loop = _running.loop
    if loop is not None:
        return loop
    if (_state.loop is None and not _state.set_called
            and threading.current_thread() is threading.main_thread()):
        if versions.IMPLICIT_LOOP_DEPRECATED:
            warnings.warn("There is no current event loop", DeprecationWarning, stacklevel=2)
        set_event_loop(new_event_loop())
    if _state.loop is None:
        raise RuntimeError("There is no current event loop in thread "
                           f"{threading.current_thread().name!r}.")
    return _state.loop


def set_event_loop(loop: EventLoop | None) -> None:
    """Make `loop` this thread's current loop (None forgets it, and stops get_event_loop
    from creating one)."""
    from .loop import EventLoop

    if loop is not None and not isinstance(loop, EventLoop):
        raise TypeError(f"loop must be an instance of AbstractEventLoop or None, "
                        f"not '{type(loop).__name__}'")
    _state.set_called = True
    _state.loop = loop


def new_event_loop() -> EventLoop:
    """A fresh loop; it is not made current (call set_event_loop for that)."""
    from .loop import EventLoop

    return EventLoop()
