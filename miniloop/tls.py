"""TLS as a protocol layered on a memory BIO: what you learn here is that encryption is just
one more protocol between the socket transport and yours.

`ssl.SSLObject` does the TLS arithmetic without touching a socket: bytes that arrived from
the network go into an incoming `ssl.MemoryBIO`, bytes TLS wants to send come out of an
outgoing one. `SSLProtocol` sits on the socket transport as its protocol (a
BufferedProtocol: the socket receives straight into its buffer): what arrives goes into the
incoming BIO, then the handshake (or `read()`) runs, and whatever the outgoing BIO holds is
written to the socket. Your protocol sees an `SSLTransport` (tlstransport.py),
whose `write()` encrypts through the same SSLObject. Your `connection_made` runs only once
the handshake completes, as in asyncio. (The classes say SSL, as asyncio's and the `ssl`
module's names do, after the protocol TLS replaced; what runs is TLS.)

The layer's states, in asyncio's order:

    unwrapped -> handshake -> wrapped -> flushing -> shutdown   (and back to unwrapped at
                                                                  the end, from anywhere)

"flushing" reads what is left before our close_notify goes out; "shutdown" waits for the
peer's. Because the layer is only a protocol, it also sits on another TLS transport:
`start_tls()` on a TLS connection gives TLS inside TLS, as asyncio allows (starttls.py
puts the layer on a connection).

Flow control runs both ways through the layer, each with its own buffer. Writing: while
the socket transport says "pause", ciphertext stays in the outgoing BIO, and your
protocol is paused once that (plus plaintext waiting for the handshake) reaches the TLS
transport's high-water mark. Reading: while your protocol has paused reading, ciphertext
collects in the incoming BIO, and the socket transport is paused once 256 KiB wait there.
"""

from __future__ import annotations

import collections
import ssl
from typing import Any

from .errors import logger
from .protocols import BufferedProtocol
from .selectortransport import CONNLOST_WRITES_BEFORE_WARNING, report_fatal_error
from .tlstransport import TLS_READ_HIGH_WATER, SSLTransport

__all__ = ("SSLProtocol",)

READ_SIZE = 256 * 1024       # how much plaintext one SSLObject.read() call may return
HANDSHAKE_TIMEOUT = 60.0     # asyncio's defaults, in seconds
SHUTDOWN_TIMEOUT = 30.0

# "Not now": the SSLObject needs more bytes from the peer (a TLS record is incomplete).
# asyncio treats an SSLSyscallError the same way.
AGAIN = (ssl.SSLWantReadError, ssl.SSLSyscallError)


