"""The event loop: a ready queue, a timer heap and a selector, turned by one `while` loop.

What you learn here: everything else in miniloop (tasks, sleeps, sockets) comes down to
putting callbacks in one of three places, and this module takes them out again:

* `_ready`, a FIFO queue of `Handle`s to run as soon as possible (`call_soon`);
* `_scheduled`, a heap of `TimerHandle`s ordered by due time (`call_later`, `call_at`);
* the selector, which holds a reader/writer `Handle` for each file descriptor we wait on
  (`add_reader`, `add_writer`) and tells us which descriptors became ready.

One turn of the loop (`_run_once`, the heart of this file) always goes in this order:

1. Throw away cancelled timers from the front of the heap (or rebuild the heap when most of
   it is cancelled, so cancelled timeouts cannot pile up).
2. Ask the selector which descriptors are ready, blocking for as long as there is nothing
   else to do: 0 if callbacks are ready, until the nearest timer if there is one, forever if
   there is nothing at all. Ready descriptors' handles go to the back of `_ready`.
   (Just before, read interest that a socket no longer uses is dropped: sockets.py.)
3. Move every timer that is due to the back of `_ready`.
4. Run the callbacks that are in `_ready` *now* (count them first). Callbacks they schedule
   land behind them and wait for the next turn, so a task that keeps yielding cannot starve
   the timers or the I/O.

This is the only place in miniloop where callbacks are called. Everything else only queues
them: a future's done-callbacks, a task's next step, a timer that fired. That single rule is
why the order of events is predictable, and why miniloop's order is asyncio's.
"""

from __future__ import annotations

import contextvars
import heapq
import os
import socket
import sys
import threading
import time
import warnings
import weakref
from collections import deque
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from . import current
from .asyncgens import AsyncGenMixin
from .coroutines import iscoroutine, iscoroutinefunction
from .debug import DebugMixin
from .errors import ExceptionHandlerMixin, logger
from .executors import ExecutorMixin
from .futures import Future
from .handles import Handle, TimerHandle
from .sendfile import SendfileMixin
from .signals import SignalMixin
from .sockets import SocketMixin
from .tasks import Task, ensure_future
from .watching import WatchMixin

if TYPE_CHECKING:
    pass

__all__ = ("EventLoop",)

T = TypeVar("T")

# Never block in select() for longer than a day: some platforms reject larger timeouts.
MAXIMUM_SELECT_TIMEOUT = 24 * 3600

# Rebuild the timer heap when more than half of it is cancelled timers (and it is not tiny).
MIN_SCHEDULED_TIMER_HANDLES = 100
MIN_CANCELLED_TIMER_HANDLES_FRACTION = 0.5


def _debug_from_environment() -> bool:
    """Debug mode is on under `python -X dev` or with PYTHONASYNCIODEBUG set, as in asyncio."""
    return sys.flags.dev_mode or (not sys.flags.ignore_environment
                                  and bool(os.environ.get("PYTHONASYNCIODEBUG")))


