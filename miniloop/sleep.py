"""sleep(): how a coroutine waits for time to pass.

What you learn here: there is no "sleeping" anywhere in an event loop. `await sleep(1)`
creates a future, asks the loop to complete it in one second (a `TimerHandle` in the
loop's heap), and awaits the future, which suspends the task (futures.py, tasks.py). While
it waits, the loop is free to run everything else. When the timer is due, its callback sets
the future's result; that schedules the task's wake-up, and on the next turn the task
resumes after its `await`.

`sleep(0)` is different: it creates no future and no timer. It yields once, bare, which a
task understands as "run me again after everything already queued" (tasks.py). It is the
cheapest way to let other tasks run, and it is exactly one turn of the loop.
"""

from __future__ import annotations

import math
import types
from collections.abc import Generator
from typing import Any, TypeVar

from . import current, versions
from .futures import Future

__all__ = ("sleep",)

T = TypeVar("T")


@types.coroutine
def _yield_once() -> Generator[None, None, None]:
    """A bare `yield`: suspend for exactly one turn of the loop."""
    yield


async def sleep(delay: float, result: T = None) -> T:  # type: ignore[assignment]
    """Suspend the calling task for `delay` seconds, then return `result`."""
    if delay <= 0:
        await _yield_once()
        return result
    if versions.SLEEP_REJECTS_NAN and math.isnan(delay):
        raise ValueError("Invalid delay: NaN (not a number)")
    loop = current.get_running_loop()
    future = loop.create_future()
    timer = loop.call_later(delay, _set_result_unless_cancelled, future, result)
    try:
        return await future
    finally:
        # Cancelled while asleep: the timer must not fire into a cancelled future (and is
        # dropped from the heap instead of lingering for the rest of the delay).
        timer.cancel()


def _set_result_unless_cancelled(future: Future[Any], result: Any) -> None:
    if not future.cancelled():
        future.set_result(result)
