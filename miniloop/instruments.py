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
asks `if self._instruments:` once per turn, and in the rarer task events (created, cancel
requested, uncancelled). Everything that happens per callback is observed from the outside,
by `InstrumentMixin._observe_run`, the branch `_run_once` takes while an instrument is
installed: it runs the same queue in the same order, and reads from each entry what it was
(a task's step, a task's wake-up) and from the task afterwards what became of it (finished,
suspended on a future, queued again). So `Task._step`, the hottest code in miniloop, carries
no hooks at all. An instrument that raises is removed and its error reported through the
loop's exception handler, so a broken tracer cannot break the program it watches.
"""

from __future__ import annotations

from collections import deque
from itertools import islice
from typing import TYPE_CHECKING, Any

from .exceptions import CancelledError

if TYPE_CHECKING:
    from .poller import Poller

__all__ = ("Instrument", "InstrumentMixin")


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


class InstrumentMixin:
    """The loop's side: installing instruments, and calling their hooks (EventLoop inherits it)."""

    if TYPE_CHECKING:  # what we use of EventLoop, for the type checker
        _instruments: list[Instrument]
        _turn: int
        _stopping: bool
        _ready: deque[Any]
        _poller: Poller
        _current_handle: Any
        _scheduled: list[Any]
        def time(self) -> float: ...
        def call_exception_handler(self, context: dict[str, Any]) -> None: ...

    def add_instrument(self, instrument: Instrument) -> None:
        """Start calling `instrument`'s hooks (see the module docstring)."""
        if instrument not in self._instruments:
            self._instruments.append(instrument)

    def remove_instrument(self, instrument: Instrument) -> None:
        """Stop calling `instrument`'s hooks. ValueError if it was not installed."""
        self._instruments.remove(instrument)

    def _notify(self, hook: str, **details: Any) -> None:
        """Call `hook` on every instrument, with the loop's time and turn."""
        if not self._instruments:
            return
        now = self.time()
        for instrument in list(self._instruments):
            try:
                getattr(instrument, hook)(now, self._turn, **details)
            except Exception as exc:
                if instrument in self._instruments:
                    self._instruments.remove(instrument)
                self.call_exception_handler({
                    "message": f"Instrument {instrument!r} raised in {hook}(); it was removed",
                    "exception": exc,
                })

    def _observe_poll(self, timeout: float | None) -> None:
        """Step 1 of `_run_once`, with hooks: the poll, why it may block that long, and what
        it found."""
        if self._ready:
            reason = "ready"
        elif self._stopping:
            reason = "stopping"
        else:  # (a timer already due gives a timeout of 0 too: that is "timer", not "stopping")
            reason = "idle" if timeout is None else "timer"
        self._notify("turn_started", ready=len(self._ready), timers=len(self._scheduled),
                     timeout=timeout, reason=reason)
        started = self.time()
        events = self._poller.poll(timeout)
        self._notify("poll_returned", blocked=self.time() - started,
                     events=[(fd, event) for fd, event, _ in events])
        for _fd, _event, handle in events:
            self._ready.append(handle)

    def _observe_run(self, count: int) -> None:
        """Step 3 of `_run_once`, with hooks: run the first `count` entries of the ready
        queue, in order, and tell the instruments what each was and what it led to."""
        ready = self._ready
        for _ in range(count):
            entry = ready.popleft()
            task = _task_stepped_by(entry)
            if task is not None and _throws_cancel(entry, task):
                self._notify("cancel_delivered", task=task)
            already_queued = len(ready)
            self._current_handle = entry  # for error reports (errors.py)
            self._notify("callback_started", callback=entry)
            started = self.time()
            try:
                entry._run()
            finally:
                self._current_handle = None
            self._notify("callback_finished", callback=entry, elapsed=self.time() - started)
            if task is not None:
                if task.done():
                    self._notify("task_finished", task=task)
                else:  # waiting on a future, or queued again after a bare yield
                    self._notify("task_suspended", task=task, awaiting=task._fut_waiter)
            # What this callback queued: a task's wake-up means its future is done.
            for queued in list(islice(ready, already_queued, None)):
                woken = _task_stepped_by(queued)
                if woken is not None and queued is not woken and queued._args:
                    self._notify("task_woken", task=woken, future=queued._args[0])
            del entry, task  # no reference cycle through this frame (see Task._step)


def _task_stepped_by(entry: Any) -> Any:
    """The task whose step this ready-queue entry takes: the task itself (its next step,
    tasks.py), or a handle of its `_wakeup` or `_step`; None for any other callback."""
    from .tasks import Task  # not at the top: tasks.py -> handles.py -> debug.py -> us

    if isinstance(entry, Task):
        return entry
    owner = getattr(getattr(entry, "_callback", None), "__self__", None)
    if isinstance(owner, Task) and entry._callback.__name__ in ("_wakeup", "_step"):
        return owner
    return None


def _throws_cancel(entry: Any, task: Any) -> bool:
    """Will this step throw CancelledError into the task's coroutine?"""
    if entry is task or task._must_cancel:
        return bool(task._must_cancel)
    arg = entry._args[0] if entry._args else None
    if isinstance(arg, CancelledError):
        return True
    return getattr(arg, "cancelled", lambda: False)()
