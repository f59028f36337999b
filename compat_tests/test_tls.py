"""TLS over loopback: create_connection, create_server, streams and start_tls with ssl=.

Certificates are made at test time by trustme (a throwaway CA that issues a certificate for
"localhost"), never fetched. Each story shows the order in which the two sides learn of the
handshake, what the TLS transport tells about itself, and the errors asyncio raises when
verification, the hostname, the handshake's time or the peer fail.
"""

import contextlib
import logging
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading

import pytest

from compat_tests.fds import no_fd_leaks  # noqa: F401 (the fixture, used below)
from compat_tests.harness import scenario
from compat_tests.records import asyncio_log

trustme = pytest.importorskip("trustme")

pytestmark = pytest.mark.usefixtures("no_fd_leaks")

LOCALHOST = "127.0.0.1"
CA = trustme.CA()
CERT = CA.issue_cert("localhost")


def server_context():
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    CERT.configure_cert(context)
    return context


def client_context():
    context = ssl.create_default_context()
    CA.configure_trust(context)
    return context


def port_of(server):
    return server.sockets[0].getsockname()[1]


@contextlib.contextmanager
def blocking_tls_peer(talk):
    """The address of a server for one connection, served in a thread with the ssl module's
    blocking sockets (no loop of ours): `talk(tls)` runs, then the connection closes without
    a close_notify. The thread is joined on the way out."""
    with socket.socket() as listener:
        listener.bind((LOCALHOST, 0))
        listener.listen(1)
        listener.settimeout(10)  # a client that never came does not keep the thread

        def serve():
            conn, _ = listener.accept()
            with server_context().wrap_socket(conn, server_side=True) as tls:
                talk(tls)

        thread = threading.Thread(target=serve)
        thread.start()
        try:
            yield listener.getsockname()
        finally:
            thread.join(10)


class Recorder:
    """A protocol that logs its callbacks under a name, and echoes when asked to."""

    def __init__(self, aio, log, name, echo=False):
        self.log, self.name, self.echo = log, name, echo
        self.lost = aio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.transport = transport
        self.log(self.name, "connection_made", transport.get_extra_info("ssl_object").version())

    def data_received(self, data):
        self.log(self.name, "data_received", data)
        if self.echo:
            self.transport.write(data)

    def eof_received(self):
        self.log(self.name, "eof_received")

    def connection_lost(self, exc):
        self.log(self.name, "connection_lost", exc)
        self.lost.set_result(None)


# == The handshake and what the transport tells ==============================================

@scenario(
    "client connection_made TLSv1.3",
    "create_connection returned",
    "server connection_made TLSv1.3",
    "server data_received b'ping'",
    "client data_received b'ping'",
    "server eof_received",         # the client's close_notify
    "client eof_received",         # the server's answering close_notify
    "server connection_lost None",  # the server closes first: it had both close_notifys
    "client connection_lost None",
)
async def test_protocol_echo_over_tls(aio, log):
    loop = aio.get_running_loop()
    servers = []

    def make_server():
        servers.append(Recorder(aio, log, "server", echo=True))
        return servers[-1]

    server = await loop.create_server(make_server, LOCALHOST, 0, ssl=server_context())
    transport, client = await loop.create_connection(
        lambda: Recorder(aio, log, "client"), LOCALHOST, port_of(server),
        ssl=client_context(), server_hostname="localhost")
    log("create_connection returned")
    transport.write(b"ping")
    while len(log.lines) < 5:
        await aio.sleep(0.01)
    transport.close()
    await client.lost
    await servers[0].lost
    server.close()
    await server.wait_closed()


@scenario(
    "ssl_object SSLObject True",
    "sslcontext is ours True",
    "subjectAltName (('DNS', 'localhost'),)",
    "cipher TLSv1.3",
    "compression None",
    "peername 127.0.0.1",
)
async def test_extra_info(aio, log):
    server = await aio.start_server(lambda r, w: w.close(), LOCALHOST, 0, ssl=server_context())
    context = client_context()
    reader, writer = await aio.open_connection(LOCALHOST, port_of(server), ssl=context,
                                               server_hostname="localhost")
    ssl_object = writer.get_extra_info("ssl_object")
    log("ssl_object", type(ssl_object).__name__, ssl_object.server_hostname == "localhost")
    log("sslcontext is ours", writer.get_extra_info("sslcontext") is context)
    peercert = writer.get_extra_info("peercert")
    log("subjectAltName", peercert["subjectAltName"])
    log("cipher", writer.get_extra_info("cipher")[1])
    log("compression", writer.get_extra_info("compression"))
    log("peername", writer.get_extra_info("peername")[0])
    await reader.read()
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


