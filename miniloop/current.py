"""Which loop is current: the loop running in this thread, and the loop set for it.

What you learn here: there are two different notions, and mixing them up is a classic
source of confusion.

* The **running** loop is the one whose `run_forever()` is on the stack of this thread right
  now. Coroutines and callbacks always run inside it, so `get_running_loop()` is what library
  code should call; outside a loop it raises `RuntimeError('no running event loop')`.
* The **set** loop is a per-thread default that `set_event_loop()` records, for code that runs
  before any loop does. `get_event_loop()` returns the running loop if there is one, else it
  asks the event loop *policy* (policies.py), whose default answer is this thread's set loop,
  made on demand in the main thread.

The running loop is kept here, in one thread-local field: it is the only global state in
miniloop besides the policy, and asyncio has the same two.
"""

from __future__ import annotations

import os
import signal
import threading
from typing import TYPE_CHECKING, cast

from . import versions

if TYPE_CHECKING:
    from .loop import EventLoop

__all__ = ("get_running_loop", "get_event_loop", "set_event_loop", "new_event_loop")


class _RunningLoop(threading.local):
    loop: EventLoop | None = None     # the loop inside run_forever() in this thread


_running = _RunningLoop()


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
    """The running loop; else whatever the policy says (by default: this thread's set loop,
    or in the main thread a new one)."""
    from .policies import get_event_loop_policy

    loop = _running.loop
    if loop is not None:
        return loop
    # (A custom policy may answer with any AbstractEventLoop; miniloop takes it at its word,
    # as asyncio does, and the types say EventLoop for miniloop's own callers.)
    return cast("EventLoop", get_event_loop_policy().get_event_loop())


def set_event_loop(loop: EventLoop | None) -> None:
    """Make `loop` this thread's current loop, through the policy (None forgets it, and
    stops get_event_loop from creating one)."""
    from .policies import get_event_loop_policy

    get_event_loop_policy().set_event_loop(loop)


def new_event_loop() -> EventLoop:
    """A fresh loop made by the policy; it is not made current (call set_event_loop)."""
    from .policies import get_event_loop_policy

    return cast("EventLoop", get_event_loop_policy().new_event_loop())


def _forget_loops_in_child() -> None:
    """After os.fork(), the child is a new process with a copy of the parent's memory: the
    loop "running" in it is the parent's (its selector, its self-pipe), which the child
    must not drive, so it is forgotten (asyncio 3.11 gets there by checking the process
    id). From 3.12 asyncio also forgets the set loops and the signal wake-up fd, so the
    child starts from nothing (scenario test_a_forked_child_can_run_its_own_loop)."""
    from . import policies

    _running.loop = None
    if versions.FORK_FORGETS_LOOP:
        if isinstance(policies._policy, policies.DefaultEventLoopPolicy):
            policies._policy._forget_set_loops()
        signal.set_wakeup_fd(-1)  # the parent's self-pipe is not the child's


os.register_at_fork(after_in_child=_forget_loops_in_child)
