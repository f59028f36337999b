"""Servers: create_server and the Server's life (serving, closing, waiting for the clients),
accepting, and the errors of create_server's arguments. All on 127.0.0.1, port 0."""

import errno
import socket
import sys

import pytest

from compat_tests.fds import no_fd_leaks  # noqa: F401 (the fixture, used below)
from compat_tests.harness import scenario

pytestmark = pytest.mark.usefixtures("no_fd_leaks")


def server_protocol(aio, log, name="server"):
    """A protocol factory whose protocols log their callbacks, each under `name`."""

    class Logging(aio.Protocol):
        def connection_made(self, transport):
            self.transport = transport
            log(name, "connection_made")

        def data_received(self, data):
            log(name, "data_received", data)
            self.transport.write(data.upper())

        def eof_received(self):
            log(name, "eof_received")

        def connection_lost(self, exc):
            log(name, "connection_lost", exc)

    return Logging


def port_of(server):
    return server.sockets[0].getsockname()[1]


@scenario(
    "is_serving: True",
    "one socket, listening on 127.0.0.1: True",
    "get_loop is the running loop: True",
    "repr starts with <Server sockets=(<asyncio.TransportSocket: True",
    "server connection_made",
    "server data_received b'ping'",
    "client got b'PING'",
    "server eof_received",
    "server connection_lost None",
    "closed: is_serving False, sockets ()",
    "wait_closed returned",
)
async def test_server_lifecycle(aio, log):
    loop = aio.get_running_loop()
    server = await loop.create_server(server_protocol(aio, log), "127.0.0.1", 0)
    log("is_serving:", server.is_serving())
    log("one socket, listening on 127.0.0.1:", len(server.sockets) == 1
        and server.sockets[0].getsockname()[0] == "127.0.0.1")
    log("get_loop is the running loop:", server.get_loop() is loop)
    log("repr starts with <Server sockets=(<asyncio.TransportSocket:",
        repr(server).startswith("<Server sockets=(<asyncio.TransportSocket"))
    with socket.create_connection(("127.0.0.1", port_of(server))) as client:
        client.setblocking(False)
        await loop.sock_sendall(client, b"ping")
        log("client got", await loop.sock_recv(client, 100))
        client.shutdown(socket.SHUT_WR)
        await loop.sock_recv(client, 100)
    await aio.sleep(0.05)
    server.close()
    log(f"closed: is_serving {server.is_serving()}, sockets {server.sockets}")
    await server.wait_closed()
    log("wait_closed returned")


@scenario(
    "server connection_made",
    "closed with a client connected",
    "wait_closed returned at once",
    "server eof_received",
    "server connection_lost None",
    changed={(3, 12): [
        "server connection_made",
        "closed with a client connected",
        "server eof_received",
        "server connection_lost None",
        "wait_closed returned after the last client",
    ]},
)
async def test_wait_closed_waits_for_the_clients(aio, log):
    """3.12+: wait_closed() returns when the server is closed *and* its last connection has
    ended; 3.11 returns at once once the server is closed."""
    loop = aio.get_running_loop()
    server = await loop.create_server(server_protocol(aio, log), "127.0.0.1", 0)
    client = socket.create_connection(("127.0.0.1", port_of(server)))
    client.setblocking(False)
    await aio.sleep(0.05)
    server.close()
    log("closed with a client connected")
    loop.call_later(0.05, client.close)
    await server.wait_closed()
    if sys.version_info >= (3, 12):
        log("wait_closed returned after the last client")
    else:
        log("wait_closed returned at once")
        await aio.sleep(0.1)


@scenario(
    "start_serving=False: is_serving False",
    "connect before listen(): ConnectionRefusedError",
    "after start_serving(): is_serving True",
    "server connection_made",
    "server eof_received",
    "server connection_lost None",
)
async def test_start_serving_false_binds_but_does_not_listen(aio, log):
    loop = aio.get_running_loop()
    server = await loop.create_server(server_protocol(aio, log), "127.0.0.1", 0,
                                      start_serving=False)
    async with server:
        log("start_serving=False: is_serving", server.is_serving())
        try:
            socket.create_connection(("127.0.0.1", port_of(server)))
        except ConnectionRefusedError as exc:
            log("connect before listen():", type(exc).__name__)
        await server.start_serving()
        log("after start_serving(): is_serving", server.is_serving())
        with socket.create_connection(("127.0.0.1", port_of(server))):
            await aio.sleep(0.05)
        await aio.sleep(0.05)