# == Upgrading a live stream =================================================================

@scenario(
    "server read b'STARTTLS\\n'",
    "client upgraded TLSv1.3",
    "server upgraded TLSv1.3",
    "server read b'secret\\n'",
    "client read b'SECRET\\n'",
)
async def test_start_tls_on_a_live_stream(aio, log):
    done = aio.get_running_loop().create_future()

    async def handler(reader, writer):
        log("server read", await reader.readline())
        writer.write(b"OK\n")
        await writer.start_tls(server_context())
        log("server upgraded", writer.get_extra_info("ssl_object").version())
        line = await reader.readline()
        log("server read", line)
        writer.write(line.upper())
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        done.set_result(None)

    server = await aio.start_server(handler, LOCALHOST, 0)
    reader, writer = await aio.open_connection(LOCALHOST, port_of(server))
    writer.write(b"STARTTLS\n")
    await reader.readline()
    await writer.start_tls(client_context(), server_hostname="localhost")
    log("client upgraded", writer.get_extra_info("ssl_object").version())
    writer.write(b"secret\n")
    log("client read", await reader.readline())
    await done
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


# == Failures ================================================================================

async def tls_client_error(aio, log, port, context, hostname="localhost", **kwargs):
    try:
        await aio.open_connection(LOCALHOST, port, ssl=context, server_hostname=hostname,
                                  **kwargs)
    except Exception as exc:  # noqa: BLE001 (the story records whatever it is)
        log.error("client", exc)


@scenario(
    "client SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify "
    "failed: unable to get local issuer certificate (_ssl.c:{line})",
    "client SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify "
    "failed: Hostname mismatch, certificate is not valid for 'example.org'. (_ssl.c:{line})",
    "handlers run 0",
)
async def test_verification_failures(aio, log):
    handled = []
    server = await aio.start_server(lambda r, w: handled.append(w), LOCALHOST, 0,
                                    ssl=server_context())
    lines = []

    def record(*parts):
        lines.append(" ".join(str(part) for part in parts))

    record.error = lambda prefix, exc: record(prefix, f"{type(exc).__name__}: {exc}")
    await tls_client_error(aio, record, port_of(server), ssl.create_default_context())
    await tls_client_error(aio, record, port_of(server), client_context(), "example.org")
    for line in lines:  # the line of _ssl.c is the build's, not asyncio's
        head, _, tail = line.rpartition("(_ssl.c:")
        log(head + "(_ssl.c:{line})" if tail else line)
    await aio.sleep(0.05)  # the server's side of both failures (each: an alert, a close)
    log("handlers run", len(handled))
    server.close()
    await server.wait_closed()


class Silent:
    """A plain TCP peer that never speaks TLS: it reads the ClientHello, then keeps quiet
    or closes its side (an EOF, not a reset: the client sees the end of the stream)."""

    def __init__(self, hang_up):
        self.hang_up = hang_up

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        if self.hang_up:
            self.transport.write_eof()

    def eof_received(self):
        pass

    def connection_lost(self, exc):
        pass


@scenario(
    "client ConnectionResetError: ",
    "client ConnectionAbortedError: SSL handshake is taking longer than 0.1 seconds: "
    "aborting the connection",
)
async def test_peer_hangs_up_or_stays_silent_during_the_handshake(aio, log):
    loop = aio.get_running_loop()
    peers = []

    def make_peer(hang_up):
        def factory():
            peers.append(Silent(hang_up))
            return peers[-1]
        return factory

    hanging = await loop.create_server(make_peer(True), LOCALHOST, 0)
    silent = await loop.create_server(make_peer(False), LOCALHOST, 0)
    await tls_client_error(aio, log, port_of(hanging), client_context())
    await tls_client_error(aio, log, port_of(silent), client_context(),
                           ssl_handshake_timeout=0.1)
    for peer in peers:
        peer.transport.close()
    for server in (hanging, silent):
        server.close()
        await server.wait_closed()


