"""Streams: a connection as a reader and a writer you `await`, built on a transport.

What you learn here: the third and thinnest layer. `loop.sock_recv` (sockets.py) waits for
one socket; a transport and its protocol turn the socket into callbacks, `data_received`
for each chunk that arrives and `pause_writing`/`resume_writing` when the write buffer
fills and empties; streams turn those callbacks back into code that reads top to bottom:

    reader, writer = await open_connection("127.0.0.1", 8888)
    writer.write(b"hello\\n")
    await writer.drain()          # waits while the transport's write buffer is too full
    line = await reader.readline()
    writer.close()
    await writer.wait_closed()

The module reads in this order:

* `open_connection` and `start_server` (and their Unix twins) only build the objects
  below around the loop's `create_connection` and `create_server`. A server gives each
  connection a fresh reader and writer and calls `client_connected_cb(reader, writer)`
  with them; when that returns a coroutine, it runs as a task.
* `FlowControlMixin` is backpressure itself: the transport calls its `pause_writing` when
  its write buffer goes over the high-water mark, `resume_writing` when it is back under
  the low one. `drain()` returns at once while the transport is not paused, and waits
  while it is, until `resume_writing` (the peer read enough) or `connection_lost` (then
  with its error).
* `StreamReaderProtocol` is the protocol the transport calls: it forwards what arrives to
  a `StreamReader` (streamreader.py), and starts the server's callback.
* `StreamWriter` is a thin wrapper around the transport: `write` buffers in the transport
  and never waits; `drain` is the only place a writer waits for the peer; `close` flushes
  what is buffered, then closes (`wait_closed` waits for that).

Exactness notes (pinned by compat_tests/test_streamwriter.py, test_streams.py and
test_streams_load.py): the order in which a lost connection reaches the reader, then
`wait_closed()`, then a waiting `drain()`; `drain()` on a closing transport yielding once;
what 3.11 and 3.12 do differently from 3.13 with the writer a server hands out, and with a
cancelled handler (versions.py, "Streams").
"""

from __future__ import annotations

import warnings
import weakref
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from . import current, versions
from .coroutines import iscoroutine
from .errors import logger
from .protocols import Protocol
from .sleep import sleep
from .streamreader import DEFAULT_LIMIT, StreamReader

if TYPE_CHECKING:
    from .futures import Future
    from .tasks import Task

__all__ = ("StreamReader", "StreamWriter", "StreamReaderProtocol", "open_connection",
           "start_server", "open_unix_connection", "start_unix_server")

ClientConnected = Callable[[Any, "StreamWriter"], Any]  # (reader, writer)


# == Opening streams: a reader and a writer around the loop's connections ===================

async def open_connection(host: str | None = None, port: int | str | None = None, *,
                          limit: int = DEFAULT_LIMIT,
                          **kwds: Any) -> tuple[StreamReader, StreamWriter]:
    """Connect (any `loop.create_connection` argument) and return (reader, writer)."""
    loop = current.get_running_loop()
    reader = StreamReader(limit=limit, loop=loop)
    protocol = StreamReaderProtocol(reader, loop=loop)
    transport, _ = await loop.create_connection(lambda: protocol, host, port, **kwds)
    return reader, StreamWriter(transport, protocol, reader, loop)


async def start_server(client_connected_cb: ClientConnected, host: Any = None,
                       port: int | str | None = None, *, limit: int = DEFAULT_LIMIT,
                       **kwds: Any) -> Any:
    """Serve (any `loop.create_server` argument); call `client_connected_cb(reader, writer)`
    for each connection. Returns the loop's Server."""
    loop = current.get_running_loop()
    return await loop.create_server(_protocol_factory(client_connected_cb, limit, loop),
                                    host, port, **kwds)


async def open_unix_connection(path: str | None = None, *, limit: int = DEFAULT_LIMIT,
                               **kwds: Any) -> tuple[StreamReader, StreamWriter]:
    """open_connection() to a Unix domain socket."""
    loop = current.get_running_loop()
    reader = StreamReader(limit=limit, loop=loop)
    protocol = StreamReaderProtocol(reader, loop=loop)
    transport, _ = await loop.create_unix_connection(lambda: protocol, path, **kwds)
    return reader, StreamWriter(transport, protocol, reader, loop)


async def start_unix_server(client_connected_cb: ClientConnected, path: str | None = None,
                            *, limit: int = DEFAULT_LIMIT, **kwds: Any) -> Any:
    """start_server() on a Unix domain socket."""
    loop = current.get_running_loop()
    return await loop.create_unix_server(_protocol_factory(client_connected_cb, limit, loop),
                                         path, **kwds)


def _protocol_factory(client_connected_cb: ClientConnected, limit: int,
                      loop: Any) -> Callable[[], StreamReaderProtocol]:
    """A fresh reader and protocol for each connection the server accepts."""
    def factory() -> StreamReaderProtocol:
        reader = StreamReader(limit=limit, loop=loop)
        return StreamReaderProtocol(reader, client_connected_cb, loop=loop)
    return factory


