"""Unix domain sockets: create_unix_connection and create_unix_server.

What you learn here: a Unix socket is a stream socket whose address is a path in the file
system instead of (host, port), so everything above the socket is the same as for TCP: the
same socket transport (sockettransport.py), the same Server (servers.py, listening.py).
What is new is
the file: binding creates it, and it outlives the socket unless someone removes it.

* create_unix_server first removes a *stale* socket file at the path (one a dead server
  left behind), and reports a path in use as `OSError(EADDRINUSE, "Address '...' is
  already in use")`.
* 3.13's `cleanup_socket=True` (the default) removes the file again when the server
  closes, but only if it is still the one we bound (same inode): a new server may have
  taken the path meanwhile. Paths in the abstract namespace (starting with a NUL byte, on
  Linux) have no file, so nothing is done for them.

`UnixMixin` holds these methods; `EventLoop` inherits them.
"""

from __future__ import annotations

import errno
import os
import socket
import stat
from typing import TYPE_CHECKING, Any

from . import versions
from .errors import logger
from .servers import Server

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ("UnixMixin", "remove_stale_socket_file")


class UnixMixin:
    """loop.create_unix_connection and loop.create_unix_server."""

    if TYPE_CHECKING:  # what we use of EventLoop, for the type checker
        async def sock_connect(self, sock: socket.socket, address: Any) -> None: ...
        async def _create_connection_transport(self, sock: socket.socket,
                                               protocol_factory: Callable[[], Any],
                                               ) -> tuple[Any, Any]: ...
        async def _create_tls_transport(self, sock: socket.socket,
                                        protocol_factory: Callable[[], Any], sslcontext: Any,
                                        server_side: bool, server_hostname: str | None,
                                        ssl_handshake_timeout: float | None,
                                        ssl_shutdown_timeout: float | None,
                                        ) -> tuple[Any, Any]: ...

    async def create_unix_connection(
            self, protocol_factory: Callable[[], Any], path: Any = None, *, ssl: Any = None,
            sock: socket.socket | None = None, server_hostname: str | None = None,
            ssl_handshake_timeout: float | None = None,
            ssl_shutdown_timeout: float | None = None) -> tuple[Any, Any]:
        """Connect to the Unix socket at `path` (or wrap `sock`): (transport, protocol)."""
        if ssl:
            if server_hostname is None:
                raise ValueError("you have to pass server_hostname when using ssl")
        else:
            if server_hostname is not None:
                raise ValueError("server_hostname is only meaningful with ssl")
            if ssl_handshake_timeout is not None:
                raise ValueError("ssl_handshake_timeout is only meaningful with ssl")
            if ssl_shutdown_timeout is not None:
                raise ValueError("ssl_shutdown_timeout is only meaningful with ssl")
        if path is not None:
            if sock is not None:
                raise ValueError("path and sock can not be specified at the same time")
            path = os.fspath(path)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, 0)
            try:
                sock.setblocking(False)
                await self.sock_connect(sock, path)
            except BaseException:
                sock.close()
                raise
        else:
            if sock is None:
                raise ValueError("no path and sock were specified")
            _check_unix_stream_socket(sock)
            sock.setblocking(False)
        if ssl:  # TLS over a Unix socket is TLS over TCP: tls.py does not care which
            sslcontext = None if isinstance(ssl, bool) else ssl  # None: tls.py's default
            return await self._create_tls_transport(sock, protocol_factory, sslcontext, False,
                                                    server_hostname, ssl_handshake_timeout,
                                                    ssl_shutdown_timeout)
        return await self._create_connection_transport(sock, protocol_factory)

    async def create_unix_server(
            self, protocol_factory: Callable[[], Any], path: Any = None, *,
            sock: socket.socket | None = None, backlog: int = 100, ssl: Any = None,
            ssl_handshake_timeout: float | None = None,
            ssl_shutdown_timeout: float | None = None, start_serving: bool = True,
            cleanup_socket: bool = True) -> Server:
        """Listen on the Unix socket `path` (or on `sock`); return the Server.
        (`cleanup_socket` is new in 3.13; before, the file is never removed.)"""
        if isinstance(ssl, bool):
            raise TypeError("ssl argument must be an SSLContext or None")
        if ssl_handshake_timeout is not None and not ssl:
            raise ValueError("ssl_handshake_timeout is only meaningful with ssl")
        if ssl_shutdown_timeout is not None and not ssl:
            raise ValueError("ssl_shutdown_timeout is only meaningful with ssl")
        if path is not None:
            if sock is not None:
                raise ValueError("path and sock can not be specified at the same time")
            path = os.fspath(path)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            if not _is_abstract(path):
                remove_stale_socket_file(path)
            try:
                sock.bind(path)
            except OSError as exc:
                sock.close()
                if exc.errno == errno.EADDRINUSE:
                    raise OSError(errno.EADDRINUSE,
                                  f"Address {path!r} is already in use") from None
                raise
            except BaseException:
                sock.close()
                raise
        else:
            if sock is None:
                raise ValueError("path was not specified, and no sock specified")
            _check_unix_stream_socket(sock)
        inode = None
        if versions.UNIX_SERVER_CLEANUP_SOCKET and cleanup_socket:
            bound = sock.getsockname()
            if not _is_abstract(bound):
                try:
                    inode = os.stat(bound).st_ino
                except FileNotFoundError:
                    pass
        sock.setblocking(False)
        server = Server(self, [sock], protocol_factory, ssl, backlog, ssl_handshake_timeout,
                        ssl_shutdown_timeout)
        if inode is not None:
            server._unix_inodes[sock] = inode  # Server.close() removes the file
        if start_serving:
            await server.start_serving()
        return server


def _is_abstract(path: Any) -> bool:
    """Linux's abstract namespace: a name starting with a NUL byte is no file at all."""
    return path[0] in (0, "\x00")


def remove_stale_socket_file(path: Any) -> None:
    """A socket file at `path` is left from an earlier server: remove it before binding."""
    try:
        if stat.S_ISSOCK(os.stat(path).st_mode):
            os.remove(path)
    except FileNotFoundError:
        pass
    except OSError as err:  # a directory may let us create sockets and nothing else
        logger.error("Unable to check or remove stale UNIX socket %r: %r", path, err)


def _check_unix_stream_socket(sock: socket.socket) -> None:
    if sock.family != socket.AF_UNIX or sock.type != socket.SOCK_STREAM:
        raise ValueError(f"A UNIX Domain Stream Socket was expected, got {sock!r}")