@scenario(
    "ValueError: ssl_handshake_timeout should be a positive number, got 0",
    "ValueError: ssl_shutdown_timeout should be a positive number, got -1",
    "ValueError: server_hostname is only meaningful with ssl",
    "ValueError: ssl_handshake_timeout is only meaningful with ssl",
    "TypeError: sslcontext is expected to be an instance of ssl.SSLContext, got True",
)
async def test_argument_checks(aio, log):
    loop = aio.get_running_loop()
    server = await loop.create_server(lambda: Silent(False), LOCALHOST, 0)
    port = port_of(server)
    for kwargs in ({"ssl": client_context(), "ssl_handshake_timeout": 0},
                   {"ssl": client_context(), "ssl_shutdown_timeout": -1},
                   {"server_hostname": "localhost"},
                   {"ssl_handshake_timeout": 1.0}):
        try:
            await loop.create_connection(lambda: Silent(False), LOCALHOST, port, **kwargs)
        except ValueError as exc:
            log(f"{type(exc).__name__}: {exc}")
    transport, protocol = await loop.create_connection(lambda: Silent(False), LOCALHOST, port)
    try:
        await loop.start_tls(transport, protocol, True)
    except TypeError as exc:
        log(f"{type(exc).__name__}: {exc}")
    transport.close()
    server.close()
    await server.wait_closed()


# == A peer miniloop did not write: openssl s_client =========================================

@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs Debian's openssl")
@scenario(
    "server read b'hello from s_client\\n'",
    "s_client saw b'HELLO FROM S_CLIENT'",
)
async def test_openssl_s_client_talks_to_our_server(aio, log):
    async def handler(reader, writer):
        line = await reader.readline()
        log("server read", line)
        writer.write(line.upper())
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    with tempfile.TemporaryDirectory() as tmp:
        ca_file = os.path.join(tmp, "ca.pem")
        CA.cert_pem.write_to_path(ca_file)
        server = await aio.start_server(handler, LOCALHOST, 0, ssl=server_context())
        command = ["openssl", "s_client", "-connect", f"{LOCALHOST}:{port_of(server)}",
                   "-CAfile", ca_file, "-verify_return_error", "-servername", "localhost",
                   "-quiet"]
        result = await aio.get_running_loop().run_in_executor(None, lambda: subprocess.run(
            command, input=b"hello from s_client\n", capture_output=True, timeout=30))
        log("s_client saw", result.stdout.strip())
        server.close()
        await server.wait_closed()


# == A peer miniloop did not write: openssl s_server =========================================

