"""Streams under load and faults: bounded memory, a peer that resets, many clients at once.

Nothing is lost and nothing leaks: every byte arrives, the writer's buffer stays under its
high-water mark (plus the one write that crossed it), the reader's under twice its limit
(plus one receive), and when the story ends no task but its own is left.
"""

import resource
import socket

import pytest

from compat_tests.fds import no_fd_leaks  # noqa: F401 (the fixture, used below)
from compat_tests.harness import scenario

pytestmark = pytest.mark.usefixtures("no_fd_leaks")


@pytest.fixture
def enough_file_descriptors():
    """500 clients and their server side hold 1000 descriptors at once: more than the
    common soft limit of 1024 leaves room for. Raise it for the test, where the hard
    limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
    if wanted < 1100:
        pytest.skip(f"the hard limit on file descriptors ({hard}) is too low")
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

LOCALHOST = "127.0.0.1"
CHUNK = 64 * 1024
RECEIVE_SIZE = 256 * 1024  # the most one recv() of the socket transport asks for


def port_of(server):
    return server.sockets[0].getsockname()[1]


def tasks_left(aio):
    """Tasks other than the story's own."""
    return len(aio.all_tasks() - {aio.current_task()})


@scenario(
    "sent 33554432 bytes, received 33554432",
    "the writer was paused: True",
    "writer buffer <= high-water mark + one chunk: True",
    "reader buffer <= 2 * limit + one receive: True",
    "tasks left 0",
)
async def test_32_mib_to_a_slow_reader_in_bounded_memory(aio, log):
    total = 32 * 1024 * 1024
    done = aio.get_running_loop().create_future()
    reader_peak = 0

    async def slow_reader(reader, writer):
        nonlocal reader_peak
        received = 0
        while data := await reader.read(CHUNK):
            received += len(data)
            reader_peak = max(reader_peak, len(reader._buffer))
            await aio.sleep(0)  # slower than the writer: one turn per read
        done.set_result(received)
        writer.close()

    async with await aio.start_server(slow_reader, LOCALHOST, 0, limit=CHUNK) as server:
        server.sockets[0].setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        _, writer = await aio.open_connection(LOCALHOST, port_of(server))
        writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
        high = writer.transport.get_write_buffer_limits()[1]
        writer_peak = sent = 0
        data = b"z" * CHUNK
        while sent < total:
            writer.write(data)
            sent += len(data)
            writer_peak = max(writer_peak, writer.transport.get_write_buffer_size())
            await writer.drain()
        writer.close()
        await writer.wait_closed()
        log(f"sent {sent} bytes, received", await done)
    log("the writer was paused:", writer_peak > high)
    log("writer buffer <= high-water mark + one chunk:", writer_peak <= high + CHUNK)
    log("reader buffer <= 2 * limit + one receive:", reader_peak <= 2 * CHUNK + RECEIVE_SIZE)
    await aio.sleep(0)
    log("tasks left", tasks_left(aio))


@scenario(
    "server resets the connection",
    "client's drain raised a ConnectionError: True",
    "wait_closed raised the same: True",
    "tasks left 0",
)
async def test_a_peer_that_resets_mid_write(aio, log):
    async def rude(reader, writer):
        await reader.read(CHUNK)
        log("server resets the connection")
        writer.get_extra_info("socket").setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")  # close() sends RST
        writer.transport.abort()

    async with await aio.start_server(rude, LOCALHOST, 0) as server:
        _, writer = await aio.open_connection(LOCALHOST, port_of(server))
        failure = None
        for _ in range(10_000):  # bounded: the reset arrives long before
            writer.write(b"w" * CHUNK)
            try:
                await writer.drain()
            except ConnectionError as exc:
                failure = exc
                break
            await aio.sleep(0.001)
        log("client's drain raised a ConnectionError:", failure is not None)
        try:
            await writer.wait_closed()
        except ConnectionError as exc:
            log("wait_closed raised the same:", exc is failure or type(exc) is type(failure))
    await aio.sleep(0)
    log("tasks left", tasks_left(aio))


@scenario(
    "client read b'all of it' to EOF",
    "client can still write: server read b'thanks'",
)
async def test_half_close_from_the_server_side(aio, log):
    """The server's write_eof(): the client reads to EOF, and can still answer."""
    done = aio.get_running_loop().create_future()

    async def handle(reader, writer):
        writer.write(b"all of it")
        writer.write_eof()
        done.set_result(await reader.read())
        writer.close()

    async with await aio.start_server(handle, LOCALHOST, 0) as server:
        reader, writer = await aio.open_connection(LOCALHOST, port_of(server))
        log("client read", await reader.read(), "to EOF")
        writer.write(b"thanks")
        writer.close()
        await writer.wait_closed()
        log("client can still write: server read", await done)


@pytest.mark.usefixtures("enough_file_descriptors")
@scenario(
    "500 clients, 500 echoes right: True",
    "tasks left 0",
)
async def test_500_concurrent_stream_clients(aio, log):
    clients = 500
    handlers = []

    async def echo(reader, writer):
        handlers.append(aio.current_task())
        writer.write(await reader.readline())
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    async def client(i):
        reader, writer = await aio.open_connection(LOCALHOST, port)
        writer.write(b"client %d\n" % i)
        line = await reader.readline()
        writer.close()
        await writer.wait_closed()
        return line == b"client %d\n" % i

    async with await aio.start_server(echo, LOCALHOST, 0, backlog=clients) as server:
        port = port_of(server)
        results = await aio.gather(*(client(i) for i in range(clients)))
        await aio.gather(*handlers)
    log(f"{clients} clients, {sum(results)} echoes right:", all(results))
    await aio.sleep(0)
    log("tasks left", tasks_left(aio))
