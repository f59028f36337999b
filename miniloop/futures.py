"""Future: a box for a result that does not exist yet, and the one protocol everything rests on.

What you learn here:

1. A `Future` is pending, then *done* exactly once: finished with a result, finished with
   an exception, or cancelled. Asking for the result too early raises `InvalidStateError`.

2. Done-callbacks are never called from inside `set_result()`. They are handed to
   `loop.call_soon`, in the order they were added, and run on a later turn of the loop.
   That keeps `set_result()` cheap and re-entrancy free, and it is what makes the order of
   events explainable: completion is one event, reacting to it is another.

3. How `await fut` suspends a coroutine. `await` asks `fut.__await__()` for an iterator
   and takes one step of it; a Future is its own iterator, and one step (`__next__`) is:

       if not done:                      # nothing to return yet...
           return self                   # ...so hand *this future* up, as a yielded value
       raise StopIteration(self.result())  # done: how an iterator returns the await's value

   `await` passes the yielded future straight up through every coroutine in the chain until
   it reaches the `Task` that called `coro.send()`. The task receives the future, adds its
   own wake-up as a done-callback, and returns to the loop. When the future is done, the
   wake-up runs, the task calls `coro.send(None)` again, which steps the future once more,
   and now the step returns the result. That is the whole trick: a coroutine suspends by
   yielding a future, and it is resumed by whoever completes it (tasks.py: the other half).

   (The same two steps read more naturally as a generator, `if not done: yield self` then
   `return self.result()`, and pure-Python asyncio writes it so. But a generator is a
   200-byte object per `await`, alive as long as the coroutine waits: a third of what a
   pending task costs. The future as its own iterator costs nothing, and the same time
   within noise; benchmark `memory`: 921 -> 730 bytes per pending task. C asyncio does the
   same with a small iterator object.)

   `_asyncio_future_blocking` is the flag asyncio uses for the hand-off: set just before the
   future is handed up, so the task can tell "a future I must wait for" from a stray
   `yield`. We keep asyncio's name so that code (and `isfuture`) that duck-types futures
   works unchanged.
"""

from __future__ import annotations

import contextvars
import sys
import traceback
from collections.abc import Callable, Generator
from types import GenericAlias, TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from . import current, versions
from .exceptions import CancelledError, InvalidStateError
from .reprs import future_info

if TYPE_CHECKING:
    from .loop import EventLoop

__all__ = ("Future", "isfuture")

T = TypeVar("T")

# The three states, as readable words (they show up in repr()).
PENDING = "PENDING"
CANCELLED = "CANCELLED"
FINISHED = "FINISHED"


def isfuture(obj: object) -> bool:
    """True for a Future-like object: anything that speaks the `_asyncio_future_blocking` protocol.

    Checked on the class, not the instance, as asyncio does, so a mock or a class with a
    `__getattr__` that answers everything is not mistaken for a future.
    """
    return getattr(type(obj), "_asyncio_future_blocking", None) is not None and (
        getattr(obj, "_asyncio_future_blocking", None) is not None)


