"""The task registry: how a loop knows its tasks, and which one is running.

What you learn here: `all_tasks()` and `current_task()` are not magic. The loop keeps two
fields, `loop._tasks` (a WeakSet of the tasks made on it: a finished task nobody holds
disappears by itself) and `loop._current_task` (the task whose step is running now, or
None). Task.__init__ registers itself and Task._step enters and leaves (tasks.py).

Libraries that drive coroutines with a task type of their own (not a subclass of Task)
call these functions so that `current_task()` and `all_tasks()` still see their tasks; the
names are private in asyncio but exported, and the errors below are asyncio's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .loop import EventLoop

__all__ = ("_register_task", "_unregister_task", "_enter_task", "_leave_task")


def _register_task(task: Any) -> None:
    """Count `task` among its loop's tasks (all_tasks() shows it while it is not done)."""
    task.get_loop()._tasks.add(task)


def _unregister_task(task: Any) -> None:
    """Forget `task` (it is not an error if it was never registered)."""
    task.get_loop()._tasks.discard(task)


def _enter_task(loop: EventLoop, task: Any) -> None:
    """`task` starts a step on `loop`: it becomes current_task(loop). Only one at a time."""
    if loop._current_task is not None:
        raise RuntimeError(f"Cannot enter into task {task!r} while another "
                           f"task {loop._current_task!r} is being executed.")
    loop._current_task = task


def _leave_task(loop: EventLoop, task: Any) -> None:
    """`task`'s step is over: `loop` has no current task again."""
    if loop._current_task is not task:
        raise RuntimeError(f"Leaving task {task!r} does not match "
                           f"the current task {loop._current_task!r}.")
    loop._current_task = None


def _swap_current_task(loop: EventLoop, task: Any) -> Any:
    """Make `task` (or None) current on `loop`, with no checks; return the one it replaces.
    asyncio.tasks has it from 3.12 on (for eager tasks, which start inside another task's
    step), without exporting it; the drop-in offers it from 3.12 on."""
    previous, loop._current_task = loop._current_task, task
    return previous

