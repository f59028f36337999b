"""Future: a box for a result that does not exist yet, and the one protocol everything rests on.

What you learn here:

1. A `Future` is pending, then *done* exactly once: finished with a result, finished with
   an exception, or cancelled. Asking for the result too early raises `InvalidStateError`.

2. Done-callbacks are never called from inside `set_result()`. They are handed to
   `loop.call_soon`, in the order they were added, and run on a later turn of the loop.
   That keeps `set_result()` cheap and re-entrancy free, and it is what makes the order of
   events explainable: completion is one event, reacting to it is another.

3. How `await fut` suspends a coroutine. `await` asks `fut.__await__()` for an iterator
   and takes one step of it. That iterator (`FutureIter`, a two-line object) has one step:

       if not future.done():             # nothing to return yet...
           return future                 # ...so hand *the future* up, as a yielded value
       raise StopIteration(future.result())  # done: how an iterator returns the await's value

   `await` passes the yielded future straight up through every coroutine in the chain until
   it reaches the `Task` that called `coro.send()`. The task receives the future, adds its
   own wake-up as a done-callback, and returns to the loop. When the future is done, the
   wake-up runs, the task calls `coro.send(None)` again, which steps the iterator once
   more, and now the step returns the result. That is the whole trick: a coroutine suspends
   by yielding a future, and it is resumed by whoever completes it (tasks.py: the other
   half).

   And when the future failed, or the task is cancelled? The wake-up calls
   `coro.throw(exc)` instead. Python hands a `throw()` down the chain of `await`s to the
   innermost iterator, our `FutureIter`, whose `throw()` simply raises the exception: so it
   comes out of the `await fut` expression, where the coroutine's `try:` can catch it.

   (The same steps read naturally as a generator, `if not done: yield self` then `return
   self.result()`, and pure-Python asyncio writes it so. But a generator is a 200-byte
   object alive as long as the coroutine waits; `FutureIter` is a 40-byte one, as is C
   asyncio's iterator, and like it has `send()`, `throw()` and `close()`, so code that
   drives an awaitable by hand works.)

   `_asyncio_future_blocking` is the flag asyncio uses for the hand-off: set just before the
   future is handed up, so the task can tell "a future I must wait for" from a stray
   `yield`. We keep asyncio's name so that code (and `isfuture`) that duck-types futures
   works unchanged.
"""

from __future__ import annotations

import contextvars
import sys
import traceback
import warnings
from collections.abc import Callable, Generator
from types import GenericAlias, TracebackType
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from . import current, versions
from .exceptions import CancelledError, InvalidStateError
from .reprs import future_info

if TYPE_CHECKING:
    from .loop import EventLoop

__all__ = ("Future", "FutureLoop", "isfuture")

T = TypeVar("T")

# The three states, as readable words (they show up in repr()).
PENDING = "PENDING"
CANCELLED = "CANCELLED"
FINISHED = "FINISHED"


def isfuture(obj: object) -> bool:
    """True for a Future-like object: anything that speaks the `_asyncio_future_blocking` protocol.

    The class must declare the attribute (whatever its value there), so that a mock or a
    class with a `__getattr__` that answers everything is not mistaken for a future; the
    instance's value must not be None. The class is asked as `obj.__class__`, which a mock
    made with `spec=Future` answers with Future, so that mock counts, as in asyncio.
    """
    return (hasattr(obj.__class__, "_asyncio_future_blocking")
            and obj._asyncio_future_blocking is not None)  # type: ignore[attr-defined]


