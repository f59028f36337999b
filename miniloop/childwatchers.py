"""Child watchers: noticing that a child process exited, without blocking the loop.

What you learn here: a parent learns that its child ended by *waiting* for it
(`os.waitpid`), which also frees the kernel's record of the dead child; until someone
waits, the child stays a *zombie*. But `waitpid` blocks, and an event loop must never
block. There are three ways out, and asyncio has a watcher for each:

* **a pidfd** (Linux 5.3+, `PidfdChildWatcher`): `os.pidfd_open(pid)` gives a file
  descriptor that becomes readable when the child exits. The loop watches it like a
  socket (`_add_reader`), and when it is readable `waitpid` returns at once. No thread,
  no signal: the cleanest answer, where the kernel has it.
* **a thread** (`ThreadedChildWatcher`): one thread per child sits in a blocking
  `waitpid`, and hands the exit status to the loop with `call_soon_threadsafe`, the one
  loop method another thread may call. It works everywhere, for the price of a thread.
* **SIGCHLD** (sigchldwatchers.py): the kernel signals the parent when a child changes
  state, and a handler polls with `waitpid(..., WNOHANG)`. The oldest answer, and the
  most fragile (one handler per process, signals only in the main thread).

A watcher's interface: `add_child_handler(pid, callback, *args)` arranges for
`callback(pid, returncode, *args)` once the child is gone; the returncode is the
`subprocess` one (`-N` for a child killed by signal N). The loop starts children inside
`with watcher:` (the SIGCHLD watchers need that to tell an unknown child from one being
started), and refuses to start any while `watcher.is_active()` is false.

Which watcher asyncio uses changed: 3.11's policy makes a ThreadedChildWatcher; 3.12 picks
a PidfdChildWatcher when `can_use_pidfd()` and deprecates the whole API (policies.py
holds get_child_watcher/set_child_watcher; asyncio 3.14 removes them, its loop waits for
its children itself).
"""

from __future__ import annotations

import itertools
import os
import threading
import warnings
from typing import Any

from . import versions
from .current import get_running_loop
from .errors import logger

__all__ = ("AbstractChildWatcher", "PidfdChildWatcher", "ThreadedChildWatcher",
           "can_use_pidfd", "waitstatus_to_exitcode")


def warn_deprecated(name: str, stacklevel: int = 3) -> None:
    """3.12's DeprecationWarning for a part of the child-watcher API (asyncio words it
    the same way for each name). The default stacklevel points at our caller's caller:
    the line that called the deprecated function or constructor."""
    if versions.CHILD_WATCHERS_DEPRECATED:
        warnings.warn(f"{name!r} is deprecated as of Python 3.12 and will be removed in "
                      f"Python 3.14.", DeprecationWarning, stacklevel=stacklevel)


def waitstatus_to_exitcode(status: int) -> int:
    """A wait status as a returncode: the exit code, or -N after signal N. (A status the
    os module cannot decode is passed on as it is, as asyncio does.)"""
    try:
        return os.waitstatus_to_exitcode(status)
    except ValueError:
        return status


def can_use_pidfd() -> bool:
    """Does this kernel give pidfds? (Asked for real: a seccomp policy may forbid them.)"""
    if not hasattr(os, "pidfd_open"):
        return False
    try:
        os.close(os.pidfd_open(os.getpid(), 0))
    except OSError:
        return False
    return True


class AbstractChildWatcher:
    """What a child watcher offers. Implementations must be thread-safe."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # 3.12: a watcher class of one's own is deprecated; asyncio's own are not warned
        # about (for miniloop, the classes defined in miniloop itself).
        super().__init_subclass__(**kwargs)
        if not cls.__module__.startswith("miniloop."):
            warn_deprecated("AbstractChildWatcher")

    def add_child_handler(self, pid: int, callback: Any, *args: Any) -> None:
        """Call `callback(pid, returncode, *args)` when process `pid` has exited (the
        callback may run in another thread). A second handler for a pid replaces the first."""
        raise NotImplementedError()

    def remove_child_handler(self, pid: int) -> bool:
        """Forget the handler of `pid`: True if there was one."""
        raise NotImplementedError()

    def attach_loop(self, loop: Any) -> None:
        """Attach the watcher to `loop` (None detaches it)."""
        raise NotImplementedError()

    def close(self) -> None:
        """Free the watcher's resources."""
        raise NotImplementedError()

    def is_active(self) -> bool:
        """Is the watcher ready to report the exit of a child started now?"""
        raise NotImplementedError()

    def __enter__(self) -> AbstractChildWatcher:
        """Children are started inside `with watcher:`; returns the watcher."""
        raise NotImplementedError()

    def __exit__(self, *exc_info: Any) -> None:
        raise NotImplementedError()


