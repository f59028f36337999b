"""Handles: a callback waiting in the loop's queue, and the ticket to cancel it.

What you learn here: `loop.call_soon(fn, *args)` does not call `fn`; it wraps the call in a
`Handle` and appends it to the ready queue. `call_later` wraps it in a `TimerHandle`, which
also knows *when* it is due and sits in the loop's timer heap until then. Either way the
caller gets the handle back, and `handle.cancel()` is how it changes its mind.

Cancelling does not remove anything from a queue (that would cost a search); it only marks
the handle, and a marked handle does nothing when its turn comes. The loop counts cancelled
timers so that a program which keeps scheduling and cancelling timeouts does not grow the
heap without bound (see `EventLoop._drop_cancelled_timers`).

Every callback runs inside a `contextvars.Context`, the one captured when it was scheduled,
so a context variable set by the code that called `call_soon` is visible to the callback.
"""

from __future__ import annotations

import contextvars
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .debug import DEBUG_STACK_DEPTH, extract_stack
from .reprs import format_callback

if TYPE_CHECKING:
    from .futures import FutureLoop
    from .loop import EventLoop


class Handle:
    """A callback and its arguments, scheduled to run once on a loop."""

    __slots__ = ("_callback", "_args", "_loop", "_context", "_cancelled", "_repr",
                 "_source_traceback", "__weakref__")

    def __init__(self, callback: Callable[..., object], args: tuple[Any, ...],
                 loop: FutureLoop, context: contextvars.Context | None = None) -> None:
        self._callback = callback            # both None once cancelled (see cancel)
        self._args = args
        self._loop = loop                    # whose exception handler hears about errors
        self._context = context if context is not None else contextvars.copy_context()
        self._cancelled = False              # set by cancel(); the loop skips us then
        self._repr: str | None = None        # frozen description, kept after cancel()
        # Debug mode: where we were created, for error reports (the loop method that made
        # us trims its own frame, so the stack ends at the line that called it).
        self._source_traceback = (extract_stack(sys._getframe(1), DEBUG_STACK_DEPTH)
                                  if loop.get_debug() else None)

    def cancel(self) -> None:
        """Ask the loop not to run the callback. Calling it again, or after the run, is harmless."""
        if not self._cancelled:
            self._cancelled = True
            if self._loop.get_debug():  # keep the description for "Executing ... took" logs
                self._repr = repr(self)
            # Drop the references now, as asyncio does, so cancelled work frees its memory
            # at once instead of when the loop finally meets the handle.
            self._callback = self._args = None  # type: ignore[assignment]

    def cancelled(self) -> bool:
        return self._cancelled

    def get_context(self) -> contextvars.Context:
        return self._context

    def _run(self) -> None:
        """Call the callback in its context; report (never raise) what it raises.

        This is where every callback of the program runs. An exception escaping a callback
        cannot propagate anywhere useful (the caller of `call_soon` returned long ago), so
        it goes to the loop's exception handler, which logs it, and the loop carries on.
        KeyboardInterrupt and SystemExit are the exceptions: they stop the loop.
        """
        if self._cancelled:
            return  # cancelled while it waited in the queue: its turn does nothing
        try:
            self._context.run(self._callback, *self._args)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._report(exc)
        del self  # no reference cycle through this frame (see Task._step)

    def _report(self, exc: BaseException) -> None:
        """Hand an exception that escaped the callback to the loop's exception handler."""
        context = {
            "message": f"Exception in callback {self._describe()}",
            "exception": exc,
            "handle": self,
        }
        if self._source_traceback:
            context["source_traceback"] = self._source_traceback
        self._loop.call_exception_handler(context)

    def _describe(self) -> str:
        return format_callback(self._callback, self._args or (), debug=self._loop.get_debug())

    def _repr_info(self) -> list[str]:
        info = [type(self).__name__]
        if self._cancelled:
            info.append("cancelled")
        if self._callback is not None:
            info.append(self._describe())
        if self._source_traceback:
            frame = self._source_traceback[-1]
            info.append(f"created at {frame[0]}:{frame[1]}")
        return info

    def __repr__(self) -> str:
        if self._repr is not None:
            return self._repr
        return "<" + " ".join(self._repr_info()) + ">"


class TimerHandle(Handle):
    """A handle that is due at a point in time on the loop's clock (`loop.time()`).

    Handles are ordered by `when` alone, which is what the heap needs. Two timers due at the
    same instant come out of the heap in whatever order the heap gives them: asyncio promises
    no FIFO order between equal deadlines, and neither do we (the heap operations are the same,
    so the order comes out the same; scenario `timers_with_equal_deadlines` pins it).
    """

    __slots__ = ("_when", "_scheduled")
    _loop: EventLoop  # a timer's loop also counts its cancelled timers

    def __init__(self, when: float, callback: Callable[..., object], args: tuple[Any, ...],
                 loop: EventLoop, context: contextvars.Context | None = None) -> None:
        super().__init__(callback, args, loop, context)
        if self._source_traceback:  # debug: the stack ends at our caller, not in here
            del self._source_traceback[-1]
        self._when = when
        self._scheduled = False  # True while the handle sits in the loop's timer heap

    def when(self) -> float:
        """The absolute time, on `loop.time()`'s clock, when the callback is due."""
        return self._when

    def cancel(self) -> None:
        if not self._cancelled and self._scheduled:  # only a timer still in the heap counts
            self._loop._timer_handle_cancelled(self)
        super().cancel()

    def _repr_info(self) -> list[str]:
        info = super()._repr_info()
        info.insert(2 if self._cancelled else 1, f"when={self._when}")
        return info

    # Ordered by `when` alone (what the heap needs); anything but another TimerHandle is
    # NotImplemented, so `timer < ()` is Python's TypeError, as in asyncio.
    def __lt__(self, other: object) -> bool:
        if isinstance(other, TimerHandle):
            return self._when < other._when
        return NotImplemented

    def __le__(self, other: object) -> bool:
        if isinstance(other, TimerHandle):
            return self._when < other._when or self == other
        return NotImplemented

    def __gt__(self, other: object) -> bool:
        if isinstance(other, TimerHandle):
            return self._when > other._when
        return NotImplemented

    def __ge__(self, other: object) -> bool:
        if isinstance(other, TimerHandle):
            return self._when > other._when or self == other
        return NotImplemented

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TimerHandle):
            return (self._when == other._when and self._callback == other._callback
                    and self._args == other._args and self._cancelled == other._cancelled)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._when)  # equal timers are due at the same time: equal hashes
