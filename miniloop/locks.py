"""Lock, Event and Condition: making tasks wait for each other in a single thread.

What you learn here:

1. Why a single-threaded program needs locks at all. A task runs undisturbed only until its
   next `await`; code that reads shared state, awaits, then writes it back can interleave
   with another task doing the same, and one update is lost. A `Lock` makes the others wait
   at `acquire()` until the holder calls `release()`.

2. Every primitive here is a queue of futures. A task that must wait creates a future,
   appends it to `_waiters` and awaits it; whoever unblocks it calls `set_result()` on that
   future, which (futures.py) only *schedules* the waiter's wake-up. Between "woken" and
   "running again" there is a gap of at least one turn of the loop, and in that gap the
   waiter can still be cancelled. Most of the care in this module is for that gap.

3. Fairness: waiters are woken in the order they arrived (FIFO), and a newcomer does not
   jump ahead of a waiter that has been woken but has not run yet.

The primitives bind to the loop that first makes them wait (loopbound.py), so they can be
created anywhere, even before a loop runs.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, Literal, TypeVar

from . import versions
from .exceptions import CancelledError
from .futures import Future
from .loopbound import LoopBound

__all__ = ("Lock", "Event", "Condition")

T = TypeVar("T")


class AcquireRelease:
    """`async with x:` means `await x.acquire()` ... `x.release()`, for Lock, Condition
    and the semaphores. Like asyncio, the `as` target is None, not the lock."""

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()

    # What the subclass provides (Condition borrows them from its lock).
    acquire: Callable[[], Coroutine[Any, Any, Literal[True]]]
    release: Callable[[], None]


def _describe(obj: object, extra: str, waiters: collections.deque[Any]) -> str:
    """asyncio's repr shape: the default object repr with `[state, waiters:N]` inside."""
    if waiters:
        extra = f"{extra}, waiters:{len(waiters)}"
    return f"<{object.__repr__(obj)[1:-1]} [{extra}]>"


# == Lock ==========================================================================================

class Lock(AcquireRelease, LoopBound):
    """A mutual-exclusion lock for tasks: `async with lock:` lets one task in at a time.

    Not owned: any task may release it (asyncio's Lock does not remember its holder).
    """

    def __init__(self) -> None:
        self._locked = False                                     # held right now
        self._waiters: collections.deque[Future[Any]] = collections.deque()  # FIFO

    def __repr__(self) -> str:
        return _describe(self, "locked" if self._locked else "unlocked", self._waiters)

    def locked(self) -> bool:
        return self._locked

    async def acquire(self) -> Literal[True]:
        """Take the lock, waiting behind everyone who asked before us."""
        # Free and nobody in line: take it at once. A line made only of cancelled waiters
        # counts as nobody (they are about to leave it).
        if not self._locked and all(waiter.cancelled() for waiter in self._waiters):
            self._locked = True
            return True

        fut = self._get_loop().create_future()
        self._waiters.append(fut)
        # Discussion: release() does not hand the lock over; it leaves the lock *free* and
        # sets the result of the first waiter's future, so that waiter takes the lock when it
        # runs. Nobody can take it in between: a woken future is done but not cancelled, so
        # the fast path above sees a line. If the woken waiter is cancelled before it runs
        # (test_lock_waiter_cancelled_after_wake_up_passes_the_lock_on), CancelledError
        # is raised at this await instead of the lock being taken. The lock is still free,
        # so we must wake the next waiter in our place, or it would wait forever.
        try:
            try:
                await fut
            finally:
                self._waiters.remove(fut)
        except CancelledError:
            if not self._locked:
                self._wake_up_first()
            raise
        self._locked = True
        return True

    def release(self) -> None:
        """Free the lock and wake the first waiter (which takes it when it runs)."""
        if not self._locked:
            raise RuntimeError("Lock is not acquired.")
        self._locked = False
        self._wake_up_first()

    def _wake_up_first(self) -> None:
        # Only the head of the line: if its future is already done, that waiter is already
        # on its way (to take the lock, or, cancelled, to wake the next one itself).
        if self._waiters and not self._waiters[0].done():
            self._waiters[0].set_result(True)


# == Event =========================================================================================

