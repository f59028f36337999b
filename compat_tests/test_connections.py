"""create_connection and connect_accepted_socket: addresses tried in order, local_addr,
interleaving and happy eyeballs, the errors of failed attempts and of bad arguments.

Where a story needs a host name with several addresses, it gives the loop a getaddrinfo
of its own (both loops look the name up through `loop.getaddrinfo`): the answers are then
written out in the story.
"""

import socket
import sys

import pytest

from compat_tests.fds import no_fd_leaks  # noqa: F401 (the fixture, used below)
from compat_tests.harness import scenario

pytestmark = pytest.mark.usefixtures("no_fd_leaks")

V4 = (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "")
V6 = (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "")


def closed_port(family=socket.AF_INET):
    """A port on loopback where nobody listens (bound a moment ago, then closed)."""
    with socket.socket(family) as sock:
        sock.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
        return sock.getsockname()[1]


def answer_with(loop, infos):
    """Make `loop.getaddrinfo` answer `infos` for any name."""
    async def getaddrinfo(host, port, **kwargs):
        return infos
    loop.getaddrinfo = getaddrinfo


def plain_protocol(aio, log):
    class Plain(aio.Protocol):
        def connection_made(self, transport):
            log("connection_made to", transport.get_extra_info("peername")[0])
    return Plain


@scenario(
    "connection_made to 127.0.0.1",
    "connected from 127.0.0.1: True",
    "accepted by the listener: True",
)
async def test_create_connection_to_a_numeric_host(aio, log):
    loop = aio.get_running_loop()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        transport, _ = await loop.create_connection(plain_protocol(aio, log),
                                                    *listener.getsockname())
        conn, peer = listener.accept()
        with conn:
            log("connected from 127.0.0.1:", transport.get_extra_info("sockname") == peer)
            log("accepted by the listener:", conn.getsockname() == listener.getsockname())
        transport.close()
        await aio.sleep(0)


@scenario(
    "connection_made to 127.0.0.1",
)
async def test_create_connection_looks_up_a_host_name(aio, log):
    loop = aio.get_running_loop()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        transport, _ = await loop.create_connection(plain_protocol(aio, log), "localhost",
                                                    listener.getsockname()[1],
                                                    family=socket.AF_INET)
        listener.accept()[0].close()
        transport.close()
        await aio.sleep(0)


@scenario(
    "refused: ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', PORT)",
)
async def test_connection_refused(aio, log):
    loop = aio.get_running_loop()
    port = closed_port()
    try:
        await loop.create_connection(aio.Protocol, "127.0.0.1", port)
    except OSError as exc:
        log.error("refused:", type(exc)(exc.errno, exc.strerror.replace(str(port), "PORT")))


@scenario(
    "bound to local_addr: True",
    "local port in use: OSError: [Errno 98] error while attempting to bind on address "
    "('127.0.0.1', PORT): address already in use",
    changed={(3, 13): [
        "bound to local_addr: True",
        "local port in use: OSError: [Errno 98] error while attempting to bind on address "
        "('127.0.0.1', PORT): [errno 98] address already in use",
    ]},
)
async def test_local_addr(aio, log):
    loop = aio.get_running_loop()
    with socket.create_server(("127.0.0.1", 0)) as listener, \
            socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        local = taken.getsockname()
        transport, _ = await loop.create_connection(aio.Protocol, *listener.getsockname(),
                                                    local_addr=("127.0.0.1", 0))
        log("bound to local_addr:", transport.get_extra_info("sockname")[0] == "127.0.0.1")
        listener.accept()[0].close()
        transport.close()
        try:
            await loop.create_connection(aio.Protocol, *listener.getsockname(),
                                         local_addr=local)
        except OSError as exc:
            log.error("local port in use:", OSError(
                exc.errno, exc.strerror.replace(str(local[1]), "PORT")))


