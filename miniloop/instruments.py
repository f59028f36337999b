"""Instruments: watching the loop turn, from the inside.

What you learn here: what an event loop actually does, turn by turn. Reading `_run_once`
tells you what the loop *could* do; an instrument is told what it *did*. Install one with
`loop.add_instrument(obj)` (and take it away with `loop.remove_instrument(obj)`): from then
on the loop calls its hooks as things happen. trio's Instrument is the model.

Every hook receives the loop's time (`now`, the clock of `loop.time()`) and the number of
the turn it happens in (`turn`, counted from 1 by each loop), then keyword arguments that
say what happened. Subclass `Instrument` and override the hooks you need; the others do
nothing. The hooks, in the order of a turn:

    turn_started(now, turn, *, ready, timers, timeout, reason)
        ready: callbacks queued; timers: timers in the heap; timeout: how long the poll
        may block (None: forever); reason: why that long: "ready" (work is queued: do not
        block), "stopping", "timer" (until the nearest timer) or "idle" (nothing to do).
    poll_returned(now, turn, *, blocked, events)
        blocked: seconds spent in the poll; events: [(fd, "read" | "write"), ...].
    timer_due(now, turn, *, timer)
        a TimerHandle moved from the heap to the ready queue.
    callback_started(now, turn, *, callback)  /  callback_finished(now, turn, *, callback, elapsed)
        callback: what the ready queue held, a Handle or a Task taking its next step.

And as tasks and file descriptors come and go (from inside a callback, so `turn` is the
turn that runs it; 0 before the loop first turns):

    task_created(now, turn, *, task, parent)      parent: the task running create_task()
    task_suspended(now, turn, *, task, awaiting)  awaiting: the future it now waits on,
                                                  or None for a bare yield (sleep(0))
    task_woken(now, turn, *, task, future)        its next step is queued: `future` is done
    cancel_requested(now, turn, *, task, by, msg) by: the task that called cancel(), if any
    cancel_delivered(now, turn, *, task)          CancelledError is about to be thrown in
    task_uncancelled(now, turn, *, task, remaining)
    task_finished(now, turn, *, task)             done: result, exception or cancelled
    fd_registered(now, turn, *, fd, event)        event: "read" or "write"
    fd_unregistered(now, turn, *, fd, event)

Discussion: what it costs when nobody watches. The loop keeps its instruments in a list and
asks `if self._instruments:` once per turn, and once in each of the rarer task events; the
per-callback hooks are only called from the instrumented branch of `_run_once`. An
instrument that raises is removed and its error reported through the loop's exception
handler, so a broken tracer cannot break the program it watches.
"""

from __future__ import annotations

from typing import Any

__all__ = ("Instrument",)


class Instrument:
    """The hooks the loop calls; every one does nothing until a subclass overrides it."""

    def turn_started(self, now: float, turn: int, *, ready: int, timers: int,
                     timeout: float | None, reason: str) -> None: ...

    def poll_returned(self, now: float, turn: int, *, blocked: float,
                      events: list[tuple[int, str]]) -> None: ...

    def timer_due(self, now: float, turn: int, *, timer: Any) -> None: ...

    def callback_started(self, now: float, turn: int, *, callback: Any) -> None: ...

    def callback_finished(self, now: float, turn: int, *, callback: Any,
                          elapsed: float) -> None: ...

    def task_created(self, now: float, turn: int, *, task: Any, parent: Any) -> None: ...

    def task_suspended(self, now: float, turn: int, *, task: Any, awaiting: Any) -> None: ...

    def task_woken(self, now: float, turn: int, *, task: Any, future: Any) -> None: ...

    def cancel_requested(self, now: float, turn: int, *, task: Any, by: Any,
                         msg: Any) -> None: ...

    def cancel_delivered(self, now: float, turn: int, *, task: Any) -> None: ...

    def task_uncancelled(self, now: float, turn: int, *, task: Any, remaining: int) -> None: ...

    def task_finished(self, now: float, turn: int, *, task: Any) -> None: ...

    def fd_registered(self, now: float, turn: int, *, fd: int, event: str) -> None: ...

    def fd_unregistered(self, now: float, turn: int, *, fd: int, event: str) -> None: ...