def start_s_server(pem_file, attempts=5):
    """`openssl s_server -rev` (it sends each line back reversed) on a free loopback port,
    for one connection; returns (process, port) once it listens. The port is found by
    binding to port 0 and letting go; if another program takes it meanwhile, s_server
    exits (address in use) and we try the next one."""
    for _ in range(attempts):
        with socket.socket() as probe:
            probe.bind((LOCALHOST, 0))
            port = probe.getsockname()[1]
        process = subprocess.Popen(
            ["openssl", "s_server", "-accept", f"{LOCALHOST}:{port}", "-cert", pem_file,
             "-naccept", "1", "-rev"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for line in process.stdout:  # it says ACCEPT when it listens, or exits
            if line.startswith(b"ACCEPT"):
                return process, port
        process.wait()
        process.stdout.close()
    raise RuntimeError(f"s_server did not start in {attempts} attempts")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs Debian's openssl")
@scenario(
    "client connection_made TLSv1.3",
    "client data_received b'tneilc pool a morf olleh\\n'",
    "client eof_received",
    "client connection_lost None",
    "s_server exited 0",
)
async def test_our_client_talks_to_openssl_s_server(aio, log):
    loop = aio.get_running_loop()
    with tempfile.TemporaryDirectory() as tmp:
        pem_file = os.path.join(tmp, "server.pem")
        CERT.private_key_and_cert_chain_pem.write_to_path(pem_file)
        process, port = await loop.run_in_executor(None, start_s_server, pem_file)
        try:
            transport, client = await loop.create_connection(
                lambda: Recorder(aio, log, "client"), LOCALHOST, port, ssl=client_context(),
                server_hostname="localhost", ssl_shutdown_timeout=10)
            transport.write(b"hello from a loop client\n")
            while len(log.lines) < 2:
                await aio.sleep(0.01)
            transport.close()
            await client.lost
            code = await loop.run_in_executor(None, lambda: process.wait(timeout=30))
            log("s_server exited", code)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()


@scenario(
    "the TLS layer: %r starts SSL handshake",
    "the TLS layer: %r: SSL handshake took %.1f ms",
    "the socket transport: %r received EOF",
    "the TLS layer: %r received EOF",
)
async def test_debug_mode_logs_the_handshake(aio, log):
    # Discussion: in debug mode the TLS layer says when its handshake starts and how long
    # it took, and each layer says when the peer closed TCP (a peer that closes without
    # close_notify: the TLS layer hears of it from the socket transport under it). The
    # peer is a plain ssl socket in a thread, so only the client's lines are on the loop.
    loop = aio.get_running_loop()
    lost = loop.create_future()

    class Client(aio.Protocol):
        def connection_lost(self, exc):
            lost.set_result(exc)

    with blocking_tls_peer(lambda tls: tls.recv(2)) as address:
        loop.set_debug(True)
        try:
            with asyncio_log(logging.DEBUG) as records:
                transport, _ = await loop.create_connection(
                    Client, *address, ssl=client_context(), server_hostname="localhost")
                transport.write(b"hi")
                await lost
        finally:
            loop.set_debug(False)
    for record in records:  # the template, not the text: a handshake's time varies
        if record.args and isinstance(record.args[0], aio.BaseProtocol):
            log("the TLS layer:", record.msg)
        elif record.args and isinstance(record.args[0], aio.BaseTransport):
            log("the socket transport:", record.msg)


@scenario(
    "handler: message Error on transport creation for incoming connection",
    "handler: exception ConnectionResetError, protocol ours True, transport a Transport True",
    "log: %r: %s SSL handshake failed, with a traceback of ConnectionResetError",
)
async def test_a_tls_server_in_debug_mode_reports_a_handshake_the_peer_hung_up_on(aio, log):
    # Discussion: an accepted connection's failed handshake has nobody to raise to. In
    # debug mode the TLS layer logs it (with the traceback of the error), and the server
    # hands it to the exception handler with your protocol and the TLS transport it made.
    loop = aio.get_running_loop()
    reported = loop.create_future()
    protocols = []

    def factory():
        protocols.append(aio.Protocol())
        return protocols[-1]

    loop.set_exception_handler(lambda loop, context: reported.set_result(context))
    loop.set_debug(True)
    try:
        with asyncio_log(logging.DEBUG) as records:
            server = await loop.create_server(factory, LOCALHOST, 0, ssl=server_context())
            _, writer = await aio.open_connection(LOCALHOST, port_of(server))
            writer.close()  # before a single byte of the handshake
            context = await reported
            await writer.wait_closed()
    finally:
        loop.set_debug(False)
        loop.set_exception_handler(None)
    log("handler: message", context["message"])
    log(f"handler: exception {type(context['exception']).__name__}, "
        f"protocol ours {context.get('protocol') is protocols[0]}, "
        f"transport a Transport {isinstance(context.get('transport'), aio.Transport)}")
    for record in records:
        if record.args and record.args[1:] == ("SSL handshake failed",):
            kind = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else None
            log(f"log: {record.msg} {record.args[1]}, with a traceback of {kind}")
    server.close()
    await server.wait_closed()


@scenario(
    "start_tls on a closed transport: returned None",
)
async def test_start_tls_on_a_transport_already_closed(aio, log):
    # Discussion: close() has queued connection_lost, and start_tls's TLS layer is now the
    # transport's protocol, so that is what hears of it, before its handshake even starts.
    # That wakes start_tls at once, with no transport to give, and nothing reaches the
    # exception handler.
    loop = aio.get_running_loop()
    handled = []
    loop.set_exception_handler(lambda loop, context: handled.append(context))
    server = await loop.create_server(aio.Protocol, LOCALHOST, 0)
    transport, protocol = await loop.create_connection(aio.Protocol, LOCALHOST, port_of(server))
    transport.close()
    try:
        result = await loop.start_tls(transport, protocol, client_context(),
                                      server_hostname="localhost", ssl_handshake_timeout=0.5)
        log("start_tls on a closed transport: returned", result)
    except Exception as exc:
        log(f"start_tls on a closed transport: {type(exc).__name__}")
    loop.set_exception_handler(None)
    for context in handled:
        log("handler:", context["message"])
    server.close()
    await server.wait_closed()