def _reap(pid: int, unknown_message: str, loop: Any = None) -> int:
    """Wait for `pid`, which has exited (or will), and return its returncode. A child
    someone else already waited for has no status left: asyncio warns and says 255.
    With `loop` in debug mode, a reaped child's returncode is logged."""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        logger.warning(unknown_message, pid)
        return 255
    returncode = waitstatus_to_exitcode(status)
    if loop is not None and loop.get_debug():
        logger.debug("process %s exited with returncode %s", pid, returncode)
    return returncode


def reap_in_threads(pidfds: dict[int, int]) -> None:
    """Close each child's pidfd (`pidfds`: pid -> pidfd, emptied) and leave the child to a
    daemon thread blocked in waitpid(): for children whose exit no loop will see, because
    the loop that watched their pidfds closed or let go of them.

    Discussion: asyncio's pidfd watchers simply stop watching (3.12's even leaves the pidfds
    open), and a child, once it ends, stays a zombie for the rest of the program. miniloop
    waits for it instead, as 3.11's ThreadedChildWatcher would have: no one hears its exit
    status, but the kernel can forget the child. (tests/test_children.py)
    """
    for pid, pidfd in pidfds.items():
        os.close(pidfd)
        threading.Thread(target=_wait_quietly, args=(pid,), name=f"miniloop-reap-{pid}",
                         daemon=True).start()
    pidfds.clear()


