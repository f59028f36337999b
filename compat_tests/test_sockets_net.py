"""TCP and UDP on loopback: sock_accept, sock_connect (and name resolution), datagrams."""

import socket

import pytest

from compat_tests.fds import no_fd_leaks  # noqa: F401 (the fixture, used below)
from compat_tests.harness import scenario

pytestmark = pytest.mark.usefixtures("no_fd_leaks")


def listener():
    server = socket.create_server(("127.0.0.1", 0))
    server.setblocking(False)
    return server


def tcp_client():
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    client.setblocking(False)
    return client


def udp_socket():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    return sock


async def echo_once(loop, conn):
    with conn:
        while data := await loop.sock_recv(conn, 1024):
            await loop.sock_sendall(conn, data)


@scenario(
    "connected",
    "accepted from the client's address: True",
    "accepted socket is non-blocking: True",
    "echo b'hello over tcp'",
)
async def test_connect_accept_and_echo_on_loopback(aio, log):
    loop = aio.get_running_loop()
    with listener() as server, tcp_client() as client:
        accepting = aio.create_task(loop.sock_accept(server))
        await loop.sock_connect(client, server.getsockname())
        log("connected")
        conn, address = await accepting
        log("accepted from the client's address:", address == client.getsockname())
        log("accepted socket is non-blocking:", conn.gettimeout() == 0)
        echo = aio.create_task(echo_once(loop, conn))
        await loop.sock_sendall(client, b"hello over tcp")
        log("echo", await loop.sock_recv(client, 1024))
        client.shutdown(socket.SHUT_WR)
        await echo


@scenario(
    "accept is waiting",
    "client connects",
    "accepted",
)
async def test_sock_accept_waits_for_a_client(aio, log):
    loop = aio.get_running_loop()
    with listener() as server, socket.socket() as client:
        def connect():
            log("client connects")
            client.connect(server.getsockname())

        loop.call_later(0.01, connect)
        loop.call_soon(log, "accept is waiting")
        conn, _ = await loop.sock_accept(server)
        conn.close()
        log("accepted")


@scenario(
    "accept cancelled",
    "next accept gets the client: True",
)
async def test_cancelled_sock_accept_leaves_the_listener_usable(aio, log):
    loop = aio.get_running_loop()
    with listener() as server, tcp_client() as client:
        accepting = aio.create_task(loop.sock_accept(server))
        await aio.sleep(0.01)
        accepting.cancel()
        try:
            await accepting
        except aio.CancelledError:
            log("accept cancelled")
        await loop.sock_connect(client, server.getsockname())
        conn, address = await loop.sock_accept(server)
        conn.close()
        log("next accept gets the client:", address == client.getsockname())


@scenario(
    "50 clients, every reply right: True",
)
async def test_many_concurrent_clients(aio, log):
    """An accept loop with a task per connection, and 50 clients talking at once."""
    loop = aio.get_running_loop()
    with listener() as server:
        handlers = []

        async def serve(count):
            for _ in range(count):
                conn, _ = await loop.sock_accept(server)
                handlers.append(aio.create_task(echo_once(loop, conn)))

        async def client(i):
            with tcp_client() as sock:
                await loop.sock_connect(sock, server.getsockname())
                message = b"client %d " % i * 100
                await loop.sock_sendall(sock, message)
                sock.shutdown(socket.SHUT_WR)
                reply = b""
                while data := await loop.sock_recv(sock, 4096):
                    reply += data
                return reply == message

        acceptor = aio.create_task(serve(50))
        results = await aio.gather(*(client(i) for i in range(50)))
        await acceptor
        await aio.gather(*handlers)
        log("50 clients, every reply right:", all(results))


@scenario(
    "ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', PORT)",
)
async def test_refused_connection(aio, log):
    """A connect that fails after waiting is reported with the address it tried."""
    loop = aio.get_running_loop()
    with socket.socket() as unused, tcp_client() as client:
        unused.bind(("127.0.0.1", 0))  # holds a port on which nobody listens
        port = unused.getsockname()[1]
        try:
            await loop.sock_connect(client, ("127.0.0.1", port))
        except OSError as exc:
            log(f"{type(exc).__name__}: {exc}".replace(str(port), "PORT"))


@scenario(
    "connected to 127.0.0.1",
    "resolved in a thread: True",
)
async def test_sock_connect_resolves_a_host_name_in_the_default_executor(aio, log):
    loop = aio.get_running_loop()
    lookups = []
    real_getaddrinfo = socket.getaddrinfo

    def spy(*args, **kwargs):
        import threading

        lookups.append(threading.current_thread() is not threading.main_thread())
        return real_getaddrinfo(*args, **kwargs)

    socket.getaddrinfo = spy
    try:
        with listener() as server, tcp_client() as client:
            await loop.sock_connect(client, ("localhost", server.getsockname()[1]))
            conn, _ = await loop.sock_accept(server)
            conn.close()
            log("connected to", client.getpeername()[0])
    finally:
        socket.getaddrinfo = real_getaddrinfo
    log("resolved in a thread:", lookups == [True])