class Future(Generic[T]):
    """The result of an operation that has not finished yet."""

    # Rarely set state lives in class attributes with defaults, so that a Future costs only
    # the attributes it actually sets (most futures never see an exception or a cancel
    # message). What every future sets is set in __init__ too (see the Discussion there).
    _state = PENDING
    _result: Any = None
    _exception: BaseException | None = None
    _exception_tb: TracebackType | None = None
    _cancel_message: Any = None          # the msg given to cancel(msg)
    _cancelled_exc: BaseException | None = None  # the CancelledError a task's coroutine raised
    _source_traceback: traceback.StackSummary | None = None  # where it was created (debug)
    _log_traceback = False               # True while an exception was set but never looked at
    _asyncio_future_blocking = False     # on the class too: isfuture() looks for it there

    # Future[int] is a plain types.GenericAlias, as asyncio's is (Generic alone would make it a
    # typing alias; compat_tests/test_futures.py pins it). Generic stays for the type checker.
    __class_getitem__: Any = classmethod(GenericAlias)

    def __init__(self, *, loop: EventLoop | None = None) -> None:
        # FAST PATH [future-attribute-layout]: docs/fast-paths.md
        # Discussion: why attributes with class defaults are set here anyway. CPython keeps
        # instance attributes in a compact array whose layout all instances of a class share
        # and which is fixed early; writing later an attribute that does not fit the layout
        # turns that instance's array into a real dict, 0.2 us (and ~100 bytes) on the spot
        # (measured on 3.11: a Task's `_state` did not fit). Setting what the common path
        # writes (state, result, callbacks, the await flag) up front took a trivial task's
        # step from 0.87 to 0.45 us, and spawn from 3.9 to 3.4 us per task.
        self._loop: EventLoop = loop if loop is not None else current.get_event_loop()
        self._state = PENDING
        self._result = None
        # (callback, context) pairs, in the order they were added. The list is made by the
        # first add_done_callback(): a task that nobody awaits never needs one (56 bytes).
        self._callbacks: list[tuple[Callable[[Any], object], contextvars.Context | None]] | \
            tuple[()] = ()
        self._asyncio_future_blocking = False  # see the module docstring
        if self._loop.get_debug():
            self._source_traceback = traceback.extract_stack(sys._getframe(1))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {' '.join(future_info(self))}>"

    def get_loop(self) -> EventLoop:
        return self._loop

    # -- Reading the outcome ---------------------------------------------------------------

    def done(self) -> bool:
        """True once the future has a result, an exception, or was cancelled."""
        return self._state != PENDING

    def cancelled(self) -> bool:
        return self._state == CANCELLED

    def result(self) -> T:
        """The result; or raise the exception; or raise CancelledError; or InvalidStateError."""
        if self._state == CANCELLED:
            raise self._make_cancelled_error()
        if self._state != FINISHED:
            raise InvalidStateError("Result is not set.")
        self._log_traceback = False
        if self._exception is not None:
            raise self._exception.with_traceback(self._exception_tb)
        return self._result

    def exception(self) -> BaseException | None:
        """The exception (None if it finished with a result). Raises like result() otherwise."""
        if self._state == CANCELLED:
            raise self._make_cancelled_error()
        if self._state != FINISHED:
            raise InvalidStateError("Exception is not set.")
        self._log_traceback = False
        return self._exception

    def _make_cancelled_error(self) -> BaseException:
        """The CancelledError to raise for a cancelled future.

        When a task was cancelled because its coroutine raised CancelledError, we re-raise
        that very exception (once), so the traceback leads back into the coroutine.
        """
        if self._cancelled_exc is not None:
            exc, self._cancelled_exc = self._cancelled_exc, None
            return exc
        if self._cancel_message is None:
            return CancelledError()
        return CancelledError(self._cancel_message)

    # -- Completing it: each of these may happen once ----------------------------------------

    # The messages are those of the C Future that asyncio uses by default (its pure-Python
    # fallback words them differently).

    def set_result(self, result: T) -> None:
        if self._state != PENDING:
            raise InvalidStateError("invalid state")
        self._result = result
        self._state = FINISHED
        self._schedule_callbacks()

    def set_exception(self, exception: BaseException | type[BaseException]) -> None:
        if self._state != PENDING:
            raise InvalidStateError("invalid state")
        if isinstance(exception, type):
            exception = exception()
        if isinstance(exception, StopIteration):
            # A StopIteration re-raised inside a generator (our __await__) would end it
            # silently instead of propagating. 3.13 wraps it; older versions refuse it.
            if not versions.FUTURE_WRAPS_STOPITERATION:
                if type(exception) is StopIteration:
                    raise TypeError("StopIteration interacts badly with generators "
                                    "and cannot be raised into a Future")
            else:
                wrapped = RuntimeError("StopIteration interacts badly with generators "
                                       "and cannot be raised into a Future")
                wrapped.__cause__ = wrapped.__context__ = exception
                exception = wrapped
        self._exception = exception
        self._exception_tb = exception.__traceback__
        self._state = FINISHED
        self._schedule_callbacks()
        self._log_traceback = True

    def cancel(self, msg: Any = None) -> bool:
        """Cancel the future and schedule its callbacks. False if it was already done."""
        self._log_traceback = False
        if self._state != PENDING:
            return False
        self._state = CANCELLED
        self._cancel_message = msg
        self._schedule_callbacks()
        return True

    # -- Callbacks ----------------------------------------------------------------------------

    def add_done_callback(self, fn: Callable[[Any], object], *,
                          context: contextvars.Context | None = None) -> None:
        """Call `fn(future)` (through call_soon) when the future is done; at once if it is."""
        if self._state != PENDING:
            self._loop.call_soon(fn, self, context=context)
        elif self._callbacks:
            self._callbacks.append((fn, context))
        else:
            self._callbacks = [(fn, context)]

    def remove_done_callback(self, fn: Callable[[Any], object]) -> int:
        """Forget every registration of `fn`; return how many there were."""
        kept = [(f, ctx) for f, ctx in self._callbacks if f != fn]
        removed = len(self._callbacks) - len(kept)
        if removed:
            self._callbacks = kept
        return removed

    def _schedule_callbacks(self) -> None:
        callbacks, self._callbacks = self._callbacks, ()
        for fn, ctx in callbacks:
            self._loop.call_soon(fn, self, context=ctx)

    # -- The await protocol (see the module docstring) ----------------------------------------

    # FAST PATH [future-is-its-own-iterator]: docs/fast-paths.md
    def __await__(self) -> Generator[Any, None, T]:
        # The future is its own iterator (module docstring, 3.); typed as the generator it
        # stands in for, so that `await fut` is a T to the type checker.
        return self  # type: ignore[return-value]

    __iter__ = __await__  # `yield from fut` in generator-based coroutines

    def __next__(self) -> Future[T]:
        """One step of `await fut`: hand the future up while pending, then the result."""
        if self._state == PENDING:
            if self._asyncio_future_blocking:  # handed up already, and nobody took it
                raise RuntimeError("await wasn't used with future")
            self._asyncio_future_blocking = True
            return self  # up to the Task, which steps us again once we are done
        raise StopIteration(self.result())

    def __del__(self) -> None:
        """Report an exception that nobody ever retrieved (it would otherwise vanish)."""
        if not self._log_traceback:
            return
        context: dict[str, Any] = {
            "message": f"{type(self).__name__} exception was never retrieved",
            "exception": self._exception,
            "future": self,
        }
        if self._source_traceback:
            context["source_traceback"] = self._source_traceback
        self._loop.call_exception_handler(context)