@scenario(
    "start_serving() after close(): TypeError: 'NoneType' object is not iterable",
    "is_serving: True",
)
async def test_start_serving_a_closed_server(aio, log):
    """A closed server has no sockets left to listen on: start_serving() trips over that
    with a TypeError (asyncio has no message of its own for it), and is_serving() says
    True from then on."""
    loop = aio.get_running_loop()
    server = await loop.create_server(aio.Protocol, "127.0.0.1", 0)
    server.close()
    await server.wait_closed()
    try:
        await server.start_serving()
    except TypeError as exc:
        log.error("start_serving() after close():", exc)
    log("is_serving:", server.is_serving())


@scenario(
    "serving forever: True",
    "second serve_forever: RuntimeError: server <Server sockets=(...)> is already being "
    "awaited on serve_forever()",
    "serve_forever cancelled: CancelledError",
    "closed by the cancel: is_serving False",
    "on a closed server: RuntimeError: server <Server sockets=()> is closed",
)
async def test_serve_forever_until_cancelled(aio, log):
    loop = aio.get_running_loop()
    server = await loop.create_server(server_protocol(aio, log), "127.0.0.1", 0,
                                      start_serving=False)
    forever = aio.create_task(server.serve_forever())
    await aio.sleep(0)
    log("serving forever:", server.is_serving())
    try:
        await server.serve_forever()
    except RuntimeError as exc:
        log.error("second serve_forever:", RuntimeError(str(exc).replace(
            repr(server.sockets), "(...)")))
    forever.cancel()
    try:
        await forever
    except aio.CancelledError as exc:
        log("serve_forever cancelled:", type(exc).__name__)
    log("closed by the cancel: is_serving", server.is_serving())
    try:
        await server.serve_forever()
    except RuntimeError as exc:
        log.error("on a closed server:", exc)


@scenario(
    "in the block: is_serving True",
    "after the block: is_serving False, sockets ()",
)
async def test_async_with_closes_the_server(aio, log):
    loop = aio.get_running_loop()
    async with await loop.create_server(server_protocol(aio, log), "127.0.0.1", 0) as server:
        log("in the block: is_serving", server.is_serving())
    log(f"after the block: is_serving {server.is_serving()}, sockets {server.sockets}")


@pytest.mark.skipif(sys.version_info < (3, 13), reason="close_clients is new in 3.13")
@scenario(
    "a connection_made",
    "b connection_made",
    "close_clients",
    "lost: a None, b None",
    "still serving: True",
    "client a got EOF: b''",
    "c connection_made",
    "abort_clients",
    "lost: c None",
)
async def test_close_clients(aio, log):
    """3.13: close_clients() closes every accepted connection, abort_clients() aborts them;
    both leave the server itself serving. (The server keeps its clients in a set: in no
    particular order.)"""
    loop = aio.get_running_loop()
    names = iter("abc")
    lost = []

    class Named(aio.Protocol):
        def connection_made(self, transport):
            self.name = next(names)
            log(self.name, "connection_made")

        def connection_lost(self, exc):
            lost.append(f"{self.name} {exc}")

    def log_lost():
        log("lost:", ", ".join(sorted(lost)))
        lost.clear()

    server = await loop.create_server(Named, "127.0.0.1", 0)
    address = ("127.0.0.1", port_of(server))
    with socket.create_connection(address) as a:
        await aio.sleep(0.05)
        with socket.create_connection(address):
            await aio.sleep(0.05)
            log("close_clients")
            server.close_clients()
            await aio.sleep(0.05)
            log_lost()
            log("still serving:", server.is_serving())
            a.setblocking(False)
            log("client a got EOF:", await loop.sock_recv(a, 10))
    with socket.create_connection(address):
        await aio.sleep(0.05)
        log("abort_clients")
        server.abort_clients()
        await aio.sleep(0.05)
        log_lost()
    server.close()
    await server.wait_closed()


