"""TLS as a protocol layered on a memory BIO: what you learn here is that encryption is just
one more protocol between the socket transport and yours.

`ssl.SSLObject` does the TLS arithmetic without touching a socket: bytes that arrived from
the network go into an incoming `ssl.MemoryBIO`, bytes TLS wants to send come out of an
outgoing one. `TLSProtocol` sits on the socket transport as its protocol: `data_received`
feeds the incoming BIO, then the handshake (or `read()`) runs, and whatever the outgoing BIO
holds is written to the socket. Your protocol sees `TLSTransport`, whose `write()` encrypts
through the same SSLObject. Your `connection_made` runs only once the handshake completes,
as in asyncio.
"""

from __future__ import annotations

import ssl
from typing import Any

from . import transports
from .sockettransport import SocketTransport

__all__ = ("TLSMixin", "TLSProtocol", "TLSTransport")

READ_SIZE = 256 * 1024  # how much plaintext one SSLObject.read() call may return


class TLSTransport(transports.Transport):
    """What your protocol holds: writes are encrypted, close() sends close_notify."""

    def __init__(self, tls: TLSProtocol) -> None:
        super().__init__()
        self._tls = tls
        self._closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._tls._get_extra_info(name, default)

    def set_protocol(self, protocol: Any) -> None:
        self._tls._app_protocol = protocol

    def get_protocol(self) -> Any:
        return self._tls._app_protocol

    def is_closing(self) -> bool:
        return self._closed

    def close(self) -> None:
        if not self._closed:
            self._tls._start_shutdown()

    def abort(self) -> None:
        self._closed = True
        self._tls._abort(None)

    def write(self, data: Any) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data: expecting a bytes-like instance, got {type(data).__name__}")
        if data:
            self._tls._write_app(bytes(data))

    def can_write_eof(self) -> bool:
        return False

    def is_reading(self) -> bool:
        return self._tls._transport is not None and self._tls._transport.is_reading()

    def pause_reading(self) -> None:
        self._tls._transport.pause_reading()

    def resume_reading(self) -> None:
        self._tls._transport.resume_reading()

    def get_write_buffer_size(self) -> int:
        return self._tls._transport.get_write_buffer_size() if self._tls._transport else 0

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._tls._transport.set_write_buffer_limits(high, low)


