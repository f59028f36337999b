"""Streams over real sockets: open_connection and start_server on loopback, port 0.

Each story runs a server and its clients in the same loop, so the trace shows the order of
both sides: what is read when, what drain() waits for (a peer that does not read), what
close() flushes, and how a server started by start_server lives and dies. The last stories
bring peers miniloop did not write: http.client and curl, in a worker thread.
"""

import http.client
import os
import shutil
import socket
import subprocess
import tempfile

import pytest

from compat_tests.fds import no_fd_leaks  # noqa: F401 (the fixture, used below)
from compat_tests.harness import scenario

pytestmark = pytest.mark.usefixtures("no_fd_leaks")

LOCALHOST = "127.0.0.1"


def port_of(server):
    return server.sockets[0].getsockname()[1]


class Handlers:
    """client_connected_cb for start_server that remembers the handler tasks it runs, so a
    story can wait until they have finished before it ends. (3.12's `async with server`
    waits for the connections to close; 3.11's does not, and its run() would cancel a
    handler still running.)"""

    def __init__(self, aio, handler):
        self.aio = aio
        self.handler = handler
        self.tasks = []

    async def __call__(self, reader, writer):
        self.tasks.append(self.aio.current_task())
        await self.handler(reader, writer)

    async def finished(self):
        await self.aio.gather(*self.tasks)


async def upper_echo(reader, writer):
    """A handler: each line comes back in capitals, until the client closes its side."""
    async for line in reader:
        writer.write(line.upper())
        await writer.drain()
    writer.close()
    await writer.wait_closed()


# == A connection, end to end ================================================================

@scenario(
    "serving True",
    "client got b'HELLO\\n'",
    "client got b'WORLD\\n'",
    "peername is the server: True sockname is the client's: True",
    "client closed: is_closing True",
    "client wait_closed returned",
    "serving False",
)
async def test_open_connection_talks_to_start_server(aio, log):
    handlers = Handlers(aio, upper_echo)
    server = await aio.start_server(handlers, LOCALHOST, 0)
    async with server:
        log("serving", server.is_serving())
        reader, writer = await aio.open_connection(LOCALHOST, port_of(server))
        for word in (b"hello\n", b"world\n"):
            writer.write(word)
            await writer.drain()
            log("client got", await reader.readline())
        log("peername is the server:", writer.get_extra_info("peername")[1] == port_of(server),
            "sockname is the client's:",
            writer.get_extra_info("sockname") == writer.get_extra_info("socket").getsockname())
        writer.close()
        log("client closed: is_closing", writer.is_closing())
        await writer.wait_closed()
        log("client wait_closed returned")
        await handlers.finished()
    log("serving", server.is_serving())


@scenario(
    "server sends 3 bytes and closes",
    "readexactly(5) raised IncompleteReadError: 3 bytes read on a total of 5 expected bytes",
    "partial b'abc'",
    "read b''",
    "at_eof True",
)
async def test_readexactly_meets_the_peers_close(aio, log):
    async def handle(reader, writer):
        log("server sends 3 bytes and closes")
        writer.write(b"abc")
        writer.close()

    handlers = Handlers(aio, handle)
    async with await aio.start_server(handlers, LOCALHOST, 0) as server:
        reader, writer = await aio.open_connection(LOCALHOST, port_of(server))
        try:
            await reader.readexactly(5)
        except aio.IncompleteReadError as exc:
            log.error("readexactly(5) raised", exc)
            log("partial", exc.partial)
        log("read", await reader.read())
        log("at_eof", reader.at_eof())
        writer.close()
        await writer.wait_closed()
        await handlers.finished()


@scenario(
    "can_write_eof True",
    "server read b'question' to EOF",
    "client got b'answer' then EOF",
)
async def test_half_close_write_eof_then_read_the_answer(aio, log):
    """write_eof() closes only our side: the server sees EOF and can still answer."""
    async def handle(reader, writer):
        log("server read", await reader.read(), "to EOF")
        writer.write(b"answer")
        writer.close()

    handlers = Handlers(aio, handle)
    async with await aio.start_server(handlers, LOCALHOST, 0) as server:
        reader, writer = await aio.open_connection(LOCALHOST, port_of(server))
        log("can_write_eof", writer.can_write_eof())
        writer.write(b"question")
        writer.write_eof()
        log("client got", await reader.read(), "then EOF")
        writer.close()
        await writer.wait_closed()
        await handlers.finished()


