"""loop.sock_sendfile: the kernel's sendfile(), the fallback by hand, and their checks."""

import hashlib
import io
import random
import socket
import tempfile

import pytest

from compat_tests.fds import no_fd_leaks  # noqa: F401 (the fixture, used below)
from compat_tests.harness import scenario

pytestmark = pytest.mark.usefixtures("no_fd_leaks")

DATA = random.Random(7).randbytes(3 * 1024 * 1024 + 17)


def tcp_pair():
    """A connected TCP pair on loopback (sendfile wants a SOCK_STREAM socket)."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        conn, _ = server.accept()
    client.setblocking(False)
    conn.setblocking(False)
    return client, conn


async def receive(loop, sock, size):
    received = bytearray()
    while len(received) < size:
        chunk = await loop.sock_recv(sock, 1 << 18)
        if not chunk:
            break
        received += chunk
    return bytes(received)


def data_file():
    file = tempfile.TemporaryFile()  # noqa: SIM115 (the caller closes it)
    file.write(DATA)
    file.seek(0)
    return file


@scenario(
    "sent 3145745 bytes, same hash: True",
    "file position: 3145745",
)
async def test_sock_sendfile_of_a_real_file(aio, log):
    loop = aio.get_running_loop()
    client, conn = tcp_pair()
    with client, conn, data_file() as file:
        reading = aio.create_task(receive(loop, conn, len(DATA)))
        sent = await loop.sock_sendfile(client, file)
        received = await reading
        log(f"sent {sent} bytes, same hash:",
            hashlib.sha1(received).digest() == hashlib.sha1(DATA).digest())
        log("file position:", file.tell())


@scenario(
    "sent 1000 bytes from offset 5000: True",
    "file position: 6000",
)
async def test_sock_sendfile_with_offset_and_count(aio, log):
    loop = aio.get_running_loop()
    client, conn = tcp_pair()
    with client, conn, data_file() as file:
        sent = await loop.sock_sendfile(client, file, 5000, 1000)
        received = await receive(loop, conn, 1000)
        log(f"sent {sent} bytes from offset 5000:", received == DATA[5000:6000])
        log("file position:", file.tell())


@scenario(
    "sent 0",
)
async def test_sock_sendfile_of_an_empty_file(aio, log):
    loop = aio.get_running_loop()
    client, conn = tcp_pair()
    with client, conn, tempfile.TemporaryFile() as file:
        log("sent", await loop.sock_sendfile(client, file))


@scenario(
    "fallback sent 300000 bytes: True",
    "position: 310000",
)
async def test_sock_sendfile_falls_back_for_a_file_without_fd(aio, log):
    """A BytesIO has no fileno(): the data is read in blocks (in the default executor) and
    sent with sock_sendall instead."""
    loop = aio.get_running_loop()
    client, conn = tcp_pair()
    file = io.BytesIO(DATA)
    with client, conn:
        reading = aio.create_task(receive(loop, conn, 300000))
        sent = await loop.sock_sendfile(client, file, 10000, 300000)
        log(f"fallback sent {sent} bytes:", await reading == DATA[10000:310000])
        log("position:", file.tell())


@scenario(
    "sendfile raised SendfileNotAvailableError: not a regular file",
    "a RuntimeError: True",
)
async def test_sock_sendfile_without_fallback(aio, log):
    loop = aio.get_running_loop()
    client, conn = tcp_pair()
    with client, conn:
        try:
            await loop.sock_sendfile(client, io.BytesIO(b"data"), fallback=False)
        except aio.SendfileNotAvailableError as exc:
            log.error("sendfile raised", exc)
            log("a RuntimeError:", isinstance(exc, RuntimeError))


@scenario(
    "text file: ValueError: file should be opened in binary mode",
    "UDP socket: ValueError: only SOCK_STREAM type sockets are supported",
    "count=0: ValueError: count must be a positive integer (got 0)",
    "count='1': TypeError: count must be a positive integer (got '1')",
    "offset=-1: ValueError: offset must be a non-negative integer (got -1)",
    "offset=1.5: TypeError: offset must be a non-negative integer (got 1.5)",
)
async def test_sock_sendfile_checks_its_arguments(aio, log):
    loop = aio.get_running_loop()
    client, conn = tcp_pair()
    with client, conn, data_file() as file, tempfile.TemporaryFile("w+") as text, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.setblocking(False)
        for name, call in [
                ("text file", lambda: loop.sock_sendfile(client, text)),
                ("UDP socket", lambda: loop.sock_sendfile(udp, file)),
                ("count=0", lambda: loop.sock_sendfile(client, file, 0, 0)),
                ("count='1'", lambda: loop.sock_sendfile(client, file, 0, "1")),
                ("offset=-1", lambda: loop.sock_sendfile(client, file, -1)),
                ("offset=1.5", lambda: loop.sock_sendfile(client, file, 1.5))]:
            try:
                await call()
            except (ValueError, TypeError) as exc:
                log.error(f"{name}:", exc)


@scenario(
    "no fallback: SendfileNotAvailableError: os.sendfile call failed",
    "with fallback: BrokenPipeError: [Errno 32] Broken pipe",
)
async def test_sock_sendfile_to_a_closed_peer(aio, log):
    """sendfile() failing before the first byte counts as "not available", so the fallback
    gets its turn, and sock_sendall then reports the real problem."""
    loop = aio.get_running_loop()
    client, conn = tcp_pair()
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
    conn.close()  # with SO_LINGER 0: a reset
    await aio.sleep(0.01)
    with client, data_file() as file:
        try:
            client.send(b"x")  # collects the reset; from now on sends fail with EPIPE
        except ConnectionResetError:
            pass
        for name, fallback in [("no fallback", False), ("with fallback", True)]:
            try:
                await loop.sock_sendfile(client, file, fallback=fallback)
            except (OSError, RuntimeError) as exc:
                log.error(f"{name}:", exc)


@scenario(
    "cancelled while sending",
    "the file position did not move: 0",
)
async def test_cancelled_sock_sendfile(aio, log):
    loop = aio.get_running_loop()
    client, conn = tcp_pair()
    with client, conn, data_file() as file:
        sending = aio.create_task(loop.sock_sendfile(client, file))
        await aio.sleep(0.01)  # nobody reads: the socket's buffers fill up
        sending.cancel()
        try:
            await sending
        except aio.CancelledError:
            log("cancelled while sending")
        log("the file position did not move:", file.tell())