# == Backpressure: drain() waits while the transport is paused ==============================

class FlowControlMixin(Protocol):
    """The protocol side of drain(): pause_writing, resume_writing and connection_lost.

    The transport calls pause_writing() when its write buffer goes above the high-water
    mark and resume_writing() when it is back under the low one; `_drain_helper` waits in
    between. A subclass that overrides these three must call them.
    """

    def __init__(self, loop: Any = None) -> None:
        self._loop = current.get_event_loop() if loop is None else loop
        self._paused = False               # the transport's write buffer is over its mark
        self._drain_waiters: deque[Future[None]] = deque()  # drain() calls waiting for it
        self._connection_lost = False      # connection_lost() was called

    def pause_writing(self) -> None:
        assert not self._paused
        self._paused = True
        if self._loop.get_debug():
            logger.debug("%r pauses writing", self)

    def resume_writing(self) -> None:
        assert self._paused
        self._paused = False
        if self._loop.get_debug():
            logger.debug("%r resumes writing", self)
        for waiter in self._drain_waiters:
            if not waiter.done():
                waiter.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self._connection_lost = True
        # Only a paused writer has drain() calls waiting; they learn how the connection
        # ended. (An unpaused one finds out at its next drain(), below.)
        if not self._paused:
            return
        for waiter in self._drain_waiters:
            if not waiter.done():
                if exc is None:
                    waiter.set_result(None)
                else:
                    waiter.set_exception(exc)

    async def _drain_helper(self) -> None:
        if self._connection_lost:
            raise ConnectionResetError("Connection lost")
        if not self._paused:
            return  # the common case: the transport still takes more, nothing to wait for
        waiter = self._loop.create_future()
        self._drain_waiters.append(waiter)
        try:
            await waiter
        finally:
            self._drain_waiters.remove(waiter)

    def _get_close_waiter(self, stream: StreamWriter) -> Future[None]:
        raise NotImplementedError


# == The protocol: transport callbacks in, StreamReader calls out ===========================

class StreamReaderProtocol(FlowControlMixin, Protocol):
    """What the transport calls: feeds its StreamReader, and starts the server's callback.

    Discussion: who keeps the reader alive. The protocol holds its reader through a weak
    reference, as asyncio does: the transport (and so the loop) holds the protocol for as
    long as the connection is open, and a program that dropped its reader and writer
    should not have the connection's data pile up in a buffer nobody reads. On a server
    the reader has no owner until `client_connected_cb` receives it, so until
    connection_made the protocol also holds it strongly.
    """

    def __init__(self, stream_reader: StreamReader | None,
                 client_connected_cb: ClientConnected | None = None, loop: Any = None) -> None:
        super().__init__(loop=loop)
        self._stream_reader_wr = None if stream_reader is None else weakref.ref(stream_reader)
        # The reader until connection_made hands it to client_connected_cb (see above).
        self._strong_reader = stream_reader if client_connected_cb is not None else None
        self._client_connected_cb = client_connected_cb
        self._task: Task[Any] | None = None  # client_connected_cb's task, when a coroutine
        self._transport: Any = None
        # 3.11 and 3.12 also keep the writer given to client_connected_cb until the
        # connection is lost (versions.PROTOCOL_DROPS_SERVER_WRITER).
        self._stream_writer: StreamWriter | None = None
        self._closed = self._loop.create_future()  # done at connection_lost: wait_closed()

    @property
    def _stream_reader(self) -> StreamReader | None:
        return None if self._stream_reader_wr is None else self._stream_reader_wr()

    def connection_made(self, transport: Any) -> None:
        self._transport = transport
        reader = self._stream_reader
        if reader is not None:
            reader.set_transport(transport)
        if self._client_connected_cb is None:
            return
        writer = StreamWriter(transport, self, reader, self._loop)
        if not versions.PROTOCOL_DROPS_SERVER_WRITER:
            self._stream_writer = writer
        result = self._client_connected_cb(reader, writer)
        if iscoroutine(result):
            # The task has no awaiter: its done-callback reports a failure, and closes the
            # connection. (Defined here, so that its name in the loop's report of a failing
            # callback is asyncio's: StreamReaderProtocol.connection_made.<locals>.callback.)
            def callback(task: Task[Any]) -> None:
                if versions.CANCELLED_CLIENT_TASK_CLOSES and task.cancelled():
                    transport.close()
                    return
                # Before 3.13 a cancelled task makes task.exception() raise CancelledError
                # here, and the loop reports the failing callback.
                exc = task.exception()
                if exc is not None:
                    self._loop.call_exception_handler({
                        "message": "Unhandled exception in client_connected_cb",
                        "exception": exc,
                        "transport": transport,
                    })
                    transport.close()

            self._task = self._loop.create_task(result)
            self._task.add_done_callback(callback)
        self._strong_reader = None

    def data_received(self, data: bytes) -> None:
        reader = self._stream_reader
        if reader is not None:
            reader.feed_data(data)

    def eof_received(self) -> bool:
        reader = self._stream_reader
        if reader is not None:
            reader.feed_eof()
        # True keeps the transport open after the peer's EOF: we may still write (a
        # half-closed connection), and close() is the writer's to call. Not over TLS,
        # which has no half-close (and warns when asked for one), as in asyncio
        # (test_a_stream_over_tls_does_not_ask_for_a_half_close).
        return self._transport.get_extra_info("sslcontext") is None

    def connection_lost(self, exc: Exception | None) -> None:
        # In this order: readers see EOF or the error, then wait_closed() returns or
        # raises, then drain() calls waiting on a paused transport wake up.
        reader = self._stream_reader
        if reader is not None:
            if exc is None:
                reader.feed_eof()
            else:
                reader.set_exception(exc)
        if not self._closed.done():
            if exc is None:
                self._closed.set_result(None)
            else:
                self._closed.set_exception(exc)
                # Calling wait_closed() is optional: an error nobody awaits is not one
                # to report as "never retrieved" (wait_closed() still raises it).
                self._closed.exception()
        super().connection_lost(exc)
        self._stream_reader_wr = None
        self._stream_writer = None
        self._task = None
        self._transport = None

    def _get_close_waiter(self, stream: StreamWriter) -> Future[None]:
        return self._closed


