"""Connections: loop.create_connection, from a host name to a connected transport.

What you learn here: what it takes to "connect to example.com port 80". A name can resolve
to several addresses, IPv4 and IPv6 mixed, and some of them may not answer:

1. **Resolve** (host, port) with getaddrinfo, in the default executor; an address that is
   already numeric skips the lookup (and the thread), as in asyncio. `local_addr` is
   resolved the same way.
2. **Order** the answers: with `interleave` (or happy eyeballs, which turns it on), the
   families alternate, so one broken family cannot make every early attempt fail.
3. **Try** them. One at a time by default: make a socket, bind it to `local_addr` if asked,
   `sock_connect` (sockets.py); the first that connects wins. With `happy_eyeballs_delay`
   (RFC 8305), the next attempt starts when the previous one fails *or* after that delay,
   whichever comes first, so a slow address costs at most the delay; the first attempt to
   connect wins and the others are cancelled.
4. **Wrap** the socket in a socket transport (sockettransport.py) and wait until the
   protocol's `connection_made` has run: only then does `create_connection` return
   `(transport, protocol)`.

When every attempt fails, the errors are reported as asyncio reports them: the one error if
there was one, or if they all say the same thing; else one OSError listing them all; with
`all_errors=True`, an ExceptionGroup of them all.

`ConnectionMixin` holds these methods; unix.py and listening.py use its last two steps.
"""

from __future__ import annotations

import collections
import itertools
import socket
from typing import TYPE_CHECKING, Any

from . import versions
from .errors import logger
from .sockets import _numeric_address
from .sockettransport import SocketTransport
from .wait import FIRST_COMPLETED, wait

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from .futures import Future
    from .tasks import Task

__all__ = ("ConnectionMixin", "interleave_addrinfos")

_HAS_IPV6 = socket.has_ipv6


