"""timeout(), timeout_at() and wait_for(): giving up on an await after a deadline.

What you learn here: a timeout in asyncio is nothing but a `cancel()` with a timer. When the
deadline passes, a TimerHandle calls `task.cancel()` on the task inside the `async with`;
CancelledError is raised at whatever `await` the task is suspended on, travels up to
`__aexit__`, and there - only there - it is turned into `TimeoutError`:

    async with timeout(0.1):        # schedules  call_at(deadline, task.cancel)
        await something_slow()      # <- CancelledError is raised here at the deadline
    # __aexit__ saw the CancelledError it caused itself and raises TimeoutError instead

Discussion: whose cancellation is it? The body may be cancelled by the timeout *and* by
someone else (an outer timeout, a TaskGroup, Ctrl-C), possibly in the very same turn. The
CancelledError looks the same either way. The answer is the task's cancel-request counter
(tasks.py): on entry the Timeout notes `task.cancelling()`; its own timer adds one request;
on exit it takes that one back with `uncancel()`. If the count is then no higher than on
entry, nobody else asked, and the CancelledError was ours: raise TimeoutError. Otherwise the
CancelledError keeps travelling, so an outer timeout or the task's canceller sees it. This is
why nested timeouts each raise for their own deadline only (compat_tests/test_timeouts.py).

wait_for(aw, timeout) is the function form. Since 3.12 it is literally `async with
timeout(t): return await aw`, so the coroutine runs inside the calling task. 3.11 has an
older algorithm that wraps `aw` in its own task and races it against a timer; the two differ
in which task runs the code and in how a cancellation that arrives together with the result
is handled. miniloop keeps both, chosen by version (compat_tests/test_wait_for.py).
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable
from types import TracebackType
from typing import Any, TypeVar, final

from . import current, versions
from .exceptions import CancelledError
from .futures import Future
from .handles import Handle
from .tasks import Task, current_task, ensure_future

__all__ = ("Timeout", "timeout", "timeout_at", "wait_for")

T = TypeVar("T")


class _State(enum.Enum):
    CREATED = "created"
    ENTERED = "active"
    EXPIRING = "expiring"    # the timer fired and cancelled the task; __aexit__ not yet run
    EXPIRED = "expired"      # ...and __aexit__ has run
    EXITED = "finished"      # left before the deadline


@final
class Timeout:
    """An async context manager that cancels its task when the loop's clock reaches `when`.

    Make one with timeout() or timeout_at(). `when=None` means no deadline (yet).
    """

    def __init__(self, when: float | None) -> None:
        self._state = _State.CREATED
        self._when = when                    # the deadline, in loop.time() units
        self._timer: Handle | None = None    # the scheduled call to _on_timeout
        self._task: Task[Any] | None = None  # the task running the body
        self._cancelling = 0                 # task.cancelling() when the body was entered

    def __repr__(self) -> str:
        if self._state is _State.ENTERED:
            when = None if self._when is None else round(self._when, 3)
            return f"<Timeout [{self._state.value}] when={when}>"
        return f"<Timeout [{self._state.value}]>"

    def when(self) -> float | None:
        """The current deadline (None: no deadline)."""
        return self._when

    def expired(self) -> bool:
        """True once the deadline passed while the body was running."""
        return self._state in (_State.EXPIRING, _State.EXPIRED)

    def reschedule(self, when: float | None) -> None:
        """Move the deadline (None removes it). Only allowed inside the `async with`."""
        if self._state is not _State.ENTERED:
            if self._state is _State.CREATED:
                raise RuntimeError("Timeout has not been entered")
            raise RuntimeError(f"Cannot change state of {self._state.value} Timeout")
        self._when = when
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if when is not None:
            loop = current.get_running_loop()
            if when <= loop.time():
                # A deadline already in the past cancels on the next turn, not right now:
                # the body always gets to start (and may not even reach an await).
                self._timer = loop.call_soon(self._on_timeout)
            else:
                self._timer = loop.call_at(when, self._on_timeout)

    async def __aenter__(self) -> Timeout:
        if self._state is not _State.CREATED:
            raise RuntimeError("Timeout has already been entered")
        task = current_task()
        if task is None:
            raise RuntimeError("Timeout should be used inside a task")
        self._state = _State.ENTERED
        self._task = task
        self._cancelling = task.cancelling()
        self.reschedule(self._when)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._state is _State.ENTERED:
            self._state = _State.EXITED
            return
        # The timer fired. Take back its cancel request *first*, whatever the body did:
        # the counter must come out balanced even if the body swallowed the CancelledError.
        assert self._state is _State.EXPIRING and self._task is not None
        self._state = _State.EXPIRED
        if self._task.uncancel() > self._cancelling or exc_type is None:
            return  # someone else cancelled too (theirs to handle), or nothing to convert
        if not versions.TIMEOUT_CONVERTS_CANCEL_SUBCLASSES:
            # 3.11 and 3.12 convert exactly CancelledError, not a subclass of it.
            if exc_type is CancelledError:
                raise TimeoutError from exc
        elif issubclass(exc_type, CancelledError):
            raise TimeoutError from exc
        elif exc is not None:
            # 3.13: the body turned our CancelledError into another error (a TaskGroup's
            # ExceptionGroup, a cleanup that failed). Let its chain show a TimeoutError.
            _insert_timeout_error(exc)
            if isinstance(exc, BaseExceptionGroup):
                for inner in exc.exceptions:
                    _insert_timeout_error(inner)

    def _on_timeout(self) -> None:
        """The deadline passed: cancel the task (and remember that the cancel is ours)."""
        assert self._state is _State.ENTERED and self._task is not None
        self._task.cancel()
        self._state = _State.EXPIRING
        self._timer = None


def _insert_timeout_error(exc: BaseException) -> None:
    """In the __context__ chain of `exc`, put a TimeoutError in front of the first
    CancelledError, as 3.13 does: `CancelledError -> TimeoutError -> exc`."""
    while exc.__context__ is not None:
        if isinstance(exc.__context__, CancelledError):
            timeout_error = TimeoutError()
            timeout_error.__context__ = timeout_error.__cause__ = exc.__context__
            exc.__context__ = timeout_error
            return
        exc = exc.__context__


def timeout(delay: float | None) -> Timeout:
    """`async with timeout(delay):` cancels the body after `delay` seconds (None: never)
    and raises TimeoutError in its place."""
    loop = current.get_running_loop()
    return Timeout(None if delay is None else loop.time() + delay)


def timeout_at(when: float | None) -> Timeout:
    """Like timeout(), with a deadline in loop.time() units instead of a delay."""
    return Timeout(when)


# == wait_for ================================================================================

async def wait_for(fut: Awaitable[T], timeout: float | None) -> T:
    """Await `fut` (any awaitable; asyncio's parameter name), but cancel it and raise
    TimeoutError if it takes longer than `timeout` seconds."""
    if not versions.WAIT_FOR_USES_TIMEOUT:
        return await _wait_for_3_11(fut, timeout)
    if timeout is not None and timeout <= 0:
        return await _wait_for_no_time(fut)
    # 3.12+: the awaitable runs in *this* task (no new task for a coroutine), and it is the
    # Timeout that cancels it and converts the cancellation: timeout(t), spelled out because
    # the parameter's name hides the function.
    loop = current.get_running_loop()
    async with Timeout(None if timeout is None else loop.time() + timeout):
        return await fut


async def _wait_for_no_time(aw: Awaitable[T]) -> T:
    """wait_for(aw, 0): only an awaitable that is already done can win.

    A coroutine is wrapped in a task, which is cancelled before its first step: its body
    never runs (the point of this special case, in every version).
    """
    fut = ensure_future(aw)
    if fut.done():
        return fut.result()
    await _cancel_and_wait(fut)
    try:
        return fut.result()  # it may have caught the cancellation and returned anyway
    except CancelledError as exc:
        raise TimeoutError from exc


async def _cancel_and_wait(fut: Future[Any]) -> None:
    """Cancel `fut` and wait until it is really done (a task may take several turns).

    We wait on a separate future, not on `fut` itself: if *we* are cancelled meanwhile,
    awaiting `fut` would cancel it a second time.
    """
    waiter: Future[None] = fut.get_loop().create_future()

    def release(_: Any) -> None:
        if not waiter.done():
            waiter.set_result(None)

    fut.add_done_callback(release)
    try:
        fut.cancel()
        await waiter
    finally:
        fut.remove_done_callback(release)


async def _wait_for_3_11(aw: Awaitable[T], timeout: float | None) -> T:
    """wait_for() as 3.11 has it: `aw` runs in its own task, raced against a timer.

    Discussion: both the timer and the task's completion release one `waiter` future. When
    it is released we look at the task: done means it won (even if the timer fired in the
    same turn), not done means the timeout won, and the task is cancelled and awaited before
    TimeoutError is raised, so it never outlives wait_for(). If *we* are cancelled while
    waiting and the task has finished in the meantime, 3.11 returns its result and the
    cancellation is lost: a known flaw, fixed in 3.12 by building on timeout()
    (compat_tests/test_wait_for.py pins both behaviours).
    """
    loop = current.get_running_loop()
    if timeout is None:
        return await aw
    if timeout <= 0:
        return await _wait_for_no_time(aw)

    waiter: Future[None] = loop.create_future()

    def release(_: Any = None) -> None:
        if not waiter.done():
            waiter.set_result(None)

    timer = loop.call_later(timeout, release)
    fut = ensure_future(aw, loop=loop)
    fut.add_done_callback(release)
    try:
        try:
            await waiter
        except CancelledError:
            if fut.done():
                return fut.result()
            fut.remove_done_callback(release)
            await _cancel_and_wait(fut)
            raise
        if fut.done():
            return fut.result()
        fut.remove_done_callback(release)
        await _cancel_and_wait(fut)
        try:
            return fut.result()  # the task may have swallowed the cancel and returned
        except CancelledError as exc:
            raise TimeoutError() from exc
    finally:
        timer.cancel()
