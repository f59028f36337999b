"""The socket transport: a connected stream socket, its protocol and a write buffer.

What you learn here: how `sock_recv` (sockets.py) becomes a transport. The I/O is the same
try-then-wait, turned inside out: instead of a coroutine that waits for one read, the
transport stays registered with the poller for as long as it reads, and each time the
socket is readable it receives what is there and hands it to `protocol.data_received`.
Writes try `send()` at once; what the kernel does not take goes into a buffer, and the
transport registers as a writer until the buffer is empty (FlowControl, in transports.py,
tells the protocol when the buffer is too full).

The life of a connection, in asyncio's order (compat_tests/test_transports.py pins it):

1. The transport is created. It schedules, with `call_soon`, in this order:
   `protocol.connection_made(transport)`, then the read registration (so no data can
   arrive before `connection_made`), then the wake-up of whoever waits for the connection
   (`create_connection`'s caller, the server's accept task).
2. `data_received(data)` (or `get_buffer`/`buffer_updated`) for each chunk that arrives.
3. The peer shuts down its side: `eof_received()`. If it returns a true value the
   transport stays open for writing (a half-close); otherwise the transport closes itself.
4. `close()`: stop reading at once, keep writing until the buffer is empty, then, on a
   later turn, `connection_lost(None)` and the socket is closed. `abort()` drops the buffer
   and gets to the same place without waiting. An error (the peer reset, a protocol
   callback raised) does the same with the error: `connection_lost(exc)`.

Closing, reading on and off, and fatal errors are shared with the datagram transport:
selectortransport.py. This module is the stream: reading, writing, write_eof.
"""

from __future__ import annotations

import itertools
import os
import socket
from typing import Any

from . import versions
from .errors import logger
from .protocols import BufferedProtocol
from .selectortransport import (
    CONNLOST_WRITES_BEFORE_WARNING,
    SelectorTransport,
    set_result_unless_cancelled,
)

__all__ = ("SocketTransport",)

# sendmsg() takes a list of buffers, at most the system's IOV_MAX of them per call.
try:
    IOV_MAX = os.sysconf("SC_IOV_MAX")
except (AttributeError, OSError, ValueError):
    IOV_MAX = 0  # no sendmsg: send one buffer at a time


