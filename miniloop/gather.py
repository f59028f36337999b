"""gather(): run awaitables concurrently and collect their results in argument order.

What you learn here: how to wait for many things with nothing but done-callbacks. Each
child gets a callback that counts finished children; the last one sets the outer future's
result. No polling, no extra task: the outer future is completed by the children themselves.

The rules, all of which surprise someone (scenarios in compat_tests/test_gather.py):

* Results come back in the order the awaitables were *passed*, not the order they finished.
* Without `return_exceptions`, the first exception is raised by `await gather(...)` at once,
  but the other children are **not** cancelled: they keep running in the background.
  With `return_exceptions=True`, exceptions are returned in the list like results.
* Cancelling the outer future cancels every child that is not done yet; the outer future then
  raises CancelledError once they have all finished.
* A child cancelled on its own is treated as if it raised CancelledError: the outer future is
  not cancelled (so one child's cancellation does not cancel its siblings).
* Passing the same awaitable twice runs it once and reports its result twice.
"""

from __future__ import annotations

from typing import Any

from . import current, versions
from .exceptions import CancelledError
from .futures import Future
from .tasks import ensure_future

__all__ = ("gather",)

class _GatheringFuture(Future[list[Any]]):
    """The outer future of gather(): cancelling it cancels the children instead.

    Like Task.cancel(), it does not mark itself cancelled at once; it becomes done when the
    children have reacted to their cancellation.
    """

    def __init__(self, children: list[Future[Any]], *, loop: Any) -> None:
        super().__init__(loop=loop)
        self._children = children
        self._cancel_requested = False  # cancel() reached at least one child

    def cancel(self, msg: Any = None) -> bool:
        """Cancel every child not done yet, with `msg`; this future stays pending.

        True if that reached at least one child: once all the children have finished, the
        outer future ends with CancelledError, even under return_exceptions=True (the
        children's callback reads `_cancel_requested`). False if it is done already, or
        if every child is: cancelled in the turn the last child finished, before the
        callbacks ran, gather() still returns its results.
        """
        if self.done():
            return False
        cancelled_any = False
        for child in self._children:
            if child.cancel(msg=msg):
                cancelled_any = True
        if cancelled_any:
            self._cancel_requested = True
        return cancelled_any


def gather(*aws: Any, return_exceptions: bool = False) -> Future[list[Any]]:
    """Return a future aggregating the results of `aws` (coroutines are wrapped in tasks)."""
    if not aws:
        outer = current.get_event_loop().create_future()
        outer.set_result([])
        return outer

    by_arg: dict[Any, Future[Any]] = {}  # one child per distinct awaitable
    children: list[Future[Any]] = []     # one entry per argument, repeats included
    already_done: list[Future[Any]] = []
    loop: Any = None
    gathering: _GatheringFuture | None = None  # children may finish before it exists
    finished = 0

    def on_child_done(child: Future[Any]) -> None:
        nonlocal finished
        finished += 1
        if gathering is None or gathering.done():
            if not child.cancelled():
                child.exception()  # mark it retrieved: gather already reported something
            return
        if not return_exceptions:
            if child.cancelled():
                # The child's own CancelledError, as asyncio raises it (its private
                # `_make_cancelled_error`, which asyncio's gather calls too).
                gathering.set_exception(child._make_cancelled_error())
                return
            exc = child.exception()
            if exc is not None:
                gathering.set_exception(exc)
                return
        if finished == len(by_arg):
            results = [_outcome(fut) for fut in children]
            if gathering._cancel_requested:
                # asyncio takes the error from the *last* child (whatever finished last).
                gathering.set_exception(children[-1]._make_cancelled_error())
            else:
                gathering.set_result(results)

    for arg in aws:
        if arg in by_arg:
            children.append(by_arg[arg])
            continue
        child = ensure_future(arg, loop=loop)  # and its errors, as asyncio's gather
        if loop is None:  # the first child's loop is everyone's (ensure_future checks)
            loop = child.get_loop()
        if child is not arg:
            child._log_destroy_pending = False  # type: ignore[attr-defined]
        by_arg[arg] = child
        children.append(child)
        if versions.GATHER_COUNTS_DONE_CHILDREN_AT_ONCE and child.done():
            already_done.append(child)
        else:
            child.add_done_callback(on_child_done)
    gathering = _GatheringFuture(children, loop=loop)
    for child in already_done:
        on_child_done(child)
    return gathering


def _outcome(fut: Future[Any]) -> Any:
    """A finished child's entry in the results list (return_exceptions=True keeps errors).
    A cancelled child's entry is a new CancelledError with the cancel message (asyncio
    reads its private `_cancel_message` for that too)."""
    if fut.cancelled():
        message = fut._cancel_message
        return CancelledError("" if message is None else message)
    exc = fut.exception()
    return fut.result() if exc is None else exc
