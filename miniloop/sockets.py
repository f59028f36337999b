"""Sockets: how `await loop.sock_recv(sock, n)` becomes a file descriptor the loop polls.

What you learn here: every `sock_*` method follows the same three steps.

1. **Try the system call first.** The socket is non-blocking, so `sock.recv(n)` either
   returns at once (data was already waiting, the common case on a busy connection) or
   raises `BlockingIOError`. Only in the second case do we involve the loop at all.
2. **Wait on the poller.** Register an I/O callback for the socket with the loop's poller
   (`loop._add_reader`, watching.py) and await a future. Each time the poll reports the fd
   ready, the callback (`_retry`) tries the system call again: when it no longer would
   block, its result (or its exception) completes the future, and the task wakes up on the
   next turn with it.
3. **Unregister, however the wait ended**: with a result, an error, or a cancellation
   (`_wait_readable`, `_wait_writable`). A cancelled `sock_recv` leaves nothing behind,
   so the socket can be read again at once. One twist, and miniloop's one departure from
   asyncio's mechanics (not its behaviour): after a successful read the registration is
   *parked* until the loop next polls, because the next read on it usually comes right
   away (poller.py, `Poller.park_reader`, weighs that trade-off).

`sock_connect` first turns a host name into an address without blocking the loop: the DNS
lookup (`getaddrinfo`) runs in the loop's default executor (executors.py). An IP address
skips the lookup, as in asyncio.

Exactness notes (each pinned by a scenario in compat_tests/test_sockets*.py):

* A blocking socket is refused with `ValueError("the socket must be non-blocking")` only
  in debug mode, as in asyncio; otherwise the call simply blocks the loop.
* A second `sock_recv` on a socket that already has one pending does not raise: its
  registration replaces the first one, which then waits forever (until cancelled).
* Errors are the system call's own (`ConnectionResetError`, `BrokenPipeError`, `OSError`
  with EBADF for a closed socket), except a connect that fails after waiting, which
  asyncio reports as `OSError(errno, "Connect call failed <address>")`.

`SocketMixin` holds these methods; `EventLoop` inherits them.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable
from operator import methodcaller
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import logger  # debug mode logs address lookups there
from .handles import Handle

if TYPE_CHECKING:
    import concurrent.futures

    from _typeshed import ReadableBuffer, WriteableBuffer

    from .futures import Future
    from .poller import Poller

__all__ = ("SocketMixin",)

T = TypeVar("T")

_Address = Any  # a socket address: (host, port), (host, port, flowinfo, scope_id), a path...


class SocketMixin:
    """The loop's coroutine methods for non-blocking sockets."""

    if TYPE_CHECKING:  # what we use of EventLoop, for the type checker
        _debug: bool
        slow_callback_duration: float
        def time(self) -> float: ...
        def create_future(self) -> Future[Any]: ...
        def _add_reader(self, fd: int | socket.socket, callback: Callable[..., object],
                        *args: Any) -> Handle: ...
        def _add_writer(self, fd: int, callback: Callable[..., object],
                        *args: Any) -> Handle: ...
        def _remove_reader(self, fd: int | socket.socket) -> bool: ...
        def _remove_writer(self, fd: int) -> bool: ...
        _poller: Poller
        def run_in_executor(self, executor: concurrent.futures.Executor | None,
                            func: Callable[..., T], *args: Any) -> Future[T]: ...

    # == Reading ===============================================================================

    async def sock_recv(self, sock: socket.socket, n: int) -> bytes:
        """Receive up to `n` bytes; b"" means the peer closed its side."""
        _check_socket(self, sock)
        try:
            return sock.recv(n)  # 1. try the system call
        except (BlockingIOError, InterruptedError):
            pass
        fut: Future[bytes] = self.create_future()  # 2. wait until a retry succeeds
        return await self._wait_readable(sock, fut, _retry, fut, methodcaller("recv", n), sock)

    async def sock_recv_into(self, sock: socket.socket,
                             buf: WriteableBuffer) -> int:
        """Receive into `buf`; return how many bytes were written there."""
        _check_socket(self, sock)
        try:
            return sock.recv_into(buf)
        except (BlockingIOError, InterruptedError):
            pass
        fut: Future[int] = self.create_future()
        return await self._wait_readable(sock, fut, _retry, fut,
                                         methodcaller("recv_into", buf), sock)

    async def sock_recvfrom(self, sock: socket.socket,
                            bufsize: int) -> tuple[bytes, _Address]:
        """Receive one datagram of at most `bufsize` bytes: (data, sender's address)."""
        _check_socket(self, sock)
        try:
            return sock.recvfrom(bufsize)
        except (BlockingIOError, InterruptedError):
            pass
        fut: Future[tuple[bytes, _Address]] = self.create_future()
        return await self._wait_readable(sock, fut, _retry, fut,
                                         methodcaller("recvfrom", bufsize), sock)

    async def sock_recvfrom_into(self, sock: socket.socket, buf: WriteableBuffer,
                                 nbytes: int = 0) -> tuple[int, _Address]:
        """Receive one datagram into `buf` (at most `nbytes`, 0 meaning all of `buf`)."""
        _check_socket(self, sock)
        if not nbytes:
            nbytes = len(buf)  # type: ignore[arg-type]
        try:
            return sock.recvfrom_into(buf, nbytes)
        except (BlockingIOError, InterruptedError):
            pass
        fut: Future[tuple[int, _Address]] = self.create_future()
        return await self._wait_readable(sock, fut, _retry, fut,
                                         methodcaller("recvfrom_into", buf, nbytes), sock)

    async def sock_accept(self,
                          sock: socket.socket) -> tuple[socket.socket, _Address]:
        """Accept a connection on a listening socket: (new non-blocking socket, address)."""
        _check_socket(self, sock)
        try:
            return _accept(sock)
        except (BlockingIOError, InterruptedError):
            pass
        fut: Future[tuple[socket.socket, _Address]] = self.create_future()
        return await self._wait_readable(sock, fut, _retry, fut, _accept, sock)

    # == Writing ===============================================================================

    async def sock_sendall(self, sock: socket.socket, data: ReadableBuffer) -> None:
        """Send all of `data`, however many writes that takes.

        Discussion: partial writes. `send()` takes as much as fits in the kernel's buffer
        and says how much that was; with a slow reader that is a fraction of a large
        `data`. So we keep the position, stay registered as a writer for the whole
        transfer, and send the rest (a zero-copy memoryview slice) each time the fd is
        writable again. One writer at a time owns the socket, and each chunk starts where
        the last one ended, so bytes are never lost or reordered. If it fails half-way
        there is no telling how much the peer got, as in asyncio.
        """
        _check_socket(self, sock)
        try:
            sent = sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        if sent == len(data):  # type: ignore[arg-type]
            return
        view = memoryview(data)
        fut: Future[None] = self.create_future()

        def send_more() -> None:
            nonlocal sent
            if fut.done():  # cancelled after the poll reported the fd ready
                return
            try:
                sent += sock.send(view[sent:])
            except (BlockingIOError, InterruptedError):
                return
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                fut.set_exception(exc)
                return
            if sent == len(view):
                fut.set_result(None)

        await self._wait_writable(sock, fut, send_more)

    async def sock_sendto(self, sock: socket.socket, data: ReadableBuffer,
                          address: _Address) -> int:
        """Send one datagram to `address`; return the number of bytes sent."""
        _check_socket(self, sock)
        try:
            return sock.sendto(data, address)
        except (BlockingIOError, InterruptedError):
            pass
        fut: Future[int] = self.create_future()
        return await self._wait_writable(sock, fut, _retry, fut,
                                         methodcaller("sendto", data, address), sock)

    # == Connecting ============================================================================

    async def sock_connect(self, sock: socket.socket, address: _Address) -> None:
        """Connect to `address`, resolving a host name first (in the default executor).

        A non-blocking connect() starts the handshake and raises BlockingIOError; the socket
        becomes writable when the handshake is over, and SO_ERROR says how it went.
        """
        _check_socket(self, sock)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host, port = address[:2]
            info = _numeric_address(host, port, sock.family, sock.type, sock.proto,
                                    *address[2:])
            if info is None:  # a host name: ask the resolver, off the loop
                infos = await self.getaddrinfo(host, port, family=sock.family,
                                               type=sock.type, proto=sock.proto)
                info = infos[0]
            address = info[4]
        try:
            sock.connect(address)
            return
        except (BlockingIOError, InterruptedError):
            pass
        fut: Future[None] = self.create_future()
        await self._wait_writable(sock, fut, _retry, fut, _connect_result, sock, address)

    async def getaddrinfo(self, host: bytes | str | None,
                          port: bytes | str | int | None, *, family: int = 0, type: int = 0,
                          proto: int = 0, flags: int = 0) -> list[Any]:
        """socket.getaddrinfo() in the default executor: DNS may block, the loop must not.
        In debug mode the lookup is logged, with how long it took, as asyncio does."""
        lookup = self._logged_getaddrinfo if self._debug else socket.getaddrinfo
        return await self.run_in_executor(None, lookup, host, port, family, type, proto,
                                          flags)

    def _logged_getaddrinfo(self, host: Any, port: Any, family: int, type: int, proto: int,
                            flags: int) -> list[Any]:
        """Debug mode's getaddrinfo (it runs in the executor's thread): a DEBUG line before,
        and one after with the time taken and the answer (INFO if the lookup was slow)."""
        query = ", ".join([f"{host}:{port!r}"] + [
            f"{name}={value!r}" for name, value in
            (("family", family), ("type", type), ("proto", proto), ("flags", flags)) if value])
        logger.debug("Get address info %s", query)
        started = self.time()
        answer = socket.getaddrinfo(host, port, family, type, proto, flags)
        took = self.time() - started
        message = f"Getting address info {query} took {took * 1e3:.3f}ms: {answer!r}"
        if took >= self.slow_callback_duration:
            logger.info(message)
        else:
            logger.debug(message)
        return answer

    async def getnameinfo(self, sockaddr: tuple[Any, ...],
                          flags: int = 0) -> tuple[str, str]:
        """socket.getnameinfo() in the default executor."""
        return await self.run_in_executor(None, socket.getnameinfo, sockaddr, flags)

    # == Waiting on the poller ================================================================

    async def _wait_readable(self, sock: socket.socket, fut: Future[T],
                             callback: Callable[..., object], *args: Any) -> T:
        """Run `callback(*args)` each time `sock` is readable, until `fut` is done.

        Steps 2 and 3 of the module docstring. However the wait ends, the registration
        goes, except after a successful read, when it is parked instead (poller.py): the
        next read on this socket usually follows at once. If our handle was cancelled by
        someone else, a second reader replaced it (or remove_reader() removed it): the fd
        is not ours to unregister, as in asyncio.
        """
        fd = sock.fileno()
        handle = self._add_reader(sock, callback, *args)
        try:
            result = await fut
        except BaseException:
            if not handle.cancelled():
                self._remove_reader(fd)
            raise
        if not handle.cancelled():
            self._poller.park_reader(sock, fd)
        return result

    async def _wait_writable(self, sock: socket.socket, fut: Future[T],
                             callback: Callable[..., object], *args: Any) -> T:
        """Run `callback(*args)` each time `sock` is writable, until `fut` is done.

        Unlike reads, writes are unregistered at once, as in asyncio: a socket is nearly
        always writable, so a write interest left behind would only wake the poll for
        nothing, and writes that have to wait are rare and long (see sock_sendall)."""
        fd = sock.fileno()
        handle = self._add_writer(fd, callback, *args)
        try:
            return await fut
        finally:
            if not handle.cancelled():
                self._remove_writer(fd)


