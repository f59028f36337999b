"""loop.sendfile over a transport: by the kernel, by the fallback, and what it refuses."""

import io
import socket
import tempfile

import pytest

from compat_tests.fds import no_fd_leaks  # noqa: F401 (the fixture, used below)
from compat_tests.harness import scenario

pytestmark = pytest.mark.usefixtures("no_fd_leaks")

CONTENT = bytes(range(256)) * 16 * 1024  # 4 MiB: more than the socket buffers take at once


async def transport_and_peer(aio):
    loop = aio.get_running_loop()
    mine, peer = socket.socketpair()
    peer.setblocking(False)
    transport, protocol = await loop.create_connection(aio.Protocol, sock=mine)
    return transport, protocol, peer


async def read_exactly(loop, sock, n):
    received = bytearray()
    while len(received) < n:
        received += await loop.sock_recv(sock, 1 << 18)
    return bytes(received)


@scenario(
    "write during sendfile: RuntimeError: unable to write; sendfile is in progress",
    "sent 4194304 bytes",
    "peer got the header, then the file: True",
    "file position after: 4194304",
    "writes work again: True",
)
async def test_sendfile_by_the_kernel(aio, log):
    """What was written before goes first; writes are refused while the file goes out."""
    loop = aio.get_running_loop()
    transport, _, peer = await transport_and_peer(aio)
    with peer, tempfile.TemporaryFile() as file:
        file.write(CONTENT)
        file.seek(0)
        transport.write(b"header")
        sending = aio.create_task(loop.sendfile(transport, file))
        await aio.sleep(0.05)
        try:
            transport.write(b"too early")
        except RuntimeError as exc:
            log.error("write during sendfile:", exc)
        received = await read_exactly(loop, peer, 6 + len(CONTENT))
        log("sent", await sending, "bytes")
        log("peer got the header, then the file:", received == b"header" + CONTENT)
        log("file position after:", file.tell())
        transport.write(b"after")
        log("writes work again:", await loop.sock_recv(peer, 100) == b"after")
        transport.close()
        await aio.sleep(0)


@scenario(
    "fallback sent 1000 bytes from offset 10",
    "peer got them: True",
    "the protocol is back: True",
    "no fallback: SendfileNotAvailableError: not a regular file",
)
async def test_sendfile_falls_back_to_write_for_a_file_without_fd(aio, log):
    loop = aio.get_running_loop()
    transport, protocol, peer = await transport_and_peer(aio)
    with peer:
        file = io.BytesIO(CONTENT)
        sent = await loop.sendfile(transport, file, offset=10, count=1000)
        log("fallback sent", sent, "bytes from offset 10")
        log("peer got them:", await read_exactly(loop, peer, 1000) == CONTENT[10:1010])
        log("the protocol is back:", transport.get_protocol() is protocol)
        try:
            await loop.sendfile(transport, io.BytesIO(b"x"), fallback=False)
        except aio.SendfileNotAvailableError as exc:
            log.error("no fallback:", exc)
        transport.close()
        await aio.sleep(0)


@scenario(
    "closing: RuntimeError: Transport is closing",
    "datagram: RuntimeError: sendfile is not supported for transport ...",
)
async def test_sendfile_refusals(aio, log):
    loop = aio.get_running_loop()
    transport, _, peer = await transport_and_peer(aio)
    with peer, tempfile.TemporaryFile() as file:
        transport.close()
        try:
            await loop.sendfile(transport, file)
        except RuntimeError as exc:
            log.error("closing:", exc)
        await aio.sleep(0)
        datagram, _ = await loop.create_datagram_endpoint(aio.DatagramProtocol,
                                                          local_addr=("127.0.0.1", 0))
        try:
            await loop.sendfile(datagram, file)
        except RuntimeError as exc:
            log("datagram: RuntimeError:", str(exc).split(" <")[0], "...")
        datagram.close()
        await aio.sleep(0)