class TLSProtocol:
    """The socket transport's protocol: runs the TLS state machine over two memory BIOs.

    States: "handshake" until do_handshake() succeeds, "wrapped" while app data flows,
    "shutdown" once close_notify has been sent, "closed" at the end."""

    def __init__(self, loop: Any, app_protocol: Any, sslcontext: ssl.SSLContext,
                 waiter: Any, server_side: bool = False, server_hostname: str | None = None,
                 ssl_handshake_timeout: float | None = None,
                 ssl_shutdown_timeout: float | None = None) -> None:
        for name, value in (("ssl_handshake_timeout", ssl_handshake_timeout),
                            ("ssl_shutdown_timeout", ssl_shutdown_timeout)):
            if value is not None and value <= 0:
                raise ValueError(f"{name} should be a positive number, got {value}")
        self._loop = loop
        self._app_protocol = app_protocol
        self._waiter = waiter
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        # An empty server_hostname means no name at all (no SNI, nothing to check), as in
        # asyncio; the ssl module itself refuses "".
        self._sslobj = sslcontext.wrap_bio(self._incoming, self._outgoing,
                                           server_side=server_side,
                                           server_hostname=server_hostname or None)
        self._sslcontext = sslcontext
        self._handshake_timeout = 60.0 if ssl_handshake_timeout is None else ssl_handshake_timeout
        self._shutdown_timeout = 30.0 if ssl_shutdown_timeout is None else ssl_shutdown_timeout
        self._state = "unwrapped"
        self._transport: Any = None
        self._app_transport = TLSTransport(self)
        self._timer: Any = None
        self._app_state = "none"     # "made" (connection_made called), "eof", "lost"
        self._tcp_eof = False        # the peer closed its side of TCP
        self._pending: list[bytes] = []  # app writes made before the handshake finished

    # -- the socket transport's side --------------------------------------------------

    def connection_made(self, transport: Any) -> None:
        self._transport = transport
        self._state = "handshake"
        self._timer = self._loop.call_later(self._handshake_timeout, self._handshake_timed_out)
        self._step_handshake()

    def data_received(self, data: bytes) -> None:
        self._incoming.write(data)
        if self._state == "handshake":
            self._step_handshake()
        elif self._state == "wrapped":
            self._read_app()
        elif self._state == "shutdown":
            self._do_shutdown()

    def eof_received(self) -> None:
        # Discussion: the peer closed its side of TCP. During the handshake that is a bare
        # ConnectionResetError() for the caller, as in asyncio. Afterwards it ends TLS as a
        # close_notify would, except that nothing more can be read to finish unwrap().
        self._tcp_eof = True
        if self._state == "handshake":
            self._fail(ConnectionResetError())
        elif self._state == "wrapped":
            self._start_shutdown()
        elif self._state == "shutdown":
            self._do_shutdown()

    def connection_lost(self, exc: BaseException | None) -> None:
        was = self._state
        self._state = "closed"
        self._app_transport._closed = True
        self._cancel_timer()
        if was == "handshake":
            self._fail(exc or ConnectionResetError())
        elif self._app_state in ("made", "eof"):
            self._app_state = "lost"
            self._loop.call_soon(self._app_protocol.connection_lost, exc)
        self._transport = None

    def pause_writing(self) -> None:
        self._app_protocol.pause_writing()

    def resume_writing(self) -> None:
        self._app_protocol.resume_writing()

    # -- the TLS state machine --------------------------------------------------------

    def _step_handshake(self) -> None:
        try:
            self._sslobj.do_handshake()
        except ssl.SSLWantReadError:
            self._flush()
            return
        except Exception as exc:
            self._flush()
            self._fail(exc)
            return
        self._flush()
        self._cancel_timer()
        self._state = "wrapped"
        # asyncio calls connection_made synchronously, then releases the waiter.
        if self._app_state == "none":
            self._app_state = "made"
            self._app_protocol.connection_made(self._app_transport)
        if not self._waiter.done():
            self._waiter.set_result(None)
        for data in self._pending:
            self._write_app(data)
        self._pending.clear()
        self._read_app()

    def _handshake_timed_out(self) -> None:
        self._timer = None
        self._fail(ConnectionAbortedError(
            f"SSL handshake is taking longer than {self._handshake_timeout} seconds: "
            f"aborting the connection"))

    def _fail(self, exc: BaseException) -> None:
        """The handshake failed: the caller's waiter gets the error, the socket closes."""
        self._cancel_timer()
        self._state = "closed"
        if not self._waiter.done():
            self._waiter.set_exception(exc)
        if self._transport is not None:
            self._transport.abort()

    def _read_app(self) -> None:
        chunks: list[bytes] = []
        while True:
            try:
                chunk = self._sslobj.read(READ_SIZE)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLZeroReturnError:
                chunk = b""
            except ssl.SSLError as exc:
                self._abort(exc)
                return
            if not chunk:  # the peer's close_notify: answer it, and close
                if chunks:
                    self._app_protocol.data_received(b"".join(chunks))
                self._call_eof_received()
                self._start_shutdown()
                return
            chunks.append(chunk)
        if chunks:
            self._app_protocol.data_received(b"".join(chunks))
        self._flush()  # reading may produce TLS records to send (key updates, tickets)

    def _write_app(self, data: bytes) -> None:
        if self._state == "handshake":
            self._pending.append(data)
            return
        if self._state != "wrapped":
            return
        view = memoryview(data)
        while view:
            sent = self._sslobj.write(view)
            view = view[sent:]
        self._flush()

    def _flush(self) -> None:
        if self._outgoing.pending and self._transport is not None:
            self._transport.write(self._outgoing.read())

    def _start_shutdown(self) -> None:
        """close(), the peer's close_notify or its EOF: read what is left, send our
        close_notify, and wait (up to the shutdown timeout) for the peer's."""
        self._app_transport._closed = True
        if self._state == "handshake":
            self._state = "closed"
            self._transport.abort()
            return
        if self._state != "wrapped":
            return
        self._timer = self._loop.call_later(self._shutdown_timeout, self._shutdown_timed_out)
        self._state = "flushing"  # data_received() and write() now do nothing
        self._read_app()
        self._state = "shutdown"
        self._do_shutdown()

    def _do_shutdown(self) -> None:
        try:
            if not self._tcp_eof:
                self._sslobj.unwrap()
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            self._flush()
            return
        except ssl.SSLError as exc:
            self._cancel_timer()
            self._abort(exc)
            return
        self._flush()
        self._call_eof_received()
        self._cancel_timer()
        self._state = "closed"
        self._loop.call_soon(self._transport.close)

    def _call_eof_received(self) -> None:
        if self._app_state == "made":
            self._app_state = "eof"
            self._app_protocol.eof_received()

    def _shutdown_timed_out(self) -> None:
        self._timer = None
        self._abort(TimeoutError("SSL shutdown timed out"))

    def _abort(self, exc: BaseException | None) -> None:
        self._cancel_timer()
        if self._transport is not None:
            if exc is not None:
                self._transport._force_close(exc)
            else:
                self._transport.abort()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _get_extra_info(self, name: str, default: Any) -> Any:
        if name == "ssl_object":
            return self._sslobj
        if name == "sslcontext":
            return self._sslcontext
        if name == "peercert":
            return self._sslobj.getpeercert()
        if name == "cipher":
            return self._sslobj.cipher()
        if name == "compression":
            return self._sslobj.compression()
        if self._transport is None:
            return default
        return self._transport.get_extra_info(name, default)


