"""shield(): protect a task from the cancellation of whoever awaits it.

What you learn here: why `await task` passes a cancellation on, and how to stop that. A task
suspended on a future cancels *that future* when it is cancelled itself (tasks.py); if the
future is another task, the cancellation travels into it. shield() puts a fresh future in
between:

    caller --awaits--> outer (a plain Future) <--completed by-- inner (the task)

Cancelling the caller cancels `outer`, and nothing connects that back to `inner`, which keeps
running. The caller still gets its CancelledError at once, so shielding is not ignoring: only
the inner work is protected. When `inner` finishes, a done-callback copies its outcome into
`outer` (unless `outer` was cancelled by then, in which case the outcome has no one waiting
for it).

The other direction is not shielded: if `inner` itself is cancelled (by someone holding the
task), `outer` is cancelled too.

Keep a reference to the inner task: shield() does not, and the loop only holds tasks weakly.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from .futures import Future
from .tasks import ensure_future

__all__ = ("shield",)

T = TypeVar("T")


def shield(arg: Awaitable[T]) -> Future[T]:
    """Wrap `arg` (a coroutine becomes a task) in a future whose cancellation spares it."""
    inner: Future[T] = ensure_future(arg)
    if inner.done():
        return inner  # nothing left to protect: asyncio hands back the argument itself
    outer: Future[T] = inner.get_loop().create_future()

    def copy_outcome(inner: Future[T]) -> None:
        if outer.cancelled():
            if not inner.cancelled():
                inner.exception()  # nobody will look at it now: do not log it as unretrieved
            return
        if inner.cancelled():
            outer.cancel()
            return
        exc = inner.exception()
        if exc is None:
            outer.set_result(inner.result())
        else:
            outer.set_exception(exc)

    def forget_inner(outer: Future[T]) -> None:
        # `outer` was cancelled first: drop the callback so `inner` does not keep `outer` alive.
        if not inner.done():
            inner.remove_done_callback(copy_outcome)

    inner.add_done_callback(copy_outcome)
    outer.add_done_callback(forget_inner)
    return outer
