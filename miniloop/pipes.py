"""Pipes: connect_read_pipe and connect_write_pipe, transports over a file descriptor.

What you learn here: a transport does not need a socket. Anything the poller can watch (a
pipe, a FIFO, a character device such as a terminal, one end of a socket pair) can carry a
protocol: the same try-then-wait I/O, with `os.read` and `os.write` instead of `recv` and
`send`. A pipe goes one way, so there are two transports:

* `ReadPipeTransport`: readable events become `data_received`; when the writer closes its
  end, `os.read` returns b"" and the transport schedules `eof_received()` then
  `connection_lost(None)` (a pipe cannot be half-closed: eof_received's answer is
  ignored, as in asyncio).
* `WritePipeTransport`: the same buffered writes and water marks as the socket transport
  (FlowControl, transports.py). Closing a write pipe is `write_eof()`: flush, then close.
  It also *reads*: when the reading end goes away, the poller reports our end ready (an
  error condition, which selectors reports as readable), and that is how the transport
  learns that the peer is gone, with `BrokenPipeError` if data was still waiting.

The file object you pass in (`pipe`) is kept and closed by the transport, and given back by
`get_extra_info("pipe")`. Its fd is switched to non-blocking mode.

`PipeMixin` holds the two loop methods; `EventLoop` inherits them.
"""

from __future__ import annotations

import errno
import os
import selectors
import stat
import sys
import warnings
from typing import TYPE_CHECKING, Any

from .errors import logger
from .selectortransport import (
    CONNLOST_WRITES_BEFORE_WARNING,
    report_fatal_error,
    set_result_unless_cancelled,
)
from .transports import FlowControl, ReadTransport

if TYPE_CHECKING:
    from collections.abc import Callable

    from .futures import Future

__all__ = ("PipeMixin", "ReadPipeTransport", "WritePipeTransport")


def _describe(transport: Any, event: int, *more: str) -> str:
    """A pipe transport's repr, in asyncio's words: closed or closing if so, its fd, then
    whether the loop polls the fd for `event` ("open" instead once the loop is closed, and
    "closed" again for a closed pipe, as in asyncio)."""
    info = [type(transport).__name__]
    if transport._pipe is None:
        info.append("closed")
    elif transport._closing:
        info.append("closing")
    info.append(f"fd={transport._fileno}")
    if transport._pipe is not None and not transport._loop.is_closed():
        polling = transport._loop._is_watching(transport._fileno, event)
        info += ["polling" if polling else "idle", *more]
    else:
        info.append("open" if transport._pipe is not None else "closed")
    return f"<{' '.join(info)}>"