class FutureLoop(Protocol):
    """Everything a Future asks of its loop, and nothing else: whether debug mode is on (to
    record where it was created), `call_soon` (its done-callbacks never run inside
    `set_result`) and the exception handler (for an exception nobody retrieved). A Task
    needs a little more (tasks.py, `TaskLoop`)."""

    def get_debug(self) -> bool: ...

    def call_soon(self, callback: Callable[..., object], *args: Any,
                  context: contextvars.Context | None = None) -> Any: ...

    def call_exception_handler(self, context: dict[str, Any]) -> None: ...


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
    _loop: Any = None                    # None only if a subclass skipped __init__ (below)

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
        self._loop: FutureLoop = loop if loop is not None else current.get_event_loop()
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
        _check_initialized(self)
        return f"<{type(self).__name__} {' '.join(future_info(self))}>"

    def get_loop(self) -> EventLoop:
        _check_initialized(self)
        return self._loop  # (an EventLoop, seen as a FutureLoop)

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
            if self._loop is None:
                raise InvalidStateError(_NOT_INITIALIZED)
            raise InvalidStateError("Result is not set.")
        self._log_traceback = False
        if self._exception is not None:
            exc, tb = self._exception, self._exception_tb
            # Discussion: raising here adds this frame to the stored exception's traceback,
            # and this frame holds `self`, the future that stores the exception: a cycle
            # that would keep the failed work's frames and locals alive until the next
            # garbage collection. asyncio's C future adds no frame; we let go of ours
            # (compat_tests/test_garbage.py counts what is left for the collector).
            del self
            try:
                raise exc.with_traceback(tb)
            finally:
                del exc, tb
        return self._result

    def exception(self) -> BaseException | None:
        """The exception (None if it finished with a result). Raises like result() otherwise."""
        if self._state == CANCELLED:
            raise self._make_cancelled_error()
        if self._state != FINISHED:
            if self._loop is None:
                raise InvalidStateError(_NOT_INITIALIZED)
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
        _check_initialized(self)
        if self._state != PENDING:
            raise InvalidStateError("invalid state")
        self._result = result
        self._state = FINISHED
        self._schedule_callbacks()

    def set_exception(self, exception: BaseException | type[BaseException]) -> None:
        _check_initialized(self)
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
        _check_initialized(self)
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
        if self._loop is None:
            raise RuntimeError("uninitialized Future object")  # (asyncio's words, here)
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

    def __await__(self) -> Generator[Any, None, T]:
        return FutureIter(self)  # (a Generator to mypy: it has send, throw and close)

    __iter__ = __await__  # `yield from fut` in generator-based coroutines

    def __del__(self) -> None:
        """Report an exception that nobody ever retrieved (it would otherwise vanish)."""
        if not self._log_traceback or self._loop is None:
            return
        context: dict[str, Any] = {
            "message": f"{type(self).__name__} exception was never retrieved",
            "exception": self._exception,
            "future": self,
        }
        if self._source_traceback:
            context["source_traceback"] = self._source_traceback
        self._loop.call_exception_handler(context)



_NOT_INITIALIZED = "Future object is not initialized."


def _check_initialized(future: Future[Any]) -> None:
    """A subclass whose __init__ never called Future.__init__ gets asyncio's error, not an
    AttributeError from deep inside (the class default `_loop = None` marks it)."""
    if future._loop is None:
        raise RuntimeError(_NOT_INITIALIZED)


class FutureIter:
    """What `await fut` iterates over (module docstring, 3.): the future's two steps."""

    __slots__ = ("_future",)

    def __init__(self, future: Future[Any]) -> None:
        self._future = future

    def __iter__(self) -> FutureIter:
        return self

    def __next__(self) -> Future[Any]:
        """Hand the future up while it is pending; then return (StopIteration) its result."""
        future = self._future
        if future._state == PENDING:
            if future._asyncio_future_blocking:  # handed up already, and nobody took it
                raise RuntimeError("await wasn't used with future")
            future._asyncio_future_blocking = True
            return future  # up to the Task, which steps us again once the future is done
        del self  # no reference cycle through this frame if result() raises (see there)
        try:
            result = future.result()
        finally:
            del future
        raise StopIteration(result)

    def send(self, value: object) -> Future[Any]:
        """A step, as `__next__`: the value sent in is ignored, as asyncio's iterator does."""
        return self.__next__()

    def throw(self, exc: Any, *value_and_traceback: Any) -> Future[Any]:
        """Raise the exception at the `await` (module docstring, 3.). Like a generator's
        throw(): an exception instance, or a class with an optional value and traceback
        (that older form warns from 3.12 on)."""
        if len(value_and_traceback) > 2:
            raise TypeError(f"throw expected at most 3 arguments, "
                            f"got {len(value_and_traceback) + 1}")
        if value_and_traceback and versions.THROW_SIGNATURE_DEPRECATED:
            warnings.warn("the (type, exc, tb) signature of throw() is deprecated, use the "
                          "single-arg signature instead.", DeprecationWarning, stacklevel=2)
        value, tb = (*value_and_traceback, None, None)[:2]
        if tb is not None and not isinstance(tb, TracebackType):
            raise TypeError("throw() third argument must be a traceback")
        if isinstance(exc, type) and issubclass(exc, BaseException):
            if not isinstance(value, exc):  # made from the value, as `raise` would
                exc = exc() if value is None else exc(*value) if isinstance(
                    value, tuple) else exc(value)
            else:
                exc = value
        elif isinstance(exc, BaseException):
            if value is not None:
                raise TypeError("instance exception may not have a separate value")
        else:
            raise TypeError("exceptions must be classes deriving BaseException or "
                            "instances of such a class")
        if tb is not None:
            exc = exc.with_traceback(tb)
        del self, value, tb  # no reference cycle through this frame (Future.result)
        try:
            raise exc
        finally:
            del exc

    def close(self) -> None:
        """Nothing to clean up: the future is left as it is."""
