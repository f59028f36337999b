"""What sits on a TLS transport: TLS again, a file, a BufferedProtocol, a stream.

The TLS layer is a protocol like any other, so asyncio lets it sit on a TLS transport
(start_tls on an encrypted connection: TLS inside TLS). A TLS transport has no socket of
its own, so loop.sendfile() sends a file through it by reading and writing, never with
os.sendfile(). And a BufferedProtocol over TLS receives decrypted bytes in the buffer it
lends, however small. A stream never asks a TLS transport for a half-close.
"""

import logging
import random
import sys
import tempfile

import pytest

from compat_tests.fds import no_fd_leaks  # noqa: F401 (the fixture, used below)
from compat_tests.harness import scenario
from compat_tests.test_tls import LOCALHOST, client_context, port_of, server_context
from compat_tests.test_tls_flow import Keeper

pytestmark = pytest.mark.usefixtures("no_fd_leaks")

DATA = random.Random(15).randbytes(200 * 1024)


@scenario(
    "server read b'STARTTLS\\n'",
    "client: TLS inside TLS, a second ssl_object True",
    "server: TLS inside TLS, a second ssl_object True",
    "server read b'secret\\n'",
    "client read b'SECRET\\n'",
    "server closed",
)
async def test_tls_inside_tls(aio, log):
    done = aio.get_running_loop().create_future()

    async def handler(reader, writer):
        outer = writer.get_extra_info("ssl_object")
        log("server read", await reader.readline())
        writer.write(b"OK\n")
        await writer.start_tls(server_context())
        log("server: TLS inside TLS, a second ssl_object",
            writer.get_extra_info("ssl_object") is not outer)
        line = await reader.readline()
        log("server read", line)
        writer.write(line.upper())
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        done.set_result(None)

    server = await aio.start_server(handler, LOCALHOST, 0, ssl=server_context())
    reader, writer = await aio.open_connection(LOCALHOST, port_of(server),
                                               ssl=client_context(), server_hostname="localhost")
    outer = writer.get_extra_info("ssl_object")
    writer.write(b"STARTTLS\n")
    await reader.readline()
    await writer.start_tls(client_context(), server_hostname="localhost")
    log("client: TLS inside TLS, a second ssl_object",
        writer.get_extra_info("ssl_object") is not outer)
    writer.write(b"secret\n")
    log("client read", await reader.readline())
    await done
    log("server closed")
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


@pytest.mark.skipif(sys.version_info < (3, 13), reason="asyncio 3.11/3.12 crash here with "
                    "an internal TypeError, which miniloop does not copy (docs/conformance.md)")
@scenario(
    "start_tls raised ConnectionResetError: ",
    "server closed",
)
async def test_an_eof_in_the_inner_handshake_of_tls_inside_tls(aio, log):
    """The server closes instead of answering the inner handshake (it reads the first byte
    of it as data): start_tls fails with a bare ConnectionResetError (3.13; 3.11 and 3.12
    fail inside asyncio itself)."""
    done = aio.get_running_loop().create_future()

    async def handler(reader, writer):
        await reader.read(1)  # the start of the inner handshake, taken for data
        writer.close()
        done.set_result(None)

    server = await aio.start_server(handler, LOCALHOST, 0, ssl=server_context())
    reader, writer = await aio.open_connection(LOCALHOST, port_of(server),
                                               ssl=client_context(), server_hostname="localhost")
    try:
        await writer.start_tls(client_context(), server_hostname="localhost")
    except ConnectionResetError as exc:
        log.error("start_tls raised", exc)
    await done
    log("server closed")
    writer.close()
    server.close()
    await server.wait_closed()


class Client:
    def __init__(self, aio):
        self.lost = aio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        pass

    def eof_received(self):
        pass

    def connection_lost(self, exc):
        self.lost.set_result(exc)


