"""Transports: the interface of an open connection, and write flow control (water marks).

What you learn here: what you can do with a connection once you have one, whatever it runs
on (a TCP socket, a Unix socket, a pipe, a subprocess). These classes are asyncio's
abstract transports: every method raises NotImplementedError, and the concrete transports
(sockettransport.py, datagrams.py, pipes.py) fill them in. A protocol (protocols.py)
receives its transport in `connection_made` and talks to it through these methods only.

    BaseTransport        get_extra_info, close, is_closing, set_protocol, get_protocol
      ReadTransport      pause_reading, resume_reading, is_reading
      WriteTransport     write, writelines, write_eof, can_write_eof, abort,
                         get_write_buffer_size, get_write_buffer_limits, set_write_buffer_limits
        Transport        both (a stream)
      DatagramTransport  sendto, abort
      SubprocessTransport  get_pid, get_returncode, get_pipe_transport, send_signal, ...

Then `FlowControl`, the one piece of behaviour every writing transport shares: writes never
block, so what the kernel does not take at once waits in the transport's buffer, and the
protocol is asked to stop (`pause_writing`) when the buffer grows past the *high-water mark*
and told to go on (`resume_writing`) once it has drained to the *low-water mark*. That is
backpressure; `StreamWriter.drain()` is built on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ("BaseTransport", "ReadTransport", "WriteTransport", "Transport",
           "DatagramTransport", "SubprocessTransport", "FlowControl", "water_marks")


class BaseTransport:
    """What every transport can do: say things about itself, be closed, change protocol."""

    __slots__ = ("_extra",)

    def __init__(self, extra: dict[str, Any] | None = None) -> None:
        self._extra = {} if extra is None else extra

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Optional information: "peername", "sockname", "socket", "pipe"... or `default`."""
        return self._extra.get(name, default)

    def is_closing(self) -> bool:
        """True once the transport is closing or closed."""
        raise NotImplementedError

    def close(self) -> None:
        """Close: buffered data is still sent, then `connection_lost(None)` is called."""
        raise NotImplementedError

    def set_protocol(self, protocol: Any) -> None:
        raise NotImplementedError

    def get_protocol(self) -> Any:
        raise NotImplementedError


class ReadTransport(BaseTransport):
    """The receiving side: incoming data can be paused (the protocol's own backpressure)."""

    __slots__ = ()

    def is_reading(self) -> bool:
        raise NotImplementedError

    def pause_reading(self) -> None:
        """Stop calling data_received until resume_reading()."""
        raise NotImplementedError

    def resume_reading(self) -> None:
        raise NotImplementedError


class WriteTransport(BaseTransport):
    """The sending side: writes that never block, buffered, with water marks."""

    __slots__ = ()

    def set_write_buffer_limits(self, high: int | None = None,
                                low: int | None = None) -> None:
        raise NotImplementedError

    def get_write_buffer_size(self) -> int:
        raise NotImplementedError

    def get_write_buffer_limits(self) -> tuple[int, int]:
        raise NotImplementedError

    def write(self, data: Any) -> None:
        """Send `data` (bytes-like) without blocking: what cannot go now is buffered."""
        raise NotImplementedError

    def writelines(self, list_of_data: Iterable[Any]) -> None:
        """Write each of the chunks; by default, joined into one write()."""
        self.write(b"".join(list_of_data))

    def write_eof(self) -> None:
        """Shut down the sending side once the buffer is flushed (a half-close)."""
        raise NotImplementedError

    def can_write_eof(self) -> bool:
        raise NotImplementedError

    def abort(self) -> None:
        """Close at once: buffered data is dropped."""
        raise NotImplementedError


class Transport(ReadTransport, WriteTransport):
    """A bidirectional stream: what a TCP connection gives its Protocol."""

    __slots__ = ()


