"""Tracing: recording what the loop did, turn by turn, and telling it as text.

What you learn here: what a program's `await`s turn into. A `Recorder` is an instrument
(instruments.py): the loop calls it at every step of every turn, and it writes down, in
plain words and numbers, what happened. Read top to bottom, the text trace is the loop's
own diary:

    turn 3 at 1.001 s: poll 0.999 s (until the nearest timer) -> no fd; 1 timer due
      ran sleep()'s timer -> Task-1's wake-up queued
    turn 4 at 1.001 s: poll 0 s (ready work) -> no fd
      ran Task-1's wake-up, resumed at prog.py:7 -> finished: returned None

`python -m miniloop trace prog.py` installs a Recorder on every loop the program creates
and prints this (see __main__.py); timeline.py draws the same record as a page and as a
Chrome trace.

Discussion: why the recorder keeps words, not objects. A record that held the tasks,
handles and futures themselves would keep every one of them alive for as long as the
trace exists, and the program's memory would grow with its age. So each event is turned
into a small tuple of numbers and strings the moment it happens (a task is its number; what
it waits on is a sentence from waits.py), and the record has a cap: past `cap` events it
stops recording and only counts what it drops, which every renderer reports.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import sys
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, NamedTuple

from .instruments import Instrument
from .waits import Names, resumes_at, waits_on

__all__ = ("Event", "Recorder", "TaskInfo", "recording_every_loop", "render_text")

_MINILOOP_DIR = os.path.dirname(os.path.abspath(__file__))

REASONS = {"ready": "ready work", "stopping": "stopping", "timer": "until the nearest timer",
           "idle": "nothing to do"}


class Event(NamedTuple):
    """One thing the loop did. `what` is the hook's name; `task` the number of the task it
    concerns (0: none); `info` the details, in words or numbers, per hook."""

    what: str
    turn: int
    now: float
    task: int
    info: tuple[Any, ...]


class TaskInfo(NamedTuple):
    """A task, as the record knows it."""

    name: str       # its name when first seen
    parent: int     # the number of the task that created it (0: none, or not seen)
    where: str      # "file.py:LINE" of the create_task() call ("" if not seen)
    coroutine: str  # its coroutine's function, "worker()"


class Recorder(Instrument):
    """An instrument that writes down every hook call as an `Event` (at most `cap` of them)."""

    def __init__(self, cap: int = 500_000) -> None:
        self.events: list[Event] = []       # what happened, in order, up to the cap
        self.cap = cap                      # how many events we keep at most
        self.dropped: Counter[str] = Counter()  # hook name -> events not kept (over the cap)
        self.tasks: dict[int, TaskInfo] = {}  # task number -> what we know of the task
        self._numbers: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
        self._names = Names()               # "Lock #1", "Queue #2": one numbering per trace
        self._running: Any = None           # the entry whose callback_started we saw last

    # -- Keeping the record ------------------------------------------------------------------

    def _add(self, what: str, turn: int, now: float, task: int, *info: Any) -> None:
        if len(self.events) < self.cap and not self.dropped:
            self.events.append(Event(what, turn, now, task, info))
        else:  # once anything is dropped, everything after is: the record stays a prefix
            self.dropped[what] += 1

    def number(self, task: Any) -> int:
        """The task's number in this record (1, 2, ... in order of first sight)."""
        if task is None:
            return 0
        number = self._numbers.get(task)
        if number is None:
            number = self._numbers[task] = len(self.tasks) + 1
            self.tasks[number] = TaskInfo(task.get_name(), 0, "", _coroutine_name(task))
        return number

    # -- The hooks (instruments.py) ------------------------------------------------------------

    def turn_started(self, now: float, turn: int, *, ready: int, timers: int,
                     timeout: float | None, reason: str) -> None:
        self._add("turn", turn, now, 0, ready, timers, timeout, reason)

    def poll_returned(self, now: float, turn: int, *, blocked: float,
                      events: list[tuple[int, str]]) -> None:
        self._add("poll", turn, now, 0, blocked, tuple(events))

    def timer_due(self, now: float, turn: int, *, timer: Any) -> None:
        self._add("timer", turn, now, 0, describe_callback(timer, self), timer.when())

    def callback_started(self, now: float, turn: int, *, callback: Any) -> None:
        task = _task_of(callback)
        where = resumes_at(task) if task is not None else None
        self._add("run", turn, now, self.number(task), describe_callback(callback, self), where)

    def callback_finished(self, now: float, turn: int, *, callback: Any,
                          elapsed: float) -> None:
        self._add("ran", turn, now, self.number(_task_of(callback)), elapsed)

    def task_created(self, now: float, turn: int, *, task: Any, parent: Any) -> None:
        number = self.number(task)
        info = self.tasks[number] = TaskInfo(task.get_name(), self.number(parent),
                                             _program_line(), _coroutine_name(task))
        self._add("created", turn, now, number, info.parent, info.where)

    def task_suspended(self, now: float, turn: int, *, task: Any, awaiting: Any) -> None:
        on = "the next turn (a bare yield)" if awaiting is None else waits_on(task, self._names)
        self._add("suspended", turn, now, self.number(task), on)

    def task_woken(self, now: float, turn: int, *, task: Any, future: Any) -> None:
        self._add("woken", turn, now, self.number(task))

    def cancel_requested(self, now: float, turn: int, *, task: Any, by: Any, msg: Any) -> None:
        self._add("cancel", turn, now, self.number(task), self.number(by),
                  None if msg is None else str(msg))

    def cancel_delivered(self, now: float, turn: int, *, task: Any) -> None:
        self._add("delivered", turn, now, self.number(task), resumes_at(task))

    def task_uncancelled(self, now: float, turn: int, *, task: Any, remaining: int) -> None:
        self._add("uncancelled", turn, now, self.number(task), remaining)

    def task_finished(self, now: float, turn: int, *, task: Any) -> None:
        self._add("finished", turn, now, self.number(task), _outcome(task))

    def fd_registered(self, now: float, turn: int, *, fd: int, event: str) -> None:
        self._add("fd+", turn, now, 0, fd, event)

    def fd_unregistered(self, now: float, turn: int, *, fd: int, event: str) -> None:
        self._add("fd-", turn, now, 0, fd, event)

    # -- Reading it back -----------------------------------------------------------------------

    def name(self, number: int) -> str:
        return self.tasks[number].name if number in self.tasks else "?"

    def drop_note(self) -> str:
        """What the cap dropped, in one sentence ("" if nothing)."""
        if not self.dropped:
            return ""
        total = sum(self.dropped.values())
        last = self.events[-1].turn if self.events else 0
        kinds = ", ".join(f"{count} {what}" for what, count in self.dropped.most_common())
        return (f"the record is capped at {self.cap} events: {total} later events were "
                f"dropped (after turn {last}: {kinds})")


