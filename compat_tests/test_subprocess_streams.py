"""SubprocessStreamProtocol (asyncio.subprocess's protocol) on transports the story plays.

The story is the subprocess transport and its pipe transports: it calls the protocol's
callbacks (connection_made, pipe_data_received, pipe_connection_lost, process_exited) in
the order a child's pipes would, so each trace shows which pipe is asked for when, what
each stream sees, and when the subprocess transport is closed. No process is started.
"""

import asyncio

import pytest

import miniloop
from compat_tests.fds import no_fd_leaks  # noqa: F401 (the fixture, used below)
from compat_tests.harness import scenario
from miniloop.subprocessstreams import SubprocessStreamProtocol

pytestmark = pytest.mark.usefixtures("no_fd_leaks")

PROTOCOL = {asyncio: asyncio.subprocess.SubprocessStreamProtocol,
            miniloop: SubprocessStreamProtocol}


class Pipe:
    """One of the child's pipes: records what the streams ask of it."""

    def __init__(self, log, fd):
        self.log, self.fd = log, fd
        self.closing = False

    def write(self, data):
        self.log(f"pipe {self.fd} write", data)

    def close(self):
        self.log(f"pipe {self.fd} close")
        self.closing = True

    def is_closing(self):
        return self.closing

    def pause_reading(self):
        self.log(f"pipe {self.fd} pause_reading")

    def resume_reading(self):
        self.log(f"pipe {self.fd} resume_reading")

    def __repr__(self):
        return f"<Pipe {self.fd}>"


class Child:
    """The subprocess transport: hands out the pipes the program asked for."""

    def __init__(self, log, fds):
        self.log = log
        self.pipes = {fd: Pipe(log, fd) for fd in fds}

    def get_pipe_transport(self, fd):
        self.log("get_pipe_transport", fd)
        return self.pipes.get(fd)

    def close(self):
        self.log("subprocess transport close")


def spawn(aio, log, fds=(0, 1, 2), limit=2**16):
    protocol = PROTOCOL[aio](limit=limit, loop=aio.get_running_loop())
    protocol.connection_made(Child(log, fds))
    return protocol


@scenario(
    "get_pipe_transport 1",
    "get_pipe_transport 2",
    "get_pipe_transport 0",
    "<SubprocessStreamProtocol stdin=<StreamWriter transport=<Pipe 0>> "
    "stdout=<StreamReader transport=<Pipe 1>> stderr=<StreamReader transport=<Pipe 2>>>",
    "stdout b'out\\n' b'more'",
    "stderr b'oops'",
    "process exited",
    "subprocess transport close",
    "stderr raised BrokenPipeError: gone",
)
async def test_output_pipes_feed_the_readers_and_the_last_event_closes(aio, log):
    """Pipes are asked for as stdout, stderr, stdin; fd 3 is nobody's; the subprocess
    transport closes when the process has exited and both output pipes are closed."""
    protocol = spawn(aio, log)
    log(repr(protocol))
    protocol.pipe_data_received(1, b"out\n")
    protocol.pipe_data_received(3, b"ignored")
    protocol.pipe_data_received(2, b"oops")
    protocol.pipe_data_received(1, b"more")
    protocol.pipe_connection_lost(1, None)
    log("stdout", await protocol.stdout.readline(), await protocol.stdout.read())
    log("stderr", await protocol.stderr.read(4))
    log("process exited")
    protocol.process_exited()  # stderr is still open: the transport stays
    protocol.pipe_connection_lost(2, BrokenPipeError("gone"))
    try:
        await protocol.stderr.read()
    except BrokenPipeError as exc:
        log.error("stderr raised", exc)


@scenario(
    "get_pipe_transport 1",
    "get_pipe_transport 2",
    "get_pipe_transport 0",
    "<SubprocessStreamProtocol stdout=<StreamReader transport=<Pipe 1>>>",
    "stdin None stderr None",
    "stdout closed",
    "subprocess transport close",
    "read b'last'",
)
async def test_a_process_that_exits_first_closes_at_its_pipes_end(aio, log):
    """Only stdout piped: the other streams are None; exiting first, then the pipe's end
    closes the transport (a closed stdin pipe is not waited for)."""
    protocol = spawn(aio, log, fds=(1,))
    log(repr(protocol))
    log("stdin", protocol.stdin, "stderr", protocol.stderr)
    protocol.process_exited()
    protocol.pipe_connection_lost(0, None)
    protocol.pipe_data_received(1, b"last")
    log("stdout closed")
    protocol.pipe_connection_lost(1, None)
    log("read", await protocol.stdout.read())


@scenario(
    "get_pipe_transport 1",
    "get_pipe_transport 2",
    "get_pipe_transport 0",
    "pipe 0 write b'input'",
    "drain returned",
    "pipe 0 close",
    "pipe 0 lost",
    "pipe 0 close",
    "wait_closed returned",
    "is_closing True",
)
async def test_stdin_is_a_writer_closed_with_its_pipe(aio, log):
    """close() closes the pipe, and so does the pipe's end (again); wait_closed() waits for
    that end."""
    protocol = spawn(aio, log)
    protocol.stdin.write(b"input")
    await protocol.stdin.drain()
    log("drain returned")
    protocol.stdin.close()
    log("pipe 0 lost")
    protocol.pipe_connection_lost(0, None)
    await protocol.stdin.wait_closed()
    log("wait_closed returned")
    log("is_closing", protocol.stdin.is_closing())


@scenario(
    "get_pipe_transport 1",
    "get_pipe_transport 2",
    "get_pipe_transport 0",
    "pause_writing",
    "pipe 0 close",
    "drain raised BrokenPipeError: child gone",
    "wait_closed raised BrokenPipeError: child gone",
    "next drain raised ConnectionResetError: Connection lost",
)
async def test_a_broken_stdin_pipe_fails_the_waiting_drain_and_wait_closed(aio, log):
    """The pipe's error reaches a drain() waiting on the paused pipe, and wait_closed()."""
    protocol = spawn(aio, log)
    log("pause_writing")
    protocol.pause_writing()
    drain = aio.create_task(protocol.stdin.drain())
    await aio.sleep(0)
    protocol.pipe_connection_lost(0, BrokenPipeError("child gone"))
    for name, call in (("drain", drain), ("wait_closed", protocol.stdin.wait_closed()),
                       ("next drain", protocol.stdin.drain())):
        try:
            await call
        except OSError as exc:
            log.error(f"{name} raised", exc)


@scenario(
    "get_pipe_transport 1",
    "get_pipe_transport 2",
    "get_pipe_transport 0",
    "pipe 1 pause_reading",
    "pipe 1 resume_reading",
    "read 3 bytes",
)
async def test_a_full_stdout_reader_pauses_its_pipe(aio, log):
    """The readers have the protocol's limit and their pipe as transport: more than twice
    the limit buffered pauses that pipe; read() resumes it as it takes the buffer back
    down, before it returns."""
    protocol = spawn(aio, log, limit=2)
    protocol.pipe_data_received(1, b"abcde")
    log("read", len(await protocol.stdout.read(3)), "bytes")
