"""loop.subprocess_exec with a SubprocessProtocol: the order of its callbacks, and the
subprocess transport (pid, returncode, pipe transports, close, signals); a child that
outlives its loop.

The children wait for lines on their stdin between steps, and the protocol writes those
lines from its callbacks: each callback is the cause of the next, so the whole trace is one
chain and its order never depends on how fast a child runs.
"""

import gc
import logging
import os
import re
import signal
import subprocess
import sys
import time
import warnings

import pytest

from compat_tests.fds import no_fd_leaks, open_fds  # noqa: F401 (the fixture, used below)
from compat_tests.harness import scenario, sync_scenario
from compat_tests.records import asyncio_log, messages
from miniloop import versions

pytestmark = pytest.mark.usefixtures("no_fd_leaks")

PIPE, DEVNULL = subprocess.PIPE, subprocess.DEVNULL


def python(code):
    """The arguments that run `code` in a fresh interpreter (-S: no site, a faster start)."""
    return sys.executable, "-S", "-c", code


def recording(aio, log):
    """A SubprocessProtocol class that logs every callback, with futures for the end."""
    class Recording(aio.SubprocessProtocol):
        def __init__(self):
            loop = aio.get_running_loop()
            self.exited = loop.create_future()
            self.lost = loop.create_future()

        def connection_made(self, transport):
            self.transport = transport
            log("connection_made")

        def pipe_data_received(self, fd, data):
            log("pipe_data_received", fd, data)

        def pipe_connection_lost(self, fd, exc):
            log("pipe_connection_lost", fd, repr(exc))

        def process_exited(self):
            log("process_exited: returncode", self.transport.get_returncode())
            self.exited.set_result(None)

        def connection_lost(self, exc):
            log("connection_lost", repr(exc))
            self.lost.set_result(None)

    return Recording


# The child of the callback-order story: each step waits for the parent's next line.
STEPS = python(
    "import os, sys\n"
    "sys.stdin.readline()\n"
    "os.write(1, b'out')\n"
    "sys.stdin.readline()\n"
    "os.write(2, b'err')\n"
    "null = os.open(os.devnull, os.O_WRONLY)\n"
    "os.dup2(null, 2)\n"  # the end of stderr's pipe
    "sys.stdin.readline()\n"
    "os.dup2(null, 1)\n"  # the end of stdout's pipe
    "sys.stdin.read()\n"
    "sys.exit(3)\n")


@scenario(
    "connection_made",
    "subprocess_exec returned",
    "pipe_data_received 1 b'out'",
    "pipe_data_received 2 b'err'",
    "pipe_connection_lost 2 None",
    "pipe_connection_lost 1 None",
    "pipe_connection_lost 0 None",
    "process_exited: returncode 3",
    "connection_lost None",
    "wait: the returncode 3",
)
async def test_protocol_callback_order(aio, log):
    """connection_made comes before subprocess_exec returns; each pipe reports its data and
    its end; the process's exit comes after the stdin pipe's end (the child exits only once
    stdin is closed); connection_lost is last, once the process has exited and every pipe
    has ended."""
    class Steps(recording(aio, log)):
        def next_step(self):
            self.transport.get_pipe_transport(0).write(b"next\n")

        def pipe_data_received(self, fd, data):
            super().pipe_data_received(fd, data)
            self.next_step()

        def pipe_connection_lost(self, fd, exc):
            super().pipe_connection_lost(fd, exc)
            if fd == 2:
                self.next_step()
            elif fd == 1:
                self.transport.get_pipe_transport(0).close()

    loop = aio.get_running_loop()
    transport, protocol = await loop.subprocess_exec(Steps, *STEPS)
    log("subprocess_exec returned")
    protocol.next_step()
    await protocol.lost
    log("wait: the returncode", transport.get_returncode())
    transport.close()


