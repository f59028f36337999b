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

On top of it, `Process` is what `create_subprocess_exec()` and `create_subprocess_shell()`
return: the three streams, `wait()`, `communicate()`, and the signals. (The transport that
starts the child and drives this protocol is subprocesstransport.py.)

Discussion: why `communicate()` cannot deadlock. A child writes to its stdout pipe only as
fast as we read it (a pipe holds 64 KiB), and may not read more of its stdin until it has
written. Feeding stdin and reading stdout one after the other would leave both sides
waiting on each other; `communicate()` runs the three as tasks under one `gather()`, so
whichever pipe is ready makes progress.
"""

from __future__ import annotations

import subprocess
from typing import Any

from . import versions
from .current import get_running_loop
from .errors import logger
from .futures import Future
from .gather import gather
from .protocols import SubprocessProtocol
from .streamreader import DEFAULT_LIMIT, StreamReader
from .streams import FlowControlMixin, StreamWriter

__all__ = ("DEVNULL", "PIPE", "STDOUT", "Process", "SubprocessStreamProtocol",
           "create_subprocess_exec", "create_subprocess_shell")

PIPE = subprocess.PIPE        # asyncio.subprocess re-exports subprocess's three constants
STDOUT = subprocess.STDOUT
DEVNULL = subprocess.DEVNULL


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


class Process:
    """A running child: `pid`, `returncode`, its `stdin`/`stdout`/`stderr` streams (None
    for a stream not piped), `wait()`, `communicate()` and the signals."""

    def __init__(self, transport: Any, protocol: SubprocessStreamProtocol, loop: Any) -> None:
        self._transport = transport
        self._protocol = protocol
        self._loop = loop
        self.stdin = protocol.stdin
        self.stdout = protocol.stdout
        self.stderr = protocol.stderr
        self.pid: int = transport.get_pid()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.pid}>"

    @property
    def returncode(self) -> int | None:
        """None while the child runs (or its exit is not reported yet); -N after signal N."""
        return self._transport.get_returncode()

    async def wait(self) -> int:
        """Wait until the child has exited and its pipes are closed: its returncode."""
        return await self._transport._wait()

    def send_signal(self, signal: int) -> None:
        self._transport.send_signal(signal)

    def terminate(self) -> None:
        self._transport.terminate()

    def kill(self) -> None:
        self._transport.kill()

    async def communicate(self, input: bytes | None = None) -> tuple[Any, Any]:
        """Write `input` to stdin and close it, read stdout and stderr to their end, all at
        once; then wait for the child: (stdout data, stderr data), None for an unpiped one."""
        # 3.12: a piped stdin is fed and closed even without input (the child sees its
        # end); 3.11 feeds whatever input there is, to a stdin that may not be piped.
        feeds = (self.stdin is not None if versions.COMMUNICATE_CLOSES_STDIN
                 else input is not None)
        stdin = self._feed_stdin(input) if feeds else _nothing()
        stdout = self._read_stream(1) if self.stdout is not None else _nothing()
        stderr = self._read_stream(2) if self.stderr is not None else _nothing()
        _, out, err = await gather(stdin, stdout, stderr)
        await self.wait()
        return out, err

    async def _feed_stdin(self, input: bytes | None) -> None:
        debug = self._loop.get_debug()
        stdin: Any = self.stdin  # None if not piped: on 3.11, write() fails then, as there
        try:
            if input is not None:
                stdin.write(input)
                if debug:
                    logger.debug("%r communicate: feed stdin (%s bytes)", self, len(input))
            await stdin.drain()
        except (BrokenPipeError, ConnectionResetError) as exc:
            # A child that exits without reading all of its input is not an error here.
            if debug:
                logger.debug("%r communicate: stdin got %r", self, exc)
        if debug:
            logger.debug("%r communicate: close stdin", self)
        stdin.close()

    async def _read_stream(self, fd: int) -> bytes:
        stream = self.stdout if fd == 1 else self.stderr
        assert stream is not None
        name = "stdout" if fd == 1 else "stderr"
        if self._loop.get_debug():
            logger.debug("%r communicate: read %s", self, name)
        output = await stream.read()
        if self._loop.get_debug():
            logger.debug("%r communicate: close %s", self, name)
        self._transport.get_pipe_transport(fd).close()
        return output


async def _nothing() -> None:
    """What communicate() gathers in place of a stream that is not piped."""


async def create_subprocess_exec(program: Any, *args: Any, stdin: Any = None,
                                 stdout: Any = None, stderr: Any = None,
                                 limit: int = DEFAULT_LIMIT, **kwds: Any) -> Process:
    """Start `program` with `args`: a Process. Each stream is inherited unless PIPE (or
    DEVNULL, a file, an fd) is given for it; `limit` is the readers' buffer limit."""
    loop = get_running_loop()
    transport, protocol = await loop.subprocess_exec(
        lambda: SubprocessStreamProtocol(limit=limit, loop=loop), program, *args,
        stdin=stdin, stdout=stdout, stderr=stderr, **kwds)
    return Process(transport, protocol, loop)


async def create_subprocess_shell(cmd: str | bytes, stdin: Any = None, stdout: Any = None,
                                  stderr: Any = None, limit: int = DEFAULT_LIMIT,
                                  **kwds: Any) -> Process:
    """Run the command line `cmd` through the shell: a Process (see create_subprocess_exec)."""
    loop = get_running_loop()
    transport, protocol = await loop.subprocess_shell(
        lambda: SubprocessStreamProtocol(limit=limit, loop=loop), cmd,
        stdin=stdin, stdout=stdout, stderr=stderr, **kwds)
    return Process(transport, protocol, loop)
