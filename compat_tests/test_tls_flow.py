"""Flow control over TLS: water marks, paused writers and readers, and the shutdown timeout.

A TLS transport has buffers of its own, between your protocol and the socket transport:
ciphertext waits in the TLS layer while the socket transport is full, and decrypted data
waits while your protocol has paused reading. These stories show when asyncio tells a
protocol to pause and resume over TLS, that a stream's limit pauses a TLS connection
without deadlock, and what happens when the peer never answers our close_notify.
"""

import gc
import logging
import random
import socket
import warnings
import weakref

import pytest

from compat_tests.fds import no_fd_leaks  # noqa: F401 (the fixture, used below)
from compat_tests.harness import scenario, sync_scenario
from compat_tests.test_tls import (
    LOCALHOST,
    blocking_tls_peer,
    client_context,
    port_of,
    server_context,
)

pytestmark = pytest.mark.usefixtures("no_fd_leaks")

CHUNK = 64 * 1024
MAX_WRITTEN = 64 * 1024 * 1024  # a writer that is never paused gives up here


class Counter:
    """A server protocol that counts what it receives, and can start with reading paused."""

    def __init__(self, aio, paused=False):
        self.paused, self.received = paused, 0
        self.lost = aio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.transport = transport
        if self.paused:
            transport.pause_reading()

    def data_received(self, data):
        self.received += len(data)

    def eof_received(self):
        pass

    def connection_lost(self, exc):
        self.lost.set_result(exc)


class Writer:
    """A client protocol that logs pause_writing and resume_writing with its buffer's size."""

    def __init__(self, aio, log):
        self.log = log
        self.resumed = aio.get_running_loop().create_future()
        self.lost = aio.get_running_loop().create_future()
        self.paused = False

    def connection_made(self, transport):
        self.transport = transport

    def pause_writing(self):
        self.paused = True
        low, high = self.transport.get_write_buffer_limits()
        self.log("pause_writing, buffer at the high mark", self.size() >= high)

    def resume_writing(self):
        self.paused = False
        low, high = self.transport.get_write_buffer_limits()
        self.log("resume_writing, buffer at the low mark", self.size() <= low)
        if not self.resumed.done():
            self.resumed.set_result(None)

    def size(self):
        return self.transport.get_write_buffer_size()

    def data_received(self, data):
        pass

    def eof_received(self):
        pass

    def connection_lost(self, exc):
        self.log("connection_lost", exc)
        self.lost.set_result(None)


async def tls_pair(aio, log, server_protocol):
    loop = aio.get_running_loop()
    server = await loop.create_server(lambda: server_protocol, LOCALHOST, 0,
                                      ssl=server_context())
    transport, client = await loop.create_connection(
        lambda: Writer(aio, log), LOCALHOST, port_of(server), ssl=client_context(),
        server_hostname="localhost")
    return server, transport, client


@scenario(
    "limits (131072, 524288)",
    "buffer size 0",
    "limits (250, 1000)",
    "ValueError: high (1) must be >= low (2) must be >= 0",
    "pause_writing, buffer at the high mark True",   # a high mark of 0 is reached at once
    "resume_writing, buffer at the low mark True",   # ... and each write goes out at once
    "limits (131072, 524288)",
    "is_reading True",
    "is_reading False",
    "is_reading True",
    "connection_lost None",
)
async def test_write_buffer_limits_over_tls(aio, log):
    peer = Counter(aio)
    server, transport, client = await tls_pair(aio, log, peer)
    log("limits", transport.get_write_buffer_limits())  # TLS's own: 512 KiB, a quarter
    log("buffer size", transport.get_write_buffer_size())
    transport.set_write_buffer_limits(high=1000)
    log("limits", transport.get_write_buffer_limits())
    try:
        transport.set_write_buffer_limits(high=1, low=2)
    except ValueError as exc:
        log(f"{type(exc).__name__}: {exc}")
    transport.set_write_buffer_limits(0)
    transport.write(b"x")
    transport.set_write_buffer_limits()
    log("limits", transport.get_write_buffer_limits())
    log("is_reading", transport.is_reading())
    transport.pause_reading()
    log("is_reading", transport.is_reading())
    transport.resume_reading()
    log("is_reading", transport.is_reading())
    transport.close()
    await client.lost
    await peer.lost
    server.close()
    await server.wait_closed()