@scenario(
    "connection_made",
    "get_pid: the Popen's pid, an int: True",
    "get_extra_info('subprocess') is a Popen: True",
    "get_returncode None",
    "pipe 0: a WriteTransport",
    "pipe 1: a ReadTransport",
    "pipe 2: None",
    "pipe 3: None",
    "is_closing False",
    "close()",
    "is_closing True",
    "pipe 0 is_closing True",
    "pipe_connection_lost 0 None",
    "pipe_connection_lost 1 None",
    "process_exited: returncode -9",
    "connection_lost None",
    "get_returncode -9, the Popen's returncode -9",
)
async def test_the_subprocess_transport(aio, log):
    """get_pipe_transport(fd) is None for a fd that is not piped; close() closes the pipes
    and kills a child that still runs (SIGKILL: returncode -9)."""
    loop = aio.get_running_loop()
    transport, protocol = await loop.subprocess_exec(
        recording(aio, log), *python("import time; time.sleep(30)"), stderr=None)
    popen = transport.get_extra_info("subprocess")
    log("get_pid: the Popen's pid, an int:",
        transport.get_pid() == popen.pid and isinstance(transport.get_pid(), int))
    log("get_extra_info('subprocess') is a Popen:", isinstance(popen, subprocess.Popen))
    log("get_returncode", transport.get_returncode())
    for fd in range(4):
        pipe = transport.get_pipe_transport(fd)
        kinds = [kind for kind in ("WriteTransport", "ReadTransport")
                 if isinstance(pipe, getattr(aio, kind))]
        log(f"pipe {fd}:", f"a {kinds[0]}" if pipe is not None else None)
    log("is_closing", transport.is_closing())
    log("close()")
    transport.close()
    log("is_closing", transport.is_closing())
    log("pipe 0 is_closing", transport.get_pipe_transport(0).is_closing())
    await protocol.lost
    log(f"get_returncode {transport.get_returncode()}, the Popen's returncode",
        popen.returncode)


@scenario(
    "connection_made",
    "pipe_connection_lost 0 None",
    "process_exited: returncode 0",
    "kill after the exit: nothing happens",
    "terminate after the exit: nothing happens",
    "send_signal after the exit: nothing happens",
    "pipe_connection_lost 1 None",
    "connection_lost None",
    "kill after the end raised ProcessLookupError: ",
)
async def test_send_signal_after_exit(aio, log):
    """A signal to a child that has exited does nothing while the transport still has a
    pipe open (here stdout, paused so that it cannot see its end); once the transport is
    done (connection_lost), the process is gone and signals raise ProcessLookupError. (3.13
    signals with os.kill instead of Popen.send_signal; what the program sees is the same.)"""
    loop = aio.get_running_loop()
    transport, protocol = await loop.subprocess_exec(
        recording(aio, log), *python("import sys; sys.stdin.read()"), stderr=DEVNULL)
    transport.get_pipe_transport(1).pause_reading()
    transport.get_pipe_transport(0).close()  # the child reads its end, and exits
    await protocol.exited
    for name, send in (("kill", transport.kill), ("terminate", transport.terminate),
                       ("send_signal", lambda: transport.send_signal(signal.SIGUSR1))):
        send()
        log(f"{name} after the exit: nothing happens")
    transport.get_pipe_transport(1).resume_reading()
    await protocol.lost
    try:
        transport.kill()
    except ProcessLookupError as exc:
        log.error("kill after the end raised", exc)
    transport.close()


@scenario(
    "protocol made",
    "raised FileNotFoundError: [Errno 2] No such file or directory: '/nonexistent/program'",
)
async def test_a_program_that_cannot_start(aio, log):
    """The protocol is made before the process is started, and hears nothing after."""
    class Made(recording(aio, log)):
        def __init__(self):
            super().__init__()
            log("protocol made")

    loop = aio.get_running_loop()
    try:
        await loop.subprocess_exec(Made, "/nonexistent/program")
    except FileNotFoundError as exc:
        log.error("raised", exc)


