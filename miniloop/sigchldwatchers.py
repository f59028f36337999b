"""The SIGCHLD child watchers: the oldest way to notice a child's exit, and its traps.

What you learn here: the kernel sends a process SIGCHLD whenever one of its children
exits. A handler for it can then ask `os.waitpid(pid, os.WNOHANG)`, which never blocks:
(0, 0) means "still running". Three watchers are built on that (childwatchers.py has the
interface and the pidfd and thread watchers that replaced them; all three are deprecated
since 3.12, and gone in 3.14):

* `SafeChildWatcher` polls each child it knows on every SIGCHLD: O(n) per signal, but it
  never touches children that others started (a `subprocess.run` elsewhere).
* `FastChildWatcher` reaps *every* exited child with `waitpid(-1)`: O(1), but it steals the
  exit status of children it was not asked about. It must also remember the exits of
  children whose handler is not registered yet (`_zombies`): a child can exit between
  fork() and add_child_handler(), which is why children are started inside `with watcher:`.
* `MultiLoopChildWatcher` installs a plain `signal.signal` handler instead of going through
  one loop, so that loops in other threads can have children too; each exit is handed to
  the child's loop with call_soon_threadsafe.

Discussion: signals coalesce. Two children exiting at once may raise one SIGCHLD, so a
handler must poll every child (or loop on `waitpid(-1)` until nothing is left), never
reap just one. And a handler set with `loop.add_signal_handler` only runs while that loop
runs, in the main thread: that is why `is_active()` asks whether the loop is running.
"""

from __future__ import annotations

import os
import signal
import threading
import warnings
from typing import Any

from .abstractloop import AbstractEventLoop
from .childwatchers import AbstractChildWatcher, waitstatus_to_exitcode, warn_deprecated
from .current import get_running_loop
from .errors import logger

__all__ = ("BaseChildWatcher", "SafeChildWatcher", "FastChildWatcher",
           "MultiLoopChildWatcher")

_UNKNOWN_CHILD = "Unknown child process pid %d, will report returncode 255"


def _poll(pid: int) -> tuple[int, int | None]:
    """waitpid(pid, WNOHANG) as (pid, returncode): returncode None while it runs; a child
    someone else already reaped is reported as 255, with asyncio's warning."""
    try:
        found, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        logger.warning(_UNKNOWN_CHILD, pid)
        return pid, 255
    if found == 0:
        return pid, None
    return found, waitstatus_to_exitcode(status)


class BaseChildWatcher(AbstractChildWatcher):
    """A watcher attached to one loop, woken by that loop's SIGCHLD handler."""

    def __init__(self) -> None:
        self._loop: Any = None                          # the attached loop
        self._callbacks: dict[int, tuple[Any, tuple[Any, ...]]] = {}  # pid -> (cb, args)

    def close(self) -> None:
        self.attach_loop(None)

    def is_active(self) -> bool:
        return self._loop is not None and self._loop.is_running()

    def _do_waitpid_all(self) -> None:
        raise NotImplementedError()

    def attach_loop(self, loop: Any) -> None:
        assert loop is None or isinstance(loop, AbstractEventLoop)
        if self._loop is not None and loop is None and self._callbacks:
            warnings.warn("A loop is being detached from a child watcher with pending "
                          "handlers", RuntimeWarning, stacklevel=1)
        if self._loop is not None:
            self._loop.remove_signal_handler(signal.SIGCHLD)
        self._loop = loop
        if loop is not None:
            loop.add_signal_handler(signal.SIGCHLD, self._sig_chld)
            self._do_waitpid_all()  # a child may have exited while no loop was attached

    def _sig_chld(self) -> None:
        try:
            self._do_waitpid_all()
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._loop.call_exception_handler({
                "message": "Unknown exception in SIGCHLD handler",
                "exception": exc,
            })


class SafeChildWatcher(BaseChildWatcher):
    """Polls each registered child on every SIGCHLD: O(n), and blind to other children."""

    def __init__(self) -> None:
        super().__init__()
        warn_deprecated("SafeChildWatcher")

    def close(self) -> None:
        self._callbacks.clear()
        super().close()

    def __enter__(self) -> SafeChildWatcher:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        pass

    def add_child_handler(self, pid: int, callback: Any, *args: Any) -> None:
        self._callbacks[pid] = (callback, args)
        self._do_waitpid(pid)  # it may have exited already: its SIGCHLD is gone

    def remove_child_handler(self, pid: int) -> bool:
        return self._callbacks.pop(pid, None) is not None

    def _do_waitpid_all(self) -> None:
        for pid in list(self._callbacks):
            self._do_waitpid(pid)

    def _do_waitpid(self, expected_pid: int) -> None:
        assert expected_pid > 0
        pid, returncode = _poll(expected_pid)
        if returncode is None:
            return
        if self._loop.get_debug():
            logger.debug("process %s exited with returncode %s", expected_pid, returncode)
        entry = self._callbacks.pop(pid, None)
        if entry is None:  # removed while we were waiting
            if self._loop.get_debug():
                logger.warning("Child watcher got an unexpected pid: %r", pid, exc_info=True)
            return
        callback, args = entry
        callback(pid, returncode, *args)