# == What drain() waits for ==================================================================

BIG = 2 * 1024 * 1024  # far more than the small socket buffers below hold


@scenario(
    "client writes 2 MiB",
    "drain still waiting, bytes buffered: True",
    "server starts reading",
    "drain returned",
    "server read 2097152 bytes",
)
async def test_drain_waits_until_the_peer_reads(aio, log):
    """The server does not read until told to; the client's drain() returns only after it
    has started. (Small socket buffers make the 2 MiB overflow the kernel at once.)"""
    start_reading = aio.Event()

    async def slow_reader(reader, writer):
        await start_reading.wait()
        log("server starts reading")
        received = len(await reader.read())
        await drained
        log("server read", received, "bytes")
        writer.close()

    async def write_and_drain(writer):
        log("client writes 2 MiB")
        writer.write(b"x" * BIG)
        await writer.drain()
        log("drain returned")

    handlers = Handlers(aio, slow_reader)
    async with await aio.start_server(handlers, LOCALHOST, 0) as server:
        server.sockets[0].setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        reader, writer = await aio.open_connection(LOCALHOST, port_of(server))
        writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        drained = aio.create_task(write_and_drain(writer))
        for _ in range(20):  # many turns: a drain that does not wait would be done by now
            await aio.sleep(0)
        log("drain still waiting, bytes buffered:",
            not drained.done() and writer.transport.get_write_buffer_size() > 0)
        start_reading.set()
        await drained
        writer.close()
        await writer.wait_closed()
        await handlers.finished()


@scenario(
    "client wrote 2 MiB and closed, without drain()",
    "wait_closed returned after the flush",
    "server read 2097152 bytes",
)
async def test_close_flushes_what_is_buffered(aio, log):
    """close() does not drop the write buffer: the connection closes once it is sent."""
    read_all = aio.get_running_loop().create_future()

    async def read_to_eof(reader, writer):
        read_all.set_result(len(await reader.read()))
        writer.close()

    handlers = Handlers(aio, read_to_eof)
    async with await aio.start_server(handlers, LOCALHOST, 0) as server:
        _, writer = await aio.open_connection(LOCALHOST, port_of(server))
        writer.write(b"y" * BIG)
        writer.close()
        log("client wrote 2 MiB and closed, without drain()")
        await writer.wait_closed()
        log("wait_closed returned after the flush")
        log("server read", await read_all, "bytes")
        await handlers.finished()


# == Errors ==================================================================================

@scenario(
    "open_connection raised ConnectionRefusedError errno 111",
)
async def test_open_connection_refused(aio, log):
    with socket.socket() as probe:  # a port nobody listens on: bound, never listening
        probe.bind((LOCALHOST, 0))
        try:
            await aio.open_connection(LOCALHOST, probe.getsockname()[1])
        except ConnectionRefusedError as exc:
            log("open_connection raised ConnectionRefusedError errno", exc.errno)


@scenario(
    "handler: Unhandled exception in client_connected_cb ValueError('no thanks')",
    "client sees EOF: b''",
)
async def test_a_failing_handler_closes_its_connection(aio, log):
    loop = aio.get_running_loop()
    loop.set_exception_handler(lambda loop, context: log(
        "handler:", context["message"], repr(context["exception"])))

    async def handle(reader, writer):
        raise ValueError("no thanks")

    handlers = Handlers(aio, handle)
    async with await aio.start_server(handlers, LOCALHOST, 0) as server:
        reader, writer = await aio.open_connection(LOCALHOST, port_of(server))
        log("client sees EOF:", await reader.read())
        writer.close()
        await writer.wait_closed()
        await aio.gather(*handlers.tasks, return_exceptions=True)


@scenario(
    "readline raised ValueError: Separator is not found, and chunk exceed the limit",
    "then b'\\n'",
    "then b'short\\n'",
)
async def test_the_limit_applies_to_a_servers_readers(aio, log):
    """A line over the limit is thrown away with what had arrived of it: the rest of it
    (here only its newline) is read as the next line."""
    refused = aio.Event()

    async def handle(reader, writer):
        try:
            await reader.readline()
        except ValueError as exc:
            log.error("readline raised", exc)
        refused.set()
        log("then", await reader.readline())
        log("then", await reader.readline())
        writer.close()

    handlers = Handlers(aio, handle)
    async with await aio.start_server(handlers, LOCALHOST, 0, limit=10) as server:
        reader, writer = await aio.open_connection(LOCALHOST, port_of(server))
        writer.write(b"0123456789abcdef")  # 16 bytes, no newline: over the limit of 10
        await refused.wait()
        writer.write(b"\nshort\n")
        await reader.read()
        writer.close()
        await writer.wait_closed()
        await handlers.finished()


