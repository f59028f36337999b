"""Child processes as transports: `loop.subprocess_exec` and `loop.subprocess_shell`.

What you learn here: a child process is not one connection but up to four things to watch,
and the transport's work is to tell one story about them. `subprocess.Popen` starts the
child with pipes for the standard streams it was asked to pipe; each pipe then gets the pipe
transport of pipes.py (fd 0 a write pipe, fds 1 and 2 read pipes), and the child's exit is
reported by a *child watcher* (childwatchers.py). The protocol, a `SubprocessProtocol`,
hears all of it through one set of callbacks that name the pipe by its fd:

    connection_made(transport)          once the pipes are connected
    pipe_data_received(fd, data)        output on the child's stdout (1) or stderr (2)
    pipe_connection_lost(fd, exc)       one of the pipes closed
    process_exited()                    the child is gone (get_returncode() says how)
    connection_lost(None)               last: the process has exited AND every pipe closed

Discussion: the order is asyncio's, and it comes from two rules. First, nothing reaches
the protocol before `connection_made`: connecting the pipes takes a few turns of the loop
(each pipe transport calls its own connection_made on a later turn), and the child may
write, close a pipe, or even exit meanwhile, so those events wait in `_pending_calls` and
are queued right behind connection_made. Second, every protocol callback goes through
`call_soon` (`_call`), never straight from the pipe's callback, so the events keep the
order in which they happened. `connection_lost` waits for both the exit and every pipe:
the child may exit before we read the last of its output, or close its output and go on.

`ProcessTransport.close()` closes the pipes and kills a child that still runs, but the
watcher still reaps it (no zombie): only its exit report ends the transport. `SubprocessMixin`
holds the two loop methods; `EventLoop` inherits them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import warnings
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import versions
from .errors import logger
from .protocols import Protocol
from .transports import SubprocessTransport

if TYPE_CHECKING:
    from .futures import Future

__all__ = ("ProcessTransport", "SubprocessMixin")

PendingCall = tuple[Callable[..., Any], tuple[Any, ...]]  # a protocol method and its args



class ProcessTransport(SubprocessTransport):
    """A child started with subprocess.Popen, its pipes, and its exit, for one protocol."""

    def __init__(self, loop: Any, protocol: Any, args: Any, shell: bool, stdin: Any,
                 stdout: Any, stderr: Any, bufsize: int, waiter: Future[None] | None = None,
                 extra: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(extra)
        self._loop = loop
        self._protocol = protocol
        self._closed = False                # close() was called
        self._proc: Any = None              # the Popen; None again once connection_lost ran
        self._pid: int | None = None        # the child's pid, once started
        self._returncode: int | None = None  # set by _process_exited()
        self._exit_waiters: list[Future[int]] | None = []  # wait() calls, woken at the end
        self._pending_calls: deque[PendingCall] | None = deque()
        # ^ protocol calls held back until connection_made is queued; None from then on
        self._pipes: dict[int, PipeEnd | None] = {}
        # ^ fd -> the protocol on that pipe (None until the pipe is connected)
        for fd, how in enumerate((stdin, stdout, stderr)):
            if how == subprocess.PIPE:
                self._pipes[fd] = None
        try:
            self._start(args, shell, stdin, stdout, stderr, bufsize, **kwargs)
        except BaseException:
            # Popen closed the pipes it had made; closing marks this transport done, so
            # that its __del__ does not warn about a transport that never was.
            self.close()
            raise
        proc: Any = self._proc  # (what _start() made)
        self._pid = proc.pid
        self._extra["subprocess"] = proc
        if loop.get_debug():
            program = args if isinstance(args, (bytes, str)) else args[0]
            logger.debug("process %r created: pid %s", program, self._pid)
        loop.create_task(self._connect_pipes(waiter))

    def __repr__(self) -> str:
        info = [type(self).__name__]
        if self._closed:
            info.append("closed")
        if self._pid is not None:
            info.append(f"pid={self._pid}")
        if self._returncode is not None:
            info.append(f"returncode={self._returncode}")
        else:
            info.append("running" if self._pid is not None else "not started")
        for fd, name in enumerate(("stdin", "stdout", "stderr")):
            end = self._pipes.get(fd)
            if end is not None:
                info.append(f"{name}={end.pipe}")
        return f"<{' '.join(info)}>"

    def _start(self, args: Any, shell: bool, stdin: Any, stdout: Any, stderr: Any,
               bufsize: int, **kwargs: Any) -> None:
        """Start the child, as `self._proc`. (universal_newlines=False: the pipes carry
        bytes; subprocess_exec has refused text mode already.)"""
        self._proc = subprocess.Popen(args, shell=shell, stdin=stdin, stdout=stdout,
                                      stderr=stderr, universal_newlines=False,
                                      bufsize=bufsize, **kwargs)

    async def _connect_pipes(self, waiter: Future[None] | None) -> None:
        """Wrap each of the child's pipes in a pipe transport, then tell the protocol.

        The pipes are connected one after the other (stdin, stdout, stderr), each taking
        its own turns, then connection_made is queued, then whatever happened meanwhile.
        """
        try:
            proc, loop = self._proc, self._loop
            for fd, pipe in enumerate((proc.stdin, proc.stdout, proc.stderr)):
                if pipe is None:
                    continue
                connect = loop.connect_write_pipe if fd == 0 else loop.connect_read_pipe
                _, end = await connect(lambda fd=fd: PipeEnd(self, fd), pipe)
                self._pipes[fd] = end
            loop.call_soon(self._protocol.connection_made, self)
            for callback, args in self._pending_calls or ():
                loop.call_soon(callback, *args)
            self._pending_calls = None
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            if waiter is not None and not waiter.cancelled():
                waiter.set_exception(exc)
        else:
            if waiter is not None and not waiter.cancelled():
                waiter.set_result(None)

    # == What the pipes and the watcher report ===================================================

    def _call(self, callback: Callable[..., Any], *args: Any) -> None:
        """Queue a protocol call, or hold it while connection_made has not been queued."""
        if self._pending_calls is not None:
            self._pending_calls.append((callback, args))
        else:
            self._loop.call_soon(callback, *args)

    def _pipe_data_received(self, fd: int, data: bytes) -> None:
        self._call(self._protocol.pipe_data_received, fd, data)

    def _pipe_connection_lost(self, fd: int, exc: BaseException | None) -> None:
        self._call(self._protocol.pipe_connection_lost, fd, exc)
        self._try_finish()

    def _process_exited(self, returncode: int) -> None:
        """The watcher's report, in the loop's thread: the child is gone and reaped."""
        if self._loop.get_debug():
            logger.info("%r exited with return code %r", self, returncode)
        self._returncode = returncode
        if self._proc.returncode is None:
            # The watcher reaped the child, not Popen: tell the Popen, or it would try
            # (and warn about a child it thinks is still running when collected).
            self._proc.returncode = returncode
        self._call(self._protocol.process_exited)
        self._try_finish()

    def _try_finish(self) -> None:
        """connection_lost is queued once: when the process has exited and no pipe is open."""
        if self._returncode is None:
            return
        if all(end is not None and end.disconnected for end in self._pipes.values()):
            self._call(self._call_connection_lost, None)

    def _call_connection_lost(self, exc: BaseException | None) -> None:
        try:
            self._protocol.connection_lost(exc)
        finally:
            # wait() returns only now, after the protocol heard the last of the child.
            for waiter in self._exit_waiters or ():
                if not waiter.cancelled():
                    waiter.set_result(self._returncode)  # type: ignore[arg-type]
            self._exit_waiters = None
            self._loop = self._proc = self._protocol = None

    async def _wait(self) -> int:
        """The returncode, once the transport has finished (Process.wait())."""
        if self._returncode is not None:
            return self._returncode
        waiter = self._loop.create_future()
        self._exit_waiters.append(waiter)  # type: ignore[union-attr]
        return await waiter

    # == The transport's interface ===============================================================

    def get_pid(self) -> int:
        return self._pid  # type: ignore[return-value]

    def get_returncode(self) -> int | None:
        return self._returncode

    def get_pipe_transport(self, fd: int) -> Any:
        end = self._pipes.get(fd)
        return None if end is None else end.pipe

    def set_protocol(self, protocol: Any) -> None:
        self._protocol = protocol

    def get_protocol(self) -> Any:
        return self._protocol

    def is_closing(self) -> bool:
        return self._closed

    def _check_proc(self) -> None:
        # After connection_lost the transport has let go of its child, whose pid may
        # already belong to another process: no signal may go out any more.
        if self._proc is None:
            raise ProcessLookupError()

    def send_signal(self, signal: int) -> None:
        self._check_proc()
        if versions.SUBPROCESS_SIGNALS_BY_PID:
            try:
                os.kill(self._proc.pid, signal)
            except ProcessLookupError:
                pass  # exited, not yet reaped by the watcher's report
        else:
            self._proc.send_signal(signal)  # (Popen's skips a child it knows has exited)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def close(self) -> None:
        """Close the pipes, and kill the child if it still runs (asyncio does not leave a
        child running behind a closed transport). The watcher still reaps it."""
        if self._closed:
            return
        self._closed = True
        for end in self._pipes.values():
            if end is not None:
                end.pipe.close()
        # poll(): the child may have exited, its report not yet delivered.
        if self._proc is not None and self._returncode is None and self._proc.poll() is None:
            if self._loop.get_debug():
                logger.warning("Close running child process: kill %r", self)
            ignored = ((ProcessLookupError, PermissionError)
                       if versions.SUBPROCESS_SIGNALS_BY_PID else ProcessLookupError)
            try:
                self._proc.kill()
            except ignored:
                pass  # gone already (or, 3.13: a setuid child we may not signal)

    def __del__(self, _warn: Any = warnings.warn) -> None:
        if not self._closed:
            _warn(f"unclosed transport {self!r}", ResourceWarning, source=self)
            self.close()


class PipeEnd(Protocol):
    """The protocol on one of the child's pipes: it passes what happens on to the
    ProcessTransport, with the pipe's fd. Write-flow control of stdin goes to the user's
    protocol (a SubprocessStreamProtocol's stdin.drain() waits on it)."""

    def __init__(self, process: ProcessTransport, fd: int) -> None:
        self.process: Any = process  # the ProcessTransport; None once the pipe closed
        self.fd = fd                 # 0, 1 or 2: which of the child's streams
        self.pipe: Any = None        # the pipe transport (connection_made)
        self.disconnected = False    # connection_lost was called

    def __repr__(self) -> str:
        return f"<{type(self).__name__} fd={self.fd} pipe={self.pipe!r}>"

    def connection_made(self, transport: Any) -> None:
        self.pipe = transport

    def data_received(self, data: bytes) -> None:
        self.process._pipe_data_received(self.fd, data)

    def connection_lost(self, exc: BaseException | None) -> None:
        self.disconnected = True
        self.process._pipe_connection_lost(self.fd, exc)
        self.process = None

    def pause_writing(self) -> None:
        self.process._protocol.pause_writing()

    def resume_writing(self) -> None:
        self.process._protocol.resume_writing()


class SubprocessMixin:
    """loop.subprocess_exec() and loop.subprocess_shell().

    (subprocess_exec's signature is asyncio's loop's, `program, *args`, where asyncio's
    abstract interface has `*args` alone: the type checker's complaint about that is
    silenced on EventLoop's line in loop.py.)
    """

    if TYPE_CHECKING:  # what we use of EventLoop, for the type checker
        def create_future(self) -> Future[Any]: ...
        def get_debug(self) -> bool: ...
        def call_soon(self, callback: Callable[..., Any], *args: Any) -> Any: ...
        def call_soon_threadsafe(self, callback: Callable[..., Any], *args: Any) -> Any: ...

    async def subprocess_exec(self, protocol_factory: Callable[[], Any], program: Any,
                              *args: Any, stdin: Any = subprocess.PIPE,
                              stdout: Any = subprocess.PIPE, stderr: Any = subprocess.PIPE,
                              universal_newlines: bool = False, shell: bool = False,
                              bufsize: int = 0, encoding: str | None = None,
                              errors: str | None = None, text: bool | None = None,
                              **kwargs: Any) -> tuple[Any, Any]:
        """Start `program` with `args` (no shell): (transport, protocol)."""
        if universal_newlines:
            raise ValueError("universal_newlines must be False")
        if shell:
            raise ValueError("shell must be False")
        _check_bytes_mode(bufsize, text, encoding, errors)
        protocol = protocol_factory()
        what = f"execute program {program!r}"
        self._log_start(what, stdin, stdout, stderr)
        transport = await self._make_subprocess_transport(
            protocol, (program, *args), False, stdin, stdout, stderr,
            bufsize, **kwargs)
        self._log_started(what, transport)
        return transport, protocol

    async def subprocess_shell(self, protocol_factory: Callable[[], Any], cmd: str | bytes,
                               *, stdin: Any = subprocess.PIPE, stdout: Any = subprocess.PIPE,
                               stderr: Any = subprocess.PIPE, universal_newlines: bool = False,
                               shell: bool = True, bufsize: int = 0,
                               encoding: str | None = None, errors: str | None = None,
                               text: bool | None = None, **kwargs: Any) -> tuple[Any, Any]:
        """Run the command line `cmd` through the shell: (transport, protocol)."""
        if not isinstance(cmd, (bytes, str)):
            raise ValueError("cmd must be a string")
        if universal_newlines:
            raise ValueError("universal_newlines must be False")
        if not shell:
            raise ValueError("shell must be True")
        _check_bytes_mode(bufsize, text, encoding, errors)
        protocol = protocol_factory()
        what = f"run shell command {cmd!r}"
        self._log_start(what, stdin, stdout, stderr)
        transport = await self._make_subprocess_transport(
            protocol, cmd, True, stdin, stdout, stderr, bufsize,
            **kwargs)
        self._log_started(what, transport)
        return transport, protocol

    def _log_start(self, what: str, stdin: Any, stdout: Any, stderr: Any) -> None:
        """Debug mode: the program and where its streams go, as asyncio logs them (never
        the arguments, which may hold a password)."""
        if not self.get_debug():
            return
        info = [what]
        if stdin is not None:
            info.append(f"stdin={_pipe_name(stdin)}")
        if stdout is not None and stderr == subprocess.STDOUT:
            info.append(f"stdout=stderr={_pipe_name(stdout)}")
        else:
            if stdout is not None:
                info.append(f"stdout={_pipe_name(stdout)}")
            if stderr is not None:
                info.append(f"stderr={_pipe_name(stderr)}")
        logger.debug(" ".join(info))

    def _log_started(self, what: str, transport: ProcessTransport) -> None:
        if self.get_debug():
            logger.info("%s: %r", what, transport)

    async def _make_subprocess_transport(self, protocol: Any, args: Any, shell: bool,
                                         stdin: Any, stdout: Any, stderr: Any, bufsize: int,
                                         **kwargs: Any) -> ProcessTransport:
        """Start the child under the policy's watcher, and wait for its pipes.

        Discussion: the child is started inside `with watcher:` and registered with it at
        once, before anything else can run: a SIGCHLD watcher must know the pid before the
        exit can be reported (sigchldwatchers.py). If connecting the pipes fails or the
        caller is cancelled meanwhile, the child is killed and *waited for* before the
        error goes on, so that no child outlives a failed call.
        """
        from .policies import get_child_watcher  # (policies.py imports the loop)

        with warnings.catch_warnings():  # asyncio's own use of the API does not warn
            warnings.simplefilter("ignore", DeprecationWarning)
            watcher = get_child_watcher()
        with watcher as entered:
            if not versions.WATCHER_ITSELF_INSIDE_WITH:
                watcher = entered  # 3.11 (the same object, for every real watcher)
            if not watcher.is_active():
                # Before the child starts: a child nobody would ever reap must not start.
                raise RuntimeError("asyncio.get_child_watcher() is not activated, "
                                   "subprocess support is not installed.")
            waiter = self.create_future()
            transport = ProcessTransport(self, protocol, args, shell, stdin, stdout, stderr,
                                         bufsize, waiter=waiter, **kwargs)
            watcher.add_child_handler(transport.get_pid(), self._child_watcher_callback,
                                      transport)
            try:
                await waiter
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException:
                transport.close()
                await transport._wait()
                raise
        return transport

    def _child_watcher_callback(self, pid: int, returncode: int,
                                transport: ProcessTransport) -> None:
        """The watcher's report, from any thread: hand it to the loop's thread."""
        if versions.CHILD_EXIT_REPORTED_IN_ONE_HOP:
            self.call_soon_threadsafe(transport._process_exited, returncode)
        else:  # 3.11 lets one more turn go by
            self.call_soon_threadsafe(self.call_soon, transport._process_exited, returncode)


def _pipe_name(how: Any) -> str:
    """A stdin=/stdout=/stderr= argument as the debug log shows it."""
    return {subprocess.PIPE: "<pipe>", subprocess.STDOUT: "<stdout>"}.get(how, repr(how))


def _check_bytes_mode(bufsize: int, text: bool | None, encoding: str | None,
                      errors: str | None) -> None:
    """The pipes are byte streams the loop reads as they come: refuse the rest of Popen's
    text mode and buffering (after universal_newlines and shell), with asyncio's messages,
    in asyncio's order."""
    if bufsize != 0:
        raise ValueError("bufsize must be 0")
    if text:
        raise ValueError("text must be False")
    if encoding is not None:
        raise ValueError("encoding must be None")
    if errors is not None:
        raise ValueError("errors must be None")