class FastChildWatcher(BaseChildWatcher):
    """Reaps every exited child with waitpid(-1): O(1), and it takes others' children."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()         # guards the three fields below
        self._zombies: dict[int, int] = {}    # exited before registration: pid -> returncode
        self._forks = 0                       # `with watcher:` blocks open (children starting)
        warn_deprecated("FastChildWatcher")

    def close(self) -> None:
        self._callbacks.clear()
        self._zombies.clear()
        super().close()

    def __enter__(self) -> FastChildWatcher:
        with self._lock:
            self._forks += 1
            return self

    def __exit__(self, *exc_info: Any) -> None:
        with self._lock:
            self._forks -= 1
            if self._forks or not self._zombies:
                return
            # No child is being started any more: these were never ours.
            strangers = str(self._zombies)
            self._zombies.clear()
        logger.warning("Caught subprocesses termination from unknown pids: %s",
                       strangers)

    def add_child_handler(self, pid: int, callback: Any, *args: Any) -> None:
        assert self._forks, "Must use the context manager"
        with self._lock:
            if pid not in self._zombies:
                self._callbacks[pid] = callback, args
                return
            returncode = self._zombies.pop(pid)
        callback(pid, returncode, *args)  # it is dead already

    def remove_child_handler(self, pid: int) -> bool:
        return self._callbacks.pop(pid, None) is not None

    def _do_waitpid_all(self) -> None:
        while True:  # signals coalesce: reap until no exited child is left
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return  # no children at all
            if pid == 0:
                return  # the rest still run
            returncode = waitstatus_to_exitcode(status)
            with self._lock:
                entry = self._callbacks.pop(pid, None)
                if entry is None and self._forks:
                    # Maybe the child being started right now: keep its status.
                    self._zombies[pid] = returncode
                    if self._loop.get_debug():
                        logger.debug("unknown process %s exited with returncode %s", pid,
                                     returncode)
                    continue
                if entry is not None and self._loop.get_debug():
                    logger.debug("process %s exited with returncode %s", pid, returncode)
            if entry is None:
                logger.warning("Caught subprocess termination from unknown pid: %d -> %d",
                               pid, returncode)
            else:
                callback, args = entry
                callback(pid, returncode, *args)


class MultiLoopChildWatcher(AbstractChildWatcher):
    """A process-wide SIGCHLD handler (signal.signal), for children of loops in any thread."""

    def __init__(self) -> None:
        self._callbacks: dict[int, tuple[Any, Any, tuple[Any, ...]]] = {}
        # ^ pid -> (its loop, callback, args)
        self._saved_sighandler: Any = None  # the SIGCHLD handler we replaced (None: not yet)
        warn_deprecated("MultiLoopChildWatcher")

    def is_active(self) -> bool:
        return self._saved_sighandler is not None

    def close(self) -> None:
        self._callbacks.clear()
        if self._saved_sighandler is None:
            return
        if signal.getsignal(signal.SIGCHLD) != self._sig_chld:
            logger.warning("SIGCHLD handler was changed by outside code")
        else:
            signal.signal(signal.SIGCHLD, self._saved_sighandler)
        self._saved_sighandler = None

    def __enter__(self) -> MultiLoopChildWatcher:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        pass

    def add_child_handler(self, pid: int, callback: Any, *args: Any) -> None:
        self._callbacks[pid] = (get_running_loop(), callback, args)
        self._do_waitpid(pid)  # it may have exited already

    def remove_child_handler(self, pid: int) -> bool:
        return self._callbacks.pop(pid, None) is not None

    def attach_loop(self, loop: Any) -> None:
        # No loop is kept; the first call (the policy makes it from the main thread, the
        # only one that may set a signal handler) installs the handler.
        if self._saved_sighandler is not None:
            return
        self._saved_sighandler = signal.signal(signal.SIGCHLD, self._sig_chld)
        if self._saved_sighandler is None:
            logger.warning("Previous SIGCHLD handler was set by non-Python code, restore to "
                           "default handler on watcher close.")
            self._saved_sighandler = signal.SIG_DFL
        signal.siginterrupt(signal.SIGCHLD, False)  # SA_RESTART: fewer EINTRs elsewhere

    def _do_waitpid_all(self) -> None:
        for pid in list(self._callbacks):
            self._do_waitpid(pid)

    def _do_waitpid(self, expected_pid: int) -> None:
        assert expected_pid > 0
        try:
            pid, status = os.waitpid(expected_pid, os.WNOHANG)
        except ChildProcessError:
            pid, returncode, reaped = expected_pid, 255, False
            logger.warning(_UNKNOWN_CHILD, pid)
        else:
            if pid == 0:
                return  # still running
            returncode, reaped = waitstatus_to_exitcode(status), True
        entry = self._callbacks.pop(pid, None)
        if entry is None:
            logger.warning("Child watcher got an unexpected pid: %r", pid, exc_info=True)
            return
        loop, callback, args = entry
        if loop.is_closed():
            logger.warning("Loop %r that handles pid %r is closed", loop, pid)
            return
        if reaped and loop.get_debug():
            logger.debug("process %s exited with returncode %s", expected_pid, returncode)
        loop.call_soon_threadsafe(callback, pid, returncode, *args)

    def _sig_chld(self, signum: int, frame: Any) -> None:
        try:
            self._do_waitpid_all()
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException:
            logger.warning("Unknown exception in SIGCHLD handler", exc_info=True)