@scenario(
    "RuntimeError: fallback is disabled and native sendfile is not supported",
    "sendfile returned 204800",
    "file position 204800",
    "the server got prefix, file and suffix, in order True",
)
async def test_sendfile_over_tls_reads_and_writes(aio, log):
    loop = aio.get_running_loop()
    peer = Keeper(aio)
    server = await loop.create_server(lambda: peer, LOCALHOST, 0, ssl=server_context())
    transport, client = await loop.create_connection(
        lambda: Client(aio), LOCALHOST, port_of(server), ssl=client_context(),
        server_hostname="localhost")
    with tempfile.TemporaryFile() as file:
        file.write(DATA)
        file.seek(0)
        try:
            await loop.sendfile(transport, file, fallback=False)
        except RuntimeError as exc:  # the rest of the message names the transport
            log(f"{type(exc).__name__}: {str(exc).partition(' for transport')[0]}")
        transport.write(b"prefix")
        log("sendfile returned", await loop.sendfile(transport, file))
        log("file position", file.tell())
        transport.write(b"suffix")
    transport.close()
    await client.lost
    await peer.lost
    log("the server got prefix, file and suffix, in order",
        peer.data == b"prefix" + DATA + b"suffix")
    server.close()
    await server.wait_closed()


@scenario(
    "connection_made",
    "received 204800 bytes, intact True",
    "never more than the buffer at once True",
    "eof_received",
    "connection_lost None",
)
async def test_a_buffered_protocol_over_tls(aio, log):
    loop = aio.get_running_loop()

    class Small(aio.BufferedProtocol):
        """Lends a 1000-byte buffer: TLS fills it, and comes back for the rest. (As a
        memoryview: asyncio cuts a bytearray with buf[offset:], a copy, and a read that
        straddles two TLS records then loses the second part.)"""

        def __init__(self):
            self.buf = memoryview(bytearray(1000))
            self.data = bytearray()
            self.largest = 0
            self.lost = loop.create_future()

        def connection_made(self, transport):
            log("connection_made")

        def get_buffer(self, sizehint):
            return self.buf

        def buffer_updated(self, nbytes):
            self.largest = max(self.largest, nbytes)
            self.data += self.buf[:nbytes]

        def eof_received(self):
            log("received", len(self.data), "bytes, intact", self.data == DATA)
            log("never more than the buffer at once", self.largest <= len(self.buf))
            log("eof_received")

        def connection_lost(self, exc):
            log("connection_lost", exc)
            self.lost.set_result(None)

    async def handler(reader, writer):
        writer.write(DATA)
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await aio.start_server(handler, LOCALHOST, 0, ssl=server_context())
    transport, protocol = await loop.create_connection(
        Small, LOCALHOST, port_of(server), ssl=client_context(), server_hostname="localhost")
    await protocol.lost
    server.close()
    await server.wait_closed()


@scenario(
    "client read b'bye\\n'",
    "client read b'' (the server's close_notify)",
    "warnings logged 0",
)
async def test_a_stream_over_tls_does_not_ask_for_a_half_close(aio, log):
    # Discussion: over plain TCP a stream's protocol answers the peer's EOF with True (it
    # may still write). TLS has no half-close, and its layer warns when a protocol asks
    # for one, so over TLS the stream answers False: the peer's close_notify closes it,
    # quietly.
    records = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    logging.getLogger("asyncio").addHandler(handler)
    try:
        async def serve(reader, writer):
            writer.write(b"bye\n")
            writer.close()
            await writer.wait_closed()

        server = await aio.start_server(serve, LOCALHOST, 0, ssl=server_context())
        reader, writer = await aio.open_connection(LOCALHOST, port_of(server),
                                                   ssl=client_context(),
                                                   server_hostname="localhost")
        log("client read", await reader.readline())
        log("client read", await reader.read(), "(the server's close_notify)")
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()
    finally:
        logging.getLogger("asyncio").removeHandler(handler)
    log("warnings logged", len(records))
