"""sock_sendfile: sending a file over a socket, by the kernel when it can, by hand when not.

What you learn here: `os.sendfile()` copies from a file to a socket inside the kernel, with
no trip through Python's memory. On a non-blocking socket it is one more system call that
may send only part of what was asked, or nothing (`BlockingIOError`), so it is driven like
`sock_sendall` (sockets.py): send what fits, wait until the socket is writable, go on from
the new offset.

Not every file can be sent that way (a BytesIO has no fd; some file systems refuse). Then
asyncio *falls back* to reading the file in blocks, in the default executor since reading a
file may block, and sending each block with `sock_sendall`. `fallback=False` raises
`SendfileNotAvailableError` instead. Both ways, the file's position ends up just after what
was sent, as if the caller had read it.

Exactness notes (scenarios in compat_tests/test_sockets_sendfile.py): the kernel path waits
for the socket to be writable after every successful chunk, even the last one, before it
finds out the file is over, as asyncio's does; an error before the first byte went out
counts as "sendfile not available" (so the fallback gets its chance); a cancelled transfer
leaves the file position where it was.

`SendfileMixin` holds these methods; `EventLoop` inherits them.
"""

from __future__ import annotations

import errno
import io
import os
import socket
import ssl
import sys
from typing import TYPE_CHECKING, Any

from .exceptions import CancelledError, SendfileNotAvailableError

if TYPE_CHECKING:
    import concurrent.futures
    from collections.abc import Callable

    from .futures import Future

__all__ = ("SendfileMixin",)

FALLBACK_BLOCK_SIZE = 256 * 1024  # how much the fallback reads and sends at a time


class SendfileMixin:
    """loop.sock_sendfile()."""

    if TYPE_CHECKING:  # what we use of EventLoop, for the type checker
        _debug: bool
        def create_future(self) -> Future[Any]: ...
        def run_in_executor(self, executor: concurrent.futures.Executor | None,
                            func: Callable[..., Any], *args: Any) -> Future[Any]: ...
        async def sock_sendall(self, sock: socket.socket, data: Any) -> None: ...
        async def _wait_writable(self, sock: socket.socket, fut: Future[Any],
                                 callback: Callable[..., object], *args: Any) -> Any: ...

    async def sock_sendfile(self, sock: socket.socket, file: Any, offset: int = 0,
                            count: int | None = None, *, fallback: bool = True) -> int:
        """Send `file` (from `offset`, `count` bytes or up to its end); return bytes sent."""
        # The same checks as sock_sendall's, but in the other order: asyncio's.
        if self._debug and sock.gettimeout() != 0:
            raise ValueError("the socket must be non-blocking")
        if isinstance(sock, ssl.SSLSocket):
            raise TypeError("Socket cannot be of type SSLSocket")
        _check_sendfile_arguments(sock, file, offset, count)
        try:
            return await self._sendfile_by_kernel(sock, file, offset, count)
        except SendfileNotAvailableError:
            if not fallback:
                raise
        return await self._sendfile_by_hand(sock, file, offset, count)

    async def _sendfile_by_kernel(self, sock: socket.socket, file: Any, offset: int,
                                  count: int | None) -> int:
        try:
            fileno = file.fileno()
        except (AttributeError, io.UnsupportedOperation):
            raise SendfileNotAvailableError("not a regular file") from None
        try:
            size = os.fstat(fileno).st_size
        except OSError:
            raise SendfileNotAvailableError("not a regular file") from None
        block = count if count else size  # each call asks for all that is left, or more
        if not block:
            return 0  # an empty file
        block = min(block, sys.maxsize // 2 + 1)  # 1 GiB at most on a 32-bit system
        sent = 0
        first_call = True
        try:
            while True:
                if count:
                    block = count - sent
                    if block <= 0:
                        break
                error = None
                try:
                    chunk = os.sendfile(sock.fileno(), fileno, offset, block)
                except (BlockingIOError, InterruptedError):
                    chunk = None  # the socket's buffer is full: wait below, then retry
                except OSError as exc:
                    error = _sendfile_error(exc, first_call, sent)
                if error is not None:
                    raise error
                first_call = False
                if chunk == 0:  # the end of the file
                    break
                if chunk:
                    offset += chunk
                    sent += chunk
                await self._writable(sock)
        except CancelledError:
            raise  # asyncio leaves the file position alone when cancelled
        except BaseException:
            _move_file_position(fileno, offset, sent)
            raise
        _move_file_position(fileno, offset, sent)
        return sent

    async def _writable(self, sock: socket.socket) -> None:
        """Wait until `sock` can take more data."""
        fut: Future[None] = self.create_future()
        await self._wait_writable(sock, fut, _set_result_once, fut)

    async def _sendfile_by_hand(self, sock: socket.socket, file: Any, offset: int,
                                count: int | None) -> int:
        """The fallback: read a block (in the executor: reading may block), send it."""
        if offset:
            file.seek(offset)
        block = min(count, FALLBACK_BLOCK_SIZE) if count else FALLBACK_BLOCK_SIZE
        buffer = memoryview(bytearray(block))
        sent = 0
        try:
            while not count or sent < count:
                if count:
                    block = min(block, count - sent)
                read = await self.run_in_executor(None, file.readinto, buffer[:block])
                if not read:
                    break
                await self.sock_sendall(sock, buffer[:read])
                sent += read
            return sent
        finally:
            # However it ended (even cancelled), the position follows what was sent.
            if sent and hasattr(file, "seek"):
                file.seek(offset + sent)


def _check_sendfile_arguments(sock: socket.socket, file: Any, offset: Any,
                              count: Any) -> None:
    """asyncio's argument checks, in its order, with its messages."""
    if "b" not in getattr(file, "mode", "b"):
        raise ValueError("file should be opened in binary mode")
    if sock.type != socket.SOCK_STREAM:
        raise ValueError("only SOCK_STREAM type sockets are supported")
    if count is not None:
        if not isinstance(count, int):
            raise TypeError(f"count must be a positive integer (got {count!r})")
        if count <= 0:
            raise ValueError(f"count must be a positive integer (got {count!r})")
    if not isinstance(offset, int):
        raise TypeError(f"offset must be a non-negative integer (got {offset!r})")
    if offset < 0:
        raise ValueError(f"offset must be a non-negative integer (got {offset!r})")


def _sendfile_error(exc: OSError, first_call: bool, sent: int) -> BaseException:
    """What a failed os.sendfile() raises from sock_sendfile.

    Nothing sent yet: the kernel path is "not available" (the fallback may do better).
    Otherwise the error itself, except that a connection lost half-way (ENOTCONN after
    the first call) is reported as ConnectionError on every system, as asyncio does.
    """
    if not first_call and exc.errno == errno.ENOTCONN and type(exc) is not ConnectionError:
        lost = ConnectionError("socket is not connected", errno.ENOTCONN)
        lost.__cause__ = exc
        exc = lost
    if sent == 0:
        return SendfileNotAvailableError("os.sendfile call failed")
    return exc


def _move_file_position(fileno: int, offset: int, sent: int) -> None:
    if sent > 0:
        os.lseek(fileno, offset, os.SEEK_SET)


def _set_result_once(fut: Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)