def _retry(fut: Future[T], call: Callable[..., T], *args: Any) -> None:
    """The I/O callback: the fd is ready, so try `call(*args)` again and settle `fut`.

    A socket method is passed as `methodcaller("recv", n)` with the socket, not as the bound
    `sock.recv`, so that each try looks the method up again, as asyncio's retries do.
    """
    if fut.done():  # cancelled after the poll reported the fd: do not consume data
        return
    try:
        result = call(*args)
    except (BlockingIOError, InterruptedError):
        return  # a false alarm (someone else got there first): stay registered, wait again
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as exc:
        fut.set_exception(exc)
    else:
        fut.set_result(result)


def _accept(sock: socket.socket) -> tuple[socket.socket, _Address]:
    conn, address = sock.accept()
    conn.setblocking(False)  # the new connection is for the loop too
    return conn, address


def _connect_result(sock: socket.socket, address: _Address) -> None:
    """The connect() that was in progress is over: raise its error, if it failed."""
    err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if err != 0:
        # OSError(errno, ...) picks the subclass: ConnectionRefusedError for ECONNREFUSED.
        raise OSError(err, f"Connect call failed {address}")


def _check_socket(loop: SocketMixin, sock: socket.socket) -> None:
    """Refuse what asyncio refuses: TLS sockets always, blocking ones in debug mode only
    (outside debug mode a blocking socket just blocks the whole loop, as in asyncio)."""
    if isinstance(sock, ssl.SSLSocket):
        raise TypeError("Socket cannot be of type SSLSocket")
    if loop._debug and sock.gettimeout() != 0:
        raise ValueError("the socket must be non-blocking")


def _numeric_address(host: Any, port: Any, family: int, type: int, proto: int,
                     flowinfo: int = 0, scope_id: int = 0) -> tuple[Any, ...] | None:
    """The getaddrinfo() entry for an IP-address `host`, or None if it must be looked up.

    An address that is already numeric needs no resolver (and no thread), as in asyncio.
    """
    if host is None or proto not in (0, socket.IPPROTO_TCP, socket.IPPROTO_UDP):
        return None
    if type == socket.SOCK_STREAM:
        proto = socket.IPPROTO_TCP
    elif type == socket.SOCK_DGRAM:
        proto = socket.IPPROTO_UDP
    else:
        return None
    if port is None or port in ("", b""):
        port = 0
    else:
        try:
            port = int(port)
        except (TypeError, ValueError):  # a service name such as "http": needs the resolver
            return None
    if isinstance(host, bytes):
        host = host.decode("idna")
    if "%" in host:  # an IPv6 zone ("fe80::1%lo"), which inet_pton does not accept
        return None
    try:
        socket.inet_pton(family, host)
    except OSError:
        return None
    if family == socket.AF_INET6:
        return family, type, proto, "", (host, port, flowinfo, scope_id)
    return family, type, proto, "", (host, port)