class PausedReader(Counter):
    """A server protocol that pauses reading at once, and says when it is connected."""

    def __init__(self, aio):
        super().__init__(aio, paused=True)
        self.made = aio.get_running_loop().create_future()

    def connection_made(self, transport):
        super().connection_made(transport)
        self.made.set_result(transport)


async def until(aio, condition, seconds=10.0):
    """Wait, turn by turn, for `condition()`; False if it is still false after `seconds`."""
    deadline = aio.get_running_loop().time() + seconds
    while not condition() and aio.get_running_loop().time() < deadline:
        await aio.sleep(0.01)
    return condition()


@scenario(
    "read limits (65536, 262144)",
    "read buffer size 0",
    "read limits (250, 1000)",
    "ValueError: high (1) must be >= low (2) must be >= 0",
    "what came while reading was paused is held back: True",
    "under a lower high mark, the socket stops reading: True",
    "after resume_reading, every byte arrives: True",
    "connection_lost None",
)
async def test_read_buffer_limits_over_tls(aio, log):
    # Discussion: the read buffer is the ciphertext the TLS layer holds while its protocol
    # has paused reading. 100 KiB stay under the default high mark (256 KiB), so the socket
    # underneath goes on reading; a high mark of 1000 pauses it at once, and 100 KiB more
    # stay in the kernel. resume_reading() empties the buffer, which resumes the socket.
    peer = PausedReader(aio)
    server, transport, client = await tls_pair(aio, log, peer)
    held = await peer.made
    log("read limits", held.get_read_buffer_limits())
    log("read buffer size", held.get_read_buffer_size())
    held.set_read_buffer_limits(high=1000)
    log("read limits", held.get_read_buffer_limits())
    try:
        held.set_read_buffer_limits(high=1, low=2)
    except ValueError as exc:
        log(f"{type(exc).__name__}: {exc}")
    held.set_read_buffer_limits()
    transport.write(b"x" * 100 * 1024)
    log("what came while reading was paused is held back:",
        await until(aio, lambda: held.get_read_buffer_size() >= 100 * 1024))
    held.set_read_buffer_limits(high=1000)
    before = held.get_read_buffer_size()
    transport.write(b"y" * 100 * 1024)
    await aio.sleep(0.3)  # long enough for loopback to deliver it, were the socket reading
    log("under a lower high mark, the socket stops reading:",
        held.get_read_buffer_size() == before and peer.received == 0)
    held.resume_reading()
    log("after resume_reading, every byte arrives:",
        await until(aio, lambda: peer.received == 200 * 1024))
    transport.close()
    await client.lost
    await peer.lost
    server.close()
    await server.wait_closed()


@scenario(
    "pause_writing, buffer at the high mark True",
    "resume_writing, buffer at the low mark True",
    "connection_lost None",
    "the server got every byte True",
)
async def test_pause_writing_over_tls(aio, log):
    # Discussion: the client writes in one go, without yielding, so the server reads
    # nothing meanwhile: the kernel's buffers fill, then the socket transport's (it tells
    # the TLS layer to pause), then the TLS layer's outgoing buffer, until it reaches the
    # TLS transport's high-water mark and the protocol is told to pause. Once the loop
    # turns, the server reads, every buffer drains, and the protocol is told to resume.
    peer = Counter(aio)
    server, transport, client = await tls_pair(aio, log, peer)
    written = 0
    while not client.paused and written < MAX_WRITTEN:
        transport.write(b"x" * CHUNK)
        written += CHUNK
    await client.resumed
    transport.close()
    await client.lost
    await peer.lost
    log("the server got every byte", peer.received == written)
    server.close()
    await server.wait_closed()


