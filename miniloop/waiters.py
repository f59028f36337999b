"""Waiting in line: the wake-up hand-off, taught once.

What you learn here: the one subtle rule every waiting primitive shares. Lock, Semaphore,
Condition, the queues and as_completed() all keep a line of futures: a task that must wait
appends a future and awaits it, and whoever unblocks it calls `set_result()` on that future.

Discussion: woken is not yet running. `set_result()` only *schedules* the waiter's wake-up
(futures.py); the task runs again at the earliest on the next turn. In that gap it can still
be cancelled: `task.cancel()` finds its future already done, so the CancelledError is thrown
in at the `await` instead. The waiter was woken for something (a free lock, a place in a
semaphore, an item in a queue) that nobody else was woken for. If it simply left, that
something would sit there with everyone else still asleep: the next waiter would wait
forever. So a waiter that leaves with an exception must hand its wake-up on, and only the
primitive knows what that means (wake the next in line, give a place back, ...): it passes
`pass_on`, which is called with `woken`, whether this waiter had been woken before it left.

Scenarios: test_lock_waiter_cancelled_after_wake_up_passes_the_lock_on,
test_semaphore_woken_waiter_cancelled_gives_its_place_on,
test_queue_woken_getter_cancelled_passes_the_item_on, and as_completed's in
compat_tests/test_as_completed.py.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from .futures import Future

__all__ = ("wait_in_line",)


async def wait_in_line(line: deque[Future[Any]], fut: Future[Any],
                       pass_on: Callable[[bool], object] | None = None) -> None:
    """Join `line` with `fut`, wait until it is woken, and leave the line again.

    If the wait ends with an exception (the task was cancelled), `pass_on(woken)` is called
    once the waiter has left the line, and the exception propagates.
    """
    line.append(fut)
    try:
        await fut
    except BaseException:
        woken = fut.done() and not fut.cancelled()
        fut.cancel()  # woken or not, this waiter is finished
        _leave(line, fut)
        if pass_on is not None:
            pass_on(woken)
        raise
    _leave(line, fut)


def _leave(line: deque[Future[Any]], fut: Future[Any]) -> None:
    # Some wakers take the woken future out of the line themselves (the queues do).
    if fut in line:
        line.remove(fut)
