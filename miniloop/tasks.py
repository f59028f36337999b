"""Task: the object that drives a coroutine, one step per turn of the loop.

What you learn here: the other half of the protocol that futures.py starts. A task owns a
coroutine and advances it with `coro.send(None)` (or `coro.throw(exc)`) in `_step`:

* The coroutine runs until it reaches an `await` of a pending future. The future yields
  itself (futures.py, 3.), and the yielded value travels up through every `await` to
  `_step`, where `send()` returns it. The task registers `_wakeup` as the future's
  done-callback and returns to the loop: the coroutine is now suspended.
* When the future is done, the loop runs `_wakeup`, which calls `_step` again: `send(None)`
  resumes the coroutine at its `await`, and `await` evaluates to the result (or
  `throw()` raises the future's exception at the `await`).
* A bare `yield` (what `sleep(0)` does) yields None: "I have nothing to wait for, but let
  everyone else run first". The task simply schedules its next step at the back of the queue.
* When the coroutine returns, `send()` raises StopIteration carrying the return value, and
  the task - itself a Future - becomes done with that result. Anyone awaiting the task is
  woken through the usual done-callbacks.

Discussion: cancellation. `task.cancel()` cannot stop a coroutine from the outside; it can
only arrange for CancelledError to be raised at the `await` where the coroutine is
suspended. If the task waits on a future, cancelling that future does it: the wake-up finds
the future cancelled and throws CancelledError in. If the task is not waiting (it has not
started, or it is already queued to run), `_must_cancel` is set and the next `_step` throws
CancelledError instead of sending None. The coroutine may catch it and carry on; the task is
only cancelled if the CancelledError escapes the coroutine. `cancelling()` counts requests
so that structured code (timeout(), TaskGroup) can tell its own cancel from someone else's,
and `uncancel()` takes one back.
"""

from __future__ import annotations

import contextvars
import inspect
import itertools
import weakref
from collections import deque
from collections.abc import Coroutine
from types import FrameType
from typing import TYPE_CHECKING, Any, Protocol, TextIO, TypeVar

from . import current, stacks, versions
from .coroutines import iscoroutine
from .exceptions import CancelledError, InvalidStateError
from .futures import PENDING, Future, FutureLoop, isfuture
from .handles import Handle
from .reprs import task_info

if TYPE_CHECKING:
    from .loop import EventLoop

__all__ = ("Task", "create_task", "current_task", "all_tasks", "ensure_future")

T = TypeVar("T")

# Default task names are Task-1, Task-2, ... numbered across the whole process, as in asyncio.
_task_numbers = itertools.count(1)


class TaskLoop(FutureLoop, Protocol):
    """What a Task asks of its loop beyond a Future's needs (futures.py, `FutureLoop`): the
    ready queue it puts itself in (`_schedule_step`), whether the loop is closed or in debug
    mode, the slot that says which task runs now (`current_task()`), the set of its tasks
    (`all_tasks()`), and its instruments (instruments.py), told of tasks created and
    cancelled. The loop (loop.py) declares each of these in its `__init__`."""

    _ready: deque[Any]
    _closed: bool
    _debug: bool
    _current_task: Task[Any] | None
    _tasks: weakref.WeakSet[Task[Any]]
    _instruments: list[Any]

    def _notify(self, hook: str, **details: Any) -> None: ...

    def _check_thread(self) -> None: ...

    def is_running(self) -> bool: ...


