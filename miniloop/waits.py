"""What a suspended task waits on: reading the answer off its chain of awaits.

What you learn here: a suspended task is not a mystery box. Its coroutine is paused at an
`await`, and Python lets us follow that await down: `coro.cr_await` is the object the
coroutine awaits (another coroutine, a generator, a future), which has its own `cr_await`
(or `gi_yieldfrom` for a generator), and so on to the future at the bottom that the task
holds in `task._fut_waiter`. Each coroutine on the way has a frame (`cr_frame`) that knows
its function, its line and its local variables.

So "what is Task-3 waiting for?" has a readable answer: walk the chain, find the *last*
place where the program called into miniloop (`Queue.get`, `Lock.acquire`, `sock_recv`,
`sleep`, ...), and read what that call is about from its frame's locals (`self` is the
queue, `sock` the socket, the timer of `sleep` knows its deadline). What asyncio's own
call graph cannot say (graph.py prints it beside each leaf) is exactly this.

    waits_on(task)   ->  "Queue #2 get, queue empty", "sock_recv on fd 7", "Task-5", ...
    resumes_at(task) ->  "prog.py:7", the line of the program where it will go on

Discussion: why the last call into miniloop and not the innermost miniloop frame. Public
calls are often built from private ones (`Queue.get` awaits `Queue._wait_in`, `sock_recv`
awaits `_wait_readable`): the innermost frame names a helper the program never called.
The frame entered from the program's own code is the one the reader wrote.
"""

from __future__ import annotations

import os
import weakref
from types import FrameType
from typing import Any

__all__ = ("Names", "resumes_at", "waits_on")

_MINILOOP_DIR = os.path.dirname(os.path.abspath(__file__))

# The kinds of miniloop object a task can wait on, by class name, for numbering and display.
_NUMBERED_KINDS = ("Lock", "Event", "Condition", "Semaphore", "BoundedSemaphore", "Barrier",
                   "Queue", "PriorityQueue", "LifoQueue", "Future")


class Names:
    """Stable short names for the objects of one report: "Lock #1", "Queue #2", ...

    Numbered per kind in the order they are first mentioned. Objects are held weakly, so a
    long-lived recorder does not keep a program's locks alive.
    """

    def __init__(self) -> None:
        self._numbers: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
        self._counts: dict[str, int] = {}

    def __call__(self, obj: Any) -> str:
        kind = _kind(obj)
        try:
            number = self._numbers.get(obj)
        except TypeError:  # not weakly referenceable: named by kind only
            return kind
        if number is None:
            number = self._numbers[obj] = self._counts[kind] = self._counts.get(kind, 0) + 1
        return f"{kind} #{number}"


def _kind(obj: Any) -> str:
    for cls in type(obj).__mro__:
        if cls.__name__ in _NUMBERED_KINDS:
            return cls.__name__
    return type(obj).__name__


def _chain(task: Any) -> list[FrameType]:
    """The frames of the task's suspended await chain, outermost (the task's coroutine) first."""
    frames = []
    awaited = getattr(task, "_coro", None)
    while awaited is not None:
        frame = (getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
                 or getattr(awaited, "ag_frame", None))
        if frame is None:  # a future, or a finished coroutine: the end of the chain
            break
        frames.append(frame)
        awaited = (getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
                   or getattr(awaited, "ag_await", None))
    return frames


def _in_miniloop(frame: FrameType) -> bool:
    return os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _MINILOOP_DIR


def _entry_into_miniloop(frames: list[FrameType]) -> FrameType | None:
    """The last miniloop frame in the chain that the program itself called (Discussion)."""
    entry = None
    for caller, frame in zip([None, *frames], frames, strict=False):
        if _in_miniloop(frame) and (caller is None or not _in_miniloop(caller)):
            entry = frame
    return entry


def resumes_at(task: Any) -> str | None:
    """Where the task's own code goes on when it resumes: "file.py:LINE" of the innermost
    frame outside miniloop, or None if it has not started (or has finished)."""
    coro = getattr(task, "_coro", None)
    if not getattr(coro, "cr_suspended", getattr(coro, "gi_suspended", False)):
        return None  # not started yet (or running, or finished): no line to resume at
    frames = [frame for frame in _chain(task) if not _in_miniloop(frame)]
    if not frames:
        return None
    frame = frames[-1]
    return f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"


def waits_on(task: Any, names: Names | None = None) -> str:
    """What the suspended `task` waits on, in words (see the module docstring)."""
    names = names or Names()
    waiter = getattr(task, "_fut_waiter", None)
    entry = _entry_into_miniloop(_chain(task))
    if entry is not None:
        described = _describe_call(entry, names)
        if described is not None:
            return described
    if waiter is None:
        return "nothing (queued to run)"
    return _describe_future(waiter, names)


def _describe_future(fut: Any, names: Names) -> str:
    if hasattr(fut, "get_coro"):  # awaiting another task
        return fut.get_name()
    children = getattr(fut, "_children", None)
    if children is not None:  # gather()'s future
        return "gather of " + ", ".join(_describe_future(child, names) for child in children)
    return names(fut)


def _describe_call(frame: FrameType, names: Names) -> str | None:
    """Read the wait off the frame of the miniloop call the program made."""
    name, local = frame.f_code.co_name, frame.f_locals
    owner = local.get("self")
    if name == "sleep":
        timer = local.get("timer")
        if timer is not None:
            left = timer.when() - timer._loop.time()
            return f"sleeping until loop time {timer.when():.3f} ({left:.3f} s from now)"
        return "sleep(0): queued to run"
    if name.startswith("sock_") and "sock" in local:
        try:
            fd = local["sock"].fileno()
        except (AttributeError, OSError):
            fd = -1
        return f"{name} on fd {fd}"
    if owner is None:
        return None
    kind = _kind(owner)
    if name == "acquire":
        state = "locked" if owner.locked() else "unlocked"
        return f"{names(owner)} acquire, {state}"
    if name in ("get", "put", "join") and kind.endswith("Queue"):
        why = {"get": "queue empty", "put": "queue full", "join": "unfinished tasks"}[name]
        return f"{names(owner)} {name}, {why}"
    if name in ("wait", "wait_for") and kind in ("Event", "Condition", "Barrier"):
        return f"{names(owner)} {name}"
    return None