@scenario(
    "sockets: 1",
    "the same port twice in a list: one socket",
)
async def test_a_list_of_hosts_binds_each_address_once(aio, log):
    loop = aio.get_running_loop()
    server = await loop.create_server(server_protocol(aio, log), ["127.0.0.1"], 0)
    async with server:
        log("sockets:", len(server.sockets))
        port = port_of(server)
    twice = await loop.create_server(server_protocol(aio, log), ["127.0.0.1", "127.0.0.1"],
                                     port)
    async with twice:
        log("the same port twice in a list:",
            "one socket" if len(twice.sockets) == 1 else len(twice.sockets))


@scenario(
    "SO_REUSEADDR: True",
    "SO_REUSEPORT: True",
    "without reuse_address=False: SO_REUSEADDR False",
)
async def test_reuse_address_and_reuse_port(aio, log):
    loop = aio.get_running_loop()
    factory = server_protocol(aio, log)
    async with await loop.create_server(factory, "127.0.0.1", 0, reuse_port=True) as server:
        sock = server.sockets[0]
        log("SO_REUSEADDR:", bool(sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)))
        log("SO_REUSEPORT:", bool(sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)))
    async with await loop.create_server(factory, "127.0.0.1", 0,
                                        reuse_address=False) as server:
        log("without reuse_address=False: SO_REUSEADDR",
            bool(server.sockets[0].getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)))


@scenario(
    "port in use: OSError errno EADDRINUSE: error while attempting to bind on address "
    "('127.0.0.1', PORT): address already in use",
    changed={(3, 13): [
        "port in use: OSError errno EADDRINUSE: error while attempting to bind on address "
        "('127.0.0.1', PORT): [errno 98] address already in use",
    ]},
)
async def test_create_server_on_a_port_in_use(aio, log):
    """The bind error names the address; 3.13 words the reason with str(err)."""
    loop = aio.get_running_loop()
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        try:
            await loop.create_server(server_protocol(aio, log), "127.0.0.1", port)
        except OSError as exc:
            log(f"port in use: {type(exc).__name__} errno {errno.errorcode[exc.errno]}:",
                exc.strerror.replace(str(port), "PORT"))


@scenario(
    "no host, port or sock: ValueError: Neither host/port nor sock were specified",
    "host and sock: ValueError: host/port and sock can not be specified at the same time",
    "a datagram socket: ValueError: A Stream Socket was expected, got DGRAM",
    "ssl=True: TypeError: ssl argument must be an SSLContext or None",
    "ssl_handshake_timeout without ssl: ValueError: ssl_handshake_timeout is only "
    "meaningful with ssl",
    "ssl_shutdown_timeout without ssl: ValueError: ssl_shutdown_timeout is only "
    "meaningful with ssl",
)
async def test_create_server_argument_errors(aio, log):
    loop = aio.get_running_loop()
    factory = server_protocol(aio, log)
    with socket.socket() as stream, socket.socket(type=socket.SOCK_DGRAM) as dgram:
        cases = [
            ("no host, port or sock:", {}),
            ("host and sock:", {"host": "127.0.0.1", "sock": stream}),
            ("a datagram socket:", {"sock": dgram}),
            ("ssl=True:", {"host": "127.0.0.1", "port": 0, "ssl": True}),
            ("ssl_handshake_timeout without ssl:", {"sock": stream,
                                                   "ssl_handshake_timeout": 1}),
            ("ssl_shutdown_timeout without ssl:", {"sock": stream,
                                                  "ssl_shutdown_timeout": 1}),
        ]
        for label, kwargs in cases:
            try:
                await loop.create_server(factory, **kwargs)
            except (ValueError, TypeError) as exc:
                message = str(exc)
                if "Stream Socket" in message:
                    message = message[:message.index("got") + 3] + " DGRAM"
                log(label, f"{type(exc).__name__}: {message}")


