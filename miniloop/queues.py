"""Queue, PriorityQueue, LifoQueue: handing items from producer tasks to consumer tasks.

What you learn here:

1. The same futures-in-a-line idea as locks.py, twice: `_getters` wait for an item,
   `_putters` wait for a free slot (only when `maxsize > 0`). Each `put` wakes the first
   getter, each `get` wakes the first putter.

2. Waking is not handing over. A woken getter is only told "there may be an item now"; it
   takes the item itself when it runs, and loops back to waiting if someone else got there
   first. That is why a cancelled `get()` can never swallow an item, nor a cancelled `put()`
   insert one: the item only moves while the task that moves it is running. A waiter that
   was woken but then cancelled passes the wake-up on to the next one in line.

3. `task_done()` and `join()`: every `put` counts one unfinished task, every `task_done()`
   one finished; `join()` waits (on an Event) until the count is back to zero. That is how
   a producer waits until consumers have *processed* everything, not merely taken it.

4. On 3.13, `shutdown()`: puts fail at once with QueueShutDown, gets drain what is left and
   then fail too (or fail at once with `immediate=True`), and every blocked task is woken
   to find that out.

The three kinds differ only in `_init`, `_put` and `_get`: which end items come out of.
"""

from __future__ import annotations

import collections
import heapq
from collections.abc import Callable
from types import GenericAlias
from typing import Any, Generic, TypeVar

from . import versions
from .futures import Future
from .locks import Event
from .loopbound import LoopBound

__all__ = ["Queue", "PriorityQueue", "LifoQueue", "QueueEmpty", "QueueFull"]

T = TypeVar("T")


class QueueEmpty(Exception):
    """get_nowait() on an empty queue."""


class QueueFull(Exception):
    """put_nowait() on a full queue."""


class QueueShutDown(Exception):
    """put or get on a queue that was shut down. New in 3.13: the package exports it (and
    Queue has shutdown()) only there, as asyncio does; before 3.13 nothing raises it."""


if versions.QUEUE_SHUTDOWN:
    __all__.append("QueueShutDown")