@scenario(
    "connected, lookups: []",
)
async def test_sock_connect_skips_resolution_for_an_ip_address(aio, log):
    """An IP address (even with the port as a string) never reaches getaddrinfo."""
    loop = aio.get_running_loop()
    lookups = []
    real_getaddrinfo = socket.getaddrinfo
    socket.getaddrinfo = lambda *args, **kwargs: lookups.append(args) or real_getaddrinfo(
        *args, **kwargs)
    try:
        with listener() as server, tcp_client() as client:
            await loop.sock_connect(client, ("127.0.0.1", str(server.getsockname()[1])))
            conn, _ = await loop.sock_accept(server)
            conn.close()
            log("connected, lookups:", lookups)
    finally:
        socket.getaddrinfo = real_getaddrinfo


@scenario(
    "gaierror: [Errno -2] Name or service not known",
)
async def test_resolver_error_reaches_sock_connect(aio, log):
    """The lookup fails in the executor's thread; its exception is raised in the task.
    (The resolver is faked: these tests never leave the loopback interface.)"""
    loop = aio.get_running_loop()
    real_getaddrinfo = socket.getaddrinfo

    def failing_lookup(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    socket.getaddrinfo = failing_lookup
    try:
        with tcp_client() as client:
            await loop.sock_connect(client, ("no-such-host.invalid", 80))
    except socket.gaierror as exc:
        log(f"gaierror: {exc}")
    finally:
        socket.getaddrinfo = real_getaddrinfo


@scenario(
    "[(<AddressFamily.AF_INET: 2>, <SocketKind.SOCK_STREAM: 1>, 6, '', ('127.0.0.1', 80))]",
)
async def test_getaddrinfo(aio, log):
    loop = aio.get_running_loop()
    log(await loop.getaddrinfo("127.0.0.1", 80, family=socket.AF_INET,
                               type=socket.SOCK_STREAM))


@scenario(
    "server got b'ping' from the client: True",
    "client got b'pong' from the server: True",
    "sendto returned 4",
)
async def test_udp_round_trip(aio, log):
    loop = aio.get_running_loop()
    with udp_socket() as server, udp_socket() as client:
        async def answer():
            data, address = await loop.sock_recvfrom(server, 100)
            log(f"server got {data!r} from the client:", address == client.getsockname())
            return await loop.sock_sendto(server, b"pong", address)

        answering = aio.create_task(answer())
        await aio.sleep(0.01)  # the server is waiting for a datagram by now
        await loop.sock_sendto(client, b"ping", server.getsockname())
        data, address = await loop.sock_recvfrom(client, 100)
        log(f"client got {data!r} from the server:", address == server.getsockname())
        log("sendto returned", await answering)


@scenario(
    "3 bytes into bytearray(b'abc\\x00\\x00\\x00')",
    "4 bytes into bytearray(b'wait\\x00\\x00')",
    "2 bytes into bytearray(b'tr\\x00\\x00\\x00\\x00')",
)
async def test_sock_recvfrom_into(aio, log):
    """nbytes=0 means the whole buffer; a smaller nbytes truncates the datagram."""
    loop = aio.get_running_loop()
    with udp_socket() as receiver, udp_socket() as sender:
        target = receiver.getsockname()
        sender.sendto(b"abc", target)
        await aio.sleep(0.01)
        buf = bytearray(6)
        n, _ = await loop.sock_recvfrom_into(receiver, buf)
        log(f"{n} bytes into {buf}")
        loop.call_later(0.01, sender.sendto, b"wait", target)
        buf = bytearray(6)
        n, _ = await loop.sock_recvfrom_into(receiver, buf)
        log(f"{n} bytes into {buf}")
        sender.sendto(b"truncated", target)
        await aio.sleep(0.01)
        buf = bytearray(6)
        n, _ = await loop.sock_recvfrom_into(receiver, buf, 2)
        log(f"{n} bytes into {buf}")


@scenario(
    "datagrams keep their boundaries: [b'one', b'two', b'three']",
)
async def test_udp_datagrams_keep_their_boundaries(aio, log):
    loop = aio.get_running_loop()
    with udp_socket() as receiver, udp_socket() as sender:
        for word in (b"one", b"two", b"three"):
            await loop.sock_sendto(sender, word, receiver.getsockname())
        got = [(await loop.sock_recvfrom(receiver, 100))[0] for _ in range(3)]
        log("datagrams keep their boundaries:", got)


@scenario(
    "ConnectionRefusedError: [Errno 111] Connection refused",
)
async def test_udp_to_a_closed_port_reports_refusal_on_the_next_receive(aio, log):
    """A connected UDP socket learns from an ICMP error that nobody listens; the next
    receive raises it."""
    loop = aio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as unused, udp_socket() as sock:
        unused.bind(("127.0.0.1", 0))
        address = unused.getsockname()
        unused.close()
        await loop.sock_connect(sock, address)
        await loop.sock_sendall(sock, b"hello?")
        try:
            await loop.sock_recv(sock, 100)
        except OSError as exc:
            log(f"{type(exc).__name__}: {exc}")


def ipv6_loopback_works():
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not ipv6_loopback_works(), reason="no IPv6 loopback here")
@scenario(
    "connected to ::1, lookups: []",
    "accepted address has 4 parts: True",
)
async def test_ipv6_loopback(aio, log):
    """An IPv6 address needs no lookup either; it is completed to (host, port, flowinfo,
    scope_id)."""
    loop = aio.get_running_loop()
    lookups = []
    real_getaddrinfo = socket.getaddrinfo
    socket.getaddrinfo = lambda *args, **kwargs: lookups.append(args) or real_getaddrinfo(
        *args, **kwargs)
    try:
        with socket.create_server(("::1", 0), family=socket.AF_INET6) as server, \
                socket.socket(socket.AF_INET6) as client:
            server.setblocking(False)
            client.setblocking(False)
            accepting = aio.create_task(loop.sock_accept(server))
            await loop.sock_connect(client, ("::1", server.getsockname()[1]))
            conn, address = await accepting
            conn.close()
            log(f"connected to {client.getpeername()[0]}, lookups: {lookups}")
            log("accepted address has 4 parts:", len(address) == 4)
    finally:
        socket.getaddrinfo = real_getaddrinfo


