"""A child process's pipes as streams: the protocol under `asyncio.subprocess`.

What you learn here: how streams (streams.py) stretch to a process. A subprocess transport
is one transport with up to three pipe transports inside it, one per standard stream of the
child; a `SubprocessProtocol` hears about all of them through one set of callbacks that
carry the pipe's fd: `pipe_data_received(1, data)` for the child's stdout, 2 for stderr,
`pipe_connection_lost(fd, exc)` when a pipe closes, and `process_exited()`. This protocol
turns those back into the stream objects a program reads and writes:

    stdout, stderr   StreamReaders, fed by pipe_data_received(1 | 2, ...)
    stdin            a StreamWriter on the stdin pipe's transport (fd 0), with drain()
                     and wait_closed(), exactly as on a socket

When `connection_made` runs, it asks the transport for the pipes in the order stdout,
stderr, stdin; a pipe the program did not ask for is None, and so is its stream. The
subprocess transport is closed only when both the process has exited *and* its stdout and
stderr pipes are closed, in either order: the child may exit before the reader has seen the
last of its output, or close its output and go on running (stdin is not waited for).

miniloop does not start child processes yet (`loop.subprocess_exec` is missing); this is
the protocol half, which libraries subclass at import time (anyio's asyncio backend does),
and which compat_tests/test_subprocess_streams.py drives with transports it plays itself.
"""

from __future__ import annotations

from typing import Any

from .futures import Future
from .protocols import SubprocessProtocol
from .streamreader import StreamReader
from .streams import FlowControlMixin, StreamWriter

__all__ = ("SubprocessStreamProtocol",)


class SubprocessStreamProtocol(FlowControlMixin, SubprocessProtocol):
    """A subprocess's pipes as streams: `stdin` (a writer), `stdout` and `stderr` (readers)."""

    def __init__(self, limit: int, loop: Any) -> None:
        super().__init__(loop=loop)
        self._limit = limit                 # each reader's limit (StreamReader)
        self.stdin: StreamWriter | None = None
        self.stdout: StreamReader | None = None
        self.stderr: StreamReader | None = None
        self._transport: Any = None         # the subprocess transport, until closed
        self._process_exited = False        # process_exited() was called
        self._pipe_fds: list[int] = []      # output pipes (1, 2) not yet closed
        self._stdin_closed: Future[None] = self._loop.create_future()  # wait_closed()

    def __repr__(self) -> str:
        info = [type(self).__name__]
        for name in ("stdin", "stdout", "stderr"):
            stream = getattr(self, name)
            if stream is not None:
                info.append(f"{name}={stream!r}")
        return f"<{' '.join(info)}>"

    def connection_made(self, transport: Any) -> None:
        self._transport = transport
        for fd in (1, 2):
            pipe = transport.get_pipe_transport(fd)
            if pipe is not None:
                reader = StreamReader(limit=self._limit, loop=self._loop)
                reader.set_transport(pipe)  # so a full reader can pause the pipe
                setattr(self, "stdout" if fd == 1 else "stderr", reader)
                self._pipe_fds.append(fd)
        stdin = transport.get_pipe_transport(0)
        if stdin is not None:
            self.stdin = StreamWriter(stdin, protocol=self, reader=None, loop=self._loop)

    def _reader(self, fd: int) -> StreamReader | None:
        """The reader for output pipe `fd`; None for any other fd, or one not piped."""
        return {1: self.stdout, 2: self.stderr}.get(fd)

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        reader = self._reader(fd)
        if reader is not None:
            reader.feed_data(data)

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        if fd == 0:
            # The stdin pipe is the writer's connection: its drain() calls and its
            # wait_closed() learn how it ended, as on a socket (streams.py).
            if self.stdin is not None:
                self.stdin.close()
            self.connection_lost(exc)
            if exc is None:
                self._stdin_closed.set_result(None)
            else:
                self._stdin_closed.set_exception(exc)
                # Calling wait_closed() is optional: an error nobody awaits is not one to
                # report as "never retrieved" (wait_closed() still raises it).
                self._stdin_closed.exception()
            return
        reader = self._reader(fd)
        if reader is not None:
            if exc is None:
                reader.feed_eof()
            else:
                reader.set_exception(exc)
        if fd in self._pipe_fds:
            self._pipe_fds.remove(fd)
        self._maybe_close_transport()

    def process_exited(self) -> None:
        self._process_exited = True
        self._maybe_close_transport()

    def _maybe_close_transport(self) -> None:
        # The last of the two events, whichever it is, closes the transport.
        if not self._pipe_fds and self._process_exited:
            self._transport.close()
            self._transport = None

    def _get_close_waiter(self, stream: StreamWriter) -> Future[None]:
        # Only stdin is a writer; asyncio answers None for anything else, and so does this.
        return self._stdin_closed if stream is self.stdin else None  # type: ignore[return-value]
