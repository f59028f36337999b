"""Unix domain sockets: create_unix_server and create_unix_connection, the socket file."""

import os
import socket
import sys
import tempfile

import pytest

from compat_tests.fds import no_fd_leaks  # noqa: F401 (the fixture, used below)
from compat_tests.harness import scenario

pytestmark = [pytest.mark.usefixtures("no_fd_leaks"),
              pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets")]


def echo_protocol(aio, log):
    class Echo(aio.Protocol):
        def connection_made(self, transport):
            self.transport = transport
            log("server connection_made, sockname is the path:",
                transport.get_extra_info("sockname") == self.path)

        def data_received(self, data):
            self.transport.write(data)

        def connection_lost(self, exc):
            log("server connection_lost", exc)

    return Echo


def client_protocol(aio, log):
    class Client(aio.Protocol):
        def __init__(self):
            self.lost = aio.get_running_loop().create_future()

        def data_received(self, data):
            log("client data_received", data)

        def connection_lost(self, exc):
            log("client connection_lost", exc)
            self.lost.set_result(None)

    return Client


@scenario(
    "socket file exists: True",
    "client peername is the path: True",
    "server connection_made, sockname is the path: True",
    "client data_received b'over a unix socket'",
    "client connection_lost None",
    "server connection_lost None",
)
async def test_unix_server_and_connection(aio, log):
    """The client's create_unix_connection returns before the server's connection_made:
    the server only accepts on its next turn, and makes its transport in a task."""
    loop = aio.get_running_loop()
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "echo.sock")
        Echo = echo_protocol(aio, log)
        Echo.path = path
        async with await loop.create_unix_server(Echo, path) as server:
            log("socket file exists:", os.path.exists(path))
            transport, client = await loop.create_unix_connection(client_protocol(aio, log),
                                                                  path)
            log("client peername is the path:", transport.get_extra_info("peername") == path)
            transport.write(b"over a unix socket")
            await aio.sleep(0.05)
            transport.close()
            await client.lost
            await aio.sleep(0.05)
        del server


@scenario(
    "after close, the socket file is still there: True",
    changed={(3, 13): [
        "after close, the socket file is still there: False",
    ]},
)
async def test_unix_server_removes_its_socket_file(aio, log):
    """3.13's cleanup_socket (on by default) removes the file when the server closes."""
    loop = aio.get_running_loop()
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "server.sock")
        server = await loop.create_unix_server(aio.Protocol, path)
        server.close()
        await server.wait_closed()
        log("after close, the socket file is still there:", os.path.exists(path))


@pytest.mark.skipif(sys.version_info < (3, 13), reason="cleanup_socket is new in 3.13")
@scenario(
    "cleanup_socket=False: the file stays: True",
    "a file that is no longer ours is left alone: True",
)
async def test_cleanup_socket_false_and_a_replaced_file(aio, log):
    loop = aio.get_running_loop()
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "server.sock")
        server = await loop.create_unix_server(aio.Protocol, path, cleanup_socket=False)
        server.close()
        log("cleanup_socket=False: the file stays:", os.path.exists(path))
        os.unlink(path)
        server = await loop.create_unix_server(aio.Protocol, path)
        os.unlink(path)
        with open(path, "w"):  # someone else's file now, at the same path
            pass
        server.close()
        log("a file that is no longer ours is left alone:", os.path.exists(path))


@scenario(
    "a stale socket file is replaced: serving True",
)
async def test_a_stale_socket_file_is_removed_first(aio, log):
    loop = aio.get_running_loop()
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "stale.sock")
        with socket.socket(socket.AF_UNIX) as dead:
            dead.bind(path)  # a server that died and left its file behind
        async with await loop.create_unix_server(aio.Protocol, path) as server:
            log("a stale socket file is replaced: serving", server.is_serving())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="abstract namespace")
@scenario(
    "in use: OSError errno 98: Address NAME is already in use",
)
async def test_an_address_in_use(aio, log):
    """In Linux's abstract namespace there is no file to remove: the address is in use."""
    loop = aio.get_running_loop()
    name = f"\0miniloop-compat-{os.getpid()}-{id(log)}"
    with socket.socket(socket.AF_UNIX) as taken:
        taken.bind(name)
        try:
            await loop.create_unix_server(aio.Protocol, name)
        except OSError as exc:
            log(f"in use: {type(exc).__name__} errno {exc.errno}:",
                exc.strerror.replace(repr(name), "NAME"))


@scenario(
    "connection, nothing: ValueError: no path and sock were specified",
    "connection, both: ValueError: path and sock can not be specified at the same time",
    "connection, a TCP socket: ValueError: A UNIX Domain Stream Socket was expected, got TCP",
    "connection, server_hostname: ValueError: server_hostname is only meaningful with ssl",
    "server, nothing: ValueError: path was not specified, and no sock specified",
    "server, both: ValueError: path and sock can not be specified at the same time",
    "server, a TCP socket: ValueError: A UNIX Domain Stream Socket was expected, got TCP",
    "server, ssl=True: TypeError: ssl argument must be an SSLContext or None",
)
async def test_unix_argument_errors(aio, log):
    loop = aio.get_running_loop()
    with socket.socket() as tcp, socket.socket(socket.AF_UNIX) as unix:
        cases = [
            ("connection, nothing:", loop.create_unix_connection, {}),
            ("connection, both:", loop.create_unix_connection, {"path": "x", "sock": unix}),
            ("connection, a TCP socket:", loop.create_unix_connection, {"sock": tcp}),
            ("connection, server_hostname:", loop.create_unix_connection,
             {"sock": unix, "server_hostname": "x"}),
            ("server, nothing:", loop.create_unix_server, {}),
            ("server, both:", loop.create_unix_server, {"path": "x", "sock": unix}),
            ("server, a TCP socket:", loop.create_unix_server, {"sock": tcp}),
            ("server, ssl=True:", loop.create_unix_server, {"sock": unix, "ssl": True}),
        ]
        for label, method, kwargs in cases:
            try:
                await method(aio.Protocol, **kwargs)
            except (ValueError, TypeError) as exc:
                message = str(exc)
                if "expected, got" in message:
                    message = message[:message.index("got") + 3] + " TCP"
                log(label, f"{type(exc).__name__}: {message}")