def set_nodelay(sock: socket.socket) -> None:
    """Turn off Nagle's algorithm for TCP, as asyncio does: small writes go out at once.
    Only for sockets whose proto says TCP (those made from getaddrinfo), as in asyncio."""
    if (sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM
            and sock.proto == socket.IPPROTO_TCP):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class SocketTransport(SelectorTransport):
    """A stream transport over a connected TCP or Unix socket."""

    _sendfile_native_ok = True  # loop.sendfile may use os.sendfile (transportsendfile.py)

    def __init__(self, loop: Any, sock: socket.socket, protocol: Any, waiter: Any = None,
                 extra: dict[str, Any] | None = None, server: Any = None) -> None:
        super().__init__(loop, sock, protocol, extra, server)
        self._eof = False          # write_eof() was called (shut down once flushed)
        self._empty_waiter: Any = None  # loop.sendfile waits on it for the buffer to empty
        set_nodelay(sock)
        # Step 1 of the module docstring: three callbacks, in this order.
        loop.call_soon(self._protocol.connection_made, self)
        loop.call_soon(self._add_reader, self._sock_fd, self._read_ready)
        if waiter is not None:
            loop.call_soon(set_result_unless_cancelled, waiter, None)

    # == Reading ===============================================================================

    def _read_ready(self) -> None:
        """The socket is readable: receive, and hand the data to the protocol."""
        if self._conn_lost:
            return
        if isinstance(self._protocol, BufferedProtocol):
            self._read_into_protocol_buffer()
            return
        try:
            data = self._sock.recv(self.max_size)
        except (BlockingIOError, InterruptedError):
            return
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(exc, "Fatal read error on socket transport")
            return
        if not data:
            self._read_eof()
            return
        try:
            self._protocol.data_received(data)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(exc, "Fatal error: protocol.data_received() call failed.")

    def _read_into_protocol_buffer(self) -> None:
        """BufferedProtocol: receive straight into the buffer the protocol lends us."""
        try:
            buf = self._protocol.get_buffer(-1)
            if not len(buf):
                raise RuntimeError("get_buffer() returned an empty buffer")
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(exc, "Fatal error: protocol.get_buffer() call failed.")
            return
        try:
            nbytes = self._sock.recv_into(buf)
        except (BlockingIOError, InterruptedError):
            return
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(exc, "Fatal read error on socket transport")
            return
        if not nbytes:
            self._read_eof()
            return
        try:
            self._protocol.buffer_updated(nbytes)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(exc, "Fatal error: protocol.buffer_updated() call failed.")

    def _read_eof(self) -> None:
        """recv() returned b"": the peer shut down its side. Ask the protocol whether we stay
        open (a half-close: we can still write, there is just nothing more to read)."""
        if self._loop.get_debug():
            logger.debug("%r received EOF", self)
        try:
            keep_open = self._protocol.eof_received()
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(exc, "Fatal error: protocol.eof_received() call failed.")
            return
        if keep_open:
            self._loop._remove_reader(self._sock_fd)
        else:
            self.close()

    # == Writing ===============================================================================

    def write(self, data: Any) -> None:
        """Send `data` now if the kernel takes it; buffer the rest and wait to be writable.

        Discussion: try, then wait, as sock_sendall does, but without a coroutine. With an
        empty buffer we call send() at once (usually everything goes, and nothing else
        happens). What is left is copied into the buffer (it is ours now: the caller may
        reuse its bytearray), and the transport registers as a writer; `_write_ready` sends
        from the buffer each time the socket is writable. Writes made meanwhile only join
        the buffer, behind what is already there, so the order is always the order of the
        calls.
        """
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data argument must be a bytes-like object, "
                            f"not {type(data).__name__!r}")
        if self._eof:
            raise RuntimeError("Cannot call write() after write_eof()")
        if self._empty_waiter is not None:
            raise RuntimeError("unable to write; sendfile is in progress")
        if not data:
            return
        if self._conn_lost:
            # The connection is gone: the data is dropped. asyncio stays quiet about the first
            # few such writes and logs a warning for each one after that.
            if self._conn_lost >= CONNLOST_WRITES_BEFORE_WARNING:
                logger.warning("socket.send() raised exception.")
            self._conn_lost += 1
            return
        if not self._buffer:
            try:
                sent = self._sock.send(data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                self._fatal_error(exc, "Fatal write error on socket transport")
                return
            if sent == len(data):
                return
            data = memoryview(data)[sent:]
            self._loop._add_writer(self._sock_fd, self._write_ready)
        self._buffer.append(bytes(data))
        self._maybe_pause_protocol()

    def writelines(self, list_of_data: Any) -> None:
        """Write several chunks. 3.12+ buffers them all and sends at once with one sendmsg()
        (and, as asyncio does, without checking the high-water mark); 3.11 joins them into
        one write(). (test_writelines_does_not_pause_the_protocol)"""
        if not versions.WRITELINES_SENDS_AT_ONCE:
            super().writelines(list_of_data)
            return
        if self._eof:
            raise RuntimeError("Cannot call writelines() after write_eof()")
        if self._empty_waiter is not None:
            raise RuntimeError("unable to writelines; sendfile is in progress")
        if not list_of_data:
            return
        if self._conn_lost:  # asyncio would register a writer on a closed fd: drop instead
            self._conn_lost += 1
            return
        # All checked before any is buffered, each with memoryview()'s own TypeError, as in
        # asyncio (bytes() of an int would make zeros; of a str, fail half-way through).
        self._buffer.extend([bytes(memoryview(data)) for data in list_of_data])
        self._write_ready()
        if self._buffer:
            self._loop._add_writer(self._sock_fd, self._write_ready)

    def _write_ready(self) -> None:
        """The socket is writable: send from the buffer; once it is empty, unregister and
        finish what was waiting for that (a close, a write_eof, a sendfile)."""
        if self._conn_lost:
            return
        try:
            self._send_from_buffer()
        except (BlockingIOError, InterruptedError):
            pass
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._loop._remove_writer(self._sock_fd)
            self._buffer.clear()
            self._fatal_error(exc, "Fatal write error on socket transport")
            if self._empty_waiter is not None:
                self._empty_waiter.set_exception(exc)
        else:
            self._maybe_resume_protocol()  # the protocol may write more, right here
            if not self._buffer:
                self._loop._remove_writer(self._sock_fd)
                if self._empty_waiter is not None:
                    self._empty_waiter.set_result(None)
                if self._closing:
                    self._call_connection_lost(None)
                elif self._eof:
                    self._sock.shutdown(socket.SHUT_WR)

    def _send_from_buffer(self) -> None:
        """One system call: as many buffered chunks as sendmsg() takes (or the first one, with
        plain send()); the chunk it stopped in is cut where it stopped."""
        buffer = self._buffer
        sock = self._sock
        if IOV_MAX:
            sent = sock.sendmsg(itertools.islice(buffer, IOV_MAX))
        else:
            sent = sock.send(buffer[0])
        while sent:
            chunk = buffer.popleft()
            if len(chunk) > sent:
                buffer.appendleft(chunk[sent:])
                break
            sent -= len(chunk)

    def write_eof(self) -> None:
        """Half-close our side: shut down writing once the buffer is flushed. Calling it
        again, or on a closing transport, does nothing."""
        if self._closing or self._eof:
            return
        self._eof = True
        if not self._buffer:
            self._sock.shutdown(socket.SHUT_WR)

    def can_write_eof(self) -> bool:
        return True

    # == Closing ===============================================================================

    def _call_connection_lost(self, exc: BaseException | None) -> None:
        super()._call_connection_lost(exc)
        if self._empty_waiter is not None:
            self._empty_waiter.set_exception(ConnectionError("Connection is closed by peer"))

    # == What loop.sendfile needs (sendfile.py) ================================================

    def _make_empty_waiter(self) -> Any:
        """A future done when the write buffer is empty; writes are refused until then."""
        if self._empty_waiter is not None:
            raise RuntimeError("Empty waiter is already set")
        self._empty_waiter = self._loop.create_future()
        if not self._buffer:
            self._empty_waiter.set_result(None)
        return self._empty_waiter

    def _reset_empty_waiter(self) -> None:
        self._empty_waiter = None
