"""Debug mode: the extra bookkeeping that turns a silent mistake into a report.

What you learn here: what `run(main(), debug=True)`, `loop.set_debug(True)`,
`PYTHONASYNCIODEBUG=1` or `python -X dev` buy you, and what each costs.

* **Creation tracebacks.** Every handle, future and task remembers the stack that created
  it. When it later shows up in an error report ("Task exception was never retrieved",
  "Exception in callback ...") the report says where it came from: the error surfaces long
  after, in a callback, far from the code at fault. Handles keep the last
  `DEBUG_STACK_DEPTH` frames; futures and tasks keep the whole stack, as asyncio's C
  implementation does.
* **Forgotten awaits.** While the loop runs, Python records where each coroutine was
  created (`sys.set_coroutine_origin_tracking_depth`), so the "coroutine ... was never
  awaited" RuntimeWarning says which line forgot the `await`.
* **Slow callbacks.** Each callback is timed; one that holds the loop for
  `loop.slow_callback_duration` seconds (0.1 by default) or longer is logged, because
  while it runs no other task can. This is an instrument (instruments.py) that debug mode
  installs: the loop runs the same queue in the same order, watched, so turning debug mode
  on changes nothing about what runs when.
* **Checks.** `call_soon` and friends refuse coroutines, non-callables, and calls from a
  thread other than the loop's.

`DebugMixin` holds the loop's side of the origin tracking; `EventLoop` inherits it.
"""

from __future__ import annotations

import sys
import threading
import traceback
from types import FrameType
from typing import TYPE_CHECKING, Any, Protocol

from .coroutines import iscoroutine, iscoroutinefunction
from .errors import logger
from .instruments import Instrument

__all__ = ("DebugMixin", "DEBUG_STACK_DEPTH", "SlowCallbackLogger", "extract_stack")

# How many frames a handle remembers, and how deep coroutine origins are tracked (asyncio's).
DEBUG_STACK_DEPTH = 10


class _Runnable(Protocol):
    """What the ready queue holds: a Handle (or a Task standing in for its own step)."""

    def _run(self) -> None: ...


def extract_stack(frame: FrameType | None, limit: int | None = None) -> traceback.StackSummary:
    """The stack that ends at `frame`, oldest call first (what "created at" reports show)."""
    stack = traceback.StackSummary.extract(traceback.walk_stack(frame), limit=limit,
                                           lookup_lines=False)
    stack.reverse()
    return stack


def describe_handle(handle: _Runnable) -> str:
    """How a slow callback is named: a task's step is named by the task (which coroutine was
    slow is what you want to know), anything else by its handle."""
    from .tasks import Task  # not at the top: tasks.py imports handles.py, which imports us

    owner = getattr(getattr(handle, "_callback", None), "__self__", handle)
    if isinstance(owner, Task):
        return repr(owner)
    return str(handle)


class SlowCallbackLogger(Instrument):
    """Debug mode's instrument: log each callback that held the loop too long.

    Whether a callback is timed is decided as it starts, as in asyncio: a callback that
    turns debug mode on is not timed, and one that turns it off still is (so while the loop
    runs, set_debug(False) leaves the instrument to remove itself when the callback ends).
    One difference is left: asyncio asks before each callback, and `_run_once` chooses
    its watched or plain run once per turn, so the callbacks that follow in the turn in
    which debug mode is turned on are not timed yet.
    """

    def __init__(self, loop: Any) -> None:
        self._loop = loop  # whose slow_callback_duration says what "too long" is
        self._timed: Any = None  # the running callback, if it started in debug mode

    def callback_started(self, now: float, turn: int, *, callback: Any) -> None:
        self._timed = callback if self._loop.get_debug() else None

    def callback_finished(self, now: float, turn: int, *, callback: Any,
                          elapsed: float) -> None:
        if callback is self._timed and elapsed >= self._loop.slow_callback_duration:
            logger.warning("Executing %s took %.3f seconds", describe_handle(callback), elapsed)
        self._timed = None
        if not self._loop.get_debug():
            self._loop.remove_instrument(self)


class DebugMixin:
    """get_debug/set_debug, the checks debug mode makes of callbacks and threads, and
    coroutine origin tracking, on while a loop in debug mode runs."""

    if TYPE_CHECKING:  # what we use of EventLoop, for the type checker
        _debug: bool
        _instruments: list[Instrument]
        _coroutine_origin_tracking: bool
        _saved_coroutine_origin_tracking_depth: int
        _thread_id: int | None

        def add_instrument(self, instrument: Instrument) -> None: ...
        def remove_instrument(self, instrument: Instrument) -> None: ...
        def is_running(self) -> bool: ...
        def call_soon_threadsafe(self, callback: Any, *args: Any) -> Any: ...

    def get_debug(self) -> bool:
        return self._debug

    def _check_callback(self, callback: object, method: str) -> None:
        """Debug mode only, as in asyncio: catch `call_soon(coro)` and non-callables early."""
        if iscoroutine(callback) or iscoroutinefunction(callback):
            raise TypeError(f"coroutines cannot be used with {method}()")
        if not callable(callback):
            raise TypeError(f"a callable object was expected by {method}(), got {callback!r}")

    def _check_thread(self) -> None:
        """Debug mode only: loop methods other than the *_threadsafe ones are not thread-safe."""
        if self._thread_id is not None and self._thread_id != threading.get_ident():
            raise RuntimeError("Non-thread-safe operation invoked on an event loop other "
                               "than the current one")

    def set_debug(self, enabled: bool) -> None:
        """Debug mode's checks are read from `_debug`; its slow-callback log is an
        instrument, watching the loop like any other."""
        self._debug = bool(enabled)
        installed = [i for i in self._instruments if isinstance(i, SlowCallbackLogger)]
        if self._debug and not installed:
            self.add_instrument(SlowCallbackLogger(self))
        elif not self._debug and installed and not self.is_running():
            self.remove_instrument(installed[0])  # (while running: see SlowCallbackLogger)
        if self.is_running():  # may be called from another thread
            self.call_soon_threadsafe(self._set_coroutine_origin_tracking, self._debug)

    def _set_coroutine_origin_tracking(self, enabled: bool) -> None:
        """Record where coroutines are created while the loop runs in debug mode."""
        if bool(enabled) == self._coroutine_origin_tracking:
            return
        if enabled:
            self._saved_coroutine_origin_tracking_depth = \
                sys.get_coroutine_origin_tracking_depth()
            sys.set_coroutine_origin_tracking_depth(DEBUG_STACK_DEPTH)
        else:
            sys.set_coroutine_origin_tracking_depth(self._saved_coroutine_origin_tracking_depth)
        self._coroutine_origin_tracking = bool(enabled)
