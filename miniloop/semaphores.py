"""Semaphore and BoundedSemaphore: letting at most N tasks in at once.

What you learn here: a semaphore is a counter of free places. `acquire()` takes one
(waiting in line while there are none), `release()` gives one back. `Semaphore(1)` is a
lock; `Semaphore(10)` caps how many downloads run at the same time.

Like Lock (locks.py), a release does not run the next waiter: it sets that waiter's
future, and the waiter continues on a later turn. Here the place is *reserved* for it at
once (`_value` is decremented on its behalf), so a newcomer cannot take it in the gap; a
woken waiter that is cancelled before it runs gives its place back.

Fairness changed between versions (exactly what changed is pinned by
test_semaphore_fairness_across_versions):

* 3.11 and 3.12: a waiter that runs with places still free wakes *one* more waiter, which
  wakes the next when it runs, and so on: a chain, one turn of the loop per waiter.
* 3.13: it wakes as many waiters as there are free places, all at once.

Either way a newcomer never jumps the line: while anyone is waiting (woken or not),
`locked()` is True and `acquire()` queues, even if `_value` is positive.
"""

from __future__ import annotations

import collections
from typing import Any, Literal

from . import versions
from .exceptions import CancelledError
from .futures import Future
from .locks import AcquireRelease, _describe
from .loopbound import LoopBound

__all__ = ("Semaphore", "BoundedSemaphore")


class Semaphore(AcquireRelease, LoopBound):
    """A counter of free places; `async with sem:` holds one while the block runs."""

    def __init__(self, value: int = 1) -> None:
        if value < 0:
            raise ValueError("Semaphore initial value must be >= 0")
        self._value = value                      # free places not yet promised to anyone
        self._waiters: collections.deque[Future[Any]] = collections.deque()  # FIFO

    def __repr__(self) -> str:
        extra = "locked" if self.locked() else f"unlocked, value:{self._value}"
        return _describe(self, extra, self._waiters)

    def locked(self) -> bool:
        """True if acquire() would wait: no free place, or others already waiting."""
        return self._value == 0 or any(not w.cancelled() for w in self._waiters)

    async def acquire(self) -> Literal[True]:
        if not self.locked():
            self._value -= 1
            return True

        fut = self._get_loop().create_future()
        self._waiters.append(fut)
        # Discussion: when our future is done and not cancelled, _wake_up_next() already
        # took a place for us. If CancelledError arrives anyway (we were woken, then
        # cancelled before we ran: test_semaphore_woken_waiter_cancelled_gives_its_place_on),
        # that place must go back and to the next waiter, or it would be lost forever. Who
        # else is woken after a wait is where 3.13 changed (`_after_wait`, below).
        woken = False
        try:
            try:
                await fut
            finally:
                self._waiters.remove(fut)
            woken = True
        except CancelledError:
            if fut.done() and not fut.cancelled():
                self._value += 1  # the place we were promised goes back...
                woken = True      # ...and on to the next waiter, in _after_wait
            raise
        finally:
            _after_wait(self, woken)
        return True

    def release(self) -> None:
        """Give a place back, and promise it to the first waiter if there is one."""
        self._value += 1
        self._wake_up_next()

    def _wake_up_next(self) -> bool:
        """Reserve a place for the first waiter not yet woken, and wake it. False if none."""
        for fut in self._waiters:
            if not fut.done():
                self._value -= 1
                fut.set_result(True)
                return True
        return False


def _wake_one_more(sem: Semaphore, woken: bool) -> None:
    """3.11 and 3.12: a waiter that got a place wakes one more if places are left, and that
    one wakes the next when it runs: a chain, one wake-up per turn."""
    if woken and sem._value > 0:
        sem._wake_up_next()


def _fill_every_place(sem: Semaphore, woken: bool) -> None:
    """3.13: whoever leaves the line, woken or not, wakes as many waiters as there are free
    places, so places freed while newcomers queued are all taken at once."""
    while sem._value > 0 and sem._wake_up_next():
        pass


# Chosen once: the two fairness rules (compat_tests/test_semaphores.py pins both).
_after_wait = _fill_every_place if versions.SEMAPHORE_FILLS_ALL_PLACES else _wake_one_more


class BoundedSemaphore(Semaphore):
    """A Semaphore that refuses to be released more often than it was acquired."""

    def __init__(self, value: int = 1) -> None:
        self._bound_value = value  # the initial value, which _value may never exceed
        super().__init__(value)

    def release(self) -> None:
        if self._value >= self._bound_value:
            raise ValueError("BoundedSemaphore released too many times")
        super().release()
