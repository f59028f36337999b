"""Datagrams: loop.create_datagram_endpoint, and the transport of a UDP socket.

What you learn here: the same transport idea (sockettransport.py) for packets instead of a
stream. Each readable event is one `recvfrom()`, one whole datagram, handed to
`protocol.datagram_received(data, addr)`. Sending is `sendto()`, tried at once; a datagram
the kernel cannot take now waits, whole, in a queue (a datagram is never split). There is
no EOF and no half-close: a datagram socket is open until you close it.

Errors are different too. A failed send or receive (for example ECONNREFUSED, when an ICMP
"port unreachable" comes back for a connected UDP socket) is not fatal: the protocol hears
it in `error_received(exc)` and the transport stays open.

`create_datagram_endpoint` makes the socket: bound to `local_addr`, connected to
`remote_addr` (then `sendto(data)` needs no address, and only that peer's datagrams arrive),
either, both, or neither (with just a `family`), or wraps the socket you pass as `sock=`.

Version notes (compat_tests/test_datagrams.py): 3.13 sends a zero-length datagram for
`sendto(b"")` (before, nothing is sent), and counts 8 header bytes per queued datagram in
the write buffer size (and, as asyncio does, takes only the data back off once it is
sent); it also words the `sock=` check differently.
"""

from __future__ import annotations

import collections
import socket
from typing import TYPE_CHECKING, Any

from . import versions
from .errors import logger
from .listening import set_reuse_port
from .selectortransport import (
    CONNLOST_WRITES_BEFORE_WARNING,
    SelectorTransport,
    set_result_unless_cancelled,
)
from .transports import DatagramTransport
from .unix import remove_stale_socket_file

if TYPE_CHECKING:
    from collections.abc import Callable

    from .futures import Future

__all__ = ("DatagramMixin", "DatagramSocketTransport")

_NOT_GIVEN = object()  # create_datagram_endpoint's reuse_address, which must not be given