class Task(Future[T]):
    """A coroutine wrapped in a Future, scheduled to run on the loop."""

    _loop: TaskLoop  # (the same loop object, seen through what a task uses of it)

    _log_destroy_pending = True  # complain in __del__ if the task is collected unfinished

    def __init__(self, coro: Coroutine[Any, Any, T], *, loop: EventLoop | None = None,
                 name: object = None, context: contextvars.Context | None = None,
                 eager_start: bool = False) -> None:
        if eager_start and not versions.EAGER_TASKS:
            raise TypeError("'eager_start' is an invalid keyword argument for Task()")
        super().__init__(loop=loop)
        if self._source_traceback:  # debug: this __init__ is not where the task came from
            del self._source_traceback[-1]
        if not iscoroutine(coro):
            self._log_destroy_pending = False  # there is nothing to complain about
            raise TypeError(f"a coroutine was expected, got {coro!r}")
        self._coro = coro
        self._must_cancel = False         # throw CancelledError in at the next step
        self._num_cancels_requested = 0   # what cancelling() reports
        # The default name is only a number until someone asks for it (as in asyncio 3.12+):
        # formatting "Task-N" for every task cost 0.15 us and 30 bytes per task, and most
        # tasks are never named in a repr or a log.
        self._name: str | int = next(_task_numbers) if name is None else str(name)
        self._context = contextvars.copy_context() if context is None else context
        self._fut_waiter: Future[Any] | None = None  # the future we are suspended on
        self._loop._tasks.add(self)
        if self._loop._instruments:
            self._loop._notify("task_created", task=self, parent=self._loop._current_task)
        if eager_start and self._loop.is_running():
            self._start_eagerly()  # (eager.py)
        else:
            # The first step is scheduled, not run: create_task() returns before the
            # coroutine has executed a single line.
            self._schedule_step()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {' '.join(task_info(self))}>"

    def __del__(self) -> None:
        if self._state == PENDING and self._log_destroy_pending:
            context: dict[str, Any] = {"task": self,
                                       "message": "Task was destroyed but it is pending!"}
            if self._source_traceback:
                context["source_traceback"] = self._source_traceback
            self._loop.call_exception_handler(context)
        super().__del__()

    def get_coro(self) -> Coroutine[Any, Any, T]:
        return self._coro

    def get_stack(self, *, limit: int | None = None) -> list[FrameType]:
        """The frames of the coroutine where it is now (stacks.py)."""
        return stacks.get_stack(self, limit=limit)

    def print_stack(self, *, limit: int | None = None, file: TextIO | None = None) -> None:
        """Print get_stack(), or a failed task's traceback (stacks.py)."""
        stacks.print_stack(self, limit=limit, file=file)

    if versions.TASK_GET_CONTEXT:

        def get_context(self) -> contextvars.Context:
            return self._context

    def get_name(self) -> str:
        if isinstance(self._name, int):
            self._name = f"Task-{self._name}"
        return self._name

    def set_name(self, value: object) -> None:
        self._name = str(value)

    def set_result(self, result: Any) -> None:
        raise RuntimeError("Task does not support set_result operation")

    def set_exception(self, exception: Any) -> None:
        raise RuntimeError("Task does not support set_exception operation")

    # -- Cancellation (see the Discussion above) ---------------------------------------------

    def cancel(self, msg: Any = None) -> bool:
        """Request that CancelledError be raised in the coroutine. False if already done."""
        self._log_traceback = False
        if self.done():
            return False
        self._num_cancels_requested += 1
        if self._loop._instruments:
            self._loop._notify("cancel_requested", task=self, by=self._loop._current_task,
                               msg=msg)
        # Cancelling the future we wait on wakes us with CancelledError. We keep pointing at
        # it: it may be a task that catches the cancellation, and then we cancel it again.
        if self._fut_waiter is not None and self._fut_waiter.cancel(msg=msg):
            return True
        self._must_cancel = True
        self._cancel_message = msg
        return True

    def cancelling(self) -> int:
        """How many cancel() requests are outstanding (not taken back by uncancel())."""
        return self._num_cancels_requested

    def uncancel(self) -> int:
        """Take back one cancel() request; return how many remain."""
        if self._num_cancels_requested > 0:
            self._num_cancels_requested -= 1
            # 3.13: once no request remains, a cancel that is still pending is dropped too.
            if self._num_cancels_requested == 0 and versions.UNCANCEL_CLEARS_PENDING_CANCEL:
                self._must_cancel = False
            if self._loop._instruments:
                self._loop._notify("task_uncancelled", task=self,
                                   remaining=self._num_cancels_requested)
        return self._num_cancels_requested

    # -- Driving the coroutine ----------------------------------------------------------------

    def _step(self, exc: BaseException | None = None) -> None:
        """Run the coroutine until it suspends or finishes. The heart of the task."""
        if self._state != PENDING:
            raise InvalidStateError(f"_step(): already done: {self!r}, {exc!r}")
        if self._must_cancel:
            if not isinstance(exc, CancelledError):
                exc = self._make_cancelled_error()
            self._must_cancel = False
        self._fut_waiter = None

        loop = self._loop
        if loop._current_task is not None:
            raise RuntimeError(f"Cannot enter into task {self!r} while another "
                               f"task {loop._current_task!r} is being executed.")
        loop._current_task = self  # what current_task() answers while the coroutine runs
        try:
            if exc is None:
                yielded = self._coro.send(None)
            else:
                yielded = self._coro.throw(exc)
        except StopIteration as stop:  # the coroutine returned
            if self._must_cancel:  # ...but cancel() came after its last await
                self._must_cancel = False
                Future.cancel(self, msg=self._cancel_message)
            else:
                Future.set_result(self, stop.value)
        except CancelledError as cancelled:  # the cancellation was not caught: we are cancelled
            self._cancelled_exc = cancelled  # re-raised as is to whoever awaits us
            Future.cancel(self)
        except (KeyboardInterrupt, SystemExit) as fatal:
            Future.set_exception(self, fatal)
            raise  # these stop the loop itself, they are not just this task's business
        except BaseException as error:
            Future.set_exception(self, error)
        else:
            if yielded is None:  # a bare yield, as in sleep(0): run again after the others
                self._schedule_step()
            else:
                self._suspend_on(yielded)
        finally:
            loop._current_task = None
        # Discussion: when the coroutine raised, its traceback keeps the coroutine's frame
        # alive, and that frame keeps its caller, this frame, whose `self` is the task that
        # stores the exception: a reference cycle. It would hold back "Task exception was
        # never retrieved" until the next garbage collection, where asyncio (whose step is C
        # code) reports it the moment the last reference goes (scenario
        # `test_never_retrieved_is_reported_as_soon_as_the_task_is_dropped`). So every frame
        # between the loop and the coroutine lets go of what it ran, as asyncio's do; this
        # one also of the exception it threw in, whose traceback holds this frame (a task
        # cancelled in a TLS handshake would keep its TLS layer:
        # test_a_tls_connection_leaves_no_garbage).
        del self, exc

    def _start_eagerly(self) -> None:
        """Take the first step now, inside the creator's step (3.12's eager_start, see
        eager.py): for that step this task is current, then the creator is again."""
        loop = self._loop
        creator, loop._current_task = loop._current_task, None  # _step makes us current
        try:
            self._context.run(self._step)
        finally:
            loop._current_task = creator
        if self.done():  # asyncio lets go of a coroutine that finished eagerly (get_coro()
            self._coro = None  # type: ignore[assignment]  # is None, the repr drops it)

    # FAST PATH [task-in-ready-queue]: docs/fast-paths.md
    def _schedule_step(self) -> None:
        """Queue our next step (without an exception to throw in) behind everything queued.

        Discussion: the task goes into the loop's ready queue *itself*, where asyncio puts a
        Handle wrapping `task._step`; the loop calls `_run` below when its turn comes. The
        position in the queue is the same, so the order of events is the same; what goes
        away is a Handle allocated, filled and freed for every `sleep(0)` and every new task,
        and the generic `call_soon(*args, context=...)` call around it. Debug mode changes
        nothing here but the thread check that call_soon would make.
        """
        loop = self._loop
        if loop._closed:
            raise RuntimeError("Event loop is closed")
        if loop._debug:
            loop._check_thread()
        loop._ready.append(self)

    def _run(self) -> None:
        """Our turn in the ready queue (see `_schedule_step`): take the step in our context."""
        try:
            self._context.run(self._step)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:  # as for any callback that raises (Handle._run)
            Handle(self._step, (), self._loop, self._context)._report(exc)
        del self  # no reference cycle through this frame (see the end of _step)

    def _suspend_on(self, yielded: Any) -> None:
        """The coroutine yielded `yielded` to us: decide when its next step runs."""
        blocking = getattr(yielded, "_asyncio_future_blocking", None)
        if blocking is not None:  # a future
            if yielded.get_loop() is not self._loop:
                self._schedule_error(RuntimeError(
                    f"Task {self!r} got Future {yielded!r} attached to a different loop"))
            elif not blocking:  # yielded by hand, not through its __await__
                self._schedule_error(RuntimeError(
                    f"yield was used instead of yield from in task {self!r} with {yielded!r}"))
            elif yielded is self:
                self._schedule_error(RuntimeError(f"Task cannot await on itself: {self!r}"))
            else:  # the normal case: `await fut` on a pending future
                yielded._asyncio_future_blocking = False
                yielded.add_done_callback(self._wakeup, context=self._context)
                self._fut_waiter = yielded
                # cancel() arrived while we were running: pass it on to what we now wait for.
                if self._must_cancel and yielded.cancel(msg=self._cancel_message):
                    self._must_cancel = False
        elif inspect.isgenerator(yielded):
            self._schedule_error(RuntimeError(
                f"yield was used instead of yield from for generator in task {self!r} "
                f"with {yielded!r}"))
        else:
            self._schedule_error(RuntimeError(f"Task got bad yield: {yielded!r}"))

    def _schedule_error(self, exc: BaseException) -> None:
        """Throw `exc` into the coroutine at its next step (misuse is reported where it is)."""
        self._loop.call_soon(self._step, exc, context=self._context)

    def _wakeup(self, future: Future[Any]) -> None:
        """The future we waited on is done: resume the coroutine with its outcome."""
        try:
            future.result()
        except BaseException as exc:  # its exception, or CancelledError, is raised at the await
            del future  # this frame is now in exc's traceback: no cycle through it
            self._step(exc)
        else:
            # No need to pass the result: the future's next step fetches it (Future.__next__).
            self._step()
        del self  # no reference cycle through this frame (see the end of _step)