@sync_scenario(
    "after run(): returncode None, the child runs: True",
    *(["killed"] if versions.PIDFD_WATCHER_BY_DEFAULT else [
        "WARNING Loop <EventLoop running=False closed=True debug=False> "
        "that handles pid PID is closed",
        "the watcher thread reaped it"]),
    "ResourceWarning unclosed transport <SubprocessTransport pid=PID running>",
)
def test_a_child_outlives_its_loop(aio, log):
    """run() does not wait for children: one still running when the loop closes goes on
    running, and the program never hears of its end. A watcher thread (3.11's default)
    still reaps it when it ends, and warns that its loop is closed. A pidfd (3.12's
    default) was watched through the loop only: asyncio then leaves the child to become a
    zombie, and its pidfd open, so here the story reaps it and closes the pidfd itself;
    miniloop hands the child to a thread that reaps it (tests/test_children.py). The
    transport, never closed, warns when it is collected."""
    async def main():
        return await aio.create_subprocess_exec(*python("import time; time.sleep(30)"))

    proc = aio.run(main())
    pid = proc.pid
    running = process_state(pid) not in (None, "Z")
    log(f"after run(): returncode {proc.returncode}, the child runs:", running)
    with asyncio_log(logging.WARNING) as records:
        os.kill(pid, signal.SIGKILL)
        if versions.PIDFD_WATCHER_BY_DEFAULT:
            log("killed")
            if aio.__name__ == "asyncio":  # the zombie and the pidfd asyncio leaves
                os.waitpid(pid, 0)
                for fd, target in open_fds().items():
                    if target == "anon_inode:[pidfd]":
                        os.close(int(fd))
        else:
            deadline = time.monotonic() + 10  # the thread reaps the child, then logs
            while not records and time.monotonic() < deadline:
                time.sleep(0.01)
            for line in messages(records):
                log(line.replace(str(pid), "PID"))
            log("the watcher thread reaped it")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del proc
        gc.collect()
    for warning in caught:
        text = str(warning.message)
        if f"pid={pid} " in text:
            text = re.sub(r"<\w+ ", "<SubprocessTransport ", text.replace(str(pid), "PID"))
            log(warning.category.__name__, text)


def process_state(pid):
    """A process's state letter ("Z": a zombie), or None once it has been reaped."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return None


@scenario(
    "send_signal: nothing raised",
    *(["WARNING child process pid PID exit status already read:  will report returncode 255",
       "wait 255"]
      if versions.PIDFD_WATCHER_BY_DEFAULT and not versions.SUBPROCESS_SIGNALS_BY_PID else
      ["wait 3"]),
)
async def test_signalling_a_child_whose_exit_is_not_yet_seen(aio, log):
    """The child has exited, and the loop has not yet looked (the story blocks it). 3.12
    signals through Popen.send_signal(), which first polls, and so reaps the child
    itself: the pidfd watcher then finds no exit status, warns, and reports 255. 3.13
    signals with os.kill(), which a zombie accepts, and the watcher reaps the child as
    usual. (3.11's watcher thread reaps the child the moment it exits, before the signal:
    Popen finds nothing, and the thread has the true returncode.)"""
    proc = await aio.create_subprocess_exec(*python("raise SystemExit(3)"))
    # A zombie where only the loop reaps; gone where a watcher thread reaps (a zombie seen
    # there could be reaped by send_signal's poll before the thread gets it).
    exited = "Z" if versions.PIDFD_WATCHER_BY_DEFAULT else None
    deadline = time.monotonic() + 10
    while process_state(proc.pid) != exited and time.monotonic() < deadline:
        time.sleep(0.01)  # blocks the loop: it cannot see the exit meanwhile
    with asyncio_log(logging.WARNING) as records:
        proc.send_signal(signal.SIGTERM)
        log("send_signal: nothing raised")
        returncode = await proc.wait()
    for line in messages(records):
        log(line.replace(str(proc.pid), "PID"))
    log("wait", returncode)