class ConnectionMixin:
    """loop.create_connection and the steps it shares with the other connecting methods."""

    if TYPE_CHECKING:  # what we use of EventLoop, for the type checker
        _debug: bool
        def create_future(self) -> Future[Any]: ...
        def create_task(self, coro: Coroutine[Any, Any, Any]) -> Task[Any]: ...
        async def getaddrinfo(self, host: Any, port: Any, *, family: int = 0, type: int = 0,
                              proto: int = 0, flags: int = 0) -> list[Any]: ...
        async def sock_connect(self, sock: socket.socket, address: Any) -> None: ...
        async def _create_tls_transport(self, sock: socket.socket,
                                        protocol_factory: Callable[[], Any], sslcontext: Any,
                                        server_side: bool, server_hostname: str | None,
                                        ssl_handshake_timeout: float | None,
                                        ssl_shutdown_timeout: float | None,
                                        ) -> tuple[Any, Any]: ...

    async def create_connection(
            self, protocol_factory: Callable[[], Any], host: Any = None, port: Any = None,
            *, ssl: Any = None, family: int = 0, proto: int = 0, flags: int = 0,
            sock: socket.socket | None = None, local_addr: Any = None,
            server_hostname: str | None = None, ssl_handshake_timeout: float | None = None,
            ssl_shutdown_timeout: float | None = None,
            happy_eyeballs_delay: float | None = None, interleave: int | None = None,
            all_errors: bool = False) -> tuple[Any, Any]:
        """Connect to (host, port), or wrap the connected socket `sock`; return
        (transport, protocol). (`all_errors` is new in 3.12; miniloop takes it everywhere.)"""
        # The argument checks, in asyncio's order (the first one that fails is reported).
        if server_hostname is not None and not ssl:
            raise ValueError("server_hostname is only meaningful with ssl")
        if server_hostname is None and ssl and not host:
            raise ValueError("You must set server_hostname when using ssl without a host")
        if ssl_handshake_timeout is not None and not ssl:
            raise ValueError("ssl_handshake_timeout is only meaningful with ssl")
        if ssl_shutdown_timeout is not None and not ssl:
            raise ValueError("ssl_shutdown_timeout is only meaningful with ssl")
        if happy_eyeballs_delay is not None and interleave is None:
            interleave = 1  # happy eyeballs alternates the families by default
        if host is not None or port is not None:
            if sock is not None:
                raise ValueError("host/port and sock can not be specified at the same time")
            sock = await self._connect_to_any(host, port, family, proto, flags, local_addr,
                                              happy_eyeballs_delay, interleave, all_errors)
        else:
            if sock is None:
                raise ValueError("host and port was not specified and no sock specified")
            if sock.type != socket.SOCK_STREAM:
                raise ValueError(f"A Stream Socket was expected, got {sock!r}")
        if ssl:
            sslcontext = None if isinstance(ssl, bool) else ssl  # None: tls.py's default
            transport, protocol = await self._create_tls_transport(
                sock, protocol_factory, sslcontext, False,
                host if server_hostname is None else server_hostname,
                ssl_handshake_timeout, ssl_shutdown_timeout)
        else:
            transport, protocol = await self._create_connection_transport(sock,
                                                                          protocol_factory)
        if self._debug:
            logger.debug("%r connected to %s:%r: (%r, %r)", transport.get_extra_info("socket"),
                         host, port, transport, protocol)
        return transport, protocol

    async def _connect_to_any(self, host: Any, port: Any, family: int, proto: int, flags: int,
                              local_addr: Any, happy_eyeballs_delay: float | None,
                              interleave: int | None, all_errors: bool) -> socket.socket:
        """Steps 1 to 3 of the module docstring: a connected socket, or the errors."""
        infos = await self._ensure_resolved((host, port), family=family,
                                            type=socket.SOCK_STREAM, proto=proto, flags=flags)
        if not infos:
            raise OSError("getaddrinfo() returned empty list")
        local_infos = None
        if local_addr is not None:
            local_infos = await self._ensure_resolved(local_addr, family=family,
                                                      type=socket.SOCK_STREAM, proto=proto,
                                                      flags=flags)
            if not local_infos:
                raise OSError("getaddrinfo() returned empty list")
        if interleave:
            infos = interleave_addrinfos(infos, interleave)
        errors: list[list[OSError]] = []  # one list per attempt, in the order they started
        sock = None
        if happy_eyeballs_delay is None:
            for info in infos:
                try:
                    sock = await self._connect_sock(errors, info, local_infos)
                    break
                except OSError:
                    continue
        else:
            sock = await self._staggered_race(
                [self._connect_sock(errors, info, local_infos) for info in infos],
                happy_eyeballs_delay)
        if sock is not None:
            return sock
        flat = [exc for attempt_errors in errors for exc in attempt_errors]
        if all_errors:
            raise ExceptionGroup("create_connection failed", flat)
        if len(flat) == 1 or all(str(exc) == str(flat[0]) for exc in flat):
            raise flat[0]
        raise OSError(f"Multiple exceptions: {', '.join(str(exc) for exc in flat)}")

    async def _connect_sock(self, errors: list[list[OSError]], addr_info: Any,
                            local_addr_infos: list[Any] | None) -> socket.socket:
        """One attempt: a socket of the address's family, bound, connected. Its errors are
        added to `errors` (a bind error for each local address tried, then the connect's)."""
        my_errors: list[OSError] = []
        errors.append(my_errors)
        family, type_, proto, _, address = addr_info
        sock = None
        try:
            sock = socket.socket(family=family, type=type_, proto=proto)
            sock.setblocking(False)
            if local_addr_infos is not None:
                _bind_to_local_address(sock, family, local_addr_infos, my_errors)
            await self.sock_connect(sock, address)
            return sock
        except OSError as exc:
            my_errors.append(exc)
            if sock is not None:
                sock.close()
            raise
        except BaseException:  # cancelled (happy eyeballs lost the race), or worse
            if sock is not None:
                sock.close()
            raise

    async def _staggered_race(self, attempts: list[Coroutine[Any, Any, socket.socket]],
                              delay: float) -> socket.socket | None:
        """Happy eyeballs: start the attempts one after another, the next one as soon as the
        last failed or after `delay`; the first connected socket wins, the rest are
        cancelled (and, as in asyncio, have closed their sockets by the time we return).
        None if every attempt failed."""
        waiting = collections.deque(attempts)
        started: list[Future[socket.socket]] = []  # in the order they started
        running: set[Future[socket.socket]] = set()
        try:
            while waiting or running:
                if waiting:
                    started.append(self.create_task(waiting.popleft()))
                    running.add(started[-1])
                done, running = await wait(running, timeout=delay if waiting else None,
                                           return_when=FIRST_COMPLETED)
                winners = [task for task in started if task in done and task.exception() is None]
                if winners:
                    for task in running:
                        task.cancel()
                    if running:
                        await wait(running)
                    # Two that connected in the same turn: the later one's socket goes.
                    for task in started[started.index(winners[0]) + 1:]:
                        if task.done() and not task.cancelled() and task.exception() is None:
                            task.result().close()
                    return winners[0].result()
                # Every task that is done failed: start the next one now, not after the delay.
            return None
        finally:
            for task in running:
                task.cancel()
            for attempt in waiting:
                attempt.close()

    async def _ensure_resolved(self, address: Any, *, family: int = 0,
                               type: int = socket.SOCK_STREAM, proto: int = 0,
                               flags: int = 0) -> list[Any]:
        """getaddrinfo's answer for `address`, without asking it when the host is numeric."""
        host, port = address[:2]
        for candidate in _families(family):
            info = _numeric_address(host, port, candidate, type, proto, *address[2:])
            if info is not None:
                return [info]
        return await self.getaddrinfo(host, port, family=family, type=type, proto=proto,
                                      flags=flags)

    async def _create_connection_transport(self, sock: socket.socket,
                                           protocol_factory: Callable[[], Any],
                                           ) -> tuple[Any, Any]:
        """Step 4: the transport, and the wait for its protocol's connection_made."""
        sock.setblocking(False)
        protocol = protocol_factory()
        waiter = self.create_future()
        transport = SocketTransport(self, sock, protocol, waiter)
        try:
            await waiter
        except BaseException:
            transport.close()
            raise
        return transport, protocol


