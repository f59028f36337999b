"""Closing sockets and reusing their fd numbers: the selector must never mistake a new socket
for the old one that had the same number (miniloop keeps a socket registered between reads,
see SocketMixin._wait_readable, so these are the stories that would catch it out)."""

import gc
import socket
import warnings

import pytest

from compat_tests.fds import (
    no_fd_leaks,  # noqa: F401 (the fixture, used below)
    nonblocking_pair,
)
from compat_tests.harness import scenario

pytestmark = pytest.mark.usefixtures("no_fd_leaks")


async def read_after_waiting(aio, sock, peer, data):
    """A sock_recv that has to wait (so the socket gets registered with the selector).

    It runs in the caller's task, without a yield before the sock_recv, so that it can
    happen in the same step as the close() before it (wait_for would start a new task)."""
    loop = aio.get_running_loop()
    loop.call_later(0.01, peer.send, data)
    async with aio.timeout(1):
        return await loop.sock_recv(sock, 100)


@scenario(
    "old socket read b'first'",
    "new socket got the old fd number: True",
    "new socket read b'second'",
)
async def test_closing_after_a_read_then_reading_a_new_socket_with_the_same_fd(aio, log):
    """The reader closes its socket in the same step as its last read; the very next socket
    gets the same fd number and must still be watched for real."""
    left, right = nonblocking_pair()
    log("old socket read", await read_after_waiting(aio, left, right, b"first"))
    old_fd = left.fileno()
    left.close()
    right.close()
    left, right = nonblocking_pair()
    with left, right:
        log("new socket got the old fd number:", old_fd in (left.fileno(), right.fileno()))
        reused, other = (left, right) if left.fileno() == old_fd else (right, left)
        log("new socket read", await read_after_waiting(aio, reused, other, b"second"))


@scenario(
    "read b'x'",
    "client got the old fd number: True",
    "accepted, and the echo came back: b'hello'",
)
async def test_connect_on_a_reused_fd_after_a_read(aio, log):
    """The same, with the new socket waiting to *write* (a connect in progress): the old
    registration must not be modified in place, or the selector raises."""
    loop = aio.get_running_loop()
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.setblocking(False)
        left, right = nonblocking_pair()
        log("read", await read_after_waiting(aio, left, right, b"x"))
        old_fd = min(left.fileno(), right.fileno())
        left.close()
        right.close()
        with socket.socket() as client:  # takes the lowest free number: left's or right's
            client.setblocking(False)
            log("client got the old fd number:", client.fileno() == old_fd)
            accepting = aio.create_task(loop.sock_accept(server))
            await loop.sock_connect(client, server.getsockname())
            conn, _ = await accepting
            with conn:
                await loop.sock_sendall(client, b"hello")
                async with aio.timeout(1):
                    data = await loop.sock_recv(conn, 100)
                    await loop.sock_sendall(conn, data)
                    log("accepted, and the echo came back:", await loop.sock_recv(client, 100))


@scenario(
    "b'one'",
    "b'two'",
    "b'three'",
)
async def test_many_short_connections_in_a_row(aio, log):
    """Each connection is read once and closed, so fd numbers are reused again and again."""
    loop = aio.get_running_loop()
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.setblocking(False)
        for word in (b"one", b"two", b"three"):
            with socket.socket() as client:
                client.setblocking(False)
                accepting = aio.create_task(loop.sock_accept(server))
                await loop.sock_connect(client, server.getsockname())
                conn, _ = await accepting
                with conn:
                    loop.call_later(0.01, client.send, word)
                    log(await aio.wait_for(loop.sock_recv(conn, 100), 1))


@scenario(
    "add_reader after a read: called",
    "remove_reader: True",
    "remove_reader after a finished read: False",
)
async def test_add_reader_after_sock_recv_on_the_same_socket(aio, log):
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    with left, right:
        await read_after_waiting(aio, left, right, b"x")
        called = loop.create_future()
        loop.add_reader(left, lambda: called.done() or called.set_result("called"))
        right.send(b"y")
        log("add_reader after a read:", await aio.wait_for(called, 1))
        log("remove_reader:", loop.remove_reader(left))
        await read_after_waiting(aio, left, right, b"z")
        log("remove_reader after a finished read:", loop.remove_reader(left))


@scenario(
    "peer sees EOF: b''",
)
async def test_a_socket_dropped_without_close_is_still_freed(aio, log):
    """Sloppy but common: a handler forgets close() and drops its socket after a read.
    Garbage collection closes it and the peer sees EOF: the loop must not keep it alive."""
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    with right:
        await read_after_waiting(aio, left, right, b"x")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            del left
            await aio.sleep(0)
            await aio.sleep(0)
            gc.collect()
        log("peer sees EOF:", await aio.wait_for(loop.sock_recv(right, 100), 1))
