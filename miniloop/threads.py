"""Futures that cross threads: wrap_future, run_coroutine_threadsafe and to_thread.

What you learn here: how the loop's single thread meets the rest of the process. There are
two kinds of future, and they do not mix:

* a miniloop `Future` belongs to one loop; only that loop's thread may complete it, and its
  done-callbacks run on that loop, through `call_soon`;
* a `concurrent.futures.Future` is thread-safe (it has a lock and a condition variable);
  any thread may complete it, and its done-callbacks run at once, in whichever thread
  completed it.

`_chain` ties one of each together so that completing one completes the other, always by
handing the work to the thread that owns the target. That one function gives us:

* `wrap_future(cf)`: await a `concurrent.futures.Future` from a coroutine. This is how
  `loop.run_in_executor` (executors.py) hands a worker thread's result back to the loop.
* `run_coroutine_threadsafe(coro, loop)`: the opposite direction, for a plain thread that
  wants a coroutine run on a loop and a `concurrent.futures.Future` to block on.
* `to_thread(fn, *args)`: `run_in_executor` on the default executor, with the caller's
  `contextvars` copied into the worker thread.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import functools
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from . import current, versions
from .coroutines import iscoroutine
from .exceptions import CancelledError, InvalidStateError
from .futures import Future, isfuture
from .tasks import ensure_future

if TYPE_CHECKING:
    from .loop import EventLoop

__all__ = ("wrap_future", "run_coroutine_threadsafe", "to_thread")

T = TypeVar("T")

AnyFuture = Future[Any] | concurrent.futures.Future[Any]


def wrap_future(future: AnyFuture, *, loop: EventLoop | None = None) -> Future[Any]:
    """A miniloop Future on `loop` that follows the `concurrent.futures.Future` `future`.

    Cancelling the returned future cancels `future` too (which only works while it has not
    started running: a thread cannot be interrupted).
    """
    if isfuture(future):
        return future  # type: ignore[return-value]
    # asyncio checks with an assert, so the message is asyncio's assertion text.
    assert isinstance(future, concurrent.futures.Future), \
        f"concurrent.futures.Future is expected, got {future!r}"
    if loop is None:
        loop = current.get_event_loop()
    mirror = loop.create_future()
    _chain(future, mirror)
    return mirror


def run_coroutine_threadsafe(coro: Coroutine[Any, Any, T],
                             loop: EventLoop) -> concurrent.futures.Future[T]:
    """From any thread: run `coro` as a task on `loop`; return a future to block on."""
    if not iscoroutine(coro):
        raise TypeError("A coroutine object is required")
    result: concurrent.futures.Future[T] = concurrent.futures.Future()

    def start_on_the_loop() -> None:
        try:
            _chain(ensure_future(coro, loop=loop), result)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            # The waiting thread hears about it, and so does the loop's exception handler.
            if result.set_running_or_notify_cancel():
                result.set_exception(exc)
            raise

    loop.call_soon_threadsafe(start_on_the_loop)
    return result


async def to_thread(func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run `func(*args, **kwargs)` in the default executor and await its result.

    The worker thread runs in a copy of the caller's context, so context variables set by
    the coroutine are visible to `func` (a thread pool alone would not carry them over).
    """
    loop = current.get_running_loop()
    context = contextvars.copy_context()
    call = functools.partial(context.run, func, *args, **kwargs)
    return await loop.run_in_executor(None, call)


# == Chaining a future to another, across threads ==============================================
#
# Discussion: each side may be completed by a different thread. A `concurrent.futures.Future`
# calls its callbacks in the thread that completes it (a worker), so when a worker finishes,
# `copy_outcome` must not touch the miniloop future directly: it asks the owning loop to do
# it with `call_soon_threadsafe`, which also wakes that loop out of select(). The other way
# round, cancelling the miniloop future (on the loop's thread) may cancel the concurrent one
# directly, since it is thread-safe. If the loop is closed by the time a worker finishes,
# nobody can await the result any more and it is dropped.

def _chain(source: AnyFuture, destination: AnyFuture) -> None:
    """Copy `source`'s outcome into `destination` when it is done; cancelling
    `destination` cancels `source`. Either may be a miniloop or a concurrent future."""
    source_loop = source.get_loop() if isinstance(source, Future) else None
    destination_loop = destination.get_loop() if isinstance(destination, Future) else None

    def cancel_source(destination: AnyFuture) -> None:
        if destination.cancelled():
            if source_loop is None or source_loop is destination_loop:
                source.cancel()
            else:
                source_loop.call_soon_threadsafe(source.cancel)

    def copy_outcome(source: AnyFuture) -> None:
        if destination_loop is None or destination_loop is source_loop:
            _copy_outcome(source, destination)
        elif not destination_loop.is_closed():
            destination_loop.call_soon_threadsafe(_copy_outcome, source, destination)

    destination.add_done_callback(cancel_source)
    source.add_done_callback(copy_outcome)


def _copy_outcome(source: AnyFuture, destination: AnyFuture) -> None:
    """Give `destination` the result, exception or cancellation of the done `source`."""
    if isinstance(destination, Future):
        if destination.cancelled():
            return  # the awaiting side gave up: nothing to report
        if source.cancelled():
            destination.cancel()
        elif source.exception() is not None:
            destination.set_exception(_translate(source.exception()))  # type: ignore[arg-type]
        else:
            destination.set_result(source.result())
        return
    if source.cancelled():
        destination.cancel()
    if not destination.set_running_or_notify_cancel():
        return  # cancelled on the waiting thread's side
    if source.exception() is not None:
        destination.set_exception(_translate(source.exception()))  # type: ignore[arg-type]
    else:
        destination.set_result(source.result())


def _translate(exc: BaseException) -> BaseException:
    """concurrent.futures has its own CancelledError and InvalidStateError: swap them for
    ours, so that `except CancelledError` in a coroutine catches what a worker raised."""
    for theirs, ours in ((concurrent.futures.CancelledError, CancelledError),
                         (concurrent.futures.InvalidStateError, InvalidStateError)):
        if type(exc) is theirs:
            translated = ours(*exc.args)
            if versions.WRAPPED_ERROR_KEEPS_TRACEBACK:
                translated = translated.with_traceback(exc.__traceback__)
            return translated
    return exc