@scenario(
    "tried in order: connection_made to 127.0.0.1",
    "both refused: OSError: Multiple exceptions: [Errno 111] Connect call failed "
    "('127.0.0.1', P1), [Errno 111] Connect call failed ('127.0.0.1', P2)",
    "the same error twice: ConnectionRefusedError: [Errno 111] Connect call failed "
    "('127.0.0.1', P1)",
)
async def test_every_address_is_tried_and_the_errors_combined(aio, log):
    """The addresses are tried in getaddrinfo's order; if all fail, asyncio raises the one
    error when they all read the same, else one OSError listing them all."""
    loop = aio.get_running_loop()
    p1, p2 = closed_port(), closed_port()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        good = listener.getsockname()
        answer_with(loop, [V4 + (("127.0.0.1", p1),), V4 + (good,)])
        transport, _ = await loop.create_connection(plain_protocol(aio, log), "two.test", 1)
        log.lines[-1] = "tried in order: " + log.lines[-1]
        listener.accept()[0].close()
        transport.close()
    answer_with(loop, [V4 + (("127.0.0.1", p1),), V4 + (("127.0.0.1", p2),)])
    try:
        await loop.create_connection(aio.Protocol, "two.test", 1)
    except OSError as exc:
        log.error("both refused:", OSError(str(exc).replace(str(p1), "P1")
                                           .replace(str(p2), "P2")))
    answer_with(loop, [V4 + (("127.0.0.1", p1),), V4 + (("127.0.0.1", p1),)])
    try:
        await loop.create_connection(aio.Protocol, "two.test", 1)
    except OSError as exc:
        log.error("the same error twice:", type(exc)(exc.errno, exc.strerror.replace(
            str(p1), "P1")))


@pytest.mark.skipif(sys.version_info < (3, 12), reason="all_errors is new in 3.12")
@scenario(
    "ExceptionGroup: create_connection failed (2 sub-exceptions)",
    "ConnectionRefusedError, ConnectionRefusedError",
)
async def test_all_errors_gives_an_exception_group(aio, log):
    loop = aio.get_running_loop()
    answer_with(loop, [V4 + (("127.0.0.1", closed_port()),),
                       V4 + (("127.0.0.1", closed_port()),)])
    try:
        await loop.create_connection(aio.Protocol, "two.test", 1, all_errors=True)
    except ExceptionGroup as group:
        log(f"{type(group).__name__}: {group}")
        log(", ".join(type(exc).__name__ for exc in group.exceptions))


@scenario(
    "interleaved: Multiple exceptions: A, C, B",
)
async def test_interleave_alternates_the_families(aio, log):
    """getaddrinfo answers IPv6 A, IPv6 B, IPv4 C (all refused); interleave=1 tries them
    as A, C, B, and the combined error lists them in that order."""
    loop = aio.get_running_loop()
    a, b = closed_port(socket.AF_INET6), closed_port(socket.AF_INET6)
    c = closed_port()
    answer_with(loop, [V6 + (("::1", a, 0, 0),), V6 + (("::1", b, 0, 0),),
                       V4 + (("127.0.0.1", c),)])
    try:
        await loop.create_connection(aio.Protocol, "three.test", 1, interleave=1)
    except OSError as exc:
        text = str(exc)
        for port, name in ((a, "A"), (b, "B"), (c, "C")):
            text = text.replace(f"'{'127.0.0.1' if name == 'C' else '::1'}', {port}", name)
        log("interleaved:", text.replace("[Errno 111] Connect call failed ", "")
            .replace("(", "").replace(", 0, 0)", "").replace(")", ""))


@scenario(
    "happy eyeballs: connection_made to 127.0.0.1, the second address",
    "took less than the first attempt's timeout: True",
)
async def test_happy_eyeballs_starts_the_next_attempt_after_the_delay(aio, log):
    """The first address never answers (a listener whose backlog is full drops the SYN);
    with happy_eyeballs_delay the second attempt starts after the delay and wins, and the
    first is cancelled."""
    loop = aio.get_running_loop()
    with socket.socket() as full, socket.socket() as filler, \
            socket.create_server(("127.0.0.1", 0)) as good:
        full.bind(("127.0.0.1", 0))
        full.listen(0)
        filler.connect(full.getsockname())  # takes the one place in the backlog
        answer_with(loop, [V4 + (full.getsockname(),), V4 + (good.getsockname(),)])
        started = loop.time()

        class Which(aio.Protocol):
            def connection_made(self, transport):
                second = transport.get_extra_info("peername") == good.getsockname()
                log("happy eyeballs: connection_made to 127.0.0.1,",
                    "the second address" if second else "the first address")

        transport, _ = await loop.create_connection(Which, "slow.test", 1,
                                                    happy_eyeballs_delay=0.1)
        log("took less than the first attempt's timeout:", loop.time() - started < 0.9)
        good.accept()[0].close()
        transport.close()
        await aio.sleep(0)