class ReadPipeTransport(ReadTransport):
    """The reading end of a pipe (or a FIFO, a socket, a character device)."""

    max_size = 256 * 1024  # the most one os.read() asks for

    _pipe: Any = None  # so that __del__ works even if __init__ failed

    def __init__(self, loop: Any, pipe: Any, protocol: Any, waiter: Any = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(extra)
        self._extra["pipe"] = pipe
        self._loop = loop
        self._fileno = pipe.fileno()
        mode = os.fstat(self._fileno).st_mode
        if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode)):
            raise ValueError("Pipe transport is for pipes/sockets only.")
        self._pipe = pipe
        self._protocol = protocol
        self._closing = False
        self._paused = False
        os.set_blocking(self._fileno, False)
        # The order every transport follows (sockettransport.py): connection_made, then the
        # read registration, then the waiter.
        loop.call_soon(self._protocol.connection_made, self)
        loop.call_soon(self._add_reader, self._fileno, self._read_ready)
        if waiter is not None:
            loop.call_soon(set_result_unless_cancelled, waiter, None)

    def __repr__(self) -> str:
        return _describe(self, selectors.EVENT_READ)

    def _add_reader(self, fd: int, callback: Any) -> None:
        if self.is_reading():
            self._loop._add_reader(fd, callback)

    def _read_ready(self) -> None:
        try:
            data = os.read(self._fileno, self.max_size)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._fatal_error(exc, "Fatal read error on pipe transport")
            return
        if data:
            self._protocol.data_received(data)
            return
        # The writer closed its end: that is the end of this pipe.
        if self._loop.get_debug():
            logger.info("%r was closed by peer", self)
        self._closing = True
        self._loop._remove_reader(self._fileno)
        self._loop.call_soon(self._protocol.eof_received)
        self._loop.call_soon(self._call_connection_lost, None)

    def is_reading(self) -> bool:
        return not self._paused and not self._closing

    def pause_reading(self) -> None:
        if not self.is_reading():
            return
        self._paused = True
        self._loop._remove_reader(self._fileno)
        if self._loop.get_debug():
            logger.debug("%r pauses reading", self)

    def resume_reading(self) -> None:
        if self._closing or not self._paused:
            return
        self._paused = False
        self._loop._add_reader(self._fileno, self._read_ready)
        if self._loop.get_debug():
            logger.debug("%r resumes reading", self)

    def set_protocol(self, protocol: Any) -> None:
        self._protocol = protocol

    def get_protocol(self) -> Any:
        return self._protocol

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if not self._closing:
            self._close(None)

    def __del__(self, _warn: Any = warnings.warn) -> None:
        if self._pipe is not None:
            _warn(f"unclosed transport {self!r}", ResourceWarning, source=self)
            self._pipe.close()

    def _fatal_error(self, exc: BaseException,
                     message: str = "Fatal error on pipe transport") -> None:
        """EIO (the other side of a terminal went away) is expected: a DEBUG line in debug
        mode. Anything else goes to the exception handler, as asyncio does for pipes."""
        report_fatal_error(self._loop, exc, message,
                           expected=isinstance(exc, OSError) and exc.errno == errno.EIO,
                           transport=self, protocol=self._protocol, who=self)
        self._close(exc)

    def _close(self, exc: BaseException | None) -> None:
        self._closing = True
        self._loop._remove_reader(self._fileno)
        self._loop.call_soon(self._call_connection_lost, exc)

    def _call_connection_lost(self, exc: BaseException | None) -> None:
        try:
            self._protocol.connection_lost(exc)
        finally:
            self._pipe.close()
            self._pipe = None
            self._protocol = None
            self._loop = None


