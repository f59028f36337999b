"""The call graph: who awaits whom, right now (asyncio 3.14's `asyncio.graph`, on every Python).

What you learn here: a snapshot of a running asyncio program is two kinds of stack glued
together. Inside one task, the stack is the chain of coroutines awaiting each other
(`cr_await`, see waits.py), innermost first, like a traceback upside down. Between tasks,
the links are futures: a task that awaits a future F has put its wake-up among F's
done-callbacks, so F's callbacks tell us who is *awaited by* whom. asyncio 3.14 keeps a
separate set for this (`_asyncio_awaited_by`); miniloop reads it off the callbacks:

    a task's `_wakeup`                 the task awaits F itself
    a TaskGroup's `_on_task_done`      the task running `async with TaskGroup()` awaits F
    gather()'s per-child callback      gather's future (and whoever awaits it) awaits F

    capture_call_graph(future=None, /, *, depth=1, limit=None) -> FutureCallGraph | None
    format_call_graph(future=None, /, *, depth=1, limit=None) -> str
    print_call_graph(future=None, /, *, file=None, depth=1, limit=None)

The output is asyncio 3.14's, line for line:

    * Task(name='worker', id=0x7f...)
      + Call stack:
      |   File '/path/prog.py', line 7, in async worker()
      + Awaited by:
         * Task(name='Task-1', id=0x7f...)
           + Call stack:
           |   File '/path/prog.py', line 12, in async main()

What asyncio cannot tell, miniloop adds in `format_program()`: every task that waits at
the bottom of a chain, with what it waits on (waits.py), for the whole program at once.
`install_signal_dump(signal.SIGUSR1)` prints that when the process gets the signal, so a
program that seems stuck can be asked from outside (`kill -USR1 PID`).
"""

from __future__ import annotations

import dataclasses
import inspect
import signal
import sys
from types import FrameType
from typing import IO, Any

from . import current
from .futures import Future
from .tasks import Task, all_tasks, current_task
from .waits import Names, waits_on

__all__ = ("FrameCallGraphEntry", "FutureCallGraph", "capture_call_graph", "format_call_graph",
           "print_call_graph")

_GENERATOR_FLAGS = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR | \
    inspect.CO_ITERABLE_COROUTINE


@dataclasses.dataclass(frozen=True, slots=True)
class FrameCallGraphEntry:
    """One frame of a call stack."""

    frame: FrameType


@dataclasses.dataclass(frozen=True, slots=True)
class FutureCallGraph:
    """A future (or task), its call stack (innermost first) and the graphs of its awaiters."""

    future: Future[Any]
    call_stack: tuple[FrameCallGraphEntry, ...]
    awaited_by: tuple[FutureCallGraph, ...]


def awaited_by(future: Future[Any]) -> list[Future[Any]]:
    """The futures and tasks waiting for `future`, read off its done-callbacks (module
    docstring), in the order they started waiting."""
    awaiters: list[Future[Any]] = []
    for callback, _context in future._callbacks:
        owner = getattr(callback, "__self__", None)
        name = getattr(callback, "__name__", "")
        awaiter: Future[Any] | None
        if isinstance(owner, Task) and name == "_wakeup":
            awaiter = owner
        elif name == "_on_task_done" and getattr(owner, "_parent_task", None) is not None:
            awaiter = owner._parent_task  # type: ignore[union-attr]
        else:
            awaiter = _gathering_future_of(callback)
        if awaiter is not None and awaiter not in awaiters:
            awaiters.append(awaiter)
    return awaiters


def _gathering_future_of(callback: Any) -> Future[Any] | None:
    """gather()'s child callback is a closure over its outer future, `gathering` (gather.py)."""
    code = getattr(callback, "__code__", None)
    if code is None or "gathering" not in code.co_freevars or callback.__closure__ is None:
        return None
    try:
        return callback.__closure__[code.co_freevars.index("gathering")].cell_contents
    except ValueError:  # the cell is empty: gather() is still building its future
        return None


def _is_generator_frame(frame: FrameType) -> bool:
    return bool(frame.f_code.co_flags & _GENERATOR_FLAGS)


def _coroutine_frames(future: Future[Any]) -> list[FrameCallGraphEntry]:
    """A suspended task's await chain, outermost first."""
    frames = []
    awaited: Any = future.get_coro() if isinstance(future, Task) else None
    while awaited is not None:
        if hasattr(awaited, "cr_await"):
            frames.append(FrameCallGraphEntry(awaited.cr_frame))
            awaited = awaited.cr_await
        elif hasattr(awaited, "ag_await"):
            frames.append(FrameCallGraphEntry(awaited.ag_frame))
            awaited = awaited.ag_await
        else:  # a future (or a generator-based awaitable): asyncio's graph stops here too
            break
    return [entry for entry in frames if entry.frame is not None]


def _graph_of(future: Future[Any], limit: int | None) -> FutureCallGraph:
    if not isinstance(future, Future):
        raise TypeError(f"{future!r} object does not appear to be compatible with "
                        f"asyncio.Future")
    stack = _coroutine_frames(future) if limit != 0 else []
    if limit is not None and limit != 0:
        stack = stack[:limit] if limit > 0 else stack[limit:]
    stack.reverse()
    parents = tuple(_graph_of(parent, limit) for parent in awaited_by(future))
    return FutureCallGraph(future, tuple(stack), parents)


