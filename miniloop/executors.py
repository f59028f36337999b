"""Executors: running blocking functions in threads (or processes) without blocking the loop.

What you learn here: the loop cannot run a blocking call (a file read, a DNS lookup, a
CPU-heavy function) without freezing every task. `run_in_executor(executor, fn, *args)`
submits `fn(*args)` to a `concurrent.futures` executor and returns a miniloop future that
follows the executor's future (`wrap_future`, see threads.py): the worker thread does the
blocking, the loop keeps turning, and the awaiting task wakes up when the result is back.

Passing `None` uses the loop's *default executor*, a `ThreadPoolExecutor` created on first
use (thread names start with "asyncio", as asyncio's do). A `ProcessPoolExecutor` may be
passed explicitly for CPU-bound work. The default executor is part of the loop's resources:

* `shutdown_default_executor()` waits for its threads without blocking the loop, by joining
  them in a helper thread that reports back with `call_soon_threadsafe`. `run()` calls it
  before closing the loop (see runners.py for the whole shutdown order).
* `close()` shuts it down without waiting.
* After either, `run_in_executor(None, ...)` refuses with asyncio's RuntimeError.

`ExecutorMixin` holds these methods; `EventLoop` inherits them.
"""

from __future__ import annotations

import concurrent.futures
import threading
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from . import versions
from .exceptions import CancelledError
from .threads import _chain

if TYPE_CHECKING:
    from .futures import Future
    from .handles import Handle, TimerHandle

__all__ = ("ExecutorMixin",)

T = TypeVar("T")

# How long run() lets the default executor finish its work before giving up (3.12+).
THREAD_JOIN_TIMEOUT = 300


class ExecutorMixin:
    """run_in_executor and the lifetime of the default executor."""

    if TYPE_CHECKING:  # what we use of EventLoop, for the type checker
        _default_executor: concurrent.futures.ThreadPoolExecutor | None
        _executor_shutdown_called: bool
        _debug: bool
        def _check_closed(self) -> None: ...
        def _check_callback(self, callback: object, method: str) -> None: ...
        def is_closed(self) -> bool: ...
        def create_future(self) -> Future[Any]: ...
        def call_later(self, delay: float, callback: Callable[..., object],
                       *args: Any) -> TimerHandle: ...
        def call_soon_threadsafe(self, callback: Callable[..., object],
                                 *args: Any) -> Handle: ...

    def run_in_executor(self, executor: concurrent.futures.Executor | None,
                        func: Callable[..., T], *args: Any) -> Future[T]:
        """Run `func(*args)` in `executor` (None: the default one); await the result."""
        self._check_closed()
        if self._debug:
            self._check_callback(func, "run_in_executor")
        if executor is None:
            if self._executor_shutdown_called:
                raise RuntimeError("Executor shutdown has been called")
            if self._default_executor is None:
                self._default_executor = concurrent.futures.ThreadPoolExecutor(
                    thread_name_prefix="asyncio")
            executor = self._default_executor
        # wrap_future(), spelled out: a loop future that follows the executor's future.
        mirror: Future[T] = self.create_future()
        _chain(executor.submit(func, *args), mirror)
        return mirror

    def set_default_executor(self, executor: concurrent.futures.ThreadPoolExecutor) -> None:
        """Use `executor` for run_in_executor(None, ...). Only thread pools are accepted."""
        if not isinstance(executor, concurrent.futures.ThreadPoolExecutor):
            raise TypeError("executor must be ThreadPoolExecutor instance")
        self._default_executor = executor

    if versions.SHUTDOWN_EXECUTOR_TIMEOUT:
        async def shutdown_default_executor(self,
                                            timeout: float | None = None) -> None:
            """Wait (without blocking the loop) until the default executor's threads are
            done; after `timeout` seconds, warn and stop waiting."""
            await self._shutdown_default_executor(timeout)
    else:
        async def shutdown_default_executor(self) -> None:  # type: ignore[misc]
            """Wait (without blocking the loop) until the default executor's threads are
            done. (The timeout argument arrived in 3.12.)"""
            await self._shutdown_default_executor(None)

    async def _shutdown_default_executor(self, timeout: float | None) -> None:
        """Discussion: `executor.shutdown(wait=True)` blocks, so a helper thread makes that
        call and reports back through `call_soon_threadsafe`, while we await a future.

        The timeout is where versions differ. 3.13 bounds the wait for that future: when it
        expires we stop waiting, warn, and leave the threads to finish on their own. 3.12
        only bounds the final `thread.join()`, which comes after the future is done, so in
        practice it waits for the executor however long it takes.
        """
        self._executor_shutdown_called = True
        executor = self._default_executor
        if executor is None:
            return
        done: Future[None] = self.create_future()
        thread = threading.Thread(target=self._join_executor, args=(executor, done))
        thread.start()
        if versions.SHUTDOWN_EXECUTOR_WAIT_BOUNDED:
            expired = False

            def expire() -> None:
                nonlocal expired
                expired = True
                done.cancel()

            timer = self.call_later(timeout, expire) if timeout is not None else None
            try:
                await done
            except CancelledError:
                if not expired:
                    raise
                _warn_executor_still_running(executor, timeout)
                return
            finally:
                if timer is not None:
                    timer.cancel()
            thread.join()
        else:
            try:
                await done
            finally:
                thread.join(timeout)
            if thread.is_alive():
                _warn_executor_still_running(executor, timeout)

    def _join_executor(self, executor: concurrent.futures.Executor,
                       done: Future[None]) -> None:
        """Runs in a helper thread: the blocking part of shutdown_default_executor."""
        try:
            executor.shutdown(wait=True)
            if not self.is_closed():
                self.call_soon_threadsafe(_set_result_unless_cancelled, done)
        except Exception as exc:
            if not self.is_closed():
                self.call_soon_threadsafe(done.set_exception, exc)

    def _shutdown_default_executor_nowait(self) -> None:
        """close(): let the default executor's threads finish on their own; do not wait."""
        self._executor_shutdown_called = True
        executor, self._default_executor = self._default_executor, None
        if executor is not None:
            executor.shutdown(wait=False)


def _set_result_unless_cancelled(fut: Future[None]) -> None:
    if not fut.cancelled():
        fut.set_result(None)


def _warn_executor_still_running(executor: concurrent.futures.Executor,
                                 timeout: float | None) -> None:
    # stacklevel 4: past this helper, _shutdown_default_executor and the public method, to
    # the line that awaited it (asyncio's typo "finishing" kept: people match on it).
    warnings.warn("The executor did not finishing joining "
                  f"its threads within {timeout} seconds.",
                  RuntimeWarning, stacklevel=4)
    executor.shutdown(wait=False)

