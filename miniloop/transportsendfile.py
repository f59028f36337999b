"""loop.sendfile: sending a file over a transport, by the kernel or through write().

What you learn here: how to hand a connection that a protocol owns over to a file transfer
for a while, and give it back. Two ways, as in asyncio:

* **Native** (a socket transport): wait until the transport's write buffer is empty (so
  that the file's bytes come after everything written before), stop reading, and let
  `sock_sendfile` (sendfile.py) push the file through the socket with `os.sendfile()`.
  Writes through the transport are refused meanwhile ("unable to write; sendfile is in
  progress"). Then reading resumes.
* **Fallback** (no `os.sendfile` for this file, or a transport that has no socket of its
  own, such as TLS's, whose bytes must be encrypted on their way): read the file in
  blocks, in the default executor (reading a file may block), and `transport.write()`
  each block. To respect backpressure, the transport's protocol is swapped for a small
  one (`_SendfileFallbackProtocol`) that turns pause_writing and resume_writing into a
  future to wait on; the real protocol is put back at the end, and hears
  `resume_writing()` if it had been paused before.

Either way the file's position ends just after what was sent. Transports that cannot send
files at all (datagram, pipes) raise RuntimeError, as asyncio's do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from .exceptions import SendfileNotAvailableError
from .protocols import Protocol
from .transports import FlowControl, Transport

if TYPE_CHECKING:
    from collections.abc import Callable

    from .futures import Future

__all__ = ("TransportSendfileMixin",)

FALLBACK_BLOCK_SIZE = 16384  # what the fallback reads and writes at a time, as asyncio


class TransportSendfileMixin:
    """loop.sendfile()."""

    if TYPE_CHECKING:  # what we use of EventLoop, for the type checker
        def run_in_executor(self, executor: Any, func: Callable[..., Any],
                            *args: Any) -> Future[Any]: ...
        async def sock_sendfile(self, sock: Any, file: Any, offset: int = 0,
                                count: int | None = None, *, fallback: bool = True) -> int: ...

    async def sendfile(self, transport: Any, file: Any, offset: int = 0,
                       count: int | None = None, *, fallback: bool = True) -> int:
        """Send `file` (from `offset`, `count` bytes or to its end) over `transport`;
        return how many bytes were sent."""
        if transport.is_closing():
            raise RuntimeError("Transport is closing")
        native = getattr(transport, "_sendfile_native_ok", False)  # a socket transport's
        if not native and not getattr(transport, "_sendfile_by_writes_ok", False):  # TLS's
            raise RuntimeError(f"sendfile is not supported for transport {transport!r}")
        if native:
            try:
                return await self._sendfile_native(transport, file, offset, count)
            except SendfileNotAvailableError:
                if not fallback:
                    raise
        elif not fallback:
            raise RuntimeError(f"fallback is disabled and native sendfile is not supported "
                               f"for transport {transport!r}")
        return await self._sendfile_fallback(transport, file, offset, count)

    async def _sendfile_native(self, transport: Any, file: Any, offset: int,
                               count: int | None) -> int:
        resume_reading = transport.is_reading()
        transport.pause_reading()
        await transport._make_empty_waiter()  # what was written before goes first
        try:
            return await self.sock_sendfile(transport._sock, file, offset, count,
                                            fallback=False)
        finally:
            transport._reset_empty_waiter()
            if resume_reading:
                transport.resume_reading()

    async def _sendfile_fallback(self, transport: Any, file: Any, offset: int,
                                 count: int | None) -> int:
        if offset:
            file.seek(offset)
        blocksize = min(count, FALLBACK_BLOCK_SIZE) if count else FALLBACK_BLOCK_SIZE
        buf = bytearray(blocksize)
        total_sent = 0
        proto = _SendfileFallbackProtocol(transport)
        try:
            while True:
                if count:
                    blocksize = min(count - total_sent, blocksize)
                    if blocksize <= 0:
                        return total_sent
                view = memoryview(buf)[:blocksize]
                read = await self.run_in_executor(None, file.readinto, view)
                if not read:
                    return total_sent  # the end of the file
                await proto.drain()
                transport.write(view[:read])
                total_sent += read
        finally:
            if total_sent > 0 and hasattr(file, "seek"):
                file.seek(offset + total_sent)
            await proto.restore()


class _SendfileFallbackProtocol(Protocol):
    """Stands in for the transport's protocol during a fallback transfer: reading is
    paused, and pause/resume_writing become a future that `drain()` waits on."""

    def __init__(self, transport: Any) -> None:
        if not isinstance(transport, FlowControl):
            raise TypeError("transport should be _FlowControlMixin instance")
        self._transport = cast("Transport", transport)  # one that reads too
        self._loop = transport._loop
        self._proto = transport.get_protocol()
        self._should_resume_reading = self._transport.is_reading()
        self._should_resume_writing = transport._protocol_paused
        self._transport.pause_reading()
        transport.set_protocol(self)
        self._write_ready_fut: Future[Any] | None = (
            self._loop.create_future() if self._should_resume_writing else None)

    async def drain(self) -> None:
        if self._transport.is_closing():
            raise ConnectionError("Connection closed by peer")
        if self._write_ready_fut is not None:
            await self._write_ready_fut

    def connection_made(self, transport: Any) -> None:
        raise RuntimeError("Invalid state: connection should have been established already.")

    def connection_lost(self, exc: Exception | None) -> None:
        if self._write_ready_fut is not None:
            # The peer left in the middle of the file: an error for whoever waits in drain().
            self._write_ready_fut.set_exception(
                exc if exc is not None else ConnectionError("Connection is closed by peer"))
        self._proto.connection_lost(exc)

    def pause_writing(self) -> None:
        if self._write_ready_fut is None:
            self._write_ready_fut = self._loop.create_future()

    def resume_writing(self) -> None:
        if self._write_ready_fut is not None:
            self._write_ready_fut.set_result(False)
            self._write_ready_fut = None

    def data_received(self, data: bytes) -> None:
        raise RuntimeError("Invalid state: reading should be paused")

    def eof_received(self) -> bool | None:
        raise RuntimeError("Invalid state: reading should be paused")

    async def restore(self) -> None:
        self._transport.set_protocol(self._proto)
        if self._should_resume_reading:
            self._transport.resume_reading()
        if self._write_ready_fut is not None:
            self._write_ready_fut.cancel()  # nobody waits on it any more
        if self._should_resume_writing:
            self._proto.resume_writing()
