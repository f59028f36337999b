"""Unix signals: turning an interruption into an ordinary callback on the loop.

What you learn here: a signal handler may run between any two bytecodes of the main thread,
in the middle of a callback, with the loop's data structures half updated. So the loop does
not let the handler do anything. Instead:

1. `signal.set_wakeup_fd(fd)` asks Python's C-level signal handler to write the signal
   number as one byte to `fd`. We pass the write end of the loop's self-pipe, the same
   socket pair `call_soon_threadsafe` writes to, so a signal also wakes the loop out of
   its poll.
2. The Python-level handler we install does nothing at all; it only has to exist so that
   the signal is not handled by the default action (terminating the process).
3. When the loop reads the self-pipe, each non-zero byte is a signal number, and the
   callback registered with `add_signal_handler` is queued like any other handle: it runs
   on a later turn, between callbacks, where it is safe to touch anything.

This only works in the main thread (`set_wakeup_fd` refuses elsewhere, and so do we), and
SIGKILL and SIGSTOP cannot be caught at all. The checks and their messages are asyncio's.

`SignalMixin` holds these methods; `EventLoop` inherits them.
"""

from __future__ import annotations

import errno
import signal
import socket
import sys
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .coroutines import iscoroutine, iscoroutinefunction
from .errors import logger
from .handles import Handle

if TYPE_CHECKING:
    from collections import deque
    from types import FrameType

__all__ = ("SignalMixin",)


class SignalMixin:
    """add_signal_handler / remove_signal_handler, on top of the loop's self-pipe."""

    if TYPE_CHECKING:  # what we use of EventLoop, for the type checker
        _signal_handlers: dict[int, Handle]  # signal number -> handle
        _ready: deque[Any]  # Handles, and Tasks standing in for their next step
        _self_writer: socket.socket
        def _check_closed(self) -> None: ...

    def add_signal_handler(self, sig: int, callback: Callable[..., object],
                           *args: Any) -> None:
        """Call `callback(*args)` on the loop each time signal `sig` arrives.

        Replaces an earlier handler for `sig`. Raises ValueError for a signal number that
        does not exist, RuntimeError for one that cannot be caught or outside the main thread.
        """
        if iscoroutine(callback) or iscoroutinefunction(callback):
            raise TypeError("coroutines cannot be used with add_signal_handler()")
        _check_signal(sig)
        self._check_closed()
        try:
            # Called first on purpose: it is what refuses a loop running in another thread.
            signal.set_wakeup_fd(self._self_writer.fileno())
        except (ValueError, OSError) as exc:
            raise RuntimeError(str(exc))
        self._signal_handlers[sig] = Handle(callback, args, self, None)  # type: ignore[arg-type]
        try:
            signal.signal(sig, _do_nothing)
            signal.siginterrupt(sig, False)  # restart interrupted system calls (SA_RESTART)
        except OSError as exc:
            del self._signal_handlers[sig]
            if not self._signal_handlers:
                _stop_waking_up()
            if exc.errno == errno.EINVAL:  # SIGKILL, SIGSTOP
                raise RuntimeError(f"sig {sig} cannot be caught")
            raise

    def remove_signal_handler(self, sig: int) -> bool:
        """Restore the default action for `sig`; False if we had no handler for it."""
        _check_signal(sig)
        if not self._signal_handlers or sig not in self._signal_handlers:
            return False
        del self._signal_handlers[sig]
        # SIGINT goes back to raising KeyboardInterrupt, everything else to the OS default.
        default = signal.default_int_handler if sig == signal.SIGINT else signal.SIG_DFL
        try:
            signal.signal(sig, default)
        except OSError as exc:
            if exc.errno == errno.EINVAL:
                raise RuntimeError(f"sig {sig} cannot be caught")
            raise
        if not self._signal_handlers:
            _stop_waking_up()
        return True

    def _process_self_data(self, data: bytes) -> None:
        """The self-pipe had bytes: zeros are call_soon_threadsafe wake-ups, others signals."""
        for signum in data:
            if signum:
                self._handle_signal(signum)

    def _handle_signal(self, sig: int) -> None:
        handle = self._signal_handlers.get(sig)
        if handle is not None:  # else: removed after the signal arrived
            self._ready.append(handle)

    def _remove_all_signal_handlers(self) -> None:
        """close(): give every signal we caught back to its default action."""
        if not self._signal_handlers:
            return
        if sys.is_finalizing():  # too late to call into the signal module safely
            warnings.warn(f"Closing the loop {self!r} on interpreter shutdown stage, "
                          f"skipping signal handlers removal", ResourceWarning,
                          source=self, stacklevel=1)
            self._signal_handlers.clear()
            return
        for sig in list(self._signal_handlers):
            self.remove_signal_handler(sig)


def _check_signal(sig: object) -> None:
    if not isinstance(sig, int):
        raise TypeError(f"sig must be an int, not {sig!r}")
    if sig not in signal.valid_signals():
        raise ValueError(f"invalid signal number {sig}")


def _do_nothing(signum: int, frame: FrameType | None) -> None:
    """The Python-level handler: the real work happens on the loop (see the docstring)."""


def _stop_waking_up() -> None:
    try:
        signal.set_wakeup_fd(-1)
    except (ValueError, OSError) as exc:
        logger.info("set_wakeup_fd(-1) failed: %s", exc)
