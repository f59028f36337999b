"""Datagram endpoints: UDP on 127.0.0.1 (port 0), the datagram transport's callbacks,
errors that are not fatal, and create_datagram_endpoint's arguments."""

import socket
import sys

import pytest

from compat_tests.fds import no_fd_leaks  # noqa: F401 (the fixture, used below)
from compat_tests.harness import scenario

pytestmark = pytest.mark.usefixtures("no_fd_leaks")


def datagram_protocol(aio, log, name):
    class Logging(aio.DatagramProtocol):
        def __init__(self):
            self.lost = aio.get_running_loop().create_future()

        def connection_made(self, transport):
            log(name, "connection_made")

        def datagram_received(self, data, addr):
            log(name, "datagram_received", data)

        def error_received(self, exc):
            log(name, "error_received", type(exc).__name__)

        def connection_lost(self, exc):
            log(name, "connection_lost", exc)
            self.lost.set_result(None)

    return Logging


@scenario(
    "server connection_made",
    "server bound to 127.0.0.1: True",
    "client connection_made",
    "client peername is the server: True",
    "server datagram_received b'ping'",
    "client datagram_received b'pong'",
    "client connection_lost None",
    "server connection_lost None",
)
async def test_udp_endpoints_exchange_datagrams(aio, log):
    loop = aio.get_running_loop()
    Server = datagram_protocol(aio, log, "server")

    class Pong(Server):
        def connection_made(self, transport):
            super().connection_made(transport)
            self.transport = transport

        def datagram_received(self, data, addr):
            super().datagram_received(data, addr)
            self.transport.sendto(b"pong", addr)

    server, server_protocol = await loop.create_datagram_endpoint(
        Pong, local_addr=("127.0.0.1", 0))
    address = server.get_extra_info("sockname")
    log("server bound to 127.0.0.1:", address[0] == "127.0.0.1")
    client, client_protocol = await loop.create_datagram_endpoint(
        datagram_protocol(aio, log, "client"), remote_addr=address)
    log("client peername is the server:", client.get_extra_info("peername") == address)
    client.sendto(b"ping")
    await aio.sleep(0.05)
    client.close()
    await client_protocol.lost
    server.close()
    await server_protocol.lost


@scenario(
    "client connection_made",
    "sendto another address: ValueError: Invalid address: must be None or ADDRESS",
    "sendto str: TypeError: data argument must be a bytes-like object, not 'str'",
    "client error_received ConnectionRefusedError",
    "client error_received ConnectionRefusedError",
    "still open: True",
    "client connection_lost None",
)
async def test_errors_are_not_fatal_for_datagrams(aio, log):
    """A connected UDP socket whose peer is gone: the ICMP error comes back as
    error_received, and the transport stays open."""
    loop = aio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as gone:
        gone.bind(("127.0.0.1", 0))
        address = gone.getsockname()
    transport, protocol = await loop.create_datagram_endpoint(
        datagram_protocol(aio, log, "client"), remote_addr=address)
    try:
        transport.sendto(b"x", ("127.0.0.1", 9))
    except ValueError as exc:
        log.error("sendto another address:", ValueError(str(exc).replace(str(address),
                                                                          "ADDRESS")))
    try:
        transport.sendto("text")
    except TypeError as exc:
        log.error("sendto str:", exc)
    for data in (b"into the void", b"again"):  # each refusal comes back on the next read
        transport.sendto(data)
        await aio.sleep(0.05)
    log("still open:", not transport.is_closing())
    transport.close()
    await protocol.lost


@scenario(
    "server connection_made",
    "sendto(b''): nothing arrives",
    "server connection_lost None",
    changed={(3, 13): [
        "server connection_made",
        "server datagram_received b''",
        "server connection_lost None",
    ]},
)
async def test_sendto_empty(aio, log):
    """3.13 sends a zero-length datagram for sendto(b""); 3.11 and 3.12 send nothing."""
    loop = aio.get_running_loop()
    server, protocol = await loop.create_datagram_endpoint(
        datagram_protocol(aio, log, "server"), local_addr=("127.0.0.1", 0))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
        raw.bind(("127.0.0.1", 0))
        client, _ = await loop.create_datagram_endpoint(aio.DatagramProtocol, sock=raw)
        client.sendto(b"", server.get_extra_info("sockname"))
        await aio.sleep(0.05)
        if sys.version_info < (3, 13):
            log("sendto(b''): nothing arrives")
        client.close()
        await aio.sleep(0)
    server.close()
    await protocol.lost


@scenario(
    "a stream socket: ValueError: A UDP Socket was expected, got STREAM",
    "sock with options: ValueError: socket modifier keyword arguments can not be used when "
    "sock is specified. (local_addr=('127.0.0.1', 0), family=2)",
    "no address, no family: ValueError: unexpected address family",
    "local_addr not a pair: TypeError: 2-tuple is expected",
    "no common family: ValueError: can not get address information",
    "reuse_address=None: TypeError: BaseEventLoop.create_datagram_endpoint() got an "
    "unexpected keyword argument 'reuse_address'",
    changed={(3, 13): [
        "a stream socket: ValueError: A datagram socket was expected, got STREAM",
        "sock with options: ValueError: socket modifier keyword arguments can not be used "
        "when sock is specified. (local_addr=('127.0.0.1', 0), family=2)",
        "no address, no family: ValueError: unexpected address family",
        "local_addr not a pair: TypeError: 2-tuple is expected",
        "no common family: ValueError: can not get address information",
        "reuse_address=None: TypeError: BaseEventLoop.create_datagram_endpoint() got an "
        "unexpected keyword argument 'reuse_address'",
    ]},
)
async def test_create_datagram_endpoint_argument_errors(aio, log):
    loop = aio.get_running_loop()
    with socket.socket() as stream, socket.socket(type=socket.SOCK_DGRAM) as dgram:
        cases = [
            ("a stream socket:", {"sock": stream}),
            ("sock with options:", {"sock": dgram, "local_addr": ("127.0.0.1", 0),
                                    "family": socket.AF_INET}),
            ("no address, no family:", {}),
            ("local_addr not a pair:", {"local_addr": ("127.0.0.1",)}),
            ("no common family:", {"local_addr": ("127.0.0.1", 0),
                                   "remote_addr": ("::1", 1)}),
            ("reuse_address=None:", {"local_addr": ("127.0.0.1", 0), "reuse_address": None}),
        ]
        for label, kwargs in cases:
            try:
                await loop.create_datagram_endpoint(aio.DatagramProtocol, **kwargs)
            except (ValueError, TypeError) as exc:
                message = str(exc)
                if "expected, got" in message:
                    message = message[:message.index("got") + 3] + " STREAM"
                log(label, f"{type(exc).__name__}: {message}")