class DatagramSocketTransport(SelectorTransport, DatagramTransport):
    """The transport of a datagram socket (UDP, or AF_UNIX with SOCK_DGRAM)."""

    def __init__(self, loop: Any, sock: socket.socket, protocol: Any, address: Any = None,
                 waiter: Any = None, extra: dict[str, Any] | None = None) -> None:
        super().__init__(loop, sock, protocol, extra)
        self._address = address  # the connected peer, if any: sendto() may only go there
        self._buffer: collections.deque[tuple[bytes, Any]] = collections.deque()
        self._buffer_size = 0
        # The same three steps as a stream transport's (sockettransport.py), in this order.
        loop.call_soon(self._protocol.connection_made, self)
        loop.call_soon(self._add_reader, self._sock_fd, self._read_ready)
        if waiter is not None:
            loop.call_soon(set_result_unless_cancelled, waiter, None)

    def get_write_buffer_size(self) -> int:
        return self._buffer_size

    def _read_ready(self) -> None:
        """One readable event, one datagram."""
        if self._conn_lost:
            return
        try:
            data, addr = self._sock.recvfrom(self.max_size)
        except (BlockingIOError, InterruptedError):
            pass
        except OSError as exc:
            self._protocol.error_received(exc)  # not fatal: the socket is still usable
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(exc, "Fatal read error on datagram transport")
        else:
            self._protocol.datagram_received(data, addr)

    def sendto(self, data: Any, addr: Any = None) -> None:
        """Send one datagram, now if the kernel takes it, else after what is queued."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data argument must be a bytes-like object, "
                            f"not {type(data).__name__!r}")
        if not data and not versions.DATAGRAM_SENDS_EMPTY:
            return
        if self._address:
            if addr not in (None, self._address):
                raise ValueError(f"Invalid address: must be None or {self._address}")
            addr = self._address
        if self._conn_lost and self._address:
            if self._conn_lost >= CONNLOST_WRITES_BEFORE_WARNING:
                logger.warning("socket.send() raised exception.")
            self._conn_lost += 1
            return
        if not self._buffer:
            try:
                self._send_one(data, addr)
                return
            except (BlockingIOError, InterruptedError):
                self._loop._add_writer(self._sock_fd, self._sendto_ready)
            except OSError as exc:
                self._protocol.error_received(exc)
                return
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                self._fatal_error(exc, "Fatal write error on datagram transport")
                return
        self._buffer.append((bytes(data), addr))  # a copy: the caller may reuse its buffer
        self._buffer_size += len(data) + (8 if versions.DATAGRAM_SENDS_EMPTY else 0)
        self._maybe_pause_protocol()

    def _send_one(self, data: Any, addr: Any) -> None:
        if self._extra["peername"]:  # connected: the kernel knows where it goes
            self._sock.send(data)
        else:
            self._sock.sendto(data, addr)

    def _sendto_ready(self) -> None:
        """Writable again: send queued datagrams in order until one would block again."""
        while self._buffer:
            data, addr = self._buffer.popleft()
            self._buffer_size -= len(data)
            try:
                self._send_one(data, addr)
            except (BlockingIOError, InterruptedError):
                self._buffer.appendleft((data, addr))
                self._buffer_size += len(data)
                break
            except OSError as exc:
                self._protocol.error_received(exc)
                return
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                self._fatal_error(exc, "Fatal write error on datagram transport")
                return
        self._maybe_resume_protocol()
        if not self._buffer:
            self._loop._remove_writer(self._sock_fd)
            if self._closing:
                self._call_connection_lost(None)


class DatagramMixin:
    """loop.create_datagram_endpoint()."""

    if TYPE_CHECKING:  # what we use of EventLoop, for the type checker
        _debug: bool
        def create_future(self) -> Future[Any]: ...
        async def sock_connect(self, sock: socket.socket, address: Any) -> None: ...
        async def _ensure_resolved(self, address: Any, *, family: int = 0,
                                   type: int = socket.SOCK_STREAM, proto: int = 0,
                                   flags: int = 0) -> list[Any]: ...

    async def create_datagram_endpoint(
            self, protocol_factory: Callable[[], Any], local_addr: Any = None,
            remote_addr: Any = None, *, family: int = 0, proto: int = 0, flags: int = 0,
            reuse_address: object = _NOT_GIVEN, reuse_port: bool | None = None,
            allow_broadcast: bool | None = None,
            sock: socket.socket | None = None) -> tuple[Any, Any]:
        """A datagram socket bound to `local_addr` and/or connected to `remote_addr` (or
        `sock`), with its transport and protocol: (transport, protocol)."""
        if reuse_address is not _NOT_GIVEN:
            # The abstract loop still names it, but asyncio's loop dropped it in 3.11 (it let
            # two processes share a UDP port unknowingly): any value is refused, as there.
            raise TypeError("BaseEventLoop.create_datagram_endpoint() got an unexpected "
                            "keyword argument 'reuse_address'")
        if sock is not None:
            _check_datagram_socket(sock)
            options = {"local_addr": local_addr, "remote_addr": remote_addr,
                       "family": family, "proto": proto, "flags": flags,
                       "reuse_port": reuse_port, "allow_broadcast": allow_broadcast}
            problems = ", ".join(f"{key}={value}" for key, value in options.items() if value)
            if problems:
                raise ValueError(f"socket modifier keyword arguments can not be used "
                                 f"when sock is specified. ({problems})")
            sock.setblocking(False)
            remote = None
        else:
            pairs = await self._datagram_address_pairs(local_addr, remote_addr, family,
                                                       proto, flags)
            sock, remote = await self._open_datagram_socket(pairs, local_addr, remote_addr,
                                                            reuse_port, allow_broadcast)
        protocol = protocol_factory()
        waiter = self.create_future()
        transport = DatagramSocketTransport(self, sock, protocol, remote, waiter)
        if self._debug:
            logger.debug("Datagram endpoint local_addr=%r remote_addr=%r created: (%r, %r)",
                         local_addr, remote_addr, transport, protocol)
        try:
            await waiter
        except BaseException:
            transport.close()
            raise
        return transport, protocol

    async def _datagram_address_pairs(self, local_addr: Any, remote_addr: Any, family: int,
                                      proto: int, flags: int) -> list[Any]:
        """The candidates, as ((family, proto), (local address, remote address)): one per
        (family, proto) that every given address resolves in, in getaddrinfo's order."""
        if not (local_addr or remote_addr):
            if family == 0:
                raise ValueError("unexpected address family")
            return [((family, proto), (None, None))]
        if family == getattr(socket, "AF_UNIX", None):
            for addr in (local_addr, remote_addr):
                if addr is not None and not isinstance(addr, str):
                    raise TypeError("string is expected")
            if local_addr and local_addr[0] not in (0, "\x00"):
                remove_stale_socket_file(local_addr)
            return [((family, proto), (local_addr, remote_addr))]
        by_key: dict[tuple[int, int], list[Any]] = {}
        for index, addr in ((0, local_addr), (1, remote_addr)):
            if addr is None:
                continue
            if not (isinstance(addr, tuple) and len(addr) == 2):
                raise TypeError("2-tuple is expected")
            infos = await self._ensure_resolved(addr, family=family, type=socket.SOCK_DGRAM,
                                                proto=proto, flags=flags)
            if not infos:
                raise OSError("getaddrinfo() returned empty list")
            for info_family, _, info_proto, _, address in infos:
                by_key.setdefault((info_family, info_proto), [None, None])[index] = address
        pairs = [(key, pair) for key, pair in by_key.items()
                 if not ((local_addr and pair[0] is None) or (remote_addr and pair[1] is None))]
        if not pairs:
            raise ValueError("can not get address information")
        return pairs

    async def _open_datagram_socket(self, pairs: list[Any], local_addr: Any,
                                    remote_addr: Any, reuse_port: bool | None,
                                    allow_broadcast: bool | None) -> tuple[socket.socket, Any]:
        """Try each candidate: make the socket, bind, connect. The first that works wins;
        if none does, the first error is raised."""
        errors: list[OSError] = []
        for (family, proto), (local_address, remote_address) in pairs:
            sock = None
            try:
                sock = socket.socket(family=family, type=socket.SOCK_DGRAM, proto=proto)
                if reuse_port:
                    set_reuse_port(sock)
                if allow_broadcast:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
                sock.setblocking(False)
                if local_addr:
                    sock.bind(local_address)
                if remote_addr and not allow_broadcast:
                    await self.sock_connect(sock, remote_address)
                return sock, remote_address if remote_addr else None
            except OSError as exc:
                if sock is not None:
                    sock.close()
                errors.append(exc)
            except BaseException:
                if sock is not None:
                    sock.close()
                raise
        raise errors[0]


def _check_datagram_socket(sock: socket.socket) -> None:
    if versions.DATAGRAM_SOCKET_NOT_STREAM:  # 3.13: anything but a stream
        if sock.type == socket.SOCK_STREAM:
            raise ValueError(f"A datagram socket was expected, got {sock!r}")
    elif sock.type != socket.SOCK_DGRAM:
        raise ValueError(f"A UDP Socket was expected, got {sock!r}")