class TLSMixin:
    """The loop's TLS methods: a socket transport whose protocol is a TLSProtocol."""

    async def _create_tls_transport(self, sock: Any, protocol_factory: Any, sslcontext: Any,
                                    server_side: bool, server_hostname: str | None,
                                    ssl_handshake_timeout: float | None,
                                    ssl_shutdown_timeout: float | None,
                                    extra: Any = None, server: Any = None) -> tuple[Any, Any]:
        """A connected socket, wrapped: returns once the handshake is done (or failed)."""
        sock.setblocking(False)
        protocol = protocol_factory()
        waiter = self.create_future()  # type: ignore[attr-defined]
        try:
            tls = TLSProtocol(self, protocol, sslcontext, waiter, server_side, server_hostname,
                              ssl_handshake_timeout, ssl_shutdown_timeout)
        except BaseException:
            sock.close()
            raise
        transport = SocketTransport(self, sock, tls, None, extra, server)
        try:
            await waiter
        except BaseException:
            transport.close()
            raise
        return tls._app_transport, protocol

    async def start_tls(self, transport: Any, protocol: Any, sslcontext: Any, *,
                        server_side: bool = False, server_hostname: str | None = None,
                        ssl_handshake_timeout: float | None = None,
                        ssl_shutdown_timeout: float | None = None) -> Any:
        """Upgrade a live connection: `transport`'s protocol becomes a TLSProtocol that
        wraps `protocol`; returns the new transport for `protocol` once the handshake is
        done. `protocol.connection_made` is not called again, as in asyncio."""
        if not isinstance(sslcontext, ssl.SSLContext):
            raise TypeError("sslcontext is expected to be an instance of ssl.SSLContext, "
                            f"got {sslcontext!r}")
        if not isinstance(transport, SocketTransport):
            raise TypeError(f"transport {transport!r} is not supported by start_tls()")
        waiter = self.create_future()  # type: ignore[attr-defined]
        tls = TLSProtocol(self, protocol, sslcontext, waiter, server_side, server_hostname,
                          ssl_handshake_timeout, ssl_shutdown_timeout)
        tls._app_state = "made"  # the protocol is already connected: no connection_made
        # Discussion: bytes already received stay unread until the TLS layer is in place:
        # reading pauses, the protocol is swapped, then the handshake starts and reading
        # resumes, each a callback of its own, in asyncio's order.
        transport.pause_reading()
        transport.set_protocol(tls)
        made = self.call_soon(tls.connection_made, transport)  # type: ignore[attr-defined]
        resumed = self.call_soon(transport.resume_reading)  # type: ignore[attr-defined]
        try:
            await waiter
        except BaseException:
            transport.close()
            made.cancel()
            resumed.cancel()
            raise
        return tls._app_transport
