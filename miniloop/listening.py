"""Listening: create_server, and how a readable listening socket becomes connections.

What you learn here: a server is only a listening socket registered as a *reader*.
"Readable" on a listening socket means "a connection is waiting", so the read callback
(`_accept_connection`) accepts, and for each new connection starts a small task that makes
a protocol (your `protocol_factory()`) and a socket transport for it (sockettransport.py).
From then on the connection lives on its own; the `Server` (servers.py) only keeps count.

`create_server` resolves the host (or each of a list of hosts), binds one socket per
address it gets (the same address twice is bound once), and hands them to a `Server`.

Accept errors: running out of file descriptors (EMFILE, ENFILE) or memory (ENOBUFS, ENOMEM)
is logged through the exception handler, and the listener is unwatched for a second (on
Linux the socket stays readable, so watching it would spin). Any other error propagates out
of the callback, which the loop logs like any failing callback; the listener stays watched.

`ServerMixin` holds create_server, connect_accepted_socket and the accepting machinery;
unix.py adds create_unix_server on top of it.
"""

from __future__ import annotations

import collections.abc
import errno
import itertools
import os
import socket
import sys
from typing import TYPE_CHECKING, Any

from . import versions
from .errors import logger
from .gather import gather
from .servers import Server
from .sockettransport import SocketTransport
from .transportsocket import TransportSocket

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from .futures import Future
    from .handles import Handle, TimerHandle
    from .tasks import Task

__all__ = ("ServerMixin", "set_reuse_port")

# How long accepting pauses after running out of file descriptors (asyncio's
# ACCEPT_RETRY_DELAY).
ACCEPT_RETRY_DELAY = 1

# Errors of accept() that mean "out of resources": wait and try again.
RESOURCE_ERRORS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)


