"""StreamReader: a byte buffer that coroutines read from while a protocol fills it.

What you learn here: how `await reader.readline()` turns the loop's callbacks into a plain
sequential read. Two sides meet in one buffer:

* the **feeding side** is called by the protocol (streams.py, `StreamReaderProtocol`) from
  the loop's callbacks: `feed_data(data)` appends to the buffer, `feed_eof()` says no more
  will come, `set_exception(exc)` says the connection failed. None of them waits.
* the **reading side** is coroutines: `read`, `readline`, `readexactly`, `readuntil`. Each
  looks at the buffer first and takes what it needs from it. Only when the buffer cannot
  satisfy it yet does it wait, on one future (`_waiter`) that the next feed completes; then
  it looks again. So a line split over three packets costs three wake-ups, and a buffer
  that already holds ten lines serves ten `readline()`s without waiting at all.

The buffer is also where **flow control** starts. When the buffer grows past twice the
`limit`, the reader asks the transport to stop reading from the socket (`pause_reading`);
once reads bring it back to `limit` or below, or a read has to wait for more, it resumes.
So a slow consumer does not make the process hold everything a fast peer sends: the rest
waits in the kernel, and then in the peer (whose own writer sees it as backpressure).

The `limit` (64 KiB by default) is also the longest line `readline`/`readuntil` accept:
a peer that never sends the separator cannot make us buffer without bound.

Exactness notes (pinned by compat_tests/test_streamreader.py): the errors' types, messages and
`partial`/`consumed` values are asyncio's, and so is what is left in the buffer after
each of them: `readuntil` leaves an overrun in the buffer for the caller, `readline`
throws it away, and a read that meets EOF consumes what it returns in `partial`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from . import current, versions
from .exceptions import IncompleteReadError, LimitOverrunError

if TYPE_CHECKING:
    from .futures import Future

__all__ = ("StreamReader",)

DEFAULT_LIMIT = 2 ** 16  # 64 KiB: the longest line, and half the buffer before pausing


class StreamReader:
    """What a connection received, for coroutines to read a piece at a time."""

    def __init__(self, limit: int = DEFAULT_LIMIT, loop: Any = None) -> None:
        if limit <= 0:
            raise ValueError("Limit cannot be <= 0")
        self._limit = limit                # longest line; pause the transport above twice it
        self._loop = current.get_event_loop() if loop is None else loop
        self._buffer = bytearray()         # received and not read yet
        self._eof = False                  # feed_eof() was called: nothing more will come
        self._waiter: Future[None] | None = None  # the read waiting for the next feed
        self._exception: BaseException | None = None  # set_exception(): every read raises it
        self._transport: Any = None        # where to pause and resume reading
        self._paused = False               # we paused the transport: the buffer is too full

    def __repr__(self) -> str:
        info = ["StreamReader"]
        if self._buffer:
            info.append(f"{len(self._buffer)} bytes")
        if self._eof:
            info.append("eof")
        if self._limit != DEFAULT_LIMIT:
            info.append(f"limit={self._limit}")
        if self._waiter:
            info.append(f"waiter={self._waiter!r}")
        if self._exception:
            info.append(f"exception={self._exception!r}")
        if self._transport:
            info.append(f"transport={self._transport!r}")
        if self._paused:
            info.append("paused")
        return f"<{' '.join(info)}>"

    # == The feeding side: called by the protocol, never waits =================================

    def set_transport(self, transport: Any) -> None:
        assert self._transport is None, "Transport already set"
        self._transport = transport

    def feed_data(self, data: bytes) -> None:
        assert not self._eof, "feed_data after feed_eof"
        if not data:
            return
        self._buffer.extend(data)
        self._wake_reader()
        if self._transport is not None and not self._paused and (
                len(self._buffer) > 2 * self._limit):
            try:
                self._transport.pause_reading()
            except NotImplementedError:
                # A transport that cannot pause: buffer everything, and stop asking.
                self._transport = None
            else:
                self._paused = True

    def feed_eof(self) -> None:
        self._eof = True
        self._wake_reader()

    def set_exception(self, exc: BaseException) -> None:
        self._exception = exc
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.cancelled():
            waiter.set_exception(exc)

    def exception(self) -> BaseException | None:
        return self._exception

    def at_eof(self) -> bool:
        """True once EOF was fed and everything before it has been read."""
        return self._eof and not self._buffer

    def _wake_reader(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.cancelled():
            waiter.set_result(None)

    # == Flow control ==========================================================================

    def _resume_if_drained(self) -> None:
        """After a read: let the transport read again once the buffer is back under limit."""
        if self._paused and len(self._buffer) <= self._limit:
            self._paused = False
            self._transport.resume_reading()

    async def _wait_for_data(self, func_name: str) -> None:
        """Wait until the next feed_data(), feed_eof() or set_exception()."""
        # One waiter only: with two readers, which of them would get the next bytes?
        if self._waiter is not None:
            raise RuntimeError(f"{func_name}() called while another coroutine is already "
                               f"waiting for incoming data")
        assert not self._eof, "_wait_for_data after EOF"
        # A read that needs more than the buffer holds (readexactly(n) with n above the
        # limit) would wait forever on a paused transport: resume it first.
        if self._paused:
            self._paused = False
            self._transport.resume_reading()
        self._waiter = self._loop.create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    # == The reading side ======================================================================

    async def read(self, n: int = -1) -> bytes:
        """Up to `n` bytes, as soon as there is at least one (b"" at EOF); n < 0: until EOF."""
        if self._exception is not None:
            raise self._exception
        if n == 0:
            return b""
        if n < 0:
            # Until EOF, one limit-sized read at a time: each read lets a paused transport
            # resume, so a peer sending more than the buffer holds cannot deadlock us.
            blocks = []
            while block := await self.read(self._limit):
                blocks.append(block)
            return b"".join(blocks)
        if not self._buffer and not self._eof:
            await self._wait_for_data("read")
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        self._resume_if_drained()
        return data

    async def readexactly(self, n: int) -> bytes:
        """Exactly `n` bytes; IncompleteReadError (with what came) if EOF comes first."""
        if n < 0:
            raise ValueError("readexactly size can not be less than zero")
        if self._exception is not None:
            raise self._exception
        if n == 0:
            return b""
        while len(self._buffer) < n:
            if self._eof:
                partial = bytes(self._buffer)
                self._buffer.clear()
                raise IncompleteReadError(partial, n)
            await self._wait_for_data("readexactly")
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        self._resume_if_drained()
        return data

    async def readline(self) -> bytes:
        """One line, ending in b"\\n"; at EOF, what is left (maybe b"").

        A line longer than the limit raises ValueError, and unlike readuntil() the line is
        thrown away: up to and including its newline if that has arrived, else the whole
        buffer.
        """
        try:
            return await self.readuntil(b"\n")
        except IncompleteReadError as exc:
            return exc.partial
        except LimitOverrunError as exc:
            if self._buffer.startswith(b"\n", exc.consumed):
                del self._buffer[:exc.consumed + 1]
            else:
                self._buffer.clear()
            self._resume_if_drained()
            raise ValueError(exc.args[0])  # chained to the overrun, as in asyncio

    async def readuntil(self, separator: bytes | tuple[bytes, ...] = b"\n") -> bytes:
        """The bytes up to and including `separator` (3.13: or the first of a tuple of them).

        LimitOverrunError if no separator shows up within the limit: the data stays in the
        buffer. IncompleteReadError at EOF without one: its `partial` is the whole buffer,
        which is consumed.
        """
        separators = _separators(separator)
        shortest, longest = len(separators[0]), len(separators[-1])
        if shortest == 0:
            raise ValueError("Separator should be at least one-byte string")
        if self._exception is not None:
            raise self._exception
        # Discussion: searching a buffer that grows. Each wake-up adds bytes at the end, and
        # a separator may straddle old and new bytes. So after a failed search we remember
        # how far no separator can start (all but the last `longest - 1` bytes) and search
        # again from there, not from the start. That same mark is what the limit applies
        # to: once it passes the limit, the line is too long even if the separator comes
        # later, and `consumed` reports it.
        searched = 0
        while True:
            if len(self._buffer) - searched >= shortest:
                match = self._find(separators, searched)
                if match is not None:
                    break
                searched = max(0, len(self._buffer) + 1 - longest)
                if searched > self._limit:
                    raise LimitOverrunError(
                        "Separator is not found, and chunk exceed the limit", searched)
            # Checked after the search: the last chunk before EOF may complete a separator.
            if self._eof:
                partial = bytes(self._buffer)
                self._buffer.clear()
                raise IncompleteReadError(partial, None)
            await self._wait_for_data("readuntil")
        start, end = match
        if start > self._limit:
            raise LimitOverrunError("Separator is found, but chunk is longer than limit",
                                    start)
        data = bytes(self._buffer[:end])
        del self._buffer[:end]
        self._resume_if_drained()
        return data

    def _find(self, separators: Sequence[bytes], offset: int) -> tuple[int, int] | None:
        """(start, end) of the separator that ends first at or after `offset`, or None.

        The one that ends first, not the one that starts first: 3.13 returns the shortest
        possible result. On a tie the shorter separator wins (the list is sorted by length),
        and it is the one the limit is checked against.
        """
        best = None
        for sep in separators:
            start = self._buffer.find(sep, offset)
            if start != -1 and (best is None or start + len(sep) < best[1]):
                best = (start, start + len(sep))
        return best

    # == async for line in reader ==============================================================

    def __aiter__(self) -> StreamReader:
        return self

    async def __anext__(self) -> bytes:
        line = await self.readline()
        if line == b"":
            raise StopAsyncIteration
        return line


def _separators(separator: bytes | tuple[bytes, ...]) -> list[bytes]:
    """readuntil()'s separators, shortest first."""
    if versions.READUNTIL_TAKES_TUPLE and isinstance(separator, tuple):
        if not separator:
            raise ValueError("Separator should contain at least one element")
        return sorted(separator, key=len)
    # Before 3.13 a tuple is taken for one separator, and fails as asyncio's does: its
    # length is the element count, and bytearray.find() refuses it with a TypeError.
    return [separator]  # type: ignore[list-item]
