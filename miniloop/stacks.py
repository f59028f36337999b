"""Task.get_stack() and Task.print_stack(): where a task is, read off its coroutine.

What you learn here: a suspended coroutine keeps its frame (`coro.cr_frame`), with the line
it stopped at, and that frame is all a task can show of itself. The frame has no caller
while the coroutine is suspended (`f_back` is None: nobody is running it), so a suspended
task's stack is one frame: the `await` it sits at in its own coroutine. The coroutines it
awaits are not followed (waits.py and graph.py do that). While the task runs, `f_back` leads
through whoever is driving it, down to the program's first frame. A finished task has no
frame left; if it failed, the stack is read from its exception's traceback instead.
"""

from __future__ import annotations

import linecache
import sys
import traceback
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from .tasks import Task

__all__ = ("get_stack", "print_stack")


def get_stack(task: Task[Any], *, limit: int | None = None) -> list[FrameType]:
    """The task's frames, oldest first. `limit` keeps the newest `limit` frames of a live
    coroutine, or the oldest `limit` entries of a failed task's traceback (as asyncio)."""
    coro = task._coro
    frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
    frames: list[FrameType] = []
    if frame is not None:
        while frame is not None and (limit is None or len(frames) < limit):
            frames.append(frame)
            frame = frame.f_back
        frames.reverse()
    elif task._exception is not None:
        traceback_ = _outside_miniloop(task._exception_tb)
        while traceback_ is not None and (limit is None or len(frames) < limit):
            frames.append(traceback_.tb_frame)
            traceback_ = traceback_.tb_next
    return frames


def print_stack(task: Task[Any], *, limit: int | None = None,
                file: TextIO | None = None) -> None:
    """Print the stack (or the traceback of a failed task) in the traceback module's format."""
    file = sys.stdout if file is None else file
    entries = []
    for frame in get_stack(task, limit=limit):
        code = frame.f_code
        linecache.checkcache(code.co_filename)
        line = linecache.getline(code.co_filename, frame.f_lineno, frame.f_globals)
        entries.append((code.co_filename, frame.f_lineno, code.co_name, line))
    exception = task._exception
    if not entries:
        print(f"No stack for {task!r}", file=file)
    elif exception is not None:
        print(f"Traceback for {task!r} (most recent call last):", file=file)
    else:
        print(f"Stack for {task!r} (most recent call last):", file=file)
    traceback.print_list(traceback.StackSummary.from_list(entries), file=file)
    if exception is not None:
        print("".join(traceback.format_exception_only(type(exception), exception)), file=file,
              end="")


def _outside_miniloop(tb: TracebackType | None) -> TracebackType | None:
    """Skip the traceback's first entries while they are miniloop's own task step: C asyncio
    has no Python frame there, so its traceback starts in the coroutine."""
    while tb is not None and tb.tb_frame.f_globals.get("__name__", "").startswith("miniloop."):
        tb = tb.tb_next
    return tb
