"""TaskGroup: structured concurrency, where no task outlives the block that started it.

What you learn here: how asyncio gets "all or nothing" out of plain cancel() calls.

    async with TaskGroup() as group:
        group.create_task(fetch(a))
        group.create_task(fetch(b))
        await something()
    # here every task of the group is done, one way or another

* Leaving the `async with` waits for every task of the group.
* The first task that fails (with anything but CancelledError) *aborts* the group: every
  other task is cancelled, and so is the body, wherever it is waiting. Their errors are
  collected and raised together as one `ExceptionGroup` (a `BaseExceptionGroup` if one of
  them is not an `Exception`), so no failure is silently lost.
* KeyboardInterrupt and SystemExit are not wrapped: they are re-raised as they are, because
  code that catches them must keep working.

Discussion: cancelling the body and taking it back. To interrupt the body, the group
cancels its *parent task*, the task running the `async with`. That cancellation is the
group's own business: once the CancelledError reaches `__aexit__`, the group calls
`uncancel()` to take its request back, and when no other request is outstanding it raises
the ExceptionGroup instead of the CancelledError. If someone else cancelled the parent too
(cancelling() stays above zero), the CancelledError must win, so that an outer timeout() or
the parent's canceller sees it; unless tasks failed, whose errors always take precedence.
The versions differ in the details: 3.13 calls uncancel() only once every task is done
(3.11 and 3.12 as soon as __aexit__ starts), counts subclasses of CancelledError, and
re-arms an outside cancellation that an ExceptionGroup replaced. miniloop follows each
(compat_tests/test_taskgroups.py).
"""

from __future__ import annotations

import contextvars
from collections.abc import Coroutine
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from . import current, versions
from .exceptions import CancelledError
from .futures import Future
from .tasks import Task, current_task

if TYPE_CHECKING:
    from .loop import EventLoop

__all__ = ("TaskGroup",)

T = TypeVar("T")


