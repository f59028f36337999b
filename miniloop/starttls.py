"""Putting TLS on a connection: what you learn here is where the TLS layer goes in.

Two ways, as in asyncio. At connect or accept time (`ssl=` to create_connection,
create_server, connect_accepted_socket and the stream functions), the socket transport is
made with a `SSLProtocol` (tls.py) as its protocol from the start, and the caller waits
for the handshake. Or later, on a live connection: `start_tls()` swaps the transport's
protocol for a TLS layer that wraps yours, and that transport may itself be a TLS
transport (TLS inside TLS). Either way your protocol gets the TLS transport
(tlstransport.py) once the handshake is done, or the handshake's error.
"""

from __future__ import annotations

import ssl
from typing import Any

from .sockettransport import SocketTransport
from .tls import SSLProtocol
from .tlstransport import SSLTransport

__all__ = ("TLSMixin",)


class TLSMixin:
    """The loop's TLS methods: a socket transport whose protocol is a SSLProtocol."""

    async def _create_tls_transport(self, sock: Any, protocol_factory: Any, sslcontext: Any,
                                    server_side: bool, server_hostname: str | None,
                                    ssl_handshake_timeout: float | None,
                                    ssl_shutdown_timeout: float | None) -> tuple[Any, Any]:
        """A connected socket, wrapped: returns once the handshake is done (or failed)."""
        protocol = protocol_factory()
        waiter = self.create_future()  # type: ignore[attr-defined]
        try:
            transport = self._make_tls_transport(sock, protocol, sslcontext, waiter,
                                                 server_side, server_hostname,
                                                 ssl_handshake_timeout, ssl_shutdown_timeout)
        except BaseException:
            sock.close()
            raise
        try:
            await waiter
        except BaseException:
            transport.close()  # cancelled mid-handshake: that aborts the socket
            raise
        return transport, protocol

    def _make_tls_transport(self, sock: Any, protocol: Any, sslcontext: Any, waiter: Any,
                            server_side: bool, server_hostname: str | None,
                            ssl_handshake_timeout: float | None,
                            ssl_shutdown_timeout: float | None,
                            extra: Any = None, server: Any = None) -> SSLTransport:
        """The TLS transport `protocol` will get; `waiter` is resolved by the handshake."""
        sock.setblocking(False)
        tls = SSLProtocol(self, protocol, sslcontext, waiter, server_side, server_hostname,
                          ssl_handshake_timeout=ssl_handshake_timeout,
                          ssl_shutdown_timeout=ssl_shutdown_timeout)
        SocketTransport(self, sock, tls, None, extra, server)
        return tls._app_transport

    async def start_tls(self, transport: Any, protocol: Any, sslcontext: Any, *,
                        server_side: bool = False, server_hostname: str | None = None,
                        ssl_handshake_timeout: float | None = None,
                        ssl_shutdown_timeout: float | None = None) -> Any:
        """Upgrade a live connection: `transport`'s protocol becomes a SSLProtocol that
        wraps `protocol`; returns the new transport for `protocol` once the handshake is
        done. `protocol.connection_made` is not called again, as in asyncio. `transport`
        may itself be a TLS transport: TLS inside TLS (test_tls_inside_tls)."""
        if not isinstance(sslcontext, ssl.SSLContext):
            raise TypeError("sslcontext is expected to be an instance of ssl.SSLContext, "
                            f"got {sslcontext!r}")
        if not isinstance(transport, (SocketTransport, SSLTransport)):
            raise TypeError(f"transport {transport!r} is not supported by start_tls()")
        waiter = self.create_future()  # type: ignore[attr-defined]
        tls = SSLProtocol(self, protocol, sslcontext, waiter, server_side, server_hostname,
                          call_connection_made=False,
                          ssl_handshake_timeout=ssl_handshake_timeout,
                          ssl_shutdown_timeout=ssl_shutdown_timeout)
        # Discussion: bytes already received stay unread until the TLS layer is in place:
        # reading pauses, the protocol is swapped, then the handshake starts and reading
        # resumes, each a callback of its own, in asyncio's order.
        transport.pause_reading()
        transport.set_protocol(tls)
        made = self.call_soon(tls.connection_made, transport)  # type: ignore[attr-defined]
        resumed = self.call_soon(transport.resume_reading)  # type: ignore[attr-defined]
        try:
            await waiter
        except BaseException:
            transport.close()
            made.cancel()
            resumed.cancel()
            raise
        return tls._app_transport