class WritePipeTransport(FlowControl):
    """The writing end of a pipe (or a FIFO, a socket, a character device)."""

    _pipe: Any = None  # so that __del__ works even if __init__ failed

    def __init__(self, loop: Any, pipe: Any, protocol: Any, waiter: Any = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(extra, loop)
        self._extra["pipe"] = pipe
        self._fileno = pipe.fileno()
        self._protocol = protocol
        self._buffer = bytearray()   # what waits to be written
        self._conn_lost = 0          # >0: connection_lost is scheduled (then: writes since)
        self._closing = False        # close() or write_eof() was called
        mode = os.fstat(self._fileno).st_mode
        is_socket = stat.S_ISSOCK(mode)
        is_fifo = stat.S_ISFIFO(mode)
        if not (stat.S_ISCHR(mode) or is_fifo or is_socket):
            raise ValueError("Pipe transport is only for pipes, sockets and character devices")
        self._pipe = pipe
        os.set_blocking(self._fileno, False)
        loop.call_soon(self._protocol.connection_made, self)
        # Watching our end for "readable" tells us when the reader goes away (not on AIX,
        # where it only works for sockets, as asyncio notes).
        if is_socket or (is_fifo and not sys.platform.startswith("aix")):
            loop.call_soon(loop._add_reader, self._fileno, self._read_ready)
        if waiter is not None:
            loop.call_soon(set_result_unless_cancelled, waiter, None)

    def __repr__(self) -> str:
        return _describe(self, selectors.EVENT_WRITE, f"bufsize={self.get_write_buffer_size()}")

    def get_write_buffer_size(self) -> int:
        return len(self._buffer)

    def _read_ready(self) -> None:
        """Our end of the pipe is "readable": the reader closed its end."""
        if self._loop.get_debug():
            logger.info("%r was closed by peer", self)
        self._close(BrokenPipeError() if self._buffer else None)

    def write(self, data: Any) -> None:
        """As the socket transport's write (try, then buffer and wait), with os.write. A
        wrong type fails an assert here, as in asyncio (not a TypeError)."""
        assert isinstance(data, (bytes, bytearray, memoryview)), repr(data)
        if not data:
            return
        if self._conn_lost or self._closing:
            if self._conn_lost >= CONNLOST_WRITES_BEFORE_WARNING:
                logger.warning("pipe closed by peer or os.write(pipe, data) raised exception.")
            self._conn_lost += 1
            return
        if not self._buffer:
            try:
                written = os.write(self._fileno, data)
            except (BlockingIOError, InterruptedError):
                written = 0
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                self._conn_lost += 1
                self._fatal_error(exc, "Fatal write error on pipe transport")
                return
            if written == len(data):
                return
            data = memoryview(data)[written:]
            self._loop._add_writer(self._fileno, self._write_ready)
        self._buffer += data
        self._maybe_pause_protocol()

    def _write_ready(self) -> None:
        try:
            written = os.write(self._fileno, self._buffer)
        except (BlockingIOError, InterruptedError):
            return
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._buffer.clear()
            self._conn_lost += 1
            self._loop._remove_writer(self._fileno)
            self._fatal_error(exc, "Fatal write error on pipe transport")
            return
        if written < len(self._buffer):
            del self._buffer[:written]
            return
        self._buffer.clear()
        self._loop._remove_writer(self._fileno)
        self._maybe_resume_protocol()  # the protocol may write more, right here
        if self._closing:
            self._loop._remove_reader(self._fileno)
            self._call_connection_lost(None)

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        """Close once the buffer is flushed: for a pipe, the end of writing is the end."""
        if self._closing:
            return
        assert self._pipe
        self._closing = True
        if not self._buffer:
            self._loop._remove_reader(self._fileno)
            self._loop.call_soon(self._call_connection_lost, None)

    def set_protocol(self, protocol: Any) -> None:
        self._protocol = protocol

    def get_protocol(self) -> Any:
        return self._protocol

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if self._pipe is not None and not self._closing:
            self.write_eof()

    def __del__(self, _warn: Any = warnings.warn) -> None:
        if self._pipe is not None:
            _warn(f"unclosed transport {self!r}", ResourceWarning, source=self)
            self._pipe.close()

    def abort(self) -> None:
        self._close(None)

    def _fatal_error(self, exc: BaseException,
                     message: str = "Fatal error on pipe transport") -> None:
        report_fatal_error(self._loop, exc, message, expected=isinstance(exc, OSError),
                           transport=self, protocol=self._protocol, who=self)
        self._close(exc)

    def _close(self, exc: BaseException | None = None) -> None:
        self._closing = True
        if self._buffer:
            self._loop._remove_writer(self._fileno)
        self._buffer.clear()
        self._loop._remove_reader(self._fileno)
        self._loop.call_soon(self._call_connection_lost, exc)

    def _call_connection_lost(self, exc: BaseException | None) -> None:
        try:
            self._protocol.connection_lost(exc)
        finally:
            self._pipe.close()
            self._pipe = None
            self._protocol = None
            self._loop = None


class PipeMixin:
    """loop.connect_read_pipe() and loop.connect_write_pipe()."""

    if TYPE_CHECKING:  # what we use of EventLoop, for the type checker
        _debug: bool
        def create_future(self) -> Future[Any]: ...

    async def connect_read_pipe(self, protocol_factory: Callable[[], Any],
                                pipe: Any) -> tuple[Any, Any]:
        """Read from `pipe` (a file object) through a transport: (transport, protocol)."""
        return await self._connect_pipe(ReadPipeTransport, "Read", protocol_factory, pipe)

    async def connect_write_pipe(self, protocol_factory: Callable[[], Any],
                                 pipe: Any) -> tuple[Any, Any]:
        """Write to `pipe` (a file object) through a transport: (transport, protocol)."""
        return await self._connect_pipe(WritePipeTransport, "Write", protocol_factory, pipe)

    async def _connect_pipe(self, transport_class: Any, kind: str,
                            protocol_factory: Callable[[], Any], pipe: Any) -> tuple[Any, Any]:
        """Both directions alike: the transport calls connection_made, then wakes `waiter`."""
        protocol = protocol_factory()
        waiter = self.create_future()
        transport = transport_class(self, pipe, protocol, waiter)
        try:
            await waiter
        except BaseException:
            transport.close()
            raise
        if self._debug:
            logger.debug("%s pipe %r connected: (%r, %r)", kind, pipe.fileno(), transport,
                         protocol)
        return transport, protocol