def _task_of(entry: Any) -> Any:
    """The task whose step a ready-queue entry takes, or None (the same test the loop uses)."""
    from .instruments import _task_stepped_by

    return _task_stepped_by(entry)


def describe_callback(entry: Any, recorder: Recorder) -> str:
    """A ready-queue entry in words: "Task-1's step", "Task-1's wake-up", "sleep()'s timer"."""
    task = _task_of(entry)
    if task is not None:
        name = recorder.name(recorder.number(task))
        if entry is task:
            return f"{name}'s step"
        return f"{name}'s wake-up" if entry._callback.__name__ == "_wakeup" else (
            f"{name}'s step (throwing in an error)")
    callback = getattr(entry, "_callback", None)
    if callback is None:
        return "a cancelled callback"
    qualname = getattr(callback, "__qualname__", type(callback).__name__)
    module = getattr(callback, "__module__", "") or ""
    if qualname == "_set_result_unless_cancelled" and module.endswith("sleep"):
        return "sleep()'s timer"
    return f"{qualname}()"


def _program_line() -> str:
    """file.py:LINE of the program line that caused the current hook (first frame up the
    stack outside miniloop)."""
    frame = sys._getframe(2)
    while frame is not None and os.path.dirname(os.path.abspath(
            frame.f_code.co_filename)) == _MINILOOP_DIR:
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return ""
    return f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"


def _coroutine_name(task: Any) -> str:
    coro = task.get_coro() if hasattr(task, "get_coro") else None
    return f"{getattr(coro, '__qualname__', type(coro).__name__)}()"


def _outcome(task: Any) -> str:
    if task.cancelled():
        return "cancelled"
    exc = task.exception()
    if exc is not None:
        return f"raised {type(exc).__name__}: {exc}"
    return f"returned {_short(task.result())}"