@scenario(
    "server connection_made",
    "server data_received b'GET / HTTP/1.1'",
    "server connection_lost None",
    "http.client: 200 OK b'hello from a protocol\\n'",
    "server connection_made",
    "server data_received b'GET / HTTP/1.1'",
    "server connection_lost None",
    "curl: b'hello from a protocol\\n'",
)
async def test_real_clients_http_client_and_curl(aio, log):
    """Clients miniloop did not write: the standard library's http.client (in a thread) and
    curl (a child process, run from a thread) against an HTTP/1.0-style protocol."""
    import http.client
    import shutil
    import subprocess

    loop = aio.get_running_loop()

    class Http(aio.Protocol):
        def connection_made(self, transport):
            self.transport = transport
            self.request = b""
            log("server connection_made")

        def data_received(self, data):
            self.request += data
            if b"\r\n\r\n" in self.request:
                log("server data_received", self.request.split(b"\r\n")[0])
                body = b"hello from a protocol\n"
                self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
                                     b"Connection: close\r\n\r\n%s" % (len(body), body))
                self.transport.close()

        def connection_lost(self, exc):
            log("server connection_lost", exc)

    def get_with_http_client(port):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", "/")
            response = connection.getresponse()
            return response.status, response.reason, response.read()
        finally:
            connection.close()

    async with await loop.create_server(Http, "127.0.0.1", 0) as server:
        port = port_of(server)
        status, reason, body = await loop.run_in_executor(None, get_with_http_client, port)
        await aio.sleep(0.05)
        log("http.client:", status, reason, body)
        curl = shutil.which("curl")
        if curl is None:
            pytest.skip("curl is not installed")
        done = await loop.run_in_executor(None, lambda: subprocess.run(
            [curl, "-s", "--max-time", "10", f"http://127.0.0.1:{port}/"],
            capture_output=True, check=True))
        log("curl:", done.stdout)
        await aio.sleep(0.05)


class FailingListener(socket.socket):
    """A listening socket whose next accept() calls fail with the given errors."""

    def __init__(self, *failures):
        super().__init__()
        self.failures = list(failures)

    def accept(self):
        if self.failures:
            raise OSError(self.failures.pop(0), "made up for the story")
        return super().accept()


@scenario(
    "handler: socket.accept() out of system resource, EMFILE, socket given: True",
    "handler: socket.accept() out of system resource, EMFILE, socket given: True",
    "a connection_made",
    "b connection_made",
    "b waited about a second: True",
    "no more reports: True",
)
async def test_out_of_file_descriptors_pauses_accepting(aio, log):
    """EMFILE on accept(): each failure is reported through the exception handler, and the
    listener is unwatched for a second, since it stays readable (no busy loop). As in
    asyncio, the accepting callback still tries its next accept() at once: here the third
    try works, so the first client is served; the second one waits for the listener to be
    watched again."""
    loop = aio.get_running_loop()
    reports = []

    def handler(loop, context):
        reports.append(loop.time())
        log(f"handler: {context['message']}, {errno.errorcode[context['exception'].errno]},"
            f" socket given: {'socket' in context}")

    loop.set_exception_handler(handler)
    listener = FailingListener(errno.EMFILE, errno.EMFILE)
    listener.bind(("127.0.0.1", 0))
    names = iter("ab")
    made = {}

    class Timed(aio.Protocol):
        def connection_made(self, transport):
            name = next(names)
            log(name, "connection_made")
            made[name] = loop.time()

    async with await loop.create_server(Timed, sock=listener) as server:
        address = ("127.0.0.1", port_of(server))
        with socket.create_connection(address):
            while "a" not in made:
                await aio.sleep(0.01)
            with socket.create_connection(address):
                while "b" not in made:
                    await aio.sleep(0.01)
        log("b waited about a second:", 0.9 < made["b"] - reports[-1] < 5)
        log("no more reports:", len(reports) == 2)


