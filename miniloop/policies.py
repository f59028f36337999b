"""Event loop policies: asyncio's pluggable answer to "which loop is current", kept to a stub.

What you learn here: before `asyncio.run()` existed, a program found its loop through
`get_event_loop()`, and a *policy* object decided what that meant (one loop per thread, a
uvloop loop, a Windows proactor loop). asyncio still routes `get_event_loop()`,
`set_event_loop()` and `new_event_loop()` through the policy, and 3.14 starts deprecating
the whole idea in favour of `asyncio.run(..., loop_factory=...)`.

miniloop has exactly one policy, asyncio's default one, whose behaviour lives in current.py.
This module only gives it asyncio's API, because real code still calls it: every CPython
asyncio test module ends with `set_event_loop_policy(None)`, which forgets the loop set in
every thread (the next `get_event_loop()` starts from scratch). A policy of your own would
need current.py to ask the policy at every step; miniloop refuses one with a clear error
rather than silently ignoring it.
"""

from __future__ import annotations

import threading

from . import current
from .loop import EventLoop

__all__ = ("AbstractEventLoopPolicy", "DefaultEventLoopPolicy",
           "get_event_loop_policy", "set_event_loop_policy")


class AbstractEventLoopPolicy:
    """What a policy can be asked: the current loop of this thread, or a new one."""

    def get_event_loop(self) -> EventLoop:
        raise NotImplementedError

    def set_event_loop(self, loop: EventLoop | None) -> None:
        raise NotImplementedError

    def new_event_loop(self) -> EventLoop:
        raise NotImplementedError


class DefaultEventLoopPolicy(AbstractEventLoopPolicy):
    """One set loop per thread, created on demand in the main thread (see current.py)."""

    def get_event_loop(self) -> EventLoop:
        return current.get_event_loop()

    def set_event_loop(self, loop: EventLoop | None) -> None:
        current.set_event_loop(loop)

    def new_event_loop(self) -> EventLoop:
        return current.new_event_loop()


_policy: DefaultEventLoopPolicy | None = None  # asyncio keeps its policy in a global too
_lock = threading.Lock()                      # two threads asking first get the same policy


def get_event_loop_policy() -> DefaultEventLoopPolicy:
    """The policy in use; a default one is made on first use."""
    global _policy
    with _lock:
        if _policy is None:
            _policy = DefaultEventLoopPolicy()
        return _policy


def set_event_loop_policy(policy: AbstractEventLoopPolicy | None) -> None:
    """Replace the policy; None brings back a fresh default one. Either way the loops that
    were set in each thread are forgotten, because they belonged to the old policy."""
    global _policy
    if policy is not None and not isinstance(policy, AbstractEventLoopPolicy):
        raise TypeError(f"policy must be an instance of AbstractEventLoopPolicy or None, "
                        f"not '{type(policy).__name__}'")
    if policy is not None and type(policy) is not DefaultEventLoopPolicy:
        # asyncio would route every get_event_loop() through it; miniloop cannot.
        raise NotImplementedError(
            f"miniloop has only asyncio's default event loop policy, not "
            f"'{type(policy).__name__}'; pass loop_factory= to run() or Runner() instead")
    with _lock:
        # (In asyncio even set_event_loop() makes the default policy, so None always
        # replaces one; only setting the policy already in use keeps the set loops.)
        if policy is None or policy is not _policy:
            current._state = current._ThreadState()
        _policy = policy
