"""Stream sockets on a socketpair: sock_recv*, sock_sendall, waiting, cancelling, errors."""

import hashlib
import random
import socket

import pytest

from compat_tests.fds import (
    no_fd_leaks,  # noqa: F401 (the fixture, used below)
    nonblocking_pair,
)
from compat_tests.harness import scenario

pytestmark = pytest.mark.usefixtures("no_fd_leaks")


@scenario(
    "recv b'ready'",
    "callback",
)
async def test_sock_recv_returns_waiting_data_without_suspending(aio, log):
    """The system call comes first: data already there is returned in the same step."""
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    with left, right:
        right.send(b"ready")
        loop.call_soon(log, "callback")
        log("recv", await loop.sock_recv(left, 100))
        await aio.sleep(0)


@scenario(
    "callback",
    "peer sends",
    "recv b'late'",
)
async def test_sock_recv_waits_until_data_arrives(aio, log):
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    with left, right:
        def send():
            log("peer sends")
            right.send(b"late")

        loop.call_soon(log, "callback")
        loop.call_later(0.01, send)
        log("recv", await loop.sock_recv(left, 100))


@scenario(
    "b'0123'",
    "b'4567'",
    "b'89'",
)
async def test_sock_recv_returns_at_most_n_bytes(aio, log):
    """Partial reads: what does not fit stays in the kernel for the next call."""
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    with left, right:
        right.send(b"0123456789")
        for _ in range(3):
            log(await loop.sock_recv(left, 4))


@scenario(
    "b'last words'",
    "b''",
    "b''",
)
async def test_sock_recv_returns_empty_bytes_once_the_peer_closed(aio, log):
    """Peer closing mid-stream: the data sent before close() arrives, then b"" for ever."""
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    with left:
        loop.call_later(0.01, right.send, b"last words")
        loop.call_later(0.02, right.close)
        log(await loop.sock_recv(left, 100))
        log(await loop.sock_recv(left, 100))
        log(await loop.sock_recv(left, 100))


@scenario(
    "got b'abc'",
    "after shutdown b''",
    "reply b'still open'",
)
async def test_half_closed_connection_can_still_answer(aio, log):
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    with left, right:
        await loop.sock_sendall(right, b"abc")
        right.shutdown(socket.SHUT_WR)
        log("got", await loop.sock_recv(left, 100))
        log("after shutdown", await loop.sock_recv(left, 100))
        await loop.sock_sendall(left, b"still open")
        log("reply", await loop.sock_recv(right, 100))


@scenario(
    "5 bytes: bytearray(b'hello\\x00\\x00\\x00')",
    "waited, 3 bytes: bytearray(b'hellobye')",
)
async def test_sock_recv_into_fills_the_buffer_and_returns_the_count(aio, log):
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    with left, right:
        buf = bytearray(8)
        right.send(b"hello")
        n = await loop.sock_recv_into(left, buf)
        log(f"{n} bytes: {buf}")
        loop.call_later(0.01, right.send, b"bye")
        n = await loop.sock_recv_into(left, memoryview(buf)[5:])
        log(f"waited, {n} bytes: {buf}")


@scenario(
    "sent",
    "b'ping'",
)
async def test_sock_sendall_of_data_that_fits_returns_at_once(aio, log):
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    with left, right:
        await loop.sock_sendall(left, b"ping")
        log("sent")
        log(await loop.sock_recv(right, 100))


@scenario(
    "sendall of b'' returns None",
)
async def test_sock_sendall_of_nothing(aio, log):
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    with left, right:
        log("sendall of b'' returns", await loop.sock_sendall(left, b""))


@scenario(
    "sendall pending: True",
    "reader done: True",
    "sendall done",
)
async def test_sock_sendall_waits_for_the_reader_on_a_full_buffer(aio, log):
    """Partial writes: sendall keeps sending as the peer makes room, in order, then returns."""
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    with left, right:
        data = random.Random(1).randbytes(4 * 1024 * 1024)
        sender = aio.create_task(loop.sock_sendall(left, data))
        await aio.sleep(0.01)
        log("sendall pending:", not sender.done())
        received = bytearray()
        while len(received) < len(data):
            received += await loop.sock_recv(right, 1 << 18)
        log("reader done:", received == data)
        await sender
        log("sendall done")


