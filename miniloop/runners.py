"""run() and Runner: the front door, from a coroutine to a finished program.

What you learn here: what `asyncio.run(main())` does around your coroutine.

1. Create a loop and make it this thread's current loop.
2. Wrap `main()` in a task and run the loop until that task is done.
3. Clean up: cancel every task still pending and wait for them to finish, so their
   `finally:` blocks run; close the async generators that were never exhausted (their
   `finally:` blocks run too); wait for the default executor's threads; then close the
   loop and forget it.

`Runner` is the same thing in pieces, for running several coroutines on one loop (it is what
`unittest.IsolatedAsyncioTestCase` uses). Ctrl-C while it runs cancels the main task, and
then surfaces as KeyboardInterrupt, as asyncio does since 3.11.
"""

from __future__ import annotations

import contextvars
import enum
import functools
import signal
import threading
from collections.abc import Callable, Coroutine
from types import FrameType
from typing import Any, TypeVar

from . import current, versions
from .coroutines import iscoroutine
from .exceptions import CancelledError
from .executors import THREAD_JOIN_TIMEOUT
from .gather import gather
from .loop import EventLoop
from .tasks import Task, all_tasks

__all__ = ("Runner", "run")

T = TypeVar("T")


class _State(enum.Enum):
    CREATED = "created"
    INITIALIZED = "initialized"
    CLOSED = "closed"


class Runner:
    """A context manager that owns one loop and runs coroutines on it, one at a time."""

    def __init__(self, *, debug: bool | None = None,
                 loop_factory: Callable[[], EventLoop] | None = None) -> None:
        self._state = _State.CREATED
        self._debug = debug
        self._loop_factory = loop_factory
        self._loop: EventLoop | None = None
        self._context: contextvars.Context | None = None  # shared by every run()
        self._interrupt_count = 0       # Ctrl-C presses during the current run()
        self._set_event_loop = False    # we made our loop the current one

    def __enter__(self) -> Runner:
        self._lazy_init()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def get_loop(self) -> EventLoop:
        """The runner's loop (created on first use)."""
        self._lazy_init()
        assert self._loop is not None
        return self._loop

    def run(self, coro: Coroutine[Any, Any, T], *,
            context: contextvars.Context | None = None) -> T:
        """Run `coro` in a task on the runner's loop until it is done; return its result."""
        if not iscoroutine(coro):
            raise ValueError(f"a coroutine was expected, got {coro!r}")
        if current._get_running_loop() is not None:
            raise RuntimeError("Runner.run() cannot be called from a running event loop")
        self._lazy_init()
        assert self._loop is not None
        if context is None:
            context = self._context
        task = self._loop.create_task(coro, context=context)

        # Ctrl-C: take over SIGINT while the task runs, if nobody else has (see _on_sigint).
        handler: Any = None
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            handler = functools.partial(self._on_sigint, main_task=task)
            try:
                signal.signal(signal.SIGINT, handler)
            except ValueError:  # an embedded interpreter may not allow it
                handler = None
        self._interrupt_count = 0
        try:
            return self._loop.run_until_complete(task)
        except CancelledError:
            # The cancellation was ours, made on Ctrl-C: report it as the KeyboardInterrupt
            # it was (unless the task took it back and was cancelled for another reason).
            if self._interrupt_count > 0:
                uncancel = getattr(task, "uncancel", None)  # a task factory's may lack it
                if uncancel is not None and uncancel() == 0:
                    raise KeyboardInterrupt()
            raise
        finally:
            if handler is not None and signal.getsignal(signal.SIGINT) is handler:
                signal.signal(signal.SIGINT, signal.default_int_handler)

    def close(self) -> None:
        """Cancel leftover tasks and wait for them, finalize async generators, shut down
        the default executor, then close the loop."""
        if self._state is not _State.INITIALIZED:
            return
        loop = self._loop
        assert loop is not None
        try:
            # asyncio's order: leftover tasks first (their finally blocks may still use
            # async generators and the executor), then async generators, then the executor.
            _cancel_all_tasks(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            if versions.SHUTDOWN_EXECUTOR_TIMEOUT:
                loop.run_until_complete(loop.shutdown_default_executor(THREAD_JOIN_TIMEOUT))
            else:
                loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            if self._set_event_loop:
                current.set_event_loop(None)
            loop.close()
            self._loop = None
            self._state = _State.CLOSED

    def _lazy_init(self) -> None:
        if self._state is _State.CLOSED:
            raise RuntimeError("Runner is closed")
        if self._state is _State.INITIALIZED:
            return
        if self._loop_factory is None:
            self._loop = current.new_event_loop()
            if not self._set_event_loop:
                current.set_event_loop(self._loop)
                self._set_event_loop = True
        else:
            self._loop = self._loop_factory()
        if self._debug is not None:
            self._loop.set_debug(self._debug)
        self._context = contextvars.copy_context()
        self._state = _State.INITIALIZED

    def _on_sigint(self, signum: int, frame: FrameType | None, main_task: Task[Any]) -> None:
        """First Ctrl-C: cancel the main task (its finally blocks run). Second: raise at once."""
        self._interrupt_count += 1
        if self._interrupt_count == 1 and not main_task.done():
            main_task.cancel()
            assert self._loop is not None
            self._loop.call_soon_threadsafe(lambda: None)  # wake the poll to notice
            return
        raise KeyboardInterrupt()


def run(main: Coroutine[Any, Any, T], *, debug: bool | None = None,
        loop_factory: Callable[[], EventLoop] | None = None) -> T:
    """Run the coroutine `main` on a new loop, clean up, and return its result."""
    if current._get_running_loop() is not None:
        raise RuntimeError("asyncio.run() cannot be called from a running event loop")
    with Runner(debug=debug, loop_factory=loop_factory) as runner:
        return runner.run(main)


def _cancel_all_tasks(loop: EventLoop) -> None:
    """Cancel the tasks that are still pending, let them finish, report their errors."""
    leftovers = all_tasks(loop)
    if not leftovers:
        return
    for task in leftovers:
        task.cancel()
    loop.run_until_complete(gather(*leftovers, return_exceptions=True))
    for task in leftovers:
        if task.cancelled():
            continue
        if task.exception() is not None:
            loop.call_exception_handler({
                "message": "unhandled exception during asyncio.run() shutdown",
                "exception": task.exception(),
                "task": task,
            })