class Queue(LoopBound, Generic[T]):
    """A FIFO queue for tasks. `maxsize <= 0` means unbounded (put never waits)."""

    # Queue[int] is a plain types.GenericAlias, as asyncio's is (Generic alone would make it
    # a typing alias); Generic stays for the type checker.
    __class_getitem__: Any = classmethod(GenericAlias)

    def __init__(self, maxsize: int = 0) -> None:
        self._maxsize = maxsize
        self._getters: collections.deque[Future[None]] = collections.deque()  # want an item
        self._putters: collections.deque[Future[None]] = collections.deque()  # want a slot
        self._unfinished_tasks = 0   # items put and not yet marked task_done()
        self._finished = Event()     # set whenever _unfinished_tasks is 0; join() waits on it
        self._finished.set()
        self._is_shutdown = False    # shutdown() was called (3.13)
        self._init(maxsize)

    # -- Where items live: the only part the subclasses change ---------------------------------

    def _init(self, maxsize: int) -> None:
        self._queue: Any = collections.deque()  # a list in the subclasses

    def _put(self, item: T) -> None:
        self._queue.append(item)

    def _get(self) -> T:
        return self._queue.popleft()

    # -- State ----------------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"<{type(self).__name__} at {id(self):#x} {self._format()}>"

    def __str__(self) -> str:
        return f"<{type(self).__name__} {self._format()}>"

    def _format(self) -> str:
        text = f"maxsize={self._maxsize!r}"
        if self._queue:
            text += f" _queue={list(self._queue)!r}"
        if self._getters:
            text += f" _getters[{len(self._getters)}]"
        if self._putters:
            text += f" _putters[{len(self._putters)}]"
        if self._unfinished_tasks:
            text += f" tasks={self._unfinished_tasks}"
        if self._is_shutdown:
            text += " shutdown"
        return text

    @property
    def maxsize(self) -> int:
        return self._maxsize

    def qsize(self) -> int:
        return len(self._queue)

    def empty(self) -> bool:
        return not self._queue

    def full(self) -> bool:
        """True if put() would wait; never for an unbounded queue."""
        return 0 < self._maxsize <= self.qsize()

    # -- Putting and getting ----------------------------------------------------------------------

    # Discussion: the fast paths. asyncio's put() is `while self.full(): wait`, then
    # `self.put_nowait(item)`, which checks full() again; get() the same with empty() and
    # get_nowait(): about six Python calls per item on each side. When there is room (or an
    # item) and no subclass overrides those methods, put() and get() below do the same steps
    # inline, in the same order: the same checks, the same bookkeeping, the same wake-up.
    # A subclass that overrides one of them (so asyncio would call its version) takes the
    # general path. Measured: queue 0.59 -> 0.42 us per item (asyncio: 0.63).
    # FAST PATH [queue-inline]: docs/fast-paths.md
    _inline_ok = True  # no public method that put()/get() call is overridden (see below)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._inline_ok = all(getattr(cls, name) is getattr(Queue, name)
                             for name in ("qsize", "empty", "full", "put_nowait", "get_nowait"))

    async def put(self, item: T) -> None:
        """Add `item`, first waiting for a free slot if the queue is full."""
        if (self._inline_ok and not self._is_shutdown
                and not 0 < self._maxsize <= len(self._queue)):
            self._put(item)  # put_nowait(), inlined (see above)
            if self._unfinished_tasks == 0:
                self._finished.clear()
            self._unfinished_tasks += 1
            if self._getters:
                self._wake_up_next(self._getters)
            return
        while self.full():
            if self._is_shutdown:
                raise QueueShutDown
            await self._wait_in(self._putters, still_blocked=self.full)
        self.put_nowait(item)

    def put_nowait(self, item: T) -> None:
        if self._is_shutdown:
            raise QueueShutDown
        if self.full():
            raise QueueFull
        self._put(item)
        # The work below is skipped when it would do nothing (no change to the order of
        # events): `_finished` is already clear while items are unfinished, and an empty
        # line has nobody to wake. Measured: queue 0.65 -> 0.59 us per item.
        if self._unfinished_tasks == 0:
            self._finished.clear()
        self._unfinished_tasks += 1
        if self._getters:
            self._wake_up_next(self._getters)

    async def get(self) -> T:
        """Remove and return the next item, first waiting for one if the queue is empty."""
        if self._inline_ok and self._queue:
            item = self._get()  # get_nowait(), inlined (see put)
            if self._putters:
                self._wake_up_next(self._putters)
            return item
        while self.empty():
            if self._is_shutdown:
                raise QueueShutDown
            await self._wait_in(self._getters, still_blocked=self.empty)
        return self.get_nowait()

    def get_nowait(self) -> T:
        if self.empty():
            if self._is_shutdown:
                raise QueueShutDown
            raise QueueEmpty
        item = self._get()
        if self._putters:  # (a call saved when nobody waits, see put_nowait)
            self._wake_up_next(self._putters)
        return item

    async def _wait_in(self, line: collections.deque[Future[None]],
                       still_blocked: Callable[[], bool]) -> None:
        """Wait in `line` (getters or putters) until woken; the caller then re-checks."""
        waiter: Future[None] = self._get_loop().create_future()
        line.append(waiter)
        # Discussion: a waiter leaves the line when it is woken (_wake_up_next pops it) or, if
        # it fails here, by removing itself. If it was woken and *then* cancelled
        # (test_queue_woken_getter_cancelled_passes_the_item_on), the item or slot it was
        # woken for is still there, so the next in line must be woken in its place.
        try:
            await waiter
        except BaseException:
            waiter.cancel()  # woken or not, this waiter is finished
            if waiter in line:
                line.remove(waiter)
            if not still_blocked() and not waiter.cancelled():
                self._wake_up_next(line)
            raise

    def _wake_up_next(self, line: collections.deque[Future[None]]) -> None:
        """Wake the first waiter of `line` still waiting, dropping cancelled ones on the way."""
        while line:
            waiter = line.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    # -- Tracking work: task_done() and join() ---------------------------------------------------

    def task_done(self) -> None:
        """Mark one item taken with get() as fully processed."""
        if self._unfinished_tasks <= 0:
            raise ValueError("task_done() called too many times")
        self._unfinished_tasks -= 1
        if self._unfinished_tasks == 0:
            self._finished.set()

    async def join(self) -> None:
        """Wait until every item ever put has been marked task_done()."""
        if self._unfinished_tasks > 0:
            await self._finished.wait()

    if versions.QUEUE_SHUTDOWN:
        def shutdown(self, immediate: bool = False) -> None:
            """Refuse new items and wake everyone blocked. With `immediate`, also throw away
            the items left (each counted as done, which may release join())."""
            self._is_shutdown = True
            if immediate:
                while not self.empty():
                    self._get()
                    if self._unfinished_tasks > 0:
                        self._unfinished_tasks -= 1
                if self._unfinished_tasks == 0:
                    self._finished.set()
            # Woken getters and putters loop back, see _is_shutdown, and raise QueueShutDown
            # (getters only once the queue is empty).
            for line in (self._getters, self._putters):
                while line:
                    waiter = line.popleft()
                    if not waiter.done():
                        waiter.set_result(None)


class PriorityQueue(Queue[T]):
    """Items come out smallest first (a heap); put `(priority, item)` tuples."""

    def _init(self, maxsize: int) -> None:
        self._queue = []

    def _put(self, item: T) -> None:
        heapq.heappush(self._queue, item)

    def _get(self) -> T:
        return heapq.heappop(self._queue)


class LifoQueue(Queue[T]):
    """Items come out newest first: a stack."""

    def _init(self, maxsize: int) -> None:
        self._queue = []

    def _put(self, item: T) -> None:
        self._queue.append(item)

    def _get(self) -> T:
        return self._queue.pop()