@scenario(
    "server: its writer had to wait True",
    "client: reading paused by the stream's limit True",
    "client got 8388608 bytes, intact True",
    "server done",
)
async def test_streams_over_tls_with_a_slow_reader(aio, log):
    # Discussion: the client reads nothing until the server has been made to wait in
    # drain(). Its StreamReader pauses the TLS transport past twice its limit, the TLS
    # layer stops the socket once 256 KiB of ciphertext wait, and the kernel's buffers
    # (made small on both sides, so a few MiB are more than they hold) fill up. Then the
    # client reads everything, a little at a time; the server sees its writes through.
    payload = random.Random(15).randbytes(8 * 1024 * 1024)
    loop = aio.get_running_loop()
    blocked = loop.create_future()
    done = loop.create_future()

    async def handler(reader, writer):
        writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, CHUNK)
        low, high = writer.transport.get_write_buffer_limits()
        for start in range(0, len(payload), CHUNK):
            writer.write(payload[start:start + CHUNK])
            if writer.transport.get_write_buffer_size() >= high and not blocked.done():
                log("server: its writer had to wait", True)
                blocked.set_result(None)
            await writer.drain()
        writer.close()
        await writer.wait_closed()
        done.set_result(None)

    server = await aio.start_server(handler, LOCALHOST, 0, ssl=server_context())
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, CHUNK)
    sock.setblocking(False)
    await loop.sock_connect(sock, (LOCALHOST, port_of(server)))
    reader, writer = await aio.open_connection(sock=sock, ssl=client_context(),
                                               server_hostname="localhost", limit=16384)
    await aio.wait_for(blocked, 30)
    log("client: reading paused by the stream's limit", not writer.transport.is_reading())
    received = bytearray()
    while chunk := await reader.read(16384):
        received += chunk
    log(f"client got {len(received)} bytes, intact", received == payload)
    await done
    log("server done")
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


@scenario(
    "writes after close() raise nothing",
    "warnings logged ['SSL connection is closed', 'SSL connection is closed']",
    "connection_lost None",
    "the server got b'before'",
)
async def test_writes_after_close_are_dropped(aio, log):
    # After close() the TLS layer takes no more data: the first five writes vanish
    # quietly, each one after that logs a warning (as a socket transport does).
    peer = Keeper(aio)
    server, transport, client = await tls_pair(aio, log, peer)
    records = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    logging.getLogger("asyncio").addHandler(handler)
    try:
        transport.write(b"before")
        transport.close()
        for _ in range(6):
            transport.write(b"after")
        transport.writelines([b"after"])
        log("writes after close() raise nothing")
    finally:
        logging.getLogger("asyncio").removeHandler(handler)
    log("warnings logged", [record.getMessage() for record in records])
    await client.lost
    await peer.lost
    log("the server got", bytes(peer.data))
    server.close()
    await server.wait_closed()


class Keeper(Counter):
    """A Counter that also keeps what it received."""

    def __init__(self, aio, paused=False):
        super().__init__(aio, paused)
        self.data = bytearray()

    def data_received(self, data):
        super().data_received(data)
        self.data += data


class Holder(Counter):
    """A server protocol that keeps reading paused, so its TLS layer never reads (and
    never answers) the client's close_notify until it resumes."""

    def eof_received(self):
        self.log("server eof_received")

    def connection_lost(self, exc):
        self.log("server connection_lost", exc)
        super().connection_lost(exc)


@scenario(
    "client connection_lost TimeoutError: SSL shutdown timed out",
    "server eof_received",
    "server connection_lost None",
)
async def test_the_shutdown_times_out(aio, log):
    # Discussion: after close() the client waits ssl_shutdown_timeout for the peer's
    # close_notify; then it gives up, closes the socket, and its protocol's connection_lost
    # gets the TimeoutError. The server had paused reading: the client's close_notify and
    # the end of TCP wait in its TLS layer until it resumes, then end the connection.
    loop = aio.get_running_loop()
    peer = Holder(aio, paused=True)
    peer.log = log
    server = await loop.create_server(lambda: peer, LOCALHOST, 0, ssl=server_context())
    lost = loop.create_future()

    class Client(Writer):
        def connection_lost(self, exc):
            log.error("client connection_lost", exc)
            lost.set_result(None)

    transport, client = await loop.create_connection(
        lambda: Client(aio, log), LOCALHOST, port_of(server), ssl=client_context(),
        server_hostname="localhost", ssl_shutdown_timeout=0.2)
    transport.close()
    await lost
    peer.transport.resume_reading()
    await peer.lost
    server.close()
    await server.wait_closed()


