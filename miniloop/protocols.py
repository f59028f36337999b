"""Protocols: the callbacks a transport calls when something happens on a connection.

What you learn here: the other half of the transport/protocol pair. A *transport*
(transports.py) owns the socket and does the I/O; a *protocol* is your object, and the
transport tells it what happened, by calling its methods, always from the loop and never
from inside your own calls. There is no coroutine anywhere in this layer: a protocol is
plain callbacks, which is why it is so cheap, and why streams (a coroutine API) are built on
top of it rather than the other way round.

The order of the calls is part of the contract, and the same for every transport:

    connection_made(transport)          exactly once, first
    data_received(data) ...             any number of times (get_buffer/buffer_updated
                                        for a BufferedProtocol)
    eof_received()                      at most once, when the peer has shut down its side
    connection_lost(exc)                exactly once, last: None for a clean close,
                                        the error otherwise

and, at any time between the first and the last, `pause_writing()` / `resume_writing()` as
the transport's write buffer crosses its high and low water marks (backpressure).

Every method here does nothing (even BufferedProtocol.get_buffer, which returns None, as
asyncio's does, so a transport using it fails): subclass and override the ones you need.
asyncio's classes have empty `__slots__`, so a subclass may use slots too; so do these.
"""

from __future__ import annotations

from typing import Any

__all__ = ("BaseProtocol", "Protocol", "BufferedProtocol", "DatagramProtocol",
           "SubprocessProtocol")


class BaseProtocol:
    """What every protocol hears: the connection starts, ends, and asks it to slow down."""

    __slots__ = ()

    def connection_made(self, transport: Any) -> None:
        """The connection is up; `transport` is how you write to it and close it."""

    def connection_lost(self, exc: Exception | None) -> None:
        """The connection is gone: `exc` is None after a clean close, else what broke it."""

    def pause_writing(self) -> None:
        """The transport's write buffer went over its high-water mark: stop writing."""

    def resume_writing(self) -> None:
        """The write buffer drained down to its low-water mark: you may write again."""


class Protocol(BaseProtocol):
    """A stream protocol (TCP, Unix sockets, pipes): bytes come in as `data_received`."""

    __slots__ = ()

    def data_received(self, data: bytes) -> None:
        """Some bytes arrived. The chunks are not messages: any split is possible."""

    def eof_received(self) -> bool | None:
        """The peer will send nothing more. Return a true value to keep your side open
        (half-close: you may still write); otherwise the transport closes itself."""
        return None


class BufferedProtocol(BaseProtocol):
    """A stream protocol that lends the transport its own buffer to read into (no copy).

    Instead of `data_received(data)`, the transport calls `get_buffer(sizehint)` for a
    writable buffer, receives into it, then `buffer_updated(nbytes)`.
    """

    __slots__ = ()

    def get_buffer(self, sizehint: int) -> Any:
        """Return a non-empty writable buffer (bytearray, memoryview...) to receive into.
        `sizehint` is -1 when the transport has no idea how much is coming."""

    def buffer_updated(self, nbytes: int) -> None:
        """`nbytes` bytes were written at the start of the buffer last returned."""

    def eof_received(self) -> bool | None:
        """As Protocol.eof_received: a true value keeps the transport open."""
        return None


class DatagramProtocol(BaseProtocol):
    """A datagram protocol (UDP, Unix datagram sockets): one call per packet."""

    __slots__ = ()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        """One datagram `data` arrived from `addr`."""

    def error_received(self, exc: Exception) -> None:
        """A send or receive failed (for example ICMP "port unreachable" on a connected
        UDP socket). The transport stays open."""


class SubprocessProtocol(BaseProtocol):
    """What a subprocess transport reports: output on its pipes, and the process's exit."""

    __slots__ = ()

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        """The child wrote `data` on its stdout (fd 1) or stderr (fd 2)."""

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        """One of the child's pipes was closed."""

    def process_exited(self) -> None:
        """The child process has exited."""