# In reprs a waiting task's wake-up reads as C asyncio names it, `Task.task_wakeup()`
# ("<Future pending cb=[Task.task_wakeup()]>"), the name every asyncio user sees.
Task._wakeup.__qualname__ = "Task.task_wakeup"


def create_task(coro: Coroutine[Any, Any, T], *, name: object = None,
                context: contextvars.Context | None = None) -> Task[T]:
    """Wrap `coro` in a Task on the running loop; its first step runs on the next turn."""
    return current.get_running_loop().create_task(coro, name=name, context=context)


def current_task(loop: EventLoop | None = None) -> Task[Any] | None:
    """The task whose coroutine is running right now (None inside a plain callback)."""
    if loop is None:
        loop = current.get_running_loop()
    return loop._current_task


def all_tasks(loop: EventLoop | None = None) -> set[Task[Any]]:
    """The loop's tasks that are not done yet."""
    if loop is None:
        loop = current.get_running_loop()
    return {task for task in list(loop._tasks) if not task.done()}


def ensure_future(obj: Any, *, loop: EventLoop | None = None) -> Future[Any]:
    """A future as it is; a coroutine (or any awaitable) wrapped in a new Task."""
    if isfuture(obj):
        if loop is not None and loop is not obj.get_loop():
            raise ValueError("The future belongs to a different loop than "
                             "the one specified as the loop argument")
        return obj
    owned = iscoroutine(obj)  # a coroutine we fail to schedule is closed, not leaked
    if not owned:
        if not inspect.isawaitable(obj):
            raise TypeError("An asyncio.Future, a coroutine or an awaitable is required")
        obj = _await_it(obj)
    if loop is None:
        loop = current.get_event_loop()
    try:
        return loop.create_task(obj)
    except RuntimeError:
        if owned:
            obj.close()
        raise


async def _await_it(awaitable: Any) -> Any:
    """Turn any awaitable (an object with __await__) into a coroutine a Task can drive."""
    return await awaitable