class EventLoop(WatchMixin, ExceptionHandlerMixin, DebugMixin, ExecutorMixin, AsyncGenMixin,
                SignalMixin, SocketMixin, SendfileMixin):
    """A selector-based event loop (the only kind miniloop has)."""

    def __init__(self) -> None:
        self._ready: deque[Handle | Task[Any]] = deque()  # to run on this or the next turn
        self._scheduled: list[TimerHandle] = []    # heap of timers, nearest deadline first
        self._timer_cancelled_count = 0            # cancelled timers still in the heap
        self._init_watching()  # the selector: fd -> (reader, writer) handles (watching.py)
        logger.debug("Using selector: %s", type(self._selector).__name__)
        self._stopping = False                     # stop() was called: end after this turn
        self._closed = False
        self._thread_id: int | None = None         # the thread inside run_forever, if any
        self._debug = _debug_from_environment()
        self._current_task: Task[Any] | None = None  # the task whose step is running
        self._tasks: weakref.WeakSet[Task[Any]] = weakref.WeakSet()  # for all_tasks()
        self._exception_handler: Callable[[EventLoop, dict[str, Any]], object] | None = None
        self._task_factory: Callable[..., Future[Any]] | None = None
        self._clock_resolution = time.get_clock_info("monotonic").resolution
        self.slow_callback_duration = 0.1          # debug mode logs callbacks slower than this
        # A socket pair the loop watches, so that another thread can wake it out of select()
        # by writing a byte (call_soon_threadsafe).
        self._self_reader, self._self_writer = socket.socketpair()
        self._self_reader.setblocking(False)
        self._self_writer.setblocking(False)
        self._add_reader(self._self_reader.fileno(), self._read_from_self)
        # Sockets whose last sock_recv-like wait ended this turn, still registered in case
        # they read again at once (see SocketMixin._wait_readable).
        self._idle_readers: dict[int, tuple[socket.socket, Handle]] = {}

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} running={self.is_running()} "
                f"closed={self.is_closed()} debug={self.get_debug()}>")

    # == Running and stopping ==================================================================

    def run_forever(self) -> None:
        """Turn the loop until stop() is called."""
        self._check_closed()
        if self.is_running():
            raise RuntimeError("This event loop is already running")
        if current._get_running_loop() is not None:
            raise RuntimeError("Cannot run the event loop while another loop is running")
        self._set_coroutine_origin_tracking(self._debug)  # see debug.py
        old_agen_hooks = sys.get_asyncgen_hooks()
        self._thread_id = threading.get_ident()
        # Async generators started from now on report to this loop (see asyncgens.py).
        sys.set_asyncgen_hooks(firstiter=self._asyncgen_firstiter_hook,
                               finalizer=self._asyncgen_finalizer_hook)
        current._set_running_loop(self)
        try:
            # ---- This while loop right here is the event loop. ----
            while True:
                self._run_once()
                if self._stopping:
                    break
        finally:
            self._stopping = False
            self._thread_id = None
            current._set_running_loop(None)
            self._set_coroutine_origin_tracking(False)
            sys.set_asyncgen_hooks(*old_agen_hooks)

    def run_until_complete(self, future: Future[T] | Coroutine[Any, Any, T]) -> T:
        """Run until `future` (a coroutine is wrapped in a task) is done; return its result."""
        self._check_closed()
        if self.is_running():
            raise RuntimeError("This event loop is already running")
        new_task = not isinstance(future, Future)
        future = ensure_future(future, loop=self)
        if new_task:
            # The exception reaches the caller through result() below: nobody else will
            # retrieve it, so do not log it as "never retrieved" either.
            future._log_destroy_pending = False  # type: ignore[attr-defined]
        future.add_done_callback(_stop_loop_when_done)
        try:
            self.run_forever()
        except BaseException:
            if new_task and future.done() and not future.cancelled():
                future.exception()  # KeyboardInterrupt escaping: mark it retrieved
            raise
        finally:
            future.remove_done_callback(_stop_loop_when_done)
        if not future.done():
            raise RuntimeError("Event loop stopped before Future completed.")
        return future.result()

    def stop(self) -> None:
        """Stop after the current turn: callbacks already queued for it still run."""
        self._stopping = True

    def is_running(self) -> bool:
        return self._thread_id is not None

    def is_closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Free the loop's resources; pending callbacks are dropped. Idempotent."""
        if self.is_running():
            raise RuntimeError("Cannot close a running event loop")
        if self._closed:
            return
        if self._debug:
            logger.debug("Close %r", self)
        self._closed = True
        self._ready.clear()
        self._scheduled.clear()
        self._timer_cancelled_count = 0
        self._remove_reader(self._self_reader.fileno())
        self._self_reader.close()
        self._self_writer.close()
        self._selector.close()
        self._shutdown_default_executor_nowait()  # without waiting, as asyncio does
        self._remove_all_signal_handlers()

    def __del__(self, _warn: Callable[..., None] = warnings.warn) -> None:
        if not self._closed:
            _warn(f"unclosed event loop {self!r}", ResourceWarning, source=self)
            if not self.is_running():
                self.close()

    def _check_closed(self) -> None:
        if self._closed:
            raise RuntimeError("Event loop is closed")

    # == Scheduling callbacks ==================================================================

    def time(self) -> float:
        """The loop's clock: monotonic seconds, the unit of call_at() and TimerHandle.when()."""
        return time.monotonic()

    def call_soon(self, callback: Callable[..., object], *args: Any,
                  context: contextvars.Context | None = None) -> Handle:
        """Run `callback(*args)` on the next turn, after everything already queued."""
        if self._closed:  # _check_closed(), inlined in the loop's busiest method
            raise RuntimeError("Event loop is closed")
        if self._debug:
            self._check_thread()
            self._check_callback(callback, "call_soon")
        handle = Handle(callback, args, self, context)
        if handle._source_traceback:  # debug: end the creation traceback at our caller
            del handle._source_traceback[-1]
        self._ready.append(handle)
        return handle

    def call_later(self, delay: float, callback: Callable[..., object], *args: Any,
                   context: contextvars.Context | None = None) -> TimerHandle:
        """Run `callback(*args)` once `delay` seconds have passed."""
        if delay is None:
            raise TypeError("delay must not be None")
        timer = self.call_at(self.time() + delay, callback, *args, context=context)
        if timer._source_traceback:  # debug: end the creation traceback at our caller
            del timer._source_traceback[-1]
        return timer

    def call_at(self, when: float, callback: Callable[..., object], *args: Any,
                context: contextvars.Context | None = None) -> TimerHandle:
        """Run `callback(*args)` when `loop.time()` reaches `when`."""
        if when is None:
            raise TypeError("when cannot be None")
        self._check_closed()
        if self._debug:
            self._check_thread()
            self._check_callback(callback, "call_at")
        timer = TimerHandle(when, callback, args, self, context)
        if timer._source_traceback:  # debug: end the creation traceback at our caller
            del timer._source_traceback[-1]
        heapq.heappush(self._scheduled, timer)
        timer._scheduled = True
        return timer

    def call_soon_threadsafe(self, callback: Callable[..., object], *args: Any,
                             context: contextvars.Context | None = None) -> Handle:
        """call_soon() for other threads: also wakes the loop if it is blocked in select()."""
        self._check_closed()
        if self._debug:
            self._check_callback(callback, "call_soon_threadsafe")
        handle = Handle(callback, args, self, context)
        if handle._source_traceback:  # debug: end the creation traceback at our caller
            del handle._source_traceback[-1]
        self._ready.append(handle)  # deque.append is atomic, so no lock is needed
        self._write_to_self()
        return handle

    def _write_to_self(self) -> None:
        try:
            self._self_writer.send(b"\0")
        except OSError:  # the buffer is full (the loop will wake anyway) or we are closing
            pass

    def _read_from_self(self) -> None:
        while True:
            try:
                data = self._self_reader.recv(4096)
            except InterruptedError:
                continue
            except BlockingIOError:
                break
            if not data:
                break
            self._process_self_data(data)  # signal numbers, if any (see signals.py)

    def _timer_handle_cancelled(self, handle: TimerHandle) -> None:
        """A timer in our heap was cancelled: count it, so the heap can be cleaned up."""
        if handle._scheduled:
            self._timer_cancelled_count += 1

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

    # == Futures and tasks =====================================================================

    def create_future(self) -> Future[Any]:
        return Future(loop=self)

    def create_task(self, coro: Coroutine[Any, Any, T], *, name: object = None,
                    context: contextvars.Context | None = None) -> Task[T]:
        """Wrap `coro` in a Task (or whatever the task factory makes) and schedule it."""
        self._check_closed()
        if self._task_factory is None:
            new = Task(coro, loop=self, name=name, context=context)
            if new._source_traceback:  # debug: end the creation traceback at our caller
                del new._source_traceback[-1]
            return new
        if context is None:
            task = self._task_factory(self, coro)
        else:
            task = self._task_factory(self, coro, context=context)
        if name is not None:
            task.set_name(name)  # type: ignore[attr-defined]
        return task  # type: ignore[return-value]

    def set_task_factory(self, factory: Callable[..., Future[Any]] | None) -> None:
        if factory is not None and not callable(factory):
            raise TypeError("task factory must be a callable or None")
        self._task_factory = factory

    def get_task_factory(self) -> Callable[..., Future[Any]] | None:
        return self._task_factory

    # == One turn of the loop ==================================================================

    def _run_once(self) -> None:
        """One turn: drop cancelled timers, poll I/O, collect due timers, run what is ready."""
        if self._timer_cancelled_count:  # (a method call per turn saved when there are none)
            self._drop_cancelled_timers()
        if self._idle_readers:
            self._drop_idle_readers()

        # ---- Poll I/O, for as long as we can afford to block ----
        if self._ready or self._stopping:
            timeout: float | None = 0
        elif self._scheduled:
            timeout = min(max(0.0, self._scheduled[0]._when - self.time()),
                          MAXIMUM_SELECT_TIMEOUT)
        else:
            timeout = None  # nothing to do until some I/O happens
        self._poll_io(timeout)  # ready fds' handles join the back of _ready (watching.py)

        # ---- Collect due timers ----
        # A timer counts as due if it is due within the clock's resolution: otherwise a
        # select() that woke "exactly on time" could find it 1 ns early and spin once more.
        scheduled = self._scheduled
        if scheduled:  # (no clock reading on turns without timers: 0.1 us a turn)
            end_time = self.time() + self._clock_resolution
            while scheduled and scheduled[0]._when < end_time:
                timer = heapq.heappop(scheduled)
                timer._scheduled = False
                if timer._cancelled:
                    self._timer_cancelled_count -= 1
                else:
                    self._ready.append(timer)

        # ---- Run the callbacks that are ready now; new ones wait for the next turn ----
        # An entry is a Handle (a cancelled one does nothing when run) or a Task standing in
        # for its own next step (Task._schedule_step explains why).
        ready = self._ready
        popleft = ready.popleft
        for _ in range(len(ready)):
            if self._debug:
                self._run_timed(popleft())
            else:
                popleft()._run()

    def _drop_cancelled_timers(self) -> None:
        """Keep cancelled timers from piling up in the heap (a timeout that never fires is the
        common case: `wait_for` and `timeout()` cancel theirs whenever the work is on time)."""
        scheduled = self._scheduled
        count = len(scheduled)
        if (count > MIN_SCHEDULED_TIMER_HANDLES
                and self._timer_cancelled_count / count > MIN_CANCELLED_TIMER_HANDLES_FRACTION):
            live = []
            for timer in scheduled:
                if timer._cancelled:
                    timer._scheduled = False
                else:
                    live.append(timer)
            heapq.heapify(live)
            self._scheduled = live
            self._timer_cancelled_count = 0
        else:
            while scheduled and scheduled[0]._cancelled:
                self._timer_cancelled_count -= 1
                heapq.heappop(scheduled)._scheduled = False

    # == Debug mode ==========================================================================

    def get_debug(self) -> bool:
        return self._debug

    def set_debug(self, enabled: bool) -> None:
        self._debug = enabled
        if self.is_running():  # may be called from another thread
            self.call_soon_threadsafe(self._set_coroutine_origin_tracking, enabled)


def _stop_loop_when_done(future: Future[Any]) -> None:
    """run_until_complete's done-callback: stop the loop that runs the future.

    Not for KeyboardInterrupt/SystemExit: those are already on their way out of run_forever.
    """
    if not future.cancelled() and isinstance(future.exception(), (SystemExit,
                                                                  KeyboardInterrupt)):
        return
    future.get_loop().stop()

