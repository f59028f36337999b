"""The event loop: a ready queue, a timer heap and a poller, turned by one `while` loop.

What you learn here: everything else in miniloop (tasks, sleeps, sockets) comes down to
putting work in one of three places, and this module takes it out again:

* `_ready`, a FIFO queue of what runs as soon as possible: `Handle`s (`call_soon`), and
  `Task`s standing in for their own next step (tasks.py, `Task._schedule_step`);
* `_scheduled`, a heap of `TimerHandle`s ordered by due time (`call_later`, `call_at`);
* `_poller` (poller.py), which holds a reader/writer `Handle` for each file descriptor we
  wait on (`add_reader`, `add_writer`) and tells us which descriptors became ready.

One turn of the loop (`_run_once`, the heart of this file) always goes in this order:

1. Poll I/O, blocking for as long as there is nothing else to do: 0 if callbacks are ready,
   until the nearest timer if there is one, forever if there is nothing at all. The ready
   descriptors' handles go to the back of `_ready`. (Before that, cancelled timers at the
   front of the heap are thrown away, or the heap is rebuilt when most of it is cancelled,
   so that cancelled timeouts cannot pile up.)
2. Move every timer that is due to the back of `_ready`.
3. Run what is in `_ready` *now* (count it first). Callbacks scheduled meanwhile land behind
   and wait for the next turn, so a task that keeps yielding cannot starve timers or I/O.

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

from . import current, reprs, versions
from .abstractloop import AbstractEventLoop
from .asyncgens import AsyncGenMixin
from .childwatchers import reap_in_threads
from .connections import ConnectionMixin
from .datagrams import DatagramMixin
from .debug import DebugMixin
from .errors import ExceptionHandlerMixin, logger
from .executors import ExecutorMixin
from .futures import Future
from .handles import Handle, TimerHandle
from .instruments import Instrument, InstrumentMixin
from .listening import ServerMixin
from .pipes import PipeMixin
from .poller import make_poller
from .sendfile import SendfileMixin
from .signals import SignalMixin
from .sockets import SocketMixin
from .starttls import TLSMixin
from .subprocesstransport import SubprocessMixin
from .tasks import Task, ensure_future
from .transportsendfile import TransportSendfileMixin
from .unix import UnixMixin
from .watching import WatchMixin

if TYPE_CHECKING:
    import concurrent.futures
    import selectors
    from collections.abc import AsyncGenerator

__all__ = ("EventLoop",)

T = TypeVar("T")

# Never block in a poll for longer than a day: some platforms reject larger timeouts.
MAXIMUM_SELECT_TIMEOUT = 24 * 3600

# Rebuild the timer heap when more than half of it is cancelled timers (and it is not tiny).
MIN_SCHEDULED_TIMER_HANDLES = 100
MIN_CANCELLED_TIMER_HANDLES_FRACTION = 0.5


def _debug_from_environment() -> bool:
    """Debug mode is on under `python -X dev` or with PYTHONASYNCIODEBUG set, as in asyncio."""
    return sys.flags.dev_mode or (not sys.flags.ignore_environment
                                  and bool(os.environ.get("PYTHONASYNCIODEBUG")))


class EventLoop(WatchMixin, ExceptionHandlerMixin, DebugMixin, ExecutorMixin,  # type: ignore[misc]
                AsyncGenMixin, SignalMixin, SocketMixin, SendfileMixin, ConnectionMixin,
                ServerMixin, UnixMixin, DatagramMixin, PipeMixin, TransportSendfileMixin,
                InstrumentMixin, TLSMixin, SubprocessMixin, AbstractEventLoop):
    """A selector-based event loop (the only kind miniloop has).

    The mixins each add one family of methods (their modules say which); they hold no state.
    All of the loop's state is declared here, in `__init__`.
    """

    def __init__(self, selector: selectors.BaseSelector | None = None) -> None:
        # -- What runs next -----------------------------------------------------------------
        self._ready: deque[Handle | Task[Any]] = deque()  # to run on this or the next turn
        self._scheduled: list[TimerHandle] = []    # heap of timers, nearest deadline first
        self._timer_cancelled_count = 0            # cancelled timers still in the heap
        self._current_task: Task[Any] | None = None  # the task whose step is running
        self._tasks: weakref.WeakSet[Task[Any]] = weakref.WeakSet()  # for all_tasks()
        self._task_factory: Callable[..., Future[Any]] | None = None  # set_task_factory()
        self._clock_resolution = time.get_clock_info("monotonic").resolution
        # -- I/O (poller.py) ----------------------------------------------------------------
        self._poller = make_poller(selector, self._notify)  # fds we wait on, and for what
        # -- Threads and signals ------------------------------------------------------------
        # A socket pair the loop watches, so that another thread (call_soon_threadsafe) or
        # a signal (signals.py) can wake it out of its poll by writing a byte.
        self._self_reader, self._self_writer = socket.socketpair()
        self._self_reader.setblocking(False)
        self._self_writer.setblocking(False)
        self._thread_id: int | None = None         # the thread inside run_forever, if any
        self._default_executor: concurrent.futures.ThreadPoolExecutor | None = None  # lazily
        self._executor_shutdown_called = False     # no new default executor after this
        self._signal_handlers: dict[int, Handle] = {}  # signal number -> its handler
        self._child_pidfds: dict[int, int] = {}    # pid -> the pidfd we watch it exit by
        # -- Lifecycle ----------------------------------------------------------------------
        self._stopping = False                     # stop() was called: end after this turn
        self._closed = False
        self._set_at_exit = False                  # still the set loop at exit (policies.py)
        self._asyncgens: weakref.WeakSet[AsyncGenerator[Any, Any]] = weakref.WeakSet()
        self._asyncgens_shutdown_called = False    # late-started generators are a bug then
        self._exception_handler: Callable[[EventLoop, dict[str, Any]], object] | None = None
        # -- Watching and debugging (instruments.py, debug.py) -------------------------------
        self._turn = 0                             # turns taken, for instruments
        self._instruments: list[Instrument] = []   # called as the loop turns; usually none
        self._current_handle: Handle | Task[Any] | None = None  # running, when instrumented
        self._debug = False                        # set_debug() (debug.py)
        self.slow_callback_duration = 0.1          # debug mode logs callbacks slower than this
        self._coroutine_origin_tracking = False    # we set the depth (and must restore it)
        self._saved_coroutine_origin_tracking_depth = 0  # the depth before we set it

        if _debug_from_environment():
            self.set_debug(True)
        logger.debug("Using selector: %s", self._poller.name)
        # (Straight to the poller, not through `_add_reader`: a subclass that overrides
        # that, such as CPython's test loop, has not finished its own __init__ yet.)
        self._poller.add_reader(self._self_reader.fileno(),
                                Handle(self._read_from_self, (), self, None))

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
            # If the loop stops before this task is done, the caller hears about it (the
            # RuntimeError below): no need to also log "Task was destroyed but it is
            # pending!" when the task is collected, as asyncio does not.
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
        self._poller.close()
        reap_in_threads(self._child_pidfds)       # no zombie outlives its loop
        self._instruments.clear()  # they refer to the loop: no cycle left for the GC
        self._shutdown_default_executor_nowait()  # without waiting, as asyncio does
        self._remove_all_signal_handlers()

    def __del__(self, _warn: Callable[..., None] = warnings.warn) -> None:
        if not self._closed:
            if not self._set_at_exit:  # (asyncio never frees that one: see policies.py)
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
        self._check_closed()
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
        """call_soon() for other threads: also wakes the loop if it is blocked in its poll."""
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
        if name is not None or versions.FACTORY_TASK_NAMED_NONE:
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
        """One turn: poll I/O, collect due timers, run what is ready (see the module docstring)."""
        self._turn += 1
        if self._timer_cancelled_count:
            self._drop_cancelled_timers()

        # ---- 1. Poll I/O, for as long as we can afford to block ----
        if self._ready or self._stopping:
            timeout: float | None = 0
        elif self._scheduled:
            timeout = self._scheduled[0]._when - self.time()
            if versions.NAN_DEADLINE_REACHES_POLL:  # 3.13: `timeout > MAX`, `timeout < 0`...
                if timeout > MAXIMUM_SELECT_TIMEOUT:
                    timeout = MAXIMUM_SELECT_TIMEOUT
                elif timeout < 0:
                    timeout = 0
            else:  # ...where max(0, nan) is 0: a NaN deadline makes its timer due at once
                timeout = min(max(0, timeout), MAXIMUM_SELECT_TIMEOUT)
        else:
            timeout = None  # nothing to do until some I/O happens
        if self._instruments:
            self._observe_poll(timeout)
        else:
            for _fd, _event, handle in self._poller.poll(timeout):
                self._ready.append(handle)

        # ---- 2. Collect due timers ----
        # A timer counts as due if it is due within the clock's resolution: otherwise a poll
        # that woke "exactly on time" could find it 1 ns early and spin once more.
        # Written as asyncio writes it, `>= end_time` then stop, so that a NaN deadline
        # (never >= anything) counts as due rather than blocking the heap forever.
        if self._scheduled:
            end_time = self.time() + self._clock_resolution
            while self._scheduled:
                if self._scheduled[0]._when >= end_time:
                    break
                timer = heapq.heappop(self._scheduled)
                timer._scheduled = False
                if timer._cancelled:
                    self._timer_cancelled_count -= 1
                else:
                    self._ready.append(timer)
                    if self._instruments:
                        self._notify("timer_due", timer=timer)

        # ---- 3. Run what is ready now; what it schedules waits for the next turn ----
        if self._instruments:
            self._observe_run(len(self._ready))  # the same, with hooks (instruments.py)
        else:
            for _ in range(len(self._ready)):
                self._ready.popleft()._run()

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


def _stop_loop_when_done(future: Future[Any]) -> None:
    """run_until_complete's done-callback: stop the loop that runs the future.

    Not for KeyboardInterrupt/SystemExit: those are already on their way out of run_forever.
    """
    if not future.cancelled() and isinstance(future.exception(), (SystemExit,
                                                                  KeyboardInterrupt)):
        return
    future.get_loop().stop()


# In messages, each method is named as asyncio names it (reprs.py).
reprs.name_methods_as_asyncio(EventLoop, AbstractEventLoop)
