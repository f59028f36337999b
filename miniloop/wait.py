"""wait() and as_completed(): waiting for the first of many, or for each one as it finishes.

What you learn here: the one-waiter pattern. Neither function polls. Each creates a single
"waiter" future, gives every awaitable a done-callback that may complete it, and suspends on
the waiter alone. A timeout is just one more thing that may complete the waiter: a
TimerHandle. And since the callbacks only *observe* the awaitables, nothing is cancelled when
the waiting stops: a timeout in wait() or as_completed() leaves the work running.

* `wait(aws, return_when=...)` wakes up when the condition holds (FIRST_COMPLETED,
  FIRST_EXCEPTION, ALL_COMPLETED) or the timeout passes, and returns two sets, `(done,
  pending)`, of the very objects that were passed in. It refuses bare coroutines: a
  coroutine wrapped into a task behind your back could never be found in either set.
* `as_completed(aws)` delivers finished awaitables in completion order through a small
  FIFO. Iterating it plainly yields coroutines, each of which waits for the next one to
  finish and returns its result. Since 3.13, `async for` over it yields the original tasks
  themselves, which is how you tell them apart.
"""

from __future__ import annotations

import inspect
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Coroutine, Generator, Iterable, Iterator
from typing import Any, TypeVar

from . import current, versions
from .coroutines import iscoroutine
from .futures import Future, isfuture
from .handles import TimerHandle
from .tasks import ensure_future

__all__ = ("FIRST_COMPLETED", "FIRST_EXCEPTION", "ALL_COMPLETED", "wait", "as_completed")

T = TypeVar("T")

# The same strings as concurrent.futures uses, as in asyncio, so either module's constants work.
FIRST_COMPLETED = "FIRST_COMPLETED"
FIRST_EXCEPTION = "FIRST_EXCEPTION"
ALL_COMPLETED = "ALL_COMPLETED"


async def wait(fs: Iterable[Future[Any]], *, timeout: float | None = None,
               return_when: str = ALL_COMPLETED) -> tuple[set[Future[Any]], set[Future[Any]]]:
    """Wait until `return_when` holds for the futures in `fs`, or `timeout` seconds pass.

    Returns `(done, pending)`. Never raises TimeoutError and never cancels anything.
    """
    # Misuse is reported when the coroutine runs, i.e. at the `await`, as in asyncio.
    if isfuture(fs) or iscoroutine(fs):
        raise TypeError(f"expect a list of futures, not {type(fs).__name__}")
    if not fs:
        raise ValueError("Set of Tasks/Futures is empty.")
    if return_when not in (FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED):
        raise ValueError(f"Invalid return_when value: {return_when}")
    futures = set(fs)  # the same object passed twice is waited for once
    if any(iscoroutine(f) for f in futures):
        raise TypeError("Passing coroutines is forbidden, use tasks explicitly.")

    loop = current.get_running_loop()
    waiter: Future[None] = loop.create_future()
    remaining = len(futures)

    def release(_: Any = None) -> None:
        if not waiter.done():
            waiter.set_result(None)

    def on_done(fut: Future[Any]) -> None:
        nonlocal remaining
        remaining -= 1
        # exception() is only asked for FIRST_EXCEPTION: asking marks the error retrieved,
        # and wait() must not silence "exception was never retrieved" otherwise.
        if (remaining <= 0 or return_when == FIRST_COMPLETED
                or (return_when == FIRST_EXCEPTION and _failed(fut))):
            if timer is not None:
                timer.cancel()
            release()

    timer = None if timeout is None else loop.call_later(timeout, release)
    # Futures that are done already are counted through call_soon like the others, so even
    # wait() on finished futures takes one turn of the loop.
    for fut in futures:
        fut.add_done_callback(on_done)
    try:
        await waiter
    finally:
        if timer is not None:
            timer.cancel()
        for fut in futures:
            fut.remove_done_callback(on_done)

    done = {fut for fut in futures if fut.done()}
    return done, futures - done


def _failed(fut: Future[Any]) -> bool:
    """Finished with an exception (a cancellation does not count as one)."""
    return not fut.cancelled() and fut.exception() is not None


# == as_completed ===========================================================================