class DatagramTransport(BaseTransport):
    """Packets rather than a stream: what a UDP endpoint gives its DatagramProtocol."""

    __slots__ = ()

    def sendto(self, data: Any, addr: Any = None) -> None:
        """Send one datagram to `addr` (or to the connected peer, with `addr` None)."""
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError


class SubprocessTransport(BaseTransport):
    """A child process and its pipes (the interface; subprocesstransport.py has the transport)."""

    __slots__ = ()

    def get_pid(self) -> int:
        raise NotImplementedError

    def get_returncode(self) -> int | None:
        raise NotImplementedError

    def get_pipe_transport(self, fd: int) -> BaseTransport | None:
        raise NotImplementedError

    def send_signal(self, signal: int) -> None:
        raise NotImplementedError

    def terminate(self) -> None:
        raise NotImplementedError

    def kill(self) -> None:
        raise NotImplementedError


# == Write flow control ===========================================================================

DEFAULT_HIGH_WATER = 64 * 1024  # asyncio's default high-water mark (the low one is a quarter)


def water_marks(high: int | None, low: int | None, default_high: int) -> tuple[int, int]:
    """(high, low) for a buffer, from what the caller gave: either mark follows from the
    other one (high = 4 * low, low = high // 4), and with neither, high is the default."""
    if high is None:
        high = default_high if low is None else 4 * low
    if low is None:
        low = high // 4
    if not high >= low >= 0:
        raise ValueError(f"high ({high!r}) must be >= low ({low!r}) must be >= 0")
    return high, low


class FlowControl(WriteTransport):
    """Water marks for a writing transport, and the pause/resume calls they trigger
    (asyncio's `transports._FlowControlMixin`).

    A subclass provides `get_write_buffer_size()`, and calls `_maybe_pause_protocol()`
    after its buffer grew and `_maybe_resume_protocol()` after it shrank.

    Discussion: the two calls are edge-triggered. `pause_writing()` is sent once, when the
    buffer first goes *over* the high mark (a buffer exactly at the mark is fine), and
    `resume_writing()` once, when it comes back down to the low mark or below, so a
    protocol never hears "pause" twice in a row. A protocol that raises from either is
    reported to the loop's exception handler, and the transport carries on.
    """

    __slots__ = ("_loop", "_protocol_paused", "_high_water", "_low_water")

    _default_high_water = DEFAULT_HIGH_WATER  # a TLS transport's is larger (tlstransport.py)

    if TYPE_CHECKING:
        _protocol: Any

    def __init__(self, extra: dict[str, Any] | None = None, loop: Any = None) -> None:
        super().__init__(extra)
        self._loop = loop
        self._protocol_paused = False  # we told the protocol to pause, not yet to resume
        self._set_write_buffer_limits()

    def get_write_buffer_limits(self) -> tuple[int, int]:
        """(low, high), in that order, as asyncio returns them."""
        return (self._low_water, self._high_water)

    def set_write_buffer_limits(self, high: int | None = None,
                                low: int | None = None) -> None:
        """New marks; a buffer already over the new high mark pauses the protocol now."""
        self._set_write_buffer_limits(high, low)
        self._maybe_pause_protocol()

    def _set_write_buffer_limits(self, high: int | None = None,
                                 low: int | None = None) -> None:
        self._high_water, self._low_water = water_marks(high, low, self._default_high_water)

    def _maybe_pause_protocol(self) -> None:
        if self.get_write_buffer_size() <= self._high_water or self._protocol_paused:
            return
        self._protocol_paused = True
        self._tell_protocol("pause_writing")

    def _maybe_resume_protocol(self) -> None:
        if self._protocol_paused and self.get_write_buffer_size() <= self._low_water:
            self._protocol_paused = False
            self._tell_protocol("resume_writing")

    def _tell_protocol(self, method: str) -> None:
        try:
            getattr(self._protocol, method)()
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._loop.call_exception_handler({
                "message": f"protocol.{method}() failed",
                "exception": exc,
                "transport": self,
                "protocol": self._protocol,
            })