# == The writer: the transport, plus drain() and wait_closed() ==============================

class StreamWriter:
    """Write side of a connection: write() buffers at once, drain() waits for the peer."""

    def __init__(self, transport: Any, protocol: Any, reader: StreamReader | None,
                 loop: Any) -> None:
        # drain() asks the reader whether the connection failed.
        assert reader is None or isinstance(reader, StreamReader)
        self._transport = transport
        self._protocol = protocol
        self._reader = reader
        self._loop = loop

    def __repr__(self) -> str:
        info = [type(self).__name__, f"transport={self._transport!r}"]
        if self._reader is not None:
            info.append(f"reader={self._reader!r}")
        return f"<{' '.join(info)}>"

    @property
    def transport(self) -> Any:
        return self._transport

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._transport.write(data)

    def writelines(self, data: Iterable[bytes | bytearray | memoryview]) -> None:
        self._transport.writelines(data)

    def write_eof(self) -> None:
        return self._transport.write_eof()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def close(self) -> None:
        """Close once what is buffered has been sent (the transport flushes it first)."""
        return self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    async def wait_closed(self) -> None:
        """Wait until the connection is lost; raise its error if it failed."""
        await self._protocol._get_close_waiter(self)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    async def drain(self) -> None:
        """Wait until the transport wants more: return at once unless it is paused.

        Raises the connection's error if it failed (the reader knows it), and
        ConnectionResetError once it is lost.
        """
        if self._reader is not None:
            exc = self._reader.exception()
            if exc is not None:
                raise exc
        if self._transport.is_closing():
            # Discussion: a closing transport has not called connection_lost() yet. One
            # turn lets it (and its error) arrive, so that `write(); await drain()` in a
            # loop finds out the connection is gone instead of spinning on a closing
            # transport that never pauses.
            await sleep(0)
        await self._protocol._drain_helper()

    async def start_tls(self, sslcontext: Any, *, server_hostname: str | None = None,
                        ssl_handshake_timeout: float | None = None,
                        **kwds: Any) -> None:
        """Upgrade this connection to TLS in place (tls.py): the writer and its protocol
        carry on over the TLS transport. (`ssl_shutdown_timeout` is new in 3.12.)"""
        unexpected = [name for name in kwds if name != "ssl_shutdown_timeout"
                      or not versions.STREAM_START_TLS_SHUTDOWN_TIMEOUT]
        if unexpected:
            raise TypeError("StreamWriter.start_tls() got an unexpected keyword argument "
                            f"{unexpected[0]!r}")
        await self.drain()
        server_side = self._protocol._client_connected_cb is not None
        self._transport = await self._loop.start_tls(
            self._transport, self._protocol, sslcontext, server_side=server_side,
            server_hostname=server_hostname, ssl_handshake_timeout=ssl_handshake_timeout,
            **kwds)
        self._protocol._transport = self._transport

    def __del__(self, warnings: Any = warnings) -> None:
        # A writer collected while its connection is open closes it, and says so.
        # (`warnings` is bound early: at interpreter exit the module may be gone.)
        if not self._transport.is_closing():
            if self._loop.is_closed():
                warnings.warn("loop is closed", ResourceWarning)
            else:
                self.close()
                warnings.warn(f"unclosed {self!r}", ResourceWarning)