def interleave_addrinfos(addrinfos: list[Any], first_family_count: int = 1) -> list[Any]:
    """Reorder getaddrinfo's answers so that the families alternate, keeping each family's
    own order; the first family first, with `first_family_count` of its addresses first.
    [v6a, v6b, v4a, v4b] becomes [v6a, v4a, v6b, v4b]."""
    by_family: dict[int, list[Any]] = {}
    for info in addrinfos:
        by_family.setdefault(info[0], []).append(info)
    lists = list(by_family.values())
    reordered = lists[0][:first_family_count - 1]
    del lists[0][:first_family_count - 1]
    for row in itertools.zip_longest(*lists):
        reordered.extend(info for info in row if info is not None)
    return reordered


def _families(family: int) -> list[int]:
    """The families a numeric host may be in: both, when the caller did not say."""
    if family != socket.AF_UNSPEC:
        return [family]
    return [socket.AF_INET, socket.AF_INET6] if _HAS_IPV6 else [socket.AF_INET]


def _bind_to_local_address(sock: socket.socket, family: int, local_addr_infos: list[Any],
                           errors: list[OSError]) -> None:
    """Bind to the first local address of the socket's family that works; if none does,
    raise the last bind error (the others stay in `errors`)."""
    for local_family, _, _, _, local_address in local_addr_infos:
        if local_family != family:
            continue
        try:
            sock.bind(local_address)
            return
        except OSError as exc:
            reason = str(exc) if versions.BIND_ERROR_SHOWS_ERRNO else exc.strerror
            errors.append(OSError(exc.errno, f"error while attempting to bind on address "
                                             f"{local_address!r}: {(reason or '').lower()}"))
    if errors:
        raise errors.pop()
    raise OSError(f"no matching local address with family={family!r} found")
