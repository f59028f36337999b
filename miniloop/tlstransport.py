"""The TLS transport: what your protocol holds when its connection is encrypted.

What you learn here: a transport does not have to own a socket. `SSLTransport` is a thin
face on the TLS layer (`SSLProtocol`, tls.py): `write()` hands plaintext to the layer,
`close()` starts the TLS shutdown, `pause_reading()` stops the layer from passing on
what it decrypts. Its flow control counts what *this* layer holds back, in asyncio's way:

* the write buffer is the plaintext not yet encrypted (a write made while the handshake
  runs) plus the ciphertext waiting in the outgoing memory BIO, which fills while the
  socket transport underneath has asked the TLS layer to pause (its own buffer is full);
* the default high-water mark is 512 KiB (a plain socket transport's is 64 KiB), and the
  protocol is paused when the buffer reaches the mark (`>=`, where a socket transport
  waits to go over it), so `set_write_buffer_limits(0)` pauses it at once, even with
  nothing buffered (test_write_buffer_limits_over_tls);
* `is_reading()` is the TLS layer's own switch: the socket underneath keeps reading
  until the layer holds 256 KiB of ciphertext (`set_read_buffer_limits` moves that
  mark), then it is paused too.

Everything else (the handshake, the shutdown, reading) is tls.py.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from .transports import FlowControl, Transport, water_marks

if TYPE_CHECKING:
    from .tls import SSLProtocol

__all__ = ("SSLTransport",)

TLS_WRITE_HIGH_WATER = 512 * 1024  # asyncio's default high-water mark for a TLS write buffer
TLS_READ_HIGH_WATER = 256 * 1024   # ciphertext the TLS layer holds before the socket stops reading


class SSLTransport(FlowControl, Transport):
    """What your protocol holds: writes are encrypted, close() sends close_notify."""

    _sendfile_by_writes_ok = True  # loop.sendfile reads the file and write()s it here
    _default_high_water = TLS_WRITE_HIGH_WATER

    _ssl_protocol: Any  # SSLProtocol, or None after a second close()

    def __init__(self, loop: Any, tls: SSLProtocol) -> None:
        self._ssl_protocol = tls  # the TLS layer doing the work (asyncio's name for it)
        self._closed = False      # close() or abort() was called, or the connection is gone
        super().__init__(None, loop)

    @property
    def _protocol(self) -> Any:  # what FlowControl tells to pause and resume
        return self._ssl_protocol._app_protocol

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._ssl_protocol._get_extra_info(name, default)

    def set_protocol(self, protocol: Any) -> None:
        self._ssl_protocol._app_protocol = protocol

    def get_protocol(self) -> Any:
        return self._ssl_protocol._app_protocol

    def is_closing(self) -> bool:
        return self._closed

    def __del__(self, _warn: Any = warnings.warn) -> None:
        # asyncio's words (and it names no source object); the connection itself is the TLS
        # layer's and the socket transport's to close.
        if not self._closed:
            self._closed = True
            _warn("unclosed transport <asyncio._SSLProtocolTransport object>", ResourceWarning)

    def close(self) -> None:
        """Send close_notify once what is buffered is out; connection_lost comes later.

        Discussion: a second close() lets go of the TLS layer, as asyncio's does. Your
        protocol usually keeps its transport, and the loop may stop before it runs your
        connection_lost (the TLS layer schedules it a turn after its own): without this,
        the connection's TLS state, and its SSLContext, would live on in that callback
        (CPython's test_ssl checks they do not). After it, the transport only answers
        is_closing(), close() and abort()."""
        if not self._closed:
            self._closed = True
            self._ssl_protocol._start_shutdown()
        else:
            self._ssl_protocol = None

    def abort(self) -> None:
        self._force_close(None)

    def _force_close(self, exc: BaseException | None) -> None:
        """Close at once, with `exc` for connection_lost (also what a TLS layer stacked
        on this one calls, as it calls a socket transport's)."""
        self._closed = True
        if self._ssl_protocol is not None:
            self._ssl_protocol._abort(exc)

    # == Writing ===============================================================================

    def write(self, data: Any) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data: expecting a bytes-like instance, got {type(data).__name__}")
        if data:
            self._ssl_protocol._write_appdata((data,))

    def writelines(self, list_of_data: Any) -> None:
        self._ssl_protocol._write_appdata(list_of_data)

    def write_eof(self) -> None:
        raise NotImplementedError  # TLS has close_notify, not half-closes (as in asyncio)

    def can_write_eof(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return self._ssl_protocol._outgoing.pending + self._ssl_protocol._backlog_size

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._set_write_buffer_limits(high, low)
        self._control_writing()

    def _control_writing(self) -> None:
        """After each change to the buffer: pause at the high mark, resume at the low one.
        (Not after a second close(): the layer finishes its shutdown without us.)"""
        if self._ssl_protocol is None:
            return
        size = self.get_write_buffer_size()
        if size >= self._high_water and not self._protocol_paused:
            self._protocol_paused = True
            self._tell_protocol("pause_writing")
        elif size <= self._low_water and self._protocol_paused:
            self._protocol_paused = False
            self._tell_protocol("resume_writing")

    # == Reading ===============================================================================

    def is_reading(self) -> bool:
        return not self._ssl_protocol._app_reading_paused

    def pause_reading(self) -> None:
        self._ssl_protocol._app_reading_paused = True

    def resume_reading(self) -> None:
        self._ssl_protocol._resume_reading()

    def get_read_buffer_size(self) -> int:
        return self._ssl_protocol._incoming.pending

    def get_read_buffer_limits(self) -> tuple[int, int]:
        return (self._ssl_protocol._read_low_water, self._ssl_protocol._read_high_water)

    def set_read_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        """Marks for the ciphertext the TLS layer holds back: at the high one the socket
        transport underneath stops reading, at the low one it starts again."""
        tls = self._ssl_protocol
        tls._read_high_water, tls._read_low_water = water_marks(high, low, TLS_READ_HIGH_WATER)
        tls._control_ssl_reading()