@scenario(
    "32 MiB, same hash: True",
)
async def test_sock_sendall_of_32_mib_to_a_slow_reader(aio, log):
    """Nothing lost, nothing reordered: the reader takes small bites and yields between them,
    so the writer fills the kernel buffer again and again."""
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    with left, right:
        data = random.Random(32).randbytes(32 * 1024 * 1024)

        async def slow_reader():
            digest = hashlib.sha1()
            remaining = len(data)
            while remaining:
                chunk = await loop.sock_recv(right, 1 << 17)
                digest.update(chunk)
                remaining -= len(chunk)
                await aio.sleep(0)
            return digest.hexdigest()

        reader = aio.create_task(slow_reader())
        await loop.sock_sendall(left, data)
        log("32 MiB, same hash:", await reader == hashlib.sha1(data).hexdigest())


@scenario(
    "cancelled: True",
    "b'after cancel'",
)
async def test_cancelled_sock_recv_leaves_the_socket_usable(aio, log):
    """Cancelling a pending sock_recv unregisters it: no stray callback eats the next data,
    and the socket can be read again at once."""
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    with left, right:
        reader = aio.create_task(loop.sock_recv(left, 100))
        await aio.sleep(0.01)
        reader.cancel()
        await aio.sleep(0)
        log("cancelled:", reader.cancelled())
        right.send(b"after cancel")
        await aio.sleep(0.01)
        log(await loop.sock_recv(left, 100))


@scenario(
    "cancelled",
    "still in the kernel: b'unread'",
)
async def test_cancelled_sock_recv_does_not_consume_data(aio, log):
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    with left, right:
        reader = aio.create_task(loop.sock_recv(left, 100))
        await aio.sleep(0)
        reader.cancel()
        try:
            await reader
        except aio.CancelledError:
            log("cancelled")
        right.send(b"unread")
        await aio.sleep(0.01)
        log("still in the kernel:", left.recv(100))


@scenario(
    "sendall cancelled",
    "the writer stopped part-way: True",
)
async def test_cancelled_sock_sendall_unregisters_the_writer(aio, log):
    """Cancelling a sendall that waits for room stops it; the bytes already sent stay sent."""
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    with left, right:
        sender = aio.create_task(loop.sock_sendall(left, b"x" * (8 * 1024 * 1024)))
        await aio.sleep(0.01)
        sender.cancel()
        try:
            await sender
        except aio.CancelledError:
            log("sendall cancelled")
        first = await loop.sock_recv(right, 65536)
        await aio.sleep(0.01)
        # The writer's fd is no longer watched: reading more makes room, nobody fills it.
        drained = len(first)
        while True:
            try:
                drained += len(right.recv(1 << 20))
            except BlockingIOError:
                break
        log("the writer stopped part-way:", 0 < drained < 8 * 1024 * 1024)


@scenario(
    "second got b'data'",
    "first still pending: True",
    "first cancelled",
)
async def test_second_sock_recv_on_one_socket_takes_over_silently(aio, log):
    """Two readers on one socket: asyncio raises nothing. The second registration replaces
    the first, which then waits for ever (until cancelled)."""
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    with left, right:
        first = aio.create_task(loop.sock_recv(left, 100))
        await aio.sleep(0)
        second = aio.create_task(loop.sock_recv(left, 100))
        await aio.sleep(0)
        right.send(b"data")
        log("second got", await second)
        right.send(b"more")
        await aio.sleep(0.01)
        log("first still pending:", not first.done())
        first.cancel()
        try:
            await first
        except aio.CancelledError:
            log("first cancelled")


@scenario(
    "pending after close: True",
    "cancelled",
)
async def test_closing_a_socket_does_not_wake_its_pending_sock_recv(aio, log):
    """Closing the socket under a pending sock_recv wakes nobody (the kernel just forgets
    the fd); only cancelling ends the wait."""
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    with right:
        reader = aio.create_task(loop.sock_recv(left, 100))
        await aio.sleep(0.01)
        left.close()
        await aio.sleep(0.02)
        log("pending after close:", not reader.done())
        reader.cancel()
        try:
            await reader
        except aio.CancelledError:
            log("cancelled")