def _short(value: Any, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[:width - 3] + "..."


# == The text trace ===========================================================================

def render_text(recorder: Recorder, *, turns: tuple[int, int | None] = (0, None),
                tasks: Iterable[str] = (), out: IO[str] | None = None) -> str:
    """The record as the learner's turn-by-turn diary. `turns` is a (first, last) range
    (last None: to the end); `tasks` are task names (shell patterns: "worker-*") to keep: a
    callback line is kept if it concerns one of them. Returns the text (and writes it to
    `out` if given)."""
    patterns = list(tasks)
    first, last = turns
    lines: list[str] = []
    start = recorder.events[0].now if recorder.events else 0.0
    for turn, header, entries in _turns(recorder, start):
        if turn < first or (last is not None and turn > last):
            continue
        kept = [text for text, involved in entries
                if not patterns or any(_matches(recorder.name(n), patterns) for n in involved)]
        if patterns and not kept:
            continue
        if header:
            lines.append(header)
        lines.extend(kept)
    note = recorder.drop_note()
    if note:
        lines.append(f"({note})")
    text = "\n".join(lines) + ("\n" if lines else "")
    if out is not None:
        out.write(text)
    return text


def _matches(name: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


Lines = list[tuple[str, set[int]]]  # a turn's callback lines, each with the tasks involved


def _turns(recorder: Recorder, start: float) -> Iterator[tuple[int, str, Lines]]:
    """Group the record by turn: (turn, header line, [(callback line, tasks involved)])."""
    turn = -1
    header = ""
    entries: Lines = []
    line: list[str] = []
    involved: set[int] = set()
    delivering = False  # the last event was a cancel_delivered: its step follows
    name = recorder.name

    def close_line() -> None:
        if line:
            entries.append(("  " + " ".join(line), set(involved)))
            line.clear()
            involved.clear()

    def effect(text: str) -> None:
        """What a callback led to: the first after "->", the others after ";"."""
        if any(part == "->" for part in line):
            line[-1] += ";"
        else:
            line.append("->")
        line.append(text)

    for event in recorder.events:
        what, info, number = event.what, event.info, event.task
        if event.turn != turn:
            close_line()
            if turn >= 0 and (header or entries):
                yield turn, header, entries
            turn, header, entries = event.turn, "", []
            if turn == 0:
                header = "before the first turn:"
        if what == "turn":
            ready, timers, timeout, reason = info
            if timeout == 0:
                wait = "poll without blocking"
            else:
                wait = "poll, forever if need be" if timeout is None else (
                    f"poll up to {timeout:.3f} s")
            header = (f"turn {turn} at {event.now - start:.3f} s: {ready} ready, {timers} "
                      f"timer{'s' * (timers != 1)}; {wait} ({REASONS.get(reason, reason)})")
        elif what == "poll":
            blocked, fds = info
            found = ", ".join(f"fd {fd} {kind}" for fd, kind in fds) or "no fd"
            took = f": blocked {blocked:.3f} s" if blocked >= 0.0005 else ""
            header += f"{took} -> {found}"
        elif what == "timer":
            header += f"; due: {info[0]}"
        elif what == "run":
            if not delivering:  # the CancelledError line goes on with the step it starts
                close_line()
            delivering = False
            involved.add(number)
            line.append(f"ran {info[0]}" + (f", resumed at {info[1]}" if info[1] else ""))
        elif what == "ran":
            pass
        elif what == "created":
            involved.add(number)
            where = f" at {info[1]}" if info[1] else ""
            line.append(f"[created {name(number)}{where}]")
        elif what == "suspended":
            effect(f"{name(number)} waits on {info[0]}")
        elif what == "woken":
            involved.add(number)
            effect(f"{name(number)}'s wake-up queued")
        elif what == "cancel":
            involved.add(number)
            by = f" by {name(info[0])}" if info[0] else ""
            msg = f" ({info[1]!r})" if info[1] is not None else ""
            line.append(f"[cancel of {name(number)} requested{by}{msg}]")
        elif what == "delivered":
            close_line()
            involved.add(number)
            at = f" at {info[0]}" if info[0] else ""
            line.append(f"CancelledError thrown into {name(number)}{at}:")
            delivering = True
        elif what == "uncancelled":
            line.append(f"[{name(number)} uncancelled, {info[0]} request(s) left]")
        elif what == "finished":
            effect(f"{name(number)} finished: {info[0]}")
        elif what in ("fd+", "fd-"):
            verb = "watching" if what == "fd+" else "no longer watching"
            text = f"[{verb} fd {info[0]} for {info[1]}]"
            if line:
                line.append(text)
            else:
                header += f"; {text[1:-1]}"
    close_line()
    if header or entries:
        yield turn, header, entries


# == Every loop a program makes ===============================================================

@contextlib.contextmanager
def recording_every_loop(*, cap: int = 500_000,
                         on_new_loop: Callable[[Any], None] | None = None,
                         ) -> Iterator[list[Recorder]]:
    """Give every EventLoop created inside the `with` block a Recorder of its own; the block
    gets the list of them (in the order the loops were made).

    Discussion: a program makes its loops in many ways (`run()`, a `Runner`,
    `new_event_loop()`, `EventLoop()` itself), and the one place all of them pass is
    `EventLoop.__init__`. So for the duration of the block, and only then, that method is
    wrapped: this is a tool that watches a program from outside, not a feature of the loop.
    """
    from .loop import EventLoop

    recorders: list[Recorder] = []
    plain_init = EventLoop.__init__

    def init_and_record(loop: EventLoop, *args: Any, **kwargs: Any) -> None:
        plain_init(loop, *args, **kwargs)
        recorder = Recorder(cap)
        recorders.append(recorder)
        loop.add_instrument(recorder)
        if on_new_loop is not None:
            on_new_loop(loop)

    EventLoop.__init__ = init_and_record  # type: ignore[method-assign, assignment]
    try:
        yield recorders
    finally:
        EventLoop.__init__ = plain_init  # type: ignore[method-assign]