@scenario(
    "handler: Exception in callback ..., PermissionError",
    "still serving: server connection_made",
    "server eof_received",
    "server connection_lost None",
)
async def test_other_accept_errors_are_logged_and_accepting_goes_on(aio, log):
    """Any other accept() error escapes the callback: the loop reports it as it reports any
    failing callback, and the listener stays registered."""
    loop = aio.get_running_loop()
    loop.set_exception_handler(lambda loop, context: log(
        f"handler: {context['message'].split(' ')[0]} in callback ...,",
        type(context["exception"]).__name__))
    listener = FailingListener(errno.EPERM)
    listener.bind(("127.0.0.1", 0))
    factory = server_protocol(aio, log)
    async with await loop.create_server(factory, sock=listener) as server:
        with socket.create_connection(("127.0.0.1", port_of(server))):
            await aio.sleep(0.05)
            log.lines[-1] = "still serving: " + log.lines[-1]
        await aio.sleep(0.05)


@scenario(
    "200 clients, every echo complete and in order: True",
    "server connections made 200, lost 200",
    "closed: wait_closed returned",
)
async def test_many_concurrent_clients_on_one_server(aio, log):
    """200 protocol clients at once, each sending 64 KiB in small writes then a half-close;
    the server echoes and closes on EOF. Nothing lost, nothing left open."""
    loop = aio.get_running_loop()
    counts = {"made": 0, "lost": 0}

    class Echo(aio.Protocol):
        def connection_made(self, transport):
            counts["made"] += 1
            self.transport = transport

        def data_received(self, data):
            self.transport.write(data)

        def eof_received(self):
            self.transport.close()
            return True

        def connection_lost(self, exc):
            counts["lost"] += 1

    class Client(aio.Protocol):
        def __init__(self, payload):
            self.payload = payload
            self.received = bytearray()
            self.done = loop.create_future()

        def connection_made(self, transport):
            for start in range(0, len(self.payload), 4096):
                transport.write(self.payload[start:start + 4096])
            transport.write_eof()

        def data_received(self, data):
            self.received += data

        def connection_lost(self, exc):
            self.done.set_result(bytes(self.received) == self.payload)

    server = await loop.create_server(Echo, "127.0.0.1", 0, backlog=256)
    port = port_of(server)

    async def one_client(i):
        payload = bytes([i % 256]) * 65536
        _, client = await loop.create_connection(lambda: Client(payload), "127.0.0.1", port)
        return await client.done

    results = await aio.gather(*(one_client(i) for i in range(200)))
    log("200 clients, every echo complete and in order:", all(results))
    # Each server connection_lost ran before its socket closed, so before its client's.
    log(f"server connections made {counts['made']}, lost {counts['lost']}")
    server.close()
    await server.wait_closed()
    log("closed: wait_closed returned")


def _has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback here")
@scenario(
    "sockets: AF_INET on 127.0.0.1, AF_INET6 on ::1",
    "IPv6 only (no dual stack): True",
    "server connection_made",
    "server eof_received",
    "server connection_lost None",
    "server connection_made",
    "server eof_received",
    "server connection_lost None",
)
async def test_one_server_on_several_addresses(aio, log):
    """A list of hosts: one listening socket per address, each served by the same Server.
    asyncio turns IPV6_V6ONLY on, so the IPv6 socket does not also take IPv4."""
    loop = aio.get_running_loop()
    server = await loop.create_server(server_protocol(aio, log), ["127.0.0.1", "::1"], 0)
    async with server:
        listeners = sorted(server.sockets, key=lambda sock: sock.family)
        log("sockets:", ", ".join(f"{sock.family.name} on {sock.getsockname()[0]}"
                                  for sock in listeners))
        log("IPv6 only (no dual stack):", bool(listeners[1].getsockopt(
            socket.IPPROTO_IPV6, socket.IPV6_V6ONLY)))
        for sock in listeners:
            with socket.create_connection(sock.getsockname()[:2]):
                await aio.sleep(0.05)
            await aio.sleep(0.05)
