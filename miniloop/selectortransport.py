"""What every transport on a socket shares: extra info, reading on and off, closing.

What you learn here: the part of a transport that does not care whether the socket carries
a stream (sockettransport.py) or datagrams (datagrams.py). A `SelectorTransport` owns a
non-blocking socket that the loop's poller watches (by its fd, as asyncio registers it),
and its protocol. It answers `get_extra_info` ("socket", "sockname", "peername"), turns
reading on and off by registering and unregistering the fd, and knows how a connection
ends:

* `close()`: stop reading at once; once nothing is left in the write buffer,
  `connection_lost(None)` on a later turn (through `call_soon`).
* `abort()`: drop the buffer, and the same without waiting.
* `_fatal_error(exc)`: something failed. An OSError is the network's doing (the peer reset
  the connection): asyncio only logs it at DEBUG level in debug mode. Anything else (a
  protocol callback that raised) goes to the loop's exception handler, with a message
  that says which call failed. Either way, `connection_lost(exc)`.

`connection_lost` is always called exactly once, always last, never from inside your own
call to `close()`, `abort()` or `write()`. After it the transport lets go of its socket
(closed), its protocol and its loop, so no reference cycle outlives a connection.
"""

from __future__ import annotations

import collections
import selectors
import socket
import warnings
from typing import Any

from .errors import logger
from .transports import FlowControl, Transport
from .transportsocket import TransportSocket

__all__ = ("CONNLOST_WRITES_BEFORE_WARNING", "SelectorTransport", "report_fatal_error",
           "set_result_unless_cancelled")

# After this many writes to a lost connection, each further one logs a warning (asyncio's
# LOG_THRESHOLD_FOR_CONNLOST_WRITES): a program that keeps writing into the void is told.
CONNLOST_WRITES_BEFORE_WARNING = 5


def report_fatal_error(loop: Any, exc: BaseException, message: str, *, expected: bool,
                       transport: Any, protocol: Any, who: Any) -> None:
    """Report the error that brings a connection down, by the rule all asyncio's transports
    (sockets, pipes, TLS) share: an `expected` error (an OSError: the network's or the peer's
    doing) is a DEBUG log line in debug mode only, naming `who`; anything else (a protocol
    callback that raised) goes to the loop's exception handler with `message`."""
    if expected:
        if loop.get_debug():
            logger.debug("%r: %s", who, message, exc_info=True)
    else:
        loop.call_exception_handler({
            "message": message,
            "exception": exc,
            "transport": transport,
            "protocol": protocol,
        })


def set_result_unless_cancelled(fut: Any, result: Any) -> None:
    """Wake a waiter, unless its caller gave up (cancelled it) meanwhile."""
    if not fut.cancelled():
        fut.set_result(result)


