"""Event loop policies: asyncio's pluggable answer to "which loop is current".

What you learn here: before `asyncio.run()` existed, a program found its loop through
`get_event_loop()`, and a *policy* object decided what that meant (one loop per thread, a
uvloop loop, a Windows proactor loop). asyncio still routes `get_event_loop()`,
`set_event_loop()` and `new_event_loop()` through the policy in use, and so do `run()` and
`Runner` when they make their loop; 3.14 starts deprecating the whole idea in favour of
`asyncio.run(..., loop_factory=...)`.

The default policy keeps one *set* loop per thread, in a thread-local object of its own:
two policy objects know different loops, and replacing the policy forgets every set loop
(every CPython asyncio test module ends with `set_event_loop_policy(None)` for that).
Libraries plug in by subclassing `DefaultEventLoopPolicy` and overriding `new_event_loop()`
(pytest-asyncio does), or by writing a policy from scratch.
"""

from __future__ import annotations

import sys
import threading
import warnings
from typing import Any

from . import versions
from .abstractloop import AbstractEventLoop
from .loop import EventLoop

__all__ = ("AbstractEventLoopPolicy", "DefaultEventLoopPolicy",
           "get_event_loop_policy", "set_event_loop_policy")


class AbstractEventLoopPolicy:
    """What a policy can be asked: the current loop of this thread, or a new one."""

    def get_event_loop(self) -> AbstractEventLoop:
        raise NotImplementedError

    def set_event_loop(self, loop: AbstractEventLoop | None) -> None:
        raise NotImplementedError

    def new_event_loop(self) -> AbstractEventLoop:
        raise NotImplementedError


class _SetLoops(threading.local):
    loop: AbstractEventLoop | None = None  # the loop set_event_loop() chose for this thread
    set_called = False                     # set_event_loop() was called (even with None)


class DefaultEventLoopPolicy(AbstractEventLoopPolicy):
    """One set loop per thread, created on demand in the main thread."""

    def __init__(self) -> None:
        self._local = _SetLoops()  # this policy's set loops, one per thread

    def get_event_loop(self) -> AbstractEventLoop:
        """This thread's set loop; in the main thread, if nothing was ever set, a new one
        (with a DeprecationWarning since 3.12, the first step of removing that convenience)."""
        local = self._local
        if (local.loop is None and not local.set_called
                and threading.current_thread() is threading.main_thread()):
            if versions.IMPLICIT_LOOP_DEPRECATED:
                warnings.warn("There is no current event loop", DeprecationWarning,
                              stacklevel=_first_frame_outside_miniloop())
            self.set_event_loop(self.new_event_loop())
        if local.loop is None:
            raise RuntimeError("There is no current event loop in thread "
                               f"{threading.current_thread().name!r}.")
        return local.loop

    def set_event_loop(self, loop: AbstractEventLoop | None) -> None:
        self._local.set_called = True  # (asyncio records the call even when it then refuses)
        if loop is not None and not isinstance(loop, AbstractEventLoop):
            raise TypeError(f"loop must be an instance of AbstractEventLoop or None, "
                            f"not '{type(loop).__name__}'")
        self._local.loop = loop

    def new_event_loop(self) -> AbstractEventLoop:
        """A fresh loop; a subclass overrides this to make loops of its own kind."""
        return EventLoop()

    def get_child_watcher(self) -> Any:
        """Child watchers (subprocesses) are not in miniloop: NotImplementedError, what
        asyncio's policies without them raise, so that code which checks goes on."""
        raise NotImplementedError("miniloop does not implement child watchers")

    def set_child_watcher(self, watcher: Any) -> None:
        raise NotImplementedError("miniloop does not implement child watchers")

    def _forget_set_loops(self) -> None:
        self._local = _SetLoops()


def _first_frame_outside_miniloop() -> int:
    """The stacklevel that points a warning at the caller's line, not at miniloop's own
    frames (get_event_loop() may be reached through Future(), gather(), ...)."""
    level, frame = 2, sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if not (module == "miniloop" or module.startswith("miniloop.")):
            break
        frame, level = frame.f_back, level + 1  # type: ignore[assignment]
    return level


_policy: AbstractEventLoopPolicy | None = None  # asyncio keeps its policy in a global too
_lock = threading.Lock()                        # two threads asking first get the same policy


def get_event_loop_policy() -> AbstractEventLoopPolicy:
    """The policy in use; a default one is made on first use."""
    global _policy
    if _policy is None:
        with _lock:
            if _policy is None:
                _policy = DefaultEventLoopPolicy()
    return _policy


def set_event_loop_policy(policy: AbstractEventLoopPolicy | None) -> None:
    """Replace the policy; None brings back a fresh default one (which knows no set loop:
    the loops set through the old policy belonged to it)."""
    global _policy
    if policy is not None and not isinstance(policy, AbstractEventLoopPolicy):
        raise TypeError(f"policy must be an instance of AbstractEventLoopPolicy or None, "
                        f"not '{type(policy).__name__}'")
    _policy = policy
