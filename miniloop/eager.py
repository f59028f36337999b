"""Eager tasks (3.12+): a task whose first step runs inside `create_task()`.

What you learn here: why `create_task()` normally returns before the coroutine has run a
line, and what changes when it does not. A normal task's first step waits in the ready queue
behind everything already there (tasks.py): one turn of the loop at least, even for a
coroutine that would finish without ever suspending, such as a cache hit. An *eager* task
takes that first step at once, inside the creator's own step: the coroutine runs up to its
first suspension (or to its end) before `create_task()` returns. A task that finishes there
is returned already done, having never touched the ready queue; one that suspends goes on
exactly as a normal task does, woken by the future it waits on.

The order of events is the lesson (compat_tests/test_eager.py): with
`loop.set_task_factory(eager_task_factory)`, the child's first line is logged *before* the
line after `create_task()` in the parent; during that first step `current_task()` is the
child, and afterwards the parent again. A loop that is not running cannot take a step, so
`eager_start` then falls back to scheduling it.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from .tasks import Task

if TYPE_CHECKING:
    from .loop import EventLoop

__all__ = ("create_eager_task_factory", "eager_task_factory")


def create_eager_task_factory(custom_task_constructor: Callable[..., Any]
                              ) -> Callable[..., Any]:
    """A task factory (for `loop.set_task_factory`) that builds every task with
    `custom_task_constructor(coro, loop=..., name=..., context=..., eager_start=True)`."""

    def factory(loop: EventLoop, coro: Coroutine[Any, Any, Any], *, name: object = None,
                context: contextvars.Context | None = None) -> Task[Any]:
        return custom_task_constructor(coro, loop=loop, name=name, context=context,
                                       eager_start=True)

    return factory


# The factory most programs want: `loop.set_task_factory(eager_task_factory)`.
eager_task_factory = create_eager_task_factory(Task)