class SelectorTransport(FlowControl, Transport):
    """A transport over a non-blocking socket that the loop's poller watches."""

    max_size = 256 * 1024  # the most one recv() asks for

    # None once closed; a class attribute, so that __del__ works even if __init__ failed.
    _sock: socket.socket = None  # type: ignore[assignment]

    def __init__(self, loop: Any, sock: socket.socket, protocol: Any,
                 extra: dict[str, Any] | None = None, server: Any = None) -> None:
        super().__init__(extra, loop)
        self._extra["socket"] = TransportSocket(sock)
        try:
            self._extra["sockname"] = sock.getsockname()
        except OSError:
            self._extra["sockname"] = None
        if "peername" not in self._extra:  # an accepted socket comes with its peer's address
            try:
                self._extra["peername"] = sock.getpeername()
            except OSError:
                self._extra["peername"] = None
        self._sock = sock
        self._sock_fd = sock.fileno()     # kept: the fd we unregister, even once closed
        self.set_protocol(protocol)
        self._server = server             # the Server that accepted us, told when we end
        self._buffer: collections.deque[Any] = collections.deque()  # what waits to be sent
        self._conn_lost = 0               # >0: connection_lost is scheduled; +1 per late write
        self._closing = False             # close() was called, or we are going down
        self._paused = False              # pause_reading() was called
        if server is not None:
            server._attach(self)

    def __repr__(self) -> str:
        info = [type(self).__name__]
        if self._sock is None:
            info.append("closed")
        elif self._closing:
            info.append("closing")
        info.append(f"fd={self._sock_fd}")
        if self._loop is not None and not self._loop.is_closed():
            # Asked of the poller, as asyncio asks its selector: in connection_made, the
            # read registration is still a turn away ("idle").
            polling = self._loop._is_watching(self._sock_fd, selectors.EVENT_READ)
            info.append("read=polling" if polling else "read=idle")
            polling = self._loop._is_watching(self._sock_fd, selectors.EVENT_WRITE)
            state = "polling" if polling else "idle"
            info.append(f"write=<{state}, bufsize={self.get_write_buffer_size()}>")
        return f"<{' '.join(info)}>"

    def set_protocol(self, protocol: Any) -> None:
        self._protocol = protocol

    def get_protocol(self) -> Any:
        return self._protocol

    def is_closing(self) -> bool:
        return self._closing

    def get_write_buffer_size(self) -> int:
        return sum(map(len, self._buffer))

    # == Reading on and off ====================================================================

    def is_reading(self) -> bool:
        return not self._closing and not self._paused

    def pause_reading(self) -> None:
        """Unregister the reader: the kernel's buffer fills, and TCP slows the peer down."""
        if not self.is_reading():
            return
        self._paused = True
        self._loop._remove_reader(self._sock_fd)
        if self._loop.get_debug():
            logger.debug("%r pauses reading", self)

    def resume_reading(self) -> None:
        if self._closing or not self._paused:
            return
        self._paused = False
        self._add_reader(self._sock_fd, self._read_ready)
        if self._loop.get_debug():
            logger.debug("%r resumes reading", self)

    def _add_reader(self, fd: int, callback: Any, *args: Any) -> None:
        """Register for reading, unless reading was paused (or the transport closed) meanwhile:
        the registration scheduled at creation finds out only when it runs."""
        if self.is_reading():
            self._loop._add_reader(fd, callback, *args)

    def _read_ready(self) -> None:
        raise NotImplementedError  # the socket is readable: each kind of transport reads

    # == Closing ===============================================================================

    def close(self) -> None:
        """Stop reading now; connection_lost(None) once what is buffered has been sent."""
        if self._closing:
            return
        self._closing = True
        self._loop._remove_reader(self._sock_fd)
        if not self._buffer:
            self._conn_lost += 1
            self._loop._remove_writer(self._sock_fd)
            self._loop.call_soon(self._call_connection_lost, None)

    def abort(self) -> None:
        """Close at once: the buffer is dropped, connection_lost(None) on the next turn."""
        self._force_close(None)

    def __del__(self, _warn: Any = warnings.warn) -> None:
        if self._sock is not None:
            _warn(f"unclosed transport {self!r}", ResourceWarning, source=self)
            self._sock.close()
            if self._server is not None:
                self._server._detach(self)

    def _fatal_error(self, exc: BaseException,
                     message: str = "Fatal error on transport") -> None:
        """Something failed: report it, then go down with `exc` as connection_lost's reason.

        An OSError (the peer reset the connection, a broken pipe) is the network's doing, not
        a bug: asyncio reports it only in debug mode, as a DEBUG log line. Anything else (a
        protocol callback that raised) goes to the loop's exception handler with `message`.
        """
        report_fatal_error(self._loop, exc, message, expected=isinstance(exc, OSError),
                           transport=self, protocol=self._protocol, who=self)
        self._force_close(exc)

    def _force_close(self, exc: BaseException | None) -> None:
        if self._conn_lost:  # connection_lost is already on its way
            return
        if self._buffer:
            self._buffer.clear()
            self._loop._remove_writer(self._sock_fd)
        if not self._closing:
            self._closing = True
            self._loop._remove_reader(self._sock_fd)
        self._conn_lost += 1
        self._loop.call_soon(self._call_connection_lost, exc)

    def _call_connection_lost(self, exc: BaseException | None) -> None:
        """The last thing that happens: tell the protocol, close the socket, forget it all
        (the protocol and the loop too: no reference cycles survive a connection)."""
        try:
            self._protocol.connection_lost(exc)
        finally:
            self._sock.close()
            self._sock = None  # type: ignore[assignment]
            self._protocol = None
            self._loop = None
            server, self._server = self._server, None
            if server is not None:
                server._detach(self)