class _AsCompleted:
    """The engine of as_completed(): finished futures queue up here in completion order.

    Discussion: the FIFO behaves like an asyncio.Queue, because that is what asyncio uses
    and several consumers may wait at once (`gather(*as_completed(...))`). A consumer that
    finds it empty parks a getter future; each arrival wakes the oldest getter. A woken
    consumer that is cancelled before it runs passes its wake-up on to the next getter, so
    no arrival is lost (compat_tests/test_as_completed.py pins it). On timeout, every future
    not yet delivered is replaced by `None`, which makes its consumer raise TimeoutError; the
    futures themselves are not touched.
    """

    def __init__(self, aws: Iterable[Awaitable[Any]], timeout: float | None) -> None:
        loop = current.get_event_loop()
        # Not delivered yet. asyncio keeps a set; a dict (an ordered set) makes the tasks
        # for coroutines start in argument order instead of in an order nobody can predict.
        self._todo = dict.fromkeys(ensure_future(aw, loop=loop) for aw in dict.fromkeys(aws))
        self._left = len(self._todo)        # results still to hand out
        self._arrived: deque[Future[Any] | None] = deque()  # finished, not yet taken
        self._getters: deque[Future[None]] = deque()  # consumers parked on an empty FIFO
        self._timer: TimerHandle | None = None
        for fut in self._todo:
            fut.add_done_callback(self._on_done)
        if self._todo and timeout is not None:
            self._timer = loop.call_later(timeout, self._on_timeout)

    def _on_done(self, fut: Future[Any]) -> None:
        if not self._todo:
            return  # the timeout came first
        del self._todo[fut]
        self._arrive(fut)
        if not self._todo and self._timer is not None:
            self._timer.cancel()

    def _on_timeout(self) -> None:
        for fut in self._todo:
            fut.remove_done_callback(self._on_done)
            self._arrive(None)  # one TimeoutError per result still owed
        self._todo.clear()

    def _arrive(self, item: Future[Any] | None) -> None:
        self._arrived.append(item)
        self._wake_next_getter()

    def _wake_next_getter(self) -> None:
        while self._getters:
            getter = self._getters.popleft()
            if not getter.done():
                getter.set_result(None)
                return

    async def next_done(self, *, resolve: bool) -> Any:
        """Wait for the next future to finish; return it, or with `resolve` its result."""
        while not self._arrived:
            getter: Future[None] = current.get_running_loop().create_future()
            self._getters.append(getter)
            try:
                await getter
            except BaseException:
                getter.cancel()
                if getter in self._getters:
                    self._getters.remove(getter)
                elif self._arrived and not getter.cancelled():
                    self._wake_next_getter()  # we were woken but cannot take it: pass it on
                raise
        fut = self._arrived.popleft()
        if fut is None:
            raise TimeoutError
        return fut.result() if resolve else fut

    def take_one(self) -> bool:
        """Count one more result handed out; False once every result has been."""
        if not self._left:
            return False
        self._left -= 1
        return True


class _AsCompletedIterator:
    """What as_completed() returns on 3.13: an iterator and an async iterator in one."""

    def __init__(self, aws: Iterable[Awaitable[Any]], timeout: float | None) -> None:
        self._engine = _AsCompleted(aws, timeout)

    def __iter__(self) -> Iterator[Coroutine[Any, Any, Any]]:
        return self

    def __next__(self) -> Coroutine[Any, Any, Any]:
        if not self._engine.take_one():
            raise StopIteration
        return self._engine.next_done(resolve=True)

    def __aiter__(self) -> AsyncIterator[Future[Any]]:
        return self

    async def __anext__(self) -> Future[Any]:
        if not self._engine.take_one():
            raise StopAsyncIteration
        fut: Future[Any] = await self._engine.next_done(resolve=False)
        return fut


def as_completed(fs: Iterable[Awaitable[T]], *, timeout: float | None = None) -> Any:
    """Iterate over `fs` in the order they finish (coroutines are wrapped in tasks).

    Plain iteration yields coroutines to await, each giving the next result (or raising
    the next exception, or TimeoutError after `timeout`). From 3.13, `async for` yields the
    finished futures and tasks themselves.
    """
    if versions.AS_COMPLETED_ITERATOR:
        if inspect.isawaitable(fs):
            raise TypeError(f"expects an iterable of awaitables, not {type(fs).__name__}")
        return _AsCompletedIterator(fs, timeout)
    return _as_completed_generator(fs, timeout)


def _as_completed_generator(fs: Iterable[Awaitable[Any]],
                            timeout: float | None,
                            ) -> Generator[Coroutine[Any, Any, Any], None, None]:
    """3.11 and 3.12: as_completed() is a generator, so nothing happens (not even the
    argument check, and no task is created) until the first next()."""
    if isfuture(fs) or iscoroutine(fs):
        raise TypeError(f"expect an iterable of futures, not {type(fs).__name__}")
    engine = _AsCompleted(fs, timeout)
    while engine.take_one():
        yield engine.next_done(resolve=True)
