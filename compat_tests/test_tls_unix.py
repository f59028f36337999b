"""TLS over a Unix socket: the same TLS layer as over TCP, only the socket differs.

A Unix socket has no host name to check the certificate against, so the client must name
one (`server_hostname=`); without it asyncio refuses before connecting. The certificates
are trustme's, made at test time (see test_tls.py).
"""

import os
import socket
import ssl
import tempfile

import pytest

from compat_tests.fds import no_fd_leaks  # noqa: F401 (the fixture, used below)
from compat_tests.harness import scenario

trustme = pytest.importorskip("trustme")

pytestmark = [pytest.mark.usefixtures("no_fd_leaks"),
              pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets")]

CA = trustme.CA()
CERT = CA.issue_cert("localhost")


def contexts():
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    CERT.configure_cert(server)
    client = ssl.create_default_context()
    CA.configure_trust(client)
    return server, client


@scenario(
    "client connected, the certificate names: (('DNS', 'localhost'),)",
    "server connected, TLS: True",
    "server read b'hello over TLS\\n'",
    "client read b'HELLO OVER TLS\\n'",
    "server read at EOF b''",
    "server closed",
    "client closed",
)
async def test_tls_streams_over_a_unix_socket(aio, log):
    """start_unix_server and open_unix_connection with ssl=: a line each way, then EOF.
    In TLS 1.3 the client's side of the handshake ends first: the server's last flight
    completes it, and only the client's answer to that completes the server's side, one
    turn later; then the server's callback starts, as a task of its own."""
    server_context, client_context = contexts()

    async def handle(reader, writer):
        log("server connected, TLS:", writer.get_extra_info("ssl_object") is not None)
        line = await reader.readline()
        log("server read", line)
        writer.write(line.upper())
        log("server read at EOF", await reader.read())
        writer.close()
        await writer.wait_closed()
        log("server closed")

    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "tls.sock")
        server = await aio.start_unix_server(handle, path, ssl=server_context)
        async with server:
            reader, writer = await aio.open_unix_connection(
                path, ssl=client_context, server_hostname="localhost")
            log("client connected, the certificate names:",
                writer.get_extra_info("peercert")["subjectAltName"])
            writer.write(b"hello over TLS\n")
            log("client read", await reader.readline())
            writer.close()
            await writer.wait_closed()
            await aio.sleep(0.1)
            log("client closed")


@scenario(
    "ValueError you have to pass server_hostname when using ssl",
)
async def test_tls_over_a_unix_socket_needs_a_server_hostname(aio, log):
    """Checked before anything is opened: there is no host to take the name from."""
    _, client_context = contexts()
    try:
        await aio.open_unix_connection("/nonexistent/miniloop.sock", ssl=client_context)
    except ValueError as exc:
        log("ValueError", exc)