class Event(LoopBound):
    """A flag tasks can wait for: `wait()` returns once someone calls `set()`."""

    def __init__(self) -> None:
        self._value = False                                      # the flag
        self._waiters: collections.deque[Future[Any]] = collections.deque()  # FIFO

    def __repr__(self) -> str:
        return _describe(self, "set" if self._value else "unset", self._waiters)

    def is_set(self) -> bool:
        return self._value

    def set(self) -> None:
        """Raise the flag and wake every waiter, in the order they started waiting."""
        if self._value:
            return  # already set: the waiters were woken by the first set()
        self._value = True
        for fut in self._waiters:
            if not fut.done():  # skip waiters that were cancelled
                fut.set_result(True)

    def clear(self) -> None:
        """Lower the flag. Waiters already woken still return True: they were set free."""
        self._value = False

    async def wait(self) -> Literal[True]:
        if self._value:
            return True
        fut = self._get_loop().create_future()
        self._waiters.append(fut)
        try:
            await fut
            return True
        finally:
            self._waiters.remove(fut)


# == Condition =====================================================================================

class Condition(AcquireRelease, LoopBound):
    """Wait, holding a lock, until another task says the state you wait for may have changed.

    `async with cond: await cond.wait_for(lambda: queue)` releases the lock while waiting
    and holds it again when it returns. Several conditions may share one lock.
    """

    def __init__(self, lock: Lock | None = None) -> None:
        if lock is None:
            lock = Lock()
        self._lock = lock                                        # shared or our own
        self._waiters: collections.deque[Future[Any]] = collections.deque()  # FIFO
        # The lock's methods are ours, as in asyncio (bound once, not wrapped).
        self.locked = lock.locked
        self.acquire = lock.acquire
        self.release = lock.release

    def __repr__(self) -> str:
        return _describe(self, "locked" if self.locked() else "unlocked", self._waiters)

    async def wait(self) -> Literal[True]:
        """Release the lock, wait for a notify(), take the lock back, return True.

        Like asyncio's, it may return without a notify ("spuriously") on 3.13, so always
        re-check what you were waiting for: wait_for() does that for you.
        """
        if not self.locked():
            raise RuntimeError("cannot wait on un-acquired lock")
        fut = self._get_loop().create_future()
        self.release()
        # Discussion: whatever happens, wait() must return (or raise) with the lock held
        # again, because the caller's `async with` will release it. So a CancelledError that
        # arrives while we wait for the notify, or while we queue for the lock, is held back
        # until the lock is ours, then re-raised
        # (test_condition_cancelled_wait_reacquires_the_lock_before_raising).
        # 3.13 adds one more rule: if we leave with an exception, we may have swallowed a
        # notify() meant for one waiter, so we pass one on to the next waiter
        # (test_condition_notified_then_cancelled_passes_the_notify_on).
        try:
            try:
                self._waiters.append(fut)
                try:
                    await fut
                    return True
                finally:
                    self._waiters.remove(fut)
            finally:
                await self._reacquire()
        except BaseException:
            if versions.CONDITION_PASSES_NOTIFY_ON:
                self._notify(1)
            raise

    async def _reacquire(self) -> None:
        """Take the lock back, however often we are cancelled while queueing for it."""
        cancelled: CancelledError | None = None
        while True:
            try:
                await self.acquire()
                break
            except CancelledError as exc:
                cancelled = exc
        if cancelled is not None:
            # 3.13 re-raises the very CancelledError (its message kept); 3.11 and 3.12 raise
            # a new, empty one (test_condition_cancel_message_while_reacquiring).
            if versions.CONDITION_KEEPS_CANCEL_MESSAGE:
                raise cancelled
            raise CancelledError

    async def wait_for(self, predicate: Callable[[], T]) -> T:
        """wait() until `predicate()` is true; return its (true) value."""
        result = predicate()
        while not result:
            await self.wait()
            result = predicate()
        return result

    def notify(self, n: int = 1) -> None:
        """Wake the first `n` waiters (each returns from wait() once it has the lock)."""
        if not self.locked():
            raise RuntimeError("cannot notify on un-acquired lock")
        self._notify(n)

    def notify_all(self) -> None:
        self.notify(len(self._waiters))

    def _notify(self, n: int) -> None:
        woken = 0
        for fut in self._waiters:
            if woken >= n:
                break
            if not fut.done():  # cancelled, or already notified: does not count
                woken += 1
                fut.set_result(False)