@scenario(
    "no host, port or sock: ValueError: host and port was not specified and no sock "
    "specified",
    "host and sock: ValueError: host/port and sock can not be specified at the same time",
    "server_hostname without ssl: ValueError: server_hostname is only meaningful with ssl",
    "ssl_handshake_timeout without ssl: ValueError: ssl_handshake_timeout is only "
    "meaningful with ssl",
    "ssl_shutdown_timeout without ssl: ValueError: ssl_shutdown_timeout is only "
    "meaningful with ssl",
    "ssl without a host: ValueError: You must set server_hostname when using ssl without "
    "a host",
    "a datagram socket: ValueError: A Stream Socket was expected, got DGRAM",
)
async def test_create_connection_argument_errors(aio, log):
    loop = aio.get_running_loop()
    with socket.socket() as stream, socket.socket(type=socket.SOCK_DGRAM) as dgram:
        cases = [
            ("no host, port or sock:", {}),
            ("host and sock:", {"host": "127.0.0.1", "sock": stream}),
            ("server_hostname without ssl:", {"sock": stream, "server_hostname": "x"}),
            ("ssl_handshake_timeout without ssl:", {"sock": stream,
                                                   "ssl_handshake_timeout": 1}),
            ("ssl_shutdown_timeout without ssl:", {"sock": stream,
                                                  "ssl_shutdown_timeout": 1}),
            ("ssl without a host:", {"sock": stream, "ssl": True}),
            ("a datagram socket:", {"sock": dgram}),
        ]
        for label, kwargs in cases:
            try:
                await loop.create_connection(aio.Protocol, **kwargs)
            except ValueError as exc:
                message = str(exc)
                if "Stream Socket" in message:
                    message = message[:message.index("got") + 3] + " DGRAM"
                log(label, f"{type(exc).__name__}: {message}")


@scenario(
    "connection_made",
    "data_received b'from the client'",
    "accepted transport's peername is the client's: True",
    "a datagram socket: ValueError: A Stream Socket was expected, got DGRAM",
)
async def test_connect_accepted_socket(aio, log):
    """A socket accepted outside the loop, handed over to a transport."""
    loop = aio.get_running_loop()

    class Server(aio.Protocol):
        def connection_made(self, transport):
            log("connection_made")

        def data_received(self, data):
            log("data_received", data)

    with socket.create_server(("127.0.0.1", 0)) as listener, \
            socket.create_connection(listener.getsockname()) as client:
        conn, _ = listener.accept()
        transport, _ = await loop.connect_accepted_socket(Server, conn)
        client.sendall(b"from the client")
        await aio.sleep(0.05)
        log("accepted transport's peername is the client's:",
            transport.get_extra_info("peername") == client.getsockname())
        transport.close()
        await aio.sleep(0)
    with socket.socket(type=socket.SOCK_DGRAM) as dgram:
        try:
            await loop.connect_accepted_socket(aio.Protocol, dgram)
        except ValueError as exc:
            log("a datagram socket:", f"ValueError: {str(exc)[:str(exc).index('got') + 3]}"
                " DGRAM")


@scenario(
    "connection_made to 127.0.0.1, the second address",
    "did not wait for the delay: True",
)
async def test_happy_eyeballs_starts_the_next_attempt_when_one_fails(aio, log):
    """A refused attempt starts the next one at once, not after happy_eyeballs_delay."""
    loop = aio.get_running_loop()
    with socket.create_server(("127.0.0.1", 0)) as good:
        answer_with(loop, [V4 + (("127.0.0.1", closed_port()),), V4 + (good.getsockname(),)])

        class Which(aio.Protocol):
            def connection_made(self, transport):
                second = transport.get_extra_info("peername") == good.getsockname()
                log("connection_made to 127.0.0.1,",
                    "the second address" if second else "the first address")

        started = loop.time()
        transport, _ = await loop.create_connection(Which, "two.test", 1,
                                                    happy_eyeballs_delay=30)
        log("did not wait for the delay:", loop.time() - started < 10)
        good.accept()[0].close()
        transport.close()
        await aio.sleep(0)