# == Nothing left behind =====================================================================

@sync_scenario(
    "cancelled in the handshake: TimeoutError",
    "its SSLContext freed without the collector True",
    "a protocol that keeps its transport closes it twice",
    "AttributeError: 'NoneType' object has no attribute '_get_extra_info'",
    "its SSLContext freed without the collector True",
    "connection_lost None",
    "its SSLContext freed without the collector True",
)
def test_a_tls_connection_leaves_no_garbage(aio, log):
    # Discussion: with the collector off, only reference counts free things. A TLS client
    # cancelled in its handshake, and one whose protocol keeps its transport (the usual
    # `self.transport = transport`), must leave no cycle holding their TLS state. (The
    # second closes its transport a second time, after the connection is gone, and the
    # third twice at once: the second close() is what lets go of the TLS layer, which
    # then finishes its shutdown on its own.)
    async def cancelled(context):
        with socket.socket() as listener:  # it never accepts: the handshake never starts
            listener.bind((LOCALHOST, 0))
            listener.listen(1)
            try:
                await aio.wait_for(aio.get_running_loop().create_connection(
                    aio.Protocol, *listener.getsockname(), ssl=context,
                    server_hostname="localhost"), 0.1)
            except TimeoutError as exc:
                log("cancelled in the handshake:", type(exc).__name__)

    async def kept(context):
        loop = aio.get_running_loop()
        server = await aio.start_server(lambda r, w: w.close(), LOCALHOST, 0,
                                        ssl=server_context())
        transport, protocol = await loop.create_connection(
            lambda: Writer(aio, lambda *parts: None), LOCALHOST, port_of(server),
            ssl=context, server_hostname="localhost")
        await protocol.lost
        transport.close()
        log("a protocol that keeps its transport closes it twice")
        try:  # the second close() let go of the TLS layer: the transport knows no more
            transport.get_extra_info("peername")
        except AttributeError as exc:
            log(f"{type(exc).__name__}: {exc}")
        server.close()
        await server.wait_closed()

    async def closed_twice_at_once(context):
        loop = aio.get_running_loop()
        server = await aio.start_server(lambda r, w: None, LOCALHOST, 0, ssl=server_context())
        transport, protocol = await loop.create_connection(
            lambda: Writer(aio, log), LOCALHOST, port_of(server), ssl=context,
            server_hostname="localhost")
        transport.close()  # the shutdown goes on, and ends, without the transport
        transport.close()
        await protocol.lost
        server.close()
        await server.wait_closed()

    for story in (cancelled, kept, closed_twice_at_once):
        context = client_context()
        freed = weakref.ref(context)
        gc.collect()
        gc.disable()
        try:
            aio.run(story(context))
            del context
            log("its SSLContext freed without the collector", freed() is None)
        finally:
            gc.enable()


@sync_scenario(
    "ResourceWarning unclosed transport <asyncio._SSLProtocolTransport object>",
    "the peer saw the connection end",
)
def test_an_unclosed_tls_transport_warns(aio, log):
    # Discussion: the program forgot to close its TLS connection, and run() closed the
    # loop under it. When the transport is collected it warns (asyncio's words, naming no
    # object); the socket underneath, left by the loop, is closed by its own transport.
    # The peer is a plain ssl socket in a thread, so no server of ours is left to tidy.
    ended = []

    def peer(tls):
        try:
            ended.append(tls.recv(1))  # b"": the connection ended
        except OSError as exc:
            ended.append(exc)

    async def main(address):
        await aio.get_running_loop().create_connection(
            aio.Protocol, *address, ssl=client_context(), server_hostname="localhost")

    with blocking_tls_peer(peer) as address, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        aio.run(main(address))
        gc.collect()
    for warning in caught:
        if "SSLProtocolTransport" in str(warning.message):
            log(warning.category.__name__, warning.message)
    if ended:
        log("the peer saw the connection end")