def capture_call_graph(future: Future[Any] | None = None, /, *, depth: int = 1,
                       limit: int | None = None) -> FutureCallGraph | None:
    """The call graph of `future`, or of the current task (None if there is none).

    For the current task the stack is the live one, from the caller `depth` frames up down
    to the task's own coroutine. `limit` keeps at most abs(limit) entries of each stack:
    those nearest the innermost call if positive, the outermost if negative, none if 0.
    """
    loop = current._get_running_loop()
    if future is not None:
        if loop is None or future is not current_task(loop):
            return _graph_of(future, limit)
    else:
        if loop is None:
            raise RuntimeError("capture_call_graph() is called outside of a running event "
                               "loop and no *future* to introspect was provided")
        future = current_task(loop)
        if future is None:
            return None
    if not isinstance(future, Future):
        raise TypeError(f"{future!r} object does not appear to be compatible with "
                        f"asyncio.Future")
    # The running task: its coroutines are on the real stack, between us and Task._step.
    stack: list[FrameCallGraphEntry] = []
    frame: FrameType | None = sys._getframe(depth) if limit != 0 else None
    while frame is not None:
        stack.append(FrameCallGraphEntry(frame))
        if _is_generator_frame(frame) and (frame.f_back is None
                                           or not _is_generator_frame(frame.f_back)):
            break  # the task's own coroutine: below it is the loop
        frame = frame.f_back
    del frame
    parents = tuple(_graph_of(parent, limit) for parent in awaited_by(future))
    if limit:  # as for other futures, a positive limit keeps the outermost entries
        stack = stack[-limit:] if limit > 0 else stack[:-limit]
    return FutureCallGraph(future, tuple(stack), parents)


def _frame_line(frame: FrameType) -> str:
    code = frame.f_code
    flags = code.co_flags
    if flags & inspect.CO_COROUTINE or flags & inspect.CO_ITERABLE_COROUTINE:
        tag = "async "
    elif flags & inspect.CO_ASYNC_GENERATOR:
        tag = "async generator "
    elif flags & inspect.CO_GENERATOR:
        tag = "generator "
    else:
        tag = ""
    return (f"  |   File {code.co_filename!r}, line {frame.f_lineno}, in "
            f"{tag}{code.co_qualname}()")


def _render(graph: FutureCallGraph, lines: list[str], level: int,
            extra: dict[Future[Any], str] | None = None) -> None:
    indent = "    " * level
    fut = graph.future
    if isinstance(fut, Task):
        lines.append(f"{indent}* Task(name={fut.get_name()!r}, id={id(fut):#x})")
    else:
        lines.append(f"{indent}* Future(id={id(fut):#x})")
    if graph.call_stack:
        lines.append(f"{indent}  + Call stack:")
        lines.extend(indent + _frame_line(entry.frame) for entry in graph.call_stack)
    if extra and fut in extra:
        lines.append(f"{indent}  + Waits on: {extra[fut]}")
    if graph.awaited_by:
        lines.append(f"{indent}  + Awaited by:")
        for parent in graph.awaited_by:
            _render(parent, lines, level + 1, extra)


def format_call_graph(future: Future[Any] | None = None, /, *, depth: int = 1,
                      limit: int | None = None) -> str:
    """The call graph of `future` (or of the current task) as text; "" if there is none."""
    graph = capture_call_graph(future, depth=depth + 1, limit=limit)
    if graph is None:
        return ""
    lines: list[str] = []
    try:
        _render(graph, lines, 0)
    finally:
        del graph  # it holds frames: let them go at once
    return "\n".join(lines)


def print_call_graph(future: Future[Any] | None = None, /, *, file: IO[str] | None = None,
                     depth: int = 1, limit: int | None = None) -> None:
    """Print the call graph of `future` (or of the current task)."""
    print(format_call_graph(future, depth=depth + 1, limit=limit), file=file)


# -- Beyond asyncio: the whole program, with what each leaf waits on ------------------------

def format_program(loop: Any) -> str:
    """Every chain of the program at once: one graph per task that waits at the bottom of a
    chain (no other pending task waits for it), each with a "+ Waits on:" line saying what
    it is blocked on (waits.py). The tasks are in name order (Task-2 before Task-10)."""
    names = Names()
    tasks = sorted((task for task in all_tasks(loop) if not task.done()), key=_name_order)
    awaited = {parent for task in tasks for parent in awaited_by(task)}
    running = current_task(loop)
    sections = []
    for task in tasks:
        if task in awaited or task is running:
            continue
        extra: dict[Future[Any], str] = {task: waits_on(task, names)}
        graph = _graph_of(task, None)
        lines: list[str] = []
        _render(graph, lines, 0, extra)
        del graph
        sections.append("\n".join(lines))
    return "\n\n".join(sections)


def _name_order(task: Task[Any]) -> tuple[str, int, str]:
    """Tasks in name order, numbers compared as numbers: Task-2 before Task-10."""
    name = task.get_name()
    stem = name.rstrip("0123456789")
    return stem, int(name[len(stem):] or -1), name


def install_signal_dump(sig: int = signal.SIGUSR1, *, file: IO[str] | None = None,
                        loop: Any = None) -> None:
    """Print `format_program()` for `loop` (default: the running loop) whenever the process
    receives `sig`.

    Opt-in (nothing is installed unless you call this), and through the loop's own signal
    handling (signals.py): the handler runs as an ordinary callback between two steps, where
    every task is suspended and the snapshot is consistent.
    """
    if loop is None:
        loop = current.get_running_loop()

    def dump() -> None:
        out = file or sys.stderr
        print(f"-- miniloop: the program's tasks at loop time {loop.time():.3f} --", file=out)
        print(format_program(loop) or "(no pending task)", file=out, flush=True)

    loop.add_signal_handler(sig, dump)