@scenario(
    "recv: OSError: [Errno 9] Bad file descriptor",
    "sendall: OSError: [Errno 9] Bad file descriptor",
    "recv_into: OSError: [Errno 9] Bad file descriptor",
)
async def test_a_closed_socket_raises_ebadf(aio, log):
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    left.close()
    right.close()
    for name, call in [("recv", loop.sock_recv(left, 1)),
                       ("sendall", loop.sock_sendall(left, b"x")),
                       ("recv_into", loop.sock_recv_into(left, bytearray(1)))]:
        try:
            await call
        except OSError as exc:
            log.error(f"{name}:", exc)


@scenario(
    "sendall raised BrokenPipeError: [Errno 32] Broken pipe",
)
async def test_sock_sendall_to_a_closed_peer_raises_broken_pipe(aio, log):
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    right.close()
    with left:
        try:
            await loop.sock_sendall(left, b"anyone there?")
        except OSError as exc:
            log.error("sendall raised", exc)


@scenario(
    "sendall raised BrokenPipeError: [Errno 32] Broken pipe",
)
async def test_peer_closing_during_a_waiting_sock_sendall(aio, log):
    """The error reaches the waiting sendall through the writer callback."""
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    with left:
        loop.call_later(0.01, right.close)
        try:
            await loop.sock_sendall(left, b"x" * (8 * 1024 * 1024))
        except OSError as exc:
            log.error("sendall raised", exc)


@scenario(
    "recv raised ConnectionResetError: [Errno 104] Connection reset by peer",
)
async def test_connection_reset_by_peer(aio, log):
    """A peer that closes with unread data (or SO_LINGER 0) resets the TCP connection."""
    loop = aio.get_running_loop()
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        conn, _ = server.accept()
        with client:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
            client.setblocking(False)
            loop.call_later(0.01, conn.close)
            try:
                await loop.sock_recv(client, 100)
            except OSError as exc:
                log.error("recv raised", exc)


@scenario(
    "recv raised ValueError: the socket must be non-blocking",
    "outside debug mode it just blocks: b'ok'",
)
async def test_blocking_socket_is_refused_only_in_debug_mode(aio, log):
    loop = aio.get_running_loop()
    left, right = socket.socketpair()
    with left, right:
        loop.set_debug(True)
        try:
            await loop.sock_recv(left, 10)
        except ValueError as exc:
            log.error("recv raised", exc)
        loop.set_debug(False)
        right.send(b"ok")
        log("outside debug mode it just blocks:", await loop.sock_recv(left, 10))


@scenario(
    "recv raised TypeError: Socket cannot be of type SSLSocket",
)
async def test_tls_socket_is_refused(aio, log):
    import ssl

    loop = aio.get_running_loop()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    with context.wrap_socket(socket.socket(), server_hostname="localhost") as sock:
        try:
            await loop.sock_recv(sock, 10)
        except TypeError as exc:
            log.error("recv raised", exc)


@scenario(
    "round trips: 200, all echoed: True",
)
async def test_ping_pong_round_trips(aio, log):
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    with left, right:
        async def echo():
            while data := await loop.sock_recv(right, 100):
                await loop.sock_sendall(right, data)

        server = aio.create_task(echo())
        replies = []
        for i in range(200):
            await loop.sock_sendall(left, b"%d" % i)
            replies.append(await loop.sock_recv(left, 100))
        left.shutdown(socket.SHUT_WR)
        await server
        log("round trips: 200, all echoed:", replies == [b"%d" % i for i in range(200)])


@scenario(
    "main, turn 1",
    "main, turn 2",
    "reader got b'x'",
    "main, turn 3",
)
async def test_a_waiting_reader_wakes_two_turns_after_the_data_arrives(aio, log):
    """Turn 1: the selector reports the fd and the I/O callback receives the data into the
    reader's future. Turn 2: the future's done-callback resumes the reader's task. (Main
    runs first in each turn because its step was queued before the I/O callback.)"""
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    with left, right:
        async def reader():
            log("reader got", await loop.sock_recv(left, 10))

        task = aio.create_task(reader())
        await aio.sleep(0)  # the reader is now waiting on the selector
        right.send(b"x")
        for turn in (1, 2, 3):
            await aio.sleep(0)
            log(f"main, turn {turn}")
        await task
