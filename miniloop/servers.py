"""The Server: what create_server returns, and how it knows that it is over.

What you learn here: a `Server` is a small bookkeeping object around its listening sockets
(listening.py does the accepting). It holds the sockets while it is open, a weak set of the
transports accepted on them (each transport attaches itself when it is made and detaches
in its connection_lost), and the futures of whoever waits in `wait_closed()`. Its life, as
in asyncio (compat_tests/test_servers.py pins each step):

* `create_server()` binds, and (unless `start_serving=False`) calls `listen()` and
  registers the sockets with the poller; `start_serving()` or `serve_forever()` do that
  later otherwise.
* `close()` stops accepting and closes the listening sockets at once. Connections already
  accepted go on; 3.13's `close_clients()`/`abort_clients()` end them too.
* `wait_closed()` returns once the server is closed and (since 3.12) its last connection
  has ended. 3.11 returns at once when the server is already closed.
* `serve_forever()` waits until it is cancelled, then closes the server and waits for it.
* `async with server:` closes it on the way out and waits as `wait_closed()` does.
"""

from __future__ import annotations

import os
import socket
import weakref
from typing import TYPE_CHECKING, Any

from . import versions
from .errors import logger
from .exceptions import CancelledError
from .sleep import sleep
from .transportsocket import TransportSocket

if TYPE_CHECKING:
    from collections.abc import Callable

    from .futures import Future
    from .sockettransport import SocketTransport

__all__ = ("AbstractServer", "Server")


class AbstractServer:
    """The interface of what create_server() returns (asyncio.AbstractServer)."""

    def close(self) -> None:
        """Stop accepting: close the listening sockets. Connections go on."""
        raise NotImplementedError

    if versions.SERVER_CLOSE_CLIENTS:
        def close_clients(self) -> None:
            """close() every connection the server accepted."""
            raise NotImplementedError

        def abort_clients(self) -> None:
            """abort() every connection the server accepted."""
            raise NotImplementedError

    def get_loop(self) -> Any:
        raise NotImplementedError

    def is_serving(self) -> bool:
        raise NotImplementedError

    async def start_serving(self) -> None:
        raise NotImplementedError

    async def serve_forever(self) -> None:
        raise NotImplementedError

    async def wait_closed(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> AbstractServer:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()
        await self.wait_closed()


class Server(AbstractServer):
    """The server of a set of listening sockets, and the connections accepted on them."""

    def __init__(self, loop: Any, sockets: list[socket.socket], protocol_factory: Callable[[], Any],
                 ssl_context: Any, backlog: int, ssl_handshake_timeout: float | None,
                 ssl_shutdown_timeout: float | None = None) -> None:
        self._loop = loop
        self._sockets: list[socket.socket] | None = sockets  # None once closed
        # Weak references: a transport nobody closed must still be collected (and warn).
        self._clients: weakref.WeakSet[SocketTransport] = weakref.WeakSet()
        self._waiters: list[Future[None]] | None = []  # wait_closed(); None: all is over
        self._protocol_factory = protocol_factory
        self._backlog = backlog
        self._ssl_context = ssl_context      # TLS for each accepted connection (tls.py)
        self._ssl_handshake_timeout = ssl_handshake_timeout
        self._ssl_shutdown_timeout = ssl_shutdown_timeout
        self._serving = False                # listening and registered
        self._serving_forever_fut: Future[None] | None = None
        self._unix_inodes: dict[socket.socket, int] = {}  # 3.13: socket files to remove (unix.py)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} sockets={self.sockets!r}>"

    # == Connections ===========================================================================

    def _attach(self, transport: SocketTransport) -> None:
        # As in asyncio, an assert: a connection accepted just before close() whose transport
        # is made after it fails here, and is dropped (listening.py, _accept_connection2).
        assert self._sockets is not None
        self._clients.add(transport)

    def _detach(self, transport: SocketTransport) -> None:
        """A connection ended: if it was the last one of a closed server, wake the waiters."""
        self._clients.discard(transport)
        if not self._clients and self._sockets is None:
            self._wakeup()

    def _wakeup(self) -> None:
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    # == Serving ===============================================================================

    def _start_serving(self) -> None:
        if self._serving:
            return
        self._serving = True
        # Once closed, `_sockets` is None and this loop fails with the TypeError asyncio's
        # fails with ("'NoneType' object is not iterable"); is_serving() then says True,
        # as there. (test_start_serving_a_closed_server)
        for sock in self._sockets:  # type: ignore[union-attr]
            sock.listen(self._backlog)
            self._loop._start_serving(self._protocol_factory, sock, self, self._backlog)

    def get_loop(self) -> Any:
        return self._loop

    def is_serving(self) -> bool:
        return self._serving

    @property
    def sockets(self) -> tuple[TransportSocket, ...]:
        if self._sockets is None:
            return ()
        return tuple(TransportSocket(sock) for sock in self._sockets)

    def close(self) -> None:
        sockets, self._sockets = self._sockets, None
        if sockets is None:
            return
        for sock in sockets:
            path = sock.getsockname() if sock in self._unix_inodes else None
            self._loop._stop_serving(sock)
            if path is not None:
                _remove_socket_file(path, self._unix_inodes.pop(sock))
        self._serving = False
        if self._serving_forever_fut is not None and not self._serving_forever_fut.done():
            self._serving_forever_fut.cancel()
            self._serving_forever_fut = None
        if not self._clients:
            self._wakeup()

    if versions.SERVER_CLOSE_CLIENTS:
        def close_clients(self) -> None:
            for transport in self._clients.copy():
                transport.close()

        def abort_clients(self) -> None:
            for transport in self._clients.copy():
                transport.abort()

    async def start_serving(self) -> None:
        self._start_serving()
        await sleep(0)  # one turn, so that the registrations are in place, as in asyncio

    async def serve_forever(self) -> None:
        """Serve until cancelled; then close the server and wait for it, and re-raise."""
        if self._serving_forever_fut is not None:
            raise RuntimeError(
                f"server {self!r} is already being awaited on serve_forever()")
        if self._sockets is None:
            raise RuntimeError(f"server {self!r} is closed")
        self._start_serving()
        self._serving_forever_fut = self._loop.create_future()
        try:
            await self._serving_forever_fut
        except CancelledError:
            try:
                self.close()
                await self.wait_closed()
            finally:
                raise
        finally:
            self._serving_forever_fut = None

    async def wait_closed(self) -> None:
        """Wait until the server is closed and its connections have ended (3.12+).

        3.11 returns at once if the server is already closed, whatever its connections are
        doing (asyncio's docstring calls that broken; 3.12.1 fixed it).
        """
        if self._waiters is None:
            return
        if not versions.WAIT_CLOSED_WAITS_FOR_CLIENTS and self._sockets is None:
            return
        waiter = self._loop.create_future()
        self._waiters.append(waiter)
        await waiter


def _remove_socket_file(path: Any, inode: int) -> None:
    """cleanup_socket (3.13): remove a Unix server's socket file, if it is still ours."""
    try:
        if os.stat(path).st_ino == inode:
            os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as err:
        logger.error("Unable to clean up listening UNIX socket %r: %r", path, err)