class TaskGroup:
    """An async context manager that owns tasks and waits for all of them on exit."""

    def __init__(self) -> None:
        self._entered = False
        self._exiting = False                   # __aexit__ has started
        self._aborting = False                  # a failure (or the body) cancelled the tasks
        self._loop: EventLoop | None = None
        self._parent_task: Task[Any] | None = None  # the task running the `async with`
        self._parent_cancel_requested = False   # we cancelled the parent (must uncancel)
        # The group's unfinished tasks. A dict, used as an ordered set, so that aborting
        # cancels them in creation order (asyncio's set promises no order at all).
        self._tasks: dict[Task[Any], None] = {}
        self._errors: list[BaseException] | None = []  # what failed tasks raised
        self._base_error: BaseException | None = None  # a KeyboardInterrupt or SystemExit
        self._on_completed: Future[bool] | None = None  # __aexit__ waits on it

    def __repr__(self) -> str:
        info = ""
        if self._tasks:
            info += f" tasks={len(self._tasks)}"
        if self._errors:
            info += f" errors={len(self._errors)}"
        if self._aborting:
            info += " cancelling"
        elif self._entered:
            info += " entered"
        return f"<TaskGroup{info}>"

    async def __aenter__(self) -> TaskGroup:
        if self._entered:
            raise RuntimeError(f"TaskGroup {self!r} has already been entered")
        if self._loop is None:
            self._loop = current.get_running_loop()
        self._parent_task = current_task(self._loop)
        if self._parent_task is None:
            raise RuntimeError(f"TaskGroup {self!r} cannot determine the parent task")
        self._entered = True
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        assert self._loop is not None and self._parent_task is not None
        self._exiting = True
        if exc is not None and _is_base_error(exc) and self._base_error is None:
            self._base_error = exc
        propagate: BaseException | None = None  # the CancelledError to re-raise, if any
        if _is_cancellation(exc_type):
            propagate = exc
        if not versions.TASKGROUP_UNCANCELS_AFTER_TASKS:
            # 3.11 and 3.12 take our cancel request back on entry, before waiting.
            propagate = self._take_back_our_cancel(propagate)
        if exc_type is not None and not self._aborting:
            self._abort()  # the body failed or was cancelled: the tasks go too

        # Discussion: wait in a loop. The parent may be cancelled while we wait here (even
        # several times). Unless we are already aborting, that cancellation aborts the group
        # and is re-raised once every task is done; either way we keep waiting.
        while self._tasks:
            if self._on_completed is None:
                self._on_completed = self._loop.create_future()
            try:
                await self._on_completed
            except CancelledError as cancelled:
                if not self._aborting:
                    propagate = cancelled
                    self._abort()
            self._on_completed = None

        if self._base_error is not None:
            raise self._base_error
        if versions.TASKGROUP_UNCANCELS_AFTER_TASKS:
            # 3.13 takes our cancel request back only now, after the tasks are done.
            propagate = self._take_back_our_cancel(propagate)
        errors = self._errors
        assert errors is not None
        if propagate is not None and not errors:
            raise propagate  # someone else cancelled us, and nothing failed
        if exc_type is not None and not _is_cancellation(exc_type):
            errors.append(exc)  # type: ignore[arg-type]
        if not errors:
            return
        if versions.TASKGROUP_UNCANCELS_AFTER_TASKS and self._parent_task.cancelling():
            # The ExceptionGroup replaces the CancelledError an outside cancel() was owed;
            # take that request back and make it again, so it hits the parent's next await.
            self._parent_task.uncancel()
            self._parent_task.cancel()
        self._errors = None  # exceptions hold frames: do not keep them alive in a cycle
        raise BaseExceptionGroup("unhandled errors in a TaskGroup", errors) from None

    def _take_back_our_cancel(self, propagate: BaseException | None) -> BaseException | None:
        """If we cancelled the parent (a task failed), take that request back; when it was
        the only one, the CancelledError we were about to re-raise was ours, not news."""
        assert self._parent_task is not None
        if self._parent_cancel_requested and self._parent_task.uncancel() == 0:
            return None
        return propagate

    def create_task(self, coro: Coroutine[Any, Any, T], *, name: object = None,
                    context: contextvars.Context | None = None) -> Task[T]:
        """Start `coro` as a task of this group (like asyncio.create_task)."""
        if not self._entered:
            problem = "has not been entered"
        elif self._exiting and not self._tasks:
            problem = "is finished"
        elif self._aborting:
            problem = "is shutting down"
        else:
            assert self._loop is not None
            task = self._loop.create_task(coro, name=name, context=context)
            if versions.EAGER_TASKS and task.done():  # an eager task that finished at once
                self._on_task_done(task)
            else:
                self._tasks[task] = None
                task.add_done_callback(self._on_task_done)
            return task
        if versions.TASKGROUP_UNCANCELS_AFTER_TASKS:
            coro.close()  # before 3.13 it is left unclosed ("coroutine ... was never awaited")
        raise RuntimeError(f"TaskGroup {self!r} {problem}")

    def _abort(self) -> None:
        self._aborting = True
        for task in self._tasks:
            if not task.done():
                task.cancel()

    def _on_task_done(self, task: Task[Any]) -> None:
        self._tasks.pop(task, None)  # (an eager task done at once was never added)
        if self._on_completed is not None and not self._tasks and not self._on_completed.done():
            self._on_completed.set_result(True)  # the last task: wake __aexit__
        if task.cancelled():
            return  # a cancelled task is no failure
        exc = task.exception()
        if exc is None:
            return
        assert self._errors is not None and self._parent_task is not None
        self._errors.append(exc)
        if _is_base_error(exc) and self._base_error is None:
            self._base_error = exc
        if not self._aborting and not self._parent_cancel_requested:
            # The first failure: cancel the siblings, and the body too (see the Discussion).
            self._abort()
            self._parent_cancel_requested = True
            self._parent_task.cancel()


def _is_base_error(exc: BaseException) -> bool:
    """The two exceptions a TaskGroup re-raises as they are instead of grouping them."""
    return isinstance(exc, (SystemExit, KeyboardInterrupt))


def _is_cancellation(exc_type: type[BaseException] | None) -> bool:
    """Did the body end with CancelledError? Before 3.13 only the class itself counts."""
    if exc_type is None:
        return False
    if not versions.TASKGROUP_UNCANCELS_AFTER_TASKS:
        return exc_type is CancelledError
    return issubclass(exc_type, CancelledError)