@scenario(
    "recv on a listening socket: OSError: [Errno 107] Transport endpoint is not connected",
    "accept on a socket that does not listen: OSError: [Errno 22] Invalid argument",
    "connect again: None",
    "and again: OSError: [Errno 106] Transport endpoint is already connected",
)
async def test_misused_sockets_raise_the_system_calls_errors(aio, log):
    loop = aio.get_running_loop()
    with listener() as server, tcp_client() as idle, tcp_client() as client:
        try:
            await loop.sock_recv(server, 10)
        except OSError as exc:
            log.error("recv on a listening socket:", exc)
        try:
            await loop.sock_accept(idle)
        except OSError as exc:
            log.error("accept on a socket that does not listen:", exc)
        await loop.sock_connect(client, server.getsockname())
        # Linux answers one more connect() after a non-blocking one completed with success
        # (that is its way to report the completion); only the next gets EISCONN.
        log("connect again:", await loop.sock_connect(client, server.getsockname()))
        try:
            await loop.sock_connect(client, server.getsockname())
        except OSError as exc:
            log.error("and again:", exc)


@scenario(
    "('127.0.0.1', '80')",
)
async def test_getnameinfo(aio, log):
    loop = aio.get_running_loop()
    flags = socket.NI_NUMERICHOST | socket.NI_NUMERICSERV
    log(await loop.getnameinfo(("127.0.0.1", 80), flags))


@scenario(
    "DEBUG Get address info 127.0.0.1:80, type=<SocketKind.SOCK_STREAM: 1>",
    "Getting address info 127.0.0.1:80, type=<SocketKind.SOCK_STREAM: 1> took "
    "N.NNNms: [(<AddressFamily.AF_INET: 2>, <SocketKind.SOCK_STREAM: 1>, 6, '', "
    "('127.0.0.1', 80))]",
    "nothing logged outside debug mode: True",
)
async def test_getaddrinfo_is_logged_in_debug_mode(aio, log):
    import logging
    import re

    loop = aio.get_running_loop()
    records = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append
    logger = logging.getLogger("asyncio")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        loop.set_debug(True)
        await loop.getaddrinfo("127.0.0.1", 80, type=socket.SOCK_STREAM)
        # (The second line is INFO instead of DEBUG if the lookup took longer than
        # slow_callback_duration, which a loaded machine could make happen: not logged.)
        lookups = [r for r in records if r.getMessage().startswith("Get")]
        log(lookups[0].levelname, lookups[0].getMessage())
        log(re.sub(r"took [\d.]+ms", "took N.NNNms", lookups[1].getMessage()))
        records.clear()
        loop.set_debug(False)
        await loop.getaddrinfo("127.0.0.1", 80, type=socket.SOCK_STREAM)
        log("nothing logged outside debug mode:", records == [])
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