class SSLProtocol(BufferedProtocol):
    """The socket transport's protocol: the TLS state machine over two memory BIOs.
    (asyncio's `sslproto.SSLProtocol`, with its arguments.)"""

    def __init__(self, loop: Any, app_protocol: Any, sslcontext: ssl.SSLContext | None,
                 waiter: Any, server_side: bool = False, server_hostname: str | None = None,
                 call_connection_made: bool = True,
                 ssl_handshake_timeout: float | None = None,
                 ssl_shutdown_timeout: float | None = None) -> None:
        for name, value in (("ssl_handshake_timeout", ssl_handshake_timeout),
                            ("ssl_shutdown_timeout", ssl_shutdown_timeout)):
            if value is not None and value <= 0:
                raise ValueError(f"{name} should be a positive number, got {value}")
        if sslcontext is None:  # ssl=True: a client's default context, made as asyncio does
            if server_side:
                raise ValueError("Server side SSL needs a valid SSLContext")
            sslcontext = ssl.create_default_context()
            if not server_hostname:  # no name: nothing to check it against
                sslcontext.check_hostname = False
        self._loop = loop
        self._app_protocol = app_protocol
        self._waiter = waiter          # create_connection's or start_tls's; None once woken
        self._buffer = memoryview(bytearray(READ_SIZE))  # the socket receives into it
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        # An empty server_hostname means no name at all (no SNI, nothing to check), as in
        # asyncio; the ssl module itself refuses "".
        self._sslobj = sslcontext.wrap_bio(self._incoming, self._outgoing,
                                           server_side=server_side,
                                           server_hostname=server_hostname or None)
        self._extra: dict[str, Any] = {"sslcontext": sslcontext}  # more after the handshake
        self._handshake_timeout = ssl_handshake_timeout or HANDSHAKE_TIMEOUT
        self._shutdown_timeout = ssl_shutdown_timeout or SHUTDOWN_TIMEOUT
        self._state = "unwrapped"
        self._app_state = "none" if call_connection_made else "made"  # then "eof", "lost"
        self._transport: Any = None    # the transport underneath (a socket's, or TLS)
        self._app_transport: Any = SSLTransport(loop, self)  # None once lost (no cycle left)
        self._timer: Any = None        # the handshake's or the shutdown's timeout
        self._handshake_started = 0.0  # the loop's time at connection_made (debug mode)
        self._backlog: collections.deque[Any] = collections.deque()  # plaintext to encrypt
        self._backlog_size = 0
        self._conn_lost = 0            # >0 once lost; +1 per write after that
        self._eof_received = False     # the peer closed its side of TCP
        self._ssl_writing_paused = False  # the transport underneath asked us to pause
        self._app_reading_paused = False  # your protocol asked to pause reading
        self._ssl_reading_paused = False  # we paused the transport underneath
        self._read_high_water = TLS_READ_HIGH_WATER  # for the ciphertext in _incoming
        self._read_low_water = TLS_READ_HIGH_WATER // 4

    # == What the transport underneath calls ===================================================

    def connection_made(self, transport: Any) -> None:
        self._transport = transport
        self._state = "handshake"
        if self._loop.get_debug():  # debug mode times the handshake, as asyncio's does
            logger.debug("%r starts SSL handshake", self)
            self._handshake_started = self._loop.time()
        self._timer = self._loop.call_later(self._handshake_timeout, self._handshake_timed_out)
        self._do_handshake()

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._buffer

    def buffer_updated(self, nbytes: int) -> None:
        """Ciphertext arrived (straight into our buffer): into the incoming BIO with it."""
        self._incoming.write(self._buffer[:nbytes])
        self._step()

    def _step(self) -> None:
        """New bytes from the peer (or reading resumed): go on with whatever we were doing."""
        if self._state == "handshake":
            self._do_handshake()
        elif self._state == "wrapped":
            self._do_read()
        elif self._state == "flushing":
            self._do_flush()
        elif self._state == "shutdown":
            self._do_shutdown()

    def eof_received(self) -> bool | None:
        # Discussion: the peer closed its side of TCP. During the handshake that is a bare
        # ConnectionResetError() for the caller, as in asyncio. Afterwards it ends TLS as a
        # close_notify would, except that unwrap() cannot run: nothing more will arrive.
        # If your protocol paused reading, what is left in the incoming BIO waits for
        # resume_reading(), and the socket transport stays open for it (return True).
        self._eof_received = True
        if self._loop.get_debug():
            logger.debug("%r received EOF", self)
        if self._state == "handshake":
            self._on_handshake_complete(ConnectionResetError())
        elif self._state == "wrapped":
            self._state = "flushing"
            if self._app_reading_paused:
                return True
            self._do_flush()
        elif self._state == "flushing":
            self._do_write()
            self._state = "shutdown"
            self._do_shutdown()
        elif self._state == "shutdown":
            self._do_shutdown()
        return None

    def connection_lost(self, exc: BaseException | None) -> None:
        """The end: your connection_lost (on the next turn) if your protocol saw
        connection_made, then everything is let go."""
        self._backlog.clear()
        self._outgoing.read()
        self._conn_lost += 1
        self._app_transport._closed = True
        if self._state != "handshake" and self._app_state in ("made", "eof"):
            self._app_state = "lost"
            self._loop.call_soon(self._app_protocol.connection_lost, exc)
        self._state = "unwrapped"
        self._transport = None
        self._app_transport = None  # it still knows us (get_extra_info works): we forget it
        self._app_protocol = None
        self._wake_waiter(exc)
        self._cancel_timer()

    def pause_writing(self) -> None:
        """The transport underneath is full: ciphertext now waits in the outgoing BIO."""
        self._ssl_writing_paused = True

    def resume_writing(self) -> None:
        self._ssl_writing_paused = False
        self._process_outgoing()

    # == The handshake =========================================================================

    def _do_handshake(self) -> None:
        try:
            self._sslobj.do_handshake()
        except AGAIN:
            self._process_outgoing()
        except ssl.SSLError as exc:
            self._on_handshake_complete(exc)
        else:
            self._on_handshake_complete(None)

    def _on_handshake_complete(self, exc: BaseException | None) -> None:
        self._cancel_timer()
        try:
            if exc is not None:
                raise exc  # (raised here: debug mode logs it with its traceback)
            self._state = "wrapped"
            peercert = self._sslobj.getpeercert()
        except Exception as error:  # noqa: BLE001 (it fails the handshake)
            self._state = "unwrapped"
            self._fatal_error(error, "SSL handshake failed on verifying the certificate"
                              if isinstance(error, ssl.CertificateError)
                              else "SSL handshake failed")
            self._wake_waiter(error)
            return
        if self._loop.get_debug():
            took = self._loop.time() - self._handshake_started
            logger.debug("%r: SSL handshake took %.1f ms", self, took * 1e3)
        self._extra.update(peercert=peercert, cipher=self._sslobj.cipher(),
                           compression=self._sslobj.compression(), ssl_object=self._sslobj)
        # asyncio calls connection_made synchronously, then releases the waiter.
        if self._app_state == "none":
            self._app_state = "made"
            self._app_protocol.connection_made(self._app_transport)
        self._wake_waiter(None)
        self._do_read()  # what arrived with the handshake's last flight, and early writes

    def _handshake_timed_out(self) -> None:
        self._timer = None
        if self._state == "handshake":
            self._fatal_error(ConnectionAbortedError(
                f"SSL handshake is taking longer than {self._handshake_timeout} seconds: "
                f"aborting the connection"))

    def _wake_waiter(self, exc: BaseException | None) -> None:
        if self._waiter is not None and not self._waiter.cancelled():
            if exc is None:
                self._waiter.set_result(None)
            else:
                self._waiter.set_exception(exc)
        self._waiter = None

    # == Writing: plaintext in, ciphertext out =================================================

    def _write_appdata(self, list_of_data: Any) -> None:
        if self._state in ("flushing", "shutdown", "unwrapped"):
            # Closing or closed: the data is dropped, and after a few such writes each one
            # logs a warning, as a socket transport does.
            if self._conn_lost >= CONNLOST_WRITES_BEFORE_WARNING:
                logger.warning("SSL connection is closed")
            self._conn_lost += 1
            return
        for data in list_of_data:
            self._backlog.append(data)
            self._backlog_size += len(data)
        if self._state == "wrapped":  # during the handshake, it waits in the backlog
            try:
                self._do_write()
            except Exception as exc:  # noqa: BLE001 (reported, as asyncio does)
                self._fatal_error(exc, "Fatal error on SSL protocol")

    def _do_write(self) -> None:
        try:
            while self._backlog:
                data = self._backlog[0]
                count = self._sslobj.write(data)
                if count < len(data):
                    self._backlog[0] = data[count:]
                else:
                    self._backlog.popleft()
                self._backlog_size -= count
        except AGAIN:
            pass  # a renegotiation wants the peer's answer first: the rest waits
        self._process_outgoing()

    def _process_outgoing(self) -> None:
        """Hand the outgoing BIO's ciphertext to the transport underneath, unless it asked
        us to pause; then tell your protocol where its write buffer stands."""
        if not self._ssl_writing_paused:
            data = self._outgoing.read()
            if data:
                self._transport.write(data)
        if self._app_transport is not None:  # (None once connection_lost has come)
            self._app_transport._control_writing()

    # == Reading: ciphertext in, plaintext out =================================================

    def _do_read(self) -> None:
        if self._state not in ("wrapped", "flushing"):
            return
        try:
            if not self._app_reading_paused:
                self._read_into_app()
                if self._backlog:  # a write that waited for the handshake, or for the peer
                    self._do_write()
                else:
                    self._process_outgoing()  # reading may produce records (key updates)
            self._control_ssl_reading()
        except Exception as exc:  # noqa: BLE001 (reported, as asyncio does)
            self._fatal_error(exc, "Fatal error on SSL protocol")

    def _read_into_app(self) -> None:
        """Decrypt all that is complete and hand it to your protocol in one call; b"" from
        read() (or a read of 0 bytes) is the peer's close_notify."""
        if isinstance(self._app_protocol, BufferedProtocol):
            count = self._read_into_buffer()
        else:
            count = self._read_copied()
        if not count:
            self._call_eof_received()
            self._start_shutdown()

    def _read_copied(self) -> int:
        chunk, chunks = b"x", []  # (anything but b"" until read() says close_notify)
        try:
            while chunk := self._sslobj.read(READ_SIZE):
                chunks.append(chunk)
        except AGAIN:
            pass
        if chunks:
            self._app_protocol.data_received(b"".join(chunks))
        return len(chunk)

    def _read_into_buffer(self) -> int:
        """A BufferedProtocol: decrypt straight into the buffer it lends, sized for what
        is waiting; if that fills it, the rest waits for the next turn (as in asyncio)."""
        buf = memoryview(self._app_protocol.get_buffer(self._incoming.pending))
        offset, count = 0, 1
        try:
            while offset < len(buf) and count:
                count = self._sslobj.read(len(buf) - offset, buf[offset:])  # type: ignore
                offset += count  # (with a buffer, read() returns how many bytes it wrote)
        except AGAIN:
            pass
        if offset:
            self._app_protocol.buffer_updated(offset)
            if offset == len(buf):
                self._loop.call_soon(self._do_read)
        return count

    def _call_eof_received(self) -> None:
        if self._app_state != "made":
            return
        self._app_state = "eof"
        try:
            if self._app_protocol.eof_received():
                logger.warning("returning true from eof_received() has no effect when using ssl")
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            self._fatal_error(exc, "Error calling eof_received()")

    def _resume_reading(self) -> None:
        """Your protocol resumed reading: on the next turn, go on with what was held back."""
        if self._app_reading_paused:
            self._app_reading_paused = False
            self._loop.call_soon(self._resume)

    def _resume(self) -> None:
        if self._state != "handshake":
            self._step()

    def _control_ssl_reading(self) -> None:
        size = self._incoming.pending
        if size >= self._read_high_water and not self._ssl_reading_paused:
            self._ssl_reading_paused = True
            self._transport.pause_reading()
        elif size <= self._read_low_water and self._ssl_reading_paused:
            self._ssl_reading_paused = False
            self._transport.resume_reading()

    # == Shutting down =========================================================================

    def _start_shutdown(self) -> None:
        """close(), or the peer's close_notify: read what is left, send our close_notify,
        and wait (up to the shutdown timeout) for the peer's."""
        if self._state in ("flushing", "shutdown", "unwrapped"):
            return
        self._app_transport._closed = True
        if self._state == "handshake":
            self._abort(None)
            return
        self._state = "flushing"
        self._timer = self._loop.call_later(self._shutdown_timeout, self._shutdown_timed_out)
        self._do_flush()

    def _do_flush(self) -> None:
        self._do_read()
        self._state = "shutdown"
        self._do_shutdown()

    def _do_shutdown(self) -> None:
        try:
            if not self._eof_received:
                self._sslobj.unwrap()
        except AGAIN:
            self._process_outgoing()  # our close_notify is out; the peer's is awaited
            return
        except ssl.SSLError as exc:
            self._cancel_timer()
            self._fatal_error(exc)
            return
        self._process_outgoing()
        self._call_eof_received()
        self._cancel_timer()
        self._loop.call_soon(self._transport.close)

    def _shutdown_timed_out(self) -> None:
        # The peer never answered our close_notify: close without it, and your protocol's
        # connection_lost gets the TimeoutError (test_the_shutdown_times_out).
        self._timer = None
        if self._state in ("flushing", "shutdown"):
            self._transport._force_close(TimeoutError("SSL shutdown timed out"))

    def _abort(self, exc: BaseException | None) -> None:
        self._state = "unwrapped"
        if self._transport is not None:
            self._transport._force_close(exc)

    def _fatal_error(self, exc: BaseException, message: str = "Fatal error on transport"
                     ) -> None:
        """Close at once. An OSError (ssl.SSLError is one) is the network's or the peer's
        doing, logged in debug mode only; anything else goes to the exception handler."""
        if self._transport is not None:
            self._transport._force_close(exc)
        report_fatal_error(self._loop, exc, message, expected=isinstance(exc, OSError),
                           transport=self._transport, protocol=self, who=self)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _get_extra_info(self, name: str, default: Any = None) -> Any:
        if name in self._extra:
            return self._extra[name]
        if self._transport is None:
            return default
        return self._transport.get_extra_info(name, default)