def _wait_quietly(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:  # the program waited for it itself meanwhile
        pass


# Discussion: two PidfdChildWatchers. 3.11's is attached to one loop (attach_loop, which
# the policy calls from set_event_loop) and keeps the pidfds it watches, so that
# remove_child_handler() and close() can stop watching; it is active only while its loop
# runs. 3.12's keeps nothing: each child's pidfd goes to the loop running when the child
# is registered, and is closed once the child is reaped. One class is defined, chosen by
# the version, under asyncio's one name.
_PIDFD_ALREADY_REAPED = ("child process pid %d exit status already read:  will report "
                         "returncode 255")

if versions.PIDFD_WATCHER_USES_RUNNING_LOOP:
    class PidfdChildWatcher(AbstractChildWatcher):
        """Each child's pidfd, watched by the running loop: readable means "exited"."""

        def __enter__(self) -> PidfdChildWatcher:
            return self

        def __exit__(self, *exc_info: Any) -> None:
            pass

        def is_active(self) -> bool:
            return True

        def close(self) -> None:
            pass

        def attach_loop(self, loop: Any) -> None:
            pass

        def add_child_handler(self, pid: int, callback: Any, *args: Any) -> None:
            loop = get_running_loop()
            pidfd = os.pidfd_open(pid)
            loop._add_reader(pidfd, self._do_wait, pid, pidfd, callback, args)
            loop._child_pidfds[pid] = pidfd  # for close(), if the child outlives the loop

        def _do_wait(self, pid: int, pidfd: int, callback: Any, args: tuple[Any, ...]) -> None:
            loop = get_running_loop()
            loop._remove_reader(pidfd)
            del loop._child_pidfds[pid]
            returncode = _reap(pid, _PIDFD_ALREADY_REAPED)  # readable: it returns at once
            os.close(pidfd)
            callback(pid, returncode, *args)

        def remove_child_handler(self, pid: int) -> bool:
            # (asyncio's loop never calls this; the pidfd is closed when the child is reaped)
            return True
else:
    class PidfdChildWatcher(AbstractChildWatcher):  # type: ignore[no-redef]
        """Each child's pidfd, watched by the attached loop: readable means "exited"."""

        def __init__(self) -> None:
            self._loop: Any = None  # the attached loop (attach_loop)
            self._callbacks: dict[int, tuple[int, Any, tuple[Any, ...]]] = {}
            # ^ pid -> (its pidfd, callback, args), for the children not reaped yet

        def __enter__(self) -> PidfdChildWatcher:
            return self

        def __exit__(self, *exc_info: Any) -> None:
            pass

        def is_active(self) -> bool:
            return self._loop is not None and self._loop.is_running()

        def close(self) -> None:
            self.attach_loop(None)

        def attach_loop(self, loop: Any) -> None:
            if self._loop is not None and loop is None and self._callbacks:
                warnings.warn("A loop is being detached from a child watcher with pending "
                              "handlers", RuntimeWarning, stacklevel=1)
            for pidfd, _, _ in self._callbacks.values():
                self._loop._remove_reader(pidfd)
            # asyncio closes the pidfds and leaves the children to become zombies
            reap_in_threads({pid: pidfd for pid, (pidfd, _, _) in self._callbacks.items()})
            self._callbacks.clear()
            self._loop = loop

        def add_child_handler(self, pid: int, callback: Any, *args: Any) -> None:
            existing = self._callbacks.get(pid)
            if existing is not None:  # a new handler for the same child keeps its pidfd
                self._callbacks[pid] = existing[0], callback, args
                return
            pidfd = os.pidfd_open(pid)
            self._loop._add_reader(pidfd, self._do_wait, pid)
            self._callbacks[pid] = pidfd, callback, args

        def _do_wait(self, pid: int) -> None:
            pidfd, callback, args = self._callbacks.pop(pid)
            self._loop._remove_reader(pidfd)
            returncode = _reap(pid, _PIDFD_ALREADY_REAPED)
            os.close(pidfd)
            callback(pid, returncode, *args)

        def remove_child_handler(self, pid: int) -> bool:
            try:
                pidfd, _, _ = self._callbacks.pop(pid)
            except KeyError:
                return False
            self._loop._remove_reader(pidfd)
            os.close(pidfd)
            return True


class ThreadedChildWatcher(AbstractChildWatcher):
    """One thread per child, blocked in waitpid(); the exit goes back to the loop with
    call_soon_threadsafe. Works anywhere; costs a thread per running child."""

    def __init__(self) -> None:
        self._pid_counter = itertools.count(0)            # numbers the threads' names
        self._threads: dict[int, threading.Thread] = {}   # pid -> the thread waiting for it

    def is_active(self) -> bool:
        return True

    def close(self) -> None:
        pass

    def __enter__(self) -> ThreadedChildWatcher:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        pass

    def __del__(self, _warn: Any = warnings.warn) -> None:
        if any(thread.is_alive() for thread in list(self._threads.values())):
            _warn(f"{self.__class__} has registered but not finished child processes",
                  ResourceWarning, source=self)

    def add_child_handler(self, pid: int, callback: Any, *args: Any) -> None:
        loop = get_running_loop()
        # A daemon thread, as asyncio's: a child still running does not hold up the
        # interpreter's exit. (The name is asyncio's; programs look for it.)
        thread = threading.Thread(target=self._do_waitpid, args=(loop, pid, callback, args),
                                  name=f"asyncio-waitpid-{next(self._pid_counter)}",
                                  daemon=True)
        self._threads[pid] = thread
        thread.start()

    def remove_child_handler(self, pid: int) -> bool:
        # (asyncio's loop never calls this, and a thread in waitpid() cannot be called off)
        return True

    def attach_loop(self, loop: Any) -> None:
        pass

    def _do_waitpid(self, loop: Any, pid: int, callback: Any, args: tuple[Any, ...]) -> None:
        """In the watcher's thread: block until the child is gone, then tell its loop."""
        returncode = _reap(pid, "Unknown child process pid %d, will report returncode 255",
                           loop)
        if loop.is_closed():
            logger.warning("Loop %r that handles pid %r is closed", loop, pid)
        else:
            loop.call_soon_threadsafe(callback, pid, returncode, *args)
        self._threads.pop(pid)