# == The server's life =======================================================================

@scenario(
    "serve_forever cancelled",
    "is_serving False",
    "sockets ()",
)
async def test_serve_forever_ends_by_cancellation(aio, log):
    server = await aio.start_server(upper_echo, LOCALHOST, 0)
    async with server:
        task = aio.create_task(server.serve_forever())
        await aio.sleep(0)
        task.cancel()
        try:
            await task
        except aio.CancelledError:
            log("serve_forever cancelled")
        log("is_serving", server.is_serving())
    log("sockets", server.sockets)


@scenario(
    "client connected",
    "server closed",
    "new connection refused: True",
    "wait_closed done while the connection is open: True",
    "client sees b'bye\\n'",
    changed={(3, 12): [
        "client connected",
        "server closed",
        "new connection refused: True",
        "wait_closed done while the connection is open: False",
        "client sees b'bye\\n'",
    ]},
)
async def test_server_closed_with_a_client_connected(aio, log):
    """close() stops accepting; the open connection lives on. 3.12's wait_closed() waits
    for it to close too; 3.11's returns at once."""
    goodbye = aio.Event()

    async def handle(reader, writer):
        log("client connected")
        await goodbye.wait()
        writer.write(b"bye\n")
        writer.close()

    handlers = Handlers(aio, handle)
    server = await aio.start_server(handlers, LOCALHOST, 0)
    port = port_of(server)
    reader, writer = await aio.open_connection(LOCALHOST, port)
    while not handlers.tasks:
        await aio.sleep(0.01)
    server.close()
    log("server closed")
    try:
        await aio.open_connection(LOCALHOST, port)
    except ConnectionRefusedError:
        log("new connection refused:", True)
    closed = aio.create_task(server.wait_closed())
    await aio.sleep(0.05)  # time enough for a wait_closed() that does not wait
    log("wait_closed done while the connection is open:", closed.done())
    goodbye.set()
    log("client sees", await reader.readline())
    await closed
    await handlers.finished()
    writer.close()
    await writer.wait_closed()


# == Unix domain sockets ====================================================================

@scenario(
    "client got b'OVER A PATH\\n'",
    "peername is the path: True",
)
async def test_unix_streams(aio, log):
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "streams.sock")
        handlers = Handlers(aio, upper_echo)
        async with await aio.start_unix_server(handlers, path):
            reader, writer = await aio.open_unix_connection(path)
            writer.write(b"over a path\n")
            log("client got", await reader.readline())
            log("peername is the path:", writer.get_extra_info("peername") == path)
            writer.close()
            await writer.wait_closed()
            await handlers.finished()


# == Real peers: http.client and curl =======================================================

async def hello(reader, writer):
    """A one-request HTTP server on streams."""
    head = await reader.readuntil(b"\r\n\r\n")
    path = head.split(b" ")[1]
    body = b"hello from streams, you asked for " + path + b"\n"
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                 % len(body) + body)
    await writer.drain()
    writer.close()
    await writer.wait_closed()


def http_client_get(port, path):
    conn = http.client.HTTPConnection(LOCALHOST, port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@scenario(
    "http.client got 200 b'hello from streams, you asked for /a\\n'",
)
async def test_http_client_against_start_server(aio, log):
    loop = aio.get_running_loop()
    handlers = Handlers(aio, hello)
    async with await aio.start_server(handlers, LOCALHOST, 0) as server:
        status, body = await loop.run_in_executor(None, http_client_get, port_of(server), "/a")
        log("http.client got", status, body)
        await handlers.finished()


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@scenario(
    "curl got 'hello from streams, you asked for /curl\\n'",
)
async def test_curl_against_start_server(aio, log):
    loop = aio.get_running_loop()
    handlers = Handlers(aio, hello)
    async with await aio.start_server(handlers, LOCALHOST, 0) as server:
        url = f"http://{LOCALHOST}:{port_of(server)}/curl"
        result = await loop.run_in_executor(None, lambda: subprocess.run(
            ["curl", "--silent", "--show-error", "--noproxy", "*", "--max-time", "10", url],
            capture_output=True, text=True, timeout=30, check=True))
        log("curl got", repr(result.stdout))
        await handlers.finished()
