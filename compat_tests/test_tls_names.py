"""server_hostname: the name a TLS client sends (SNI) and checks the certificate against.

By default it is the host you connect to; an explicit name replaces it; an empty string
means "no name": nothing is sent, and (with a context that does not check host names) the
certificate's name is not checked either. The server sees what was sent through its
context's `sni_callback`. The certificates are trustme's, made at test time.
"""

import os
import socket
import ssl
import tempfile

import pytest

from compat_tests.fds import no_fd_leaks  # noqa: F401 (the fixture, used below)
from compat_tests.harness import scenario

trustme = pytest.importorskip("trustme")

pytestmark = pytest.mark.usefixtures("no_fd_leaks")

CA = trustme.CA()
CERT = CA.issue_cert("localhost")


def server_context(log):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    CERT.configure_cert(context)
    context.sni_callback = lambda sslobj, name, context: log("server got SNI", name)
    return context


def client_context(check_hostname=True):
    context = ssl.create_default_context()
    CA.configure_trust(context)
    context.check_hostname = check_hostname
    return context


async def connect_and_close(aio, log, **kwargs):
    reader, writer = await aio.open_connection(**kwargs)
    log("client connected")
    writer.close()
    await writer.wait_closed()


@scenario(
    "server got SNI localhost",
    "client connected",
    "server got SNI name.example",
    "client connected",
    "server got SNI None",
    "client connected",
)
async def test_the_name_sent_is_the_host_unless_told_otherwise(aio, log):
    """Connecting to "localhost" sends "localhost"; server_hostname="name.example" sends
    that (the client's context checks no names here); "" sends none at all."""
    async def handle(reader, writer):
        writer.close()

    server = await aio.start_server(handle, "127.0.0.1", 0, ssl=server_context(log))
    port = server.sockets[0].getsockname()[1]
    async with server:
        await connect_and_close(aio, log, host="localhost", port=port, family=socket.AF_INET,
                                ssl=client_context())
        await connect_and_close(aio, log, host="localhost", port=port, family=socket.AF_INET,
                                ssl=client_context(check_hostname=False),
                                server_hostname="name.example")
        await connect_and_close(aio, log, host="localhost", port=port, family=socket.AF_INET,
                                ssl=client_context(check_hostname=False), server_hostname="")


@scenario(
    "server got SNI None",
    "client connected",
)
async def test_an_empty_server_hostname_over_a_unix_socket(aio, log):
    """A Unix socket needs server_hostname with ssl=, and "" is a valid answer: no name is
    sent or checked (CPython's own tests connect this way)."""
    async def handle(reader, writer):
        writer.close()

    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "tls.sock")
        server = await aio.start_unix_server(handle, path, ssl=server_context(log))
        async with server:
            reader, writer = await aio.open_unix_connection(
                path, ssl=client_context(check_hostname=False), server_hostname="")
            log("client connected")
            writer.close()
            await writer.wait_closed()


@scenario(
    "server got SNI None",
    "client connected",
    "server got SNI localhost",
    "client connected",
    "server got SNI None",  # an IP address is never sent as a name
    "SSLCertVerificationError IP address mismatch, certificate is not valid for '127.0.0.1'.",
)
async def test_ssl_true_is_the_default_context_checking_the_name_it_has(aio, log):
    """ssl=True makes the client's default context (the system's CAs: here the test CA,
    through SSL_CERT_FILE). It checks the certificate's name only when there is a name to
    check: with server_hostname="" it checks the chain alone; by default the name is the
    host, and a certificate for "localhost" is not one for 127.0.0.1."""
    async def handle(reader, writer):
        writer.close()

    server = await aio.start_server(handle, "127.0.0.1", 0, ssl=server_context(log))
    port = server.sockets[0].getsockname()[1]
    with tempfile.TemporaryDirectory() as directory:
        ca_file = os.path.join(directory, "ca.pem")
        CA.cert_pem.write_to_path(ca_file)
        saved = os.environ.get("SSL_CERT_FILE")
        os.environ["SSL_CERT_FILE"] = ca_file
        try:
            async with server:
                await connect_and_close(aio, log, host="127.0.0.1", port=port, ssl=True,
                                        server_hostname="")
                await connect_and_close(aio, log, host="localhost", port=port,
                                        family=socket.AF_INET, ssl=True)
                try:
                    await connect_and_close(aio, log, host="127.0.0.1", port=port, ssl=True)
                except ssl.SSLCertVerificationError as exc:
                    log("SSLCertVerificationError", exc.verify_message)
        finally:
            if saved is None:
                del os.environ["SSL_CERT_FILE"]
            else:
                os.environ["SSL_CERT_FILE"] = saved
