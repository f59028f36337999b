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
It also holds the *child watcher* that reports the exit of child processes
(childwatchers.py): made on first use, a thread watcher in 3.11, a pidfd one from 3.12
where the kernel has pidfds, and attached to each loop set from the main thread (the
SIGCHLD watchers need that). 3.12 deprecates get_child_watcher()/set_child_watcher().
Libraries plug in by subclassing `DefaultEventLoopPolicy` and overriding `new_event_loop()`
(pytest-asyncio does), or by writing a policy from scratch.
"""

from __future__ import annotations

import atexit
import sys
import threading
import warnings

from . import versions
from .abstractloop import AbstractEventLoop
from .childwatchers import (
    AbstractChildWatcher,
    PidfdChildWatcher,
    ThreadedChildWatcher,
    can_use_pidfd,
    warn_deprecated,
)
from .loop import EventLoop

__all__ = ("AbstractEventLoopPolicy", "DefaultEventLoopPolicy",
           "get_event_loop_policy", "set_event_loop_policy", "get_child_watcher",
           "set_child_watcher")


class AbstractEventLoopPolicy:
    """What a policy can be asked: the current loop of this thread, or a new one."""

    def get_event_loop(self) -> AbstractEventLoop:
        raise NotImplementedError

    def set_event_loop(self, loop: AbstractEventLoop | None) -> None:
        raise NotImplementedError

    def new_event_loop(self) -> AbstractEventLoop:
        raise NotImplementedError

    def get_child_watcher(self) -> AbstractChildWatcher:
        raise NotImplementedError

    def set_child_watcher(self, watcher: AbstractChildWatcher | None) -> None:
        raise NotImplementedError


class _SetLoops(threading.local):
    # (asyncio's names for the two, which CPython's tests read)
    _loop: AbstractEventLoop | None = None  # the loop set_event_loop() chose for this thread
    _set_called = False                     # set_event_loop() was called (even with None)


class DefaultEventLoopPolicy(AbstractEventLoopPolicy):
    """One set loop per thread, created on demand in the main thread."""

    def __init__(self) -> None:
        self._local = _SetLoops()  # this policy's set loops, one per thread
        self._watcher: AbstractChildWatcher | None = None  # made by get_child_watcher()

    def get_event_loop(self) -> AbstractEventLoop:
        """This thread's set loop; in the main thread, if nothing was ever set, a new one
        (with a DeprecationWarning since 3.12, the first step of removing that convenience)."""
        local = self._local
        if (local._loop is None and not local._set_called
                and threading.current_thread() is threading.main_thread()):
            if versions.IMPLICIT_LOOP_DEPRECATED:
                warnings.warn("There is no current event loop", DeprecationWarning,
                              stacklevel=_first_frame_outside_miniloop())
            self.set_event_loop(self.new_event_loop())
        if local._loop is None:
            raise RuntimeError("There is no current event loop in thread "
                               f"{threading.current_thread().name!r}.")
        return local._loop

    def set_event_loop(self, loop: AbstractEventLoop | None) -> None:
        self._local._set_called = True  # (asyncio records the call even when it then refuses)
        if loop is not None and not isinstance(loop, AbstractEventLoop):
            raise TypeError(f"loop must be an instance of AbstractEventLoop or None, "
                            f"not '{type(loop).__name__}'")
        self._local._loop = loop
        # The watcher follows the main thread's loop (a SIGCHLD handler can only be set
        # there); the others ignore attach_loop().
        if self._watcher is not None and threading.current_thread() is threading.main_thread():
            self._watcher.attach_loop(loop)

    def new_event_loop(self) -> AbstractEventLoop:
        """A fresh loop; a subclass overrides this to make loops of its own kind."""
        return EventLoop()

    def get_child_watcher(self) -> AbstractChildWatcher:
        """The watcher that reports child exits to the loops, made on first use."""
        if self._watcher is None:
            with _lock:
                if self._watcher is None:
                    use_pidfd = versions.PIDFD_WATCHER_BY_DEFAULT and can_use_pidfd()
                    self._watcher = PidfdChildWatcher() if use_pidfd else ThreadedChildWatcher()
        warn_deprecated("get_child_watcher")
        return self._watcher

    def set_child_watcher(self, watcher: AbstractChildWatcher | None) -> None:
        """Replace the watcher (the old one is closed)."""
        assert watcher is None or isinstance(watcher, AbstractChildWatcher)
        if self._watcher is not None:
            self._watcher.close()
        self._watcher = watcher
        warn_deprecated("set_child_watcher")

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


@atexit.register
def _excuse_the_set_loop_at_exit() -> None:
    """At exit, excuse the main thread's set loop from the "unclosed event loop" warning.

    asyncio never finalizes that loop: its C accelerator keeps the policy alive past the
    interpreter's last garbage collection, and an unclosed loop is in a reference cycle (its
    self-pipe reader), so nothing ever frees it (`Runner().close()` then `run()` leaves one).
    miniloop's modules are all collected at exit, loop included, so the loop is told here.
    """
    loop = getattr(getattr(_policy, "_local", None), "_loop", None)
    if isinstance(loop, EventLoop):
        loop._set_at_exit = True


def get_child_watcher() -> AbstractChildWatcher:
    """The policy's child watcher (deprecated since 3.12)."""
    return get_event_loop_policy().get_child_watcher()


def set_child_watcher(watcher: AbstractChildWatcher | None) -> None:
    """Give the policy another child watcher (deprecated since 3.12)."""
    return get_event_loop_policy().set_child_watcher(watcher)