class ServerMixin:
    """loop.create_server, loop.connect_accepted_socket, and accepting connections."""

    if TYPE_CHECKING:  # what we use of EventLoop, for the type checker
        _debug: bool
        def create_future(self) -> Future[Any]: ...
        def create_task(self, coro: Coroutine[Any, Any, Any]) -> Task[Any]: ...
        def call_later(self, delay: float, callback: Callable[..., object],
                       *args: Any) -> TimerHandle: ...
        def call_exception_handler(self, context: dict[str, Any]) -> None: ...
        def _add_reader(self, fd: int, callback: Callable[..., object],
                        *args: Any) -> Handle: ...
        def _remove_reader(self, fd: int) -> bool: ...
        async def _ensure_resolved(self, address: Any, *, family: int = 0,
                                   type: int = socket.SOCK_STREAM, proto: int = 0,
                                   flags: int = 0) -> list[Any]: ...
        async def _create_connection_transport(self, sock: socket.socket,
                                               protocol_factory: Callable[[], Any],
                                               ) -> tuple[Any, Any]: ...
        async def _create_tls_transport(self, sock: socket.socket,
                                        protocol_factory: Callable[[], Any], sslcontext: Any,
                                        server_side: bool, server_hostname: str | None,
                                        ssl_handshake_timeout: float | None,
                                        ssl_shutdown_timeout: float | None,
                                        ) -> tuple[Any, Any]: ...
        def _make_tls_transport(self, sock: socket.socket, protocol: Any, sslcontext: Any,
                                waiter: Future[Any], server_side: bool,
                                server_hostname: str | None,
                                ssl_handshake_timeout: float | None,
                                ssl_shutdown_timeout: float | None,
                                extra: Any = None, server: Any = None) -> Any: ...

    async def create_server(
            self, protocol_factory: Callable[[], Any], host: Any = None, port: Any = None, *,
            family: int = socket.AF_UNSPEC, flags: int = socket.AI_PASSIVE,
            sock: socket.socket | None = None, backlog: int = 100, ssl: Any = None,
            reuse_address: bool | None = None, reuse_port: bool | None = None,
            ssl_handshake_timeout: float | None = None,
            ssl_shutdown_timeout: float | None = None, start_serving: bool = True,
            keep_alive: bool | None = None) -> Server:
        """Listen on `host` (a name, an address, a list of them, or None/"" for all) and
        `port`, or on the listening socket `sock`; return the Server.

        (`keep_alive` is new in 3.13; miniloop accepts it on every Python.)"""
        if isinstance(ssl, bool):
            raise TypeError("ssl argument must be an SSLContext or None")
        if ssl_handshake_timeout is not None and ssl is None:
            raise ValueError("ssl_handshake_timeout is only meaningful with ssl")
        if ssl_shutdown_timeout is not None and ssl is None:
            raise ValueError("ssl_shutdown_timeout is only meaningful with ssl")
        if host is not None or port is not None:
            if sock is not None:
                raise ValueError("host/port and sock can not be specified at the same time")
            if reuse_address is None:
                reuse_address = os.name == "posix" and sys.platform != "cygwin"
            if host == "":
                hosts: Any = [None]
            elif isinstance(host, str) or not isinstance(host, collections.abc.Iterable):
                hosts = [host]
            else:
                hosts = host
            lookups = [self._create_server_getaddrinfo(one, port, family, flags)
                       for one in hosts]
            # A set: an address that two host names resolve to is bound once, as in asyncio.
            infos = set(itertools.chain.from_iterable(await gather(*lookups)))
            sockets = self._bind_listening_sockets(infos, reuse_address, reuse_port,
                                                   keep_alive)
        else:
            if sock is None:
                raise ValueError("Neither host/port nor sock were specified")
            if sock.type != socket.SOCK_STREAM:
                raise ValueError(f"A Stream Socket was expected, got {sock!r}")
            sockets = [sock]
        for listener in sockets:
            listener.setblocking(False)
        server = Server(self, sockets, protocol_factory, ssl, backlog, ssl_handshake_timeout,
                        ssl_shutdown_timeout)
        if start_serving:
            await server.start_serving()
        if self._debug:
            logger.info("%r is serving", server)
        return server

    async def _create_server_getaddrinfo(self, host: Any, port: Any, family: int,
                                         flags: int) -> list[Any]:
        infos = await self._ensure_resolved((host, port), family=family,
                                            type=socket.SOCK_STREAM, flags=flags)
        if not infos:
            raise OSError(f"getaddrinfo({host!r}) returned empty list")
        return infos

    def _bind_listening_sockets(self, infos: set[Any], reuse_address: bool | None,
                                reuse_port: bool | None,
                                keep_alive: bool | None) -> list[socket.socket]:
        """One socket per address, bound; all closed again if any of them fails."""
        sockets: list[socket.socket] = []
        completed = False
        try:
            for family, type_, proto, _, address in infos:
                try:
                    sock = socket.socket(family, type_, proto)
                except OSError:  # an address family this machine does not have
                    if self._debug:
                        logger.warning("create_server() failed to create socket.socket"
                                       "(%r, %r, %r)", family, type_, proto, exc_info=True)
                    continue
                sockets.append(sock)
                if reuse_address:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, True)
                if reuse_port:
                    set_reuse_port(sock)
                if keep_alive:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, True)
                if family == socket.AF_INET6:
                    # Linux would let one IPv6 socket take IPv4 too; asyncio binds each
                    # family separately, so it turns that off.
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, True)
                try:
                    sock.bind(address)
                except OSError as err:
                    reason = str(err) if versions.BIND_ERROR_SHOWS_ERRNO else err.strerror
                    msg = (f"error while attempting to bind on address {address!r}: "
                           f"{(reason or '').lower()}")
                    if (versions.CREATE_SERVER_SKIPS_UNAVAILABLE
                            and err.errno == errno.EADDRNOTAVAIL):
                        sockets.pop()  # 3.13: that family is not enabled here; skip it
                        sock.close()
                        if self._debug:
                            logger.warning(msg)
                        continue
                    raise OSError(err.errno, msg) from None
            if versions.CREATE_SERVER_SKIPS_UNAVAILABLE and not sockets:
                raise OSError(f"could not bind on any address out of "
                              f"{[info[4] for info in infos]!r}")
            completed = True
        finally:
            if not completed:
                for sock in sockets:
                    sock.close()
        return sockets

    async def connect_accepted_socket(self, protocol_factory: Callable[[], Any],
                                      sock: socket.socket, *, ssl: Any = None,
                                      ssl_handshake_timeout: float | None = None,
                                      ssl_shutdown_timeout: float | None = None,
                                      ) -> tuple[Any, Any]:
        """Wrap a socket accepted elsewhere in a transport: (transport, protocol)."""
        if sock.type != socket.SOCK_STREAM:
            raise ValueError(f"A Stream Socket was expected, got {sock!r}")
        if ssl_handshake_timeout is not None and not ssl:
            raise ValueError("ssl_handshake_timeout is only meaningful with ssl")
        if ssl_shutdown_timeout is not None and not ssl:
            raise ValueError("ssl_shutdown_timeout is only meaningful with ssl")
        if ssl:
            transport, protocol = await self._create_tls_transport(
                sock, protocol_factory, ssl, True, None, ssl_handshake_timeout,
                ssl_shutdown_timeout)
        else:
            transport, protocol = await self._create_connection_transport(sock,
                                                                          protocol_factory)
        if self._debug:
            logger.debug("%r handled: (%r, %r)", transport.get_extra_info("socket"),
                         transport, protocol)
        return transport, protocol

    # == Accepting =============================================================================

    def _start_serving(self, protocol_factory: Callable[[], Any], sock: socket.socket,
                       server: Server, backlog: int) -> None:
        self._add_reader(sock.fileno(), self._accept_connection, protocol_factory, sock,
                         server, backlog)

    def _stop_serving(self, sock: socket.socket) -> None:
        self._remove_reader(sock.fileno())
        sock.close()

    def _accept_connection(self, protocol_factory: Callable[[], Any], sock: socket.socket,
                           server: Server, backlog: int) -> None:
        """The listening socket is readable: accept what is waiting, up to `backlog` at once
        (each turn, so that a flood of connections cannot starve everything else)."""
        for _ in range(backlog):
            try:
                conn, addr = sock.accept()
                if self._debug:
                    logger.debug("%r got a new connection from %r: %r", server, addr, conn)
                conn.setblocking(False)
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return  # nothing more waiting (or the client gave up first)
            except OSError as exc:
                if exc.errno not in RESOURCE_ERRORS:
                    raise  # the loop logs it as an error in this callback, and goes on
                # Discussion: out of file descriptors. The connection is still waiting, so
                # the socket stays readable and we would be called again at once, forever.
                # asyncio logs, unregisters, and registers again a second later. It does not
                # leave this `for` loop, though: the next accept() is tried at once, and
                # each further failure is logged and schedules one more re-registration
                # (test_out_of_file_descriptors_pauses_accepting pins that).
                self.call_exception_handler({
                    "message": "socket.accept() out of system resource",
                    "exception": exc,
                    "socket": TransportSocket(sock),
                })
                self._remove_reader(sock.fileno())
                self.call_later(ACCEPT_RETRY_DELAY, self._start_serving, protocol_factory,
                                sock, server, backlog)
            else:
                self.create_task(self._accept_connection2(protocol_factory, conn,
                                                          {"peername": addr}, server))

    async def _accept_connection2(self, protocol_factory: Callable[[], Any],
                                  conn: socket.socket, extra: dict[str, Any],
                                  server: Server) -> None:
        """One accepted connection: its protocol, its transport, and the wait for
        connection_made. An error here has nobody to go to: logged in debug mode only."""
        protocol = transport = None
        try:
            protocol = protocol_factory()
            waiter = self.create_future()
            if server._ssl_context is not None:
                transport = self._make_tls_transport(
                    conn, protocol, server._ssl_context, waiter, True, None,
                    server._ssl_handshake_timeout, server._ssl_shutdown_timeout, extra, server)
            else:
                transport = SocketTransport(self, conn, protocol, waiter, extra, server)
            try:
                await waiter
            except BaseException:
                transport.close()
                raise
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            if self._debug:
                context: dict[str, Any] = {
                    "message": "Error on transport creation for incoming connection",
                    "exception": exc,
                }
                if protocol is not None:
                    context["protocol"] = protocol
                if transport is not None:
                    context["transport"] = transport
                self.call_exception_handler(context)


def set_reuse_port(sock: socket.socket) -> None:
    if not hasattr(socket, "SO_REUSEPORT"):
        raise ValueError("reuse_port not supported by socket module")
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    except OSError:
        raise ValueError("reuse_port not supported by socket module, "
                         "SO_REUSEPORT defined but not implemented.")
