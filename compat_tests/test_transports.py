"""The socket transport and its protocol: the order of callbacks, writing and its buffer,
backpressure, half-close, close and abort, reading on and off, errors.

Most stories connect a transport to one end of a socket pair (create_connection(sock=...))
and play the peer by hand on the other end, so that what the peer sends, and when, is
written out in the story.
"""

import gc
import logging
import re
import socket
import sys
import weakref

import pytest

from compat_tests.fds import no_fd_leaks  # noqa: F401 (the fixture, used below)
from compat_tests.harness import scenario

pytestmark = pytest.mark.usefixtures("no_fd_leaks")

BIG = 4 * 1024 * 1024  # more than any loopback socket buffer takes at once


def recording_protocol(aio, log, *, keep_open=None):
    """A Protocol that logs each callback; `lost` is done once connection_lost was called."""

    class Recording(aio.Protocol):
        def __init__(self):
            self.lost = aio.get_running_loop().create_future()
            self.transport = None

        def connection_made(self, transport):
            self.transport = transport
            log("connection_made")

        def data_received(self, data):
            log("data_received", data)

        def eof_received(self):
            log("eof_received")
            return keep_open

        def pause_writing(self):
            log("pause_writing")

        def resume_writing(self):
            log("resume_writing")

        def connection_lost(self, exc):
            log("connection_lost", repr(exc))
            self.lost.set_result(None)

    return Recording()


async def connect_pair(aio, log, **protocol_options):
    """A transport on one end of a socket pair; the other end is the story's raw peer."""
    loop = aio.get_running_loop()
    mine, peer = socket.socketpair()
    peer.setblocking(False)
    protocol = recording_protocol(aio, log, **protocol_options)
    transport, _ = await loop.create_connection(lambda: protocol, sock=mine)
    return transport, protocol, peer


async def read_all(loop, sock):
    """Everything the peer receives until EOF."""
    received = bytearray()
    while chunk := await loop.sock_recv(sock, 1 << 18):
        received += chunk
    return bytes(received)


@scenario(
    "create_connection called",
    "a callback scheduled before",
    "connection_made",
    "create_connection returned, same protocol: True",
    "data_received b'hello'",
    "eof_received",
    "connection_lost None",
    "closing: True",
)
async def test_callback_order_from_connection_made_to_connection_lost(aio, log):
    """connection_made comes through call_soon (after what was already queued), before
    create_connection returns; the peer's EOF closes the transport (eof_received returned
    None), and connection_lost comes last."""
    loop = aio.get_running_loop()
    mine, peer = socket.socketpair()
    protocol = recording_protocol(aio, log)
    with peer:
        log("create_connection called")
        loop.call_soon(log, "a callback scheduled before")
        transport, returned = await loop.create_connection(lambda: protocol, sock=mine)
        log("create_connection returned, same protocol:", returned is protocol)
        peer.sendall(b"hello")
        peer.shutdown(socket.SHUT_WR)
        await protocol.lost
        log("closing:", transport.is_closing())


@scenario(
    "connection_made",
    "in connection_made: reading paused",
    "resumed",
    "data_received b'early'",
    "connection_lost None",
)
async def test_data_waits_for_connection_made_and_pause_there(aio, log):
    """Data already waiting is not delivered before connection_made; pausing reading inside
    connection_made holds it until resume_reading()."""
    loop = aio.get_running_loop()
    mine, peer = socket.socketpair()
    peer.sendall(b"early")

    class PausingAtOnce(aio.Protocol):
        def connection_made(self, transport):
            log("connection_made")
            transport.pause_reading()
            log("in connection_made: reading", "paused" if not transport.is_reading() else "on")
            self.transport = transport

        def data_received(self, data):
            log("data_received", data)
            self.transport.close()

        def connection_lost(self, exc):
            log("connection_lost", exc)

    with peer:
        transport, protocol = await loop.create_connection(PausingAtOnce, sock=mine)
        await aio.sleep(0.05)
        log("resumed")
        transport.resume_reading()
        while not transport.is_closing():
            await aio.sleep(0.01)
        await aio.sleep(0)


@scenario(
    "connection_made",
    "is_reading: True",
    "paused, is_reading: False",
    "paused twice: no error",
    "nothing delivered while paused",
    "data_received b'held back'",
    "is_reading after resume: True",
    "connection_lost None",
)
async def test_pause_reading_holds_data_back_until_resume(aio, log):
    transport, protocol, peer = await connect_pair(aio, log)
    with peer:
        log("is_reading:", transport.is_reading())
        transport.pause_reading()
        log("paused, is_reading:", transport.is_reading())
        transport.pause_reading()
        log("paused twice: no error")
        peer.sendall(b"held back")
        await aio.sleep(0.05)
        log("nothing delivered while paused")
        transport.resume_reading()
        await aio.sleep(0.05)
        log("is_reading after resume:", transport.is_reading())
        transport.close()
        await protocol.lost


@scenario(
    "connection_made",
    "data_received b'question'",
    "eof_received",
    "still open after EOF: True",
    "connection_lost None",
    "peer got b'answer after eof'",
)
async def test_eof_received_returning_true_keeps_the_transport_open(aio, log):
    """Half-close from the peer: it shut down its side; our side can still answer."""
    loop = aio.get_running_loop()
    transport, protocol, peer = await connect_pair(aio, log, keep_open=True)
    with peer:
        peer.sendall(b"question")
        peer.shutdown(socket.SHUT_WR)
        await aio.sleep(0.05)
        log("still open after EOF:", not transport.is_closing())
        transport.write(b"answer after eof")
        transport.close()
        await protocol.lost
        log("peer got", await read_all(loop, peer))


@scenario(
    "connection_made",
    "can_write_eof: True",
    "peer got b'before eof' then EOF",
    "write_eof twice: no error",
    "write after write_eof: RuntimeError: Cannot call write() after write_eof()",
    "still reading: True",
    "data_received b'the peer answers'",
    "connection_lost None",
)
async def test_write_eof_half_closes_our_side(aio, log):
    loop = aio.get_running_loop()
    transport, protocol, peer = await connect_pair(aio, log)
    with peer:
        log("can_write_eof:", transport.can_write_eof())
        transport.write(b"before eof")
        transport.write_eof()
        log("peer got", await read_all(loop, peer), "then EOF")
        transport.write_eof()
        log("write_eof twice: no error")
        try:
            transport.write(b"more")
        except RuntimeError as exc:
            log.error("write after write_eof:", exc)
        log("still reading:", transport.is_reading())
        peer.sendall(b"the peer answers")
        await aio.sleep(0.05)
        transport.close()
        await protocol.lost


@scenario(
    "connection_made",
    "write of str: TypeError: data argument must be a bytes-like object, not 'str'",
    "write of NoneType: TypeError: data argument must be a bytes-like object, not 'NoneType'",
    "write of b'': buffer 0",
    "connection_lost None",
)
async def test_write_refuses_what_is_not_bytes(aio, log):
    transport, protocol, peer = await connect_pair(aio, log)
    with peer:
        for data in ("text", None):
            try:
                transport.write(data)
            except TypeError as exc:
                log.error(f"write of {type(data).__name__}:", exc)
        transport.write(b"")
        log("write of b'': buffer", transport.get_write_buffer_size())
        transport.close()
        await protocol.lost


@scenario(
    "connection_made",
    "fits: buffer 0",
    "pause_writing",
    "too big: some buffered: True",
    "while paused, a small write joins the buffer: True",
    "resume_writing",
    "peer got everything in order: True",
    "buffer after the drain: 0",
    "connection_lost None",
)
async def test_write_buffers_what_the_kernel_does_not_take_and_pauses_the_protocol(aio, log):
    """Try-then-wait writes: a small write goes at once; a big one leaves the rest in the
    buffer, which pauses the protocol over the high-water mark (64 KiB) and resumes it once
    drained to the low-water mark."""
    loop = aio.get_running_loop()
    transport, protocol, peer = await connect_pair(aio, log)
    with peer:
        transport.write(b"small")
        log("fits: buffer", transport.get_write_buffer_size())
        data = bytes(range(256)) * (BIG // 256)
        transport.write(data)
        size = transport.get_write_buffer_size()
        log("too big: some buffered:", 0 < size < len(data))
        transport.write(b"tail")
        log("while paused, a small write joins the buffer:",
            transport.get_write_buffer_size() == size + 4)
        reader = aio.create_task(read_all(loop, peer))
        while transport.get_write_buffer_size():
            await aio.sleep(0.01)
        transport.write_eof()
        log("peer got everything in order:", await reader == b"small" + data + b"tail")
        log("buffer after the drain:", transport.get_write_buffer_size())
        transport.close()
        await protocol.lost


@scenario(
    "connection_made",
    "default limits (16384, 65536)",
    "high=100 (25, 100)",
    "low=10 (10, 40)",
    "both (5, 50)",
    "high < low: ValueError: high (1) must be >= low (2) must be >= 0",
    "negative: ValueError: high (-4) must be >= low (-1) must be >= 0",
    "buffered under the high mark: no pause",
    "pause_writing",
    "after lowering the high mark under the buffer",
    "connection_lost None",
)
async def test_write_buffer_limits(aio, log):
    """The marks follow from each other (low = high // 4, high = 4 * low); lowering the
    high mark under what is buffered pauses the protocol at once."""
    transport, protocol, peer = await connect_pair(aio, log)
    with peer:
        log("default limits", transport.get_write_buffer_limits())
        transport.set_write_buffer_limits(high=100)
        log("high=100", transport.get_write_buffer_limits())
        transport.set_write_buffer_limits(low=10)
        log("low=10", transport.get_write_buffer_limits())
        transport.set_write_buffer_limits(high=50, low=5)
        log("both", transport.get_write_buffer_limits())
        for label, high, low in (("high < low:", 1, 2), ("negative:", None, -1)):
            try:
                transport.set_write_buffer_limits(high=high, low=low)
            except ValueError as exc:
                log.error(label, exc)
        transport.set_write_buffer_limits(high=BIG * 2)
        transport.write(b"x" * BIG)
        log("buffered under the high mark: no pause")
        transport.set_write_buffer_limits(high=50)
        log("after lowering the high mark under the buffer")
        transport.abort()
        await protocol.lost


@scenario(
    "connection_made",
    "pause_writing",
    "closing: True",
    "resume_writing",
    "connection_lost None",
    "peer got all of it: True",
)
async def test_close_flushes_the_buffer_before_connection_lost(aio, log):
    """close() stops reading at once, but what is buffered is still sent (the protocol even
    hears resume_writing as it drains); connection_lost comes once the last byte went out,
    and only then does the peer see EOF."""
    loop = aio.get_running_loop()
    transport, protocol, peer = await connect_pair(aio, log)
    with peer:
        data = b"y" * BIG
        transport.write(data)
        transport.close()
        log("closing:", transport.is_closing())
        log("peer got all of it:", await read_all(loop, peer) == data)
        await protocol.lost


@scenario(
    "connection_made",
    "pause_writing",
    "buffered: True",
    "after abort: buffer 0, closing True",
    "connection_lost None",
    "peer got less than everything: True",
)
async def test_abort_drops_the_buffer(aio, log):
    loop = aio.get_running_loop()
    transport, protocol, peer = await connect_pair(aio, log)
    with peer:
        transport.write(b"z" * BIG)
        log("buffered:", transport.get_write_buffer_size() > 0)
        transport.abort()
        log(f"after abort: buffer {transport.get_write_buffer_size()}, "
            f"closing {transport.is_closing()}")
        await protocol.lost
        log("peer got less than everything:", len(await read_all(loop, peer)) < BIG)


@scenario(
    "connection_made",
    "connection_lost None",
    "close again, abort: nothing more",
    "writes after close: dropped, 2 warnings",
)
async def test_connection_lost_is_called_once_and_late_writes_are_dropped(aio, log):
    """After close, close() and abort() do nothing; writes are dropped silently, and from
    the fifth on each one logs "socket.send() raised exception."."""
    transport, protocol, peer = await connect_pair(aio, log)
    warnings = []
    handler = logging.Handler()
    handler.emit = lambda record: warnings.append(record.getMessage())
    logging.getLogger("asyncio").addHandler(handler)
    try:
        with peer:
            transport.close()
            await protocol.lost
            transport.close()
            transport.abort()
            await aio.sleep(0)
            log("close again, abort: nothing more")
            for _ in range(6):
                transport.write(b"late")
            log(f"writes after close: dropped, {len(warnings)} warnings")
    finally:
        logging.getLogger("asyncio").removeHandler(handler)


@scenario(
    "connection_made",
    "peername is the peer's sockname: True",
    "sockname is ours: True",
    "socket: TransportSocket, same fd: True",
    "socket timeout 0",
    "setblocking(True): ValueError: setblocking(): transport sockets cannot be blocking",
    "unknown: 'default'",
    "get_protocol is ours: True",
    "connection_lost None",
)
async def test_get_extra_info(aio, log):
    transport, protocol, peer = await connect_pair(aio, log)
    with peer:
        log("peername is the peer's sockname:",
            transport.get_extra_info("peername") == peer.getsockname())
        log("sockname is ours:",
            transport.get_extra_info("sockname") == peer.getpeername())
        sock = transport.get_extra_info("socket")
        log(f"socket: {type(sock).__name__}, same fd:",
            sock.fileno() == transport.get_extra_info("socket").fileno() != -1)
        log("socket timeout", sock.gettimeout())
        try:
            sock.setblocking(True)
        except ValueError as exc:
            log.error("setblocking(True):", exc)
        log("unknown:", repr(transport.get_extra_info("nothing", "default")))
        log("get_protocol is ours:", transport.get_protocol() is protocol)
        transport.close()
        await protocol.lost


@scenario(
    "connection_made",
    "get_buffer -1",
    "buffer_updated 5 b'bytes'",
    "get_buffer -1",
    "eof_received",
    "connection_lost None",
)
async def test_buffered_protocol_receives_into_its_own_buffer(aio, log):
    loop = aio.get_running_loop()
    mine, peer = socket.socketpair()

    class Buffered(aio.BufferedProtocol):
        def __init__(self):
            self.buffer = bytearray(16)
            self.lost = loop.create_future()

        def connection_made(self, transport):
            log("connection_made")

        def get_buffer(self, sizehint):
            log("get_buffer", sizehint)
            return self.buffer

        def buffer_updated(self, nbytes):
            log("buffer_updated", nbytes, bytes(self.buffer[:nbytes]))

        def eof_received(self):
            log("eof_received")

        def connection_lost(self, exc):
            log("connection_lost", exc)
            self.lost.set_result(None)

    with peer:
        _, protocol = await loop.create_connection(Buffered, sock=mine)
        peer.sendall(b"bytes")
        await aio.sleep(0.05)
        peer.shutdown(socket.SHUT_WR)
        await protocol.lost


@scenario(
    "connection_made",
    "handler: Fatal error: protocol.data_received() call failed. ZeroDivisionError",
    "handler was given the transport and the protocol: True",
    "connection_lost ZeroDivisionError('division by zero')",
)
async def test_an_error_in_data_received_is_fatal_and_reported(aio, log):
    """A protocol callback that raises: the loop's exception handler hears of it with
    asyncio's message, and connection_lost gets the exception."""
    loop = aio.get_running_loop()

    def handler(loop, context):
        log("handler:", context["message"], type(context["exception"]).__name__)
        log("handler was given the transport and the protocol:",
            context["protocol"] is protocol and context["transport"] is transport)

    loop.set_exception_handler(handler)
    transport, protocol, peer = await connect_pair(aio, log)
    protocol.data_received = lambda data: 1 / 0
    with peer:
        peer.sendall(b"boom")
        await protocol.lost


@scenario(
    "get_buffer",
    "handler: Fatal error: protocol.get_buffer() call failed. RuntimeError: "
    "get_buffer() returned an empty buffer",
    "connection_lost RuntimeError('get_buffer() returned an empty buffer')",
)
async def test_an_empty_buffer_from_get_buffer_is_fatal(aio, log):
    loop = aio.get_running_loop()
    loop.set_exception_handler(lambda loop, context: log(
        "handler:", context["message"],
        f"{type(context['exception']).__name__}: {context['exception']}"))
    mine, peer = socket.socketpair()
    lost = loop.create_future()

    class Empty(aio.BufferedProtocol):
        def get_buffer(self, sizehint):
            log("get_buffer")
            return bytearray()

        def connection_lost(self, exc):
            log("connection_lost", repr(exc))
            lost.set_result(None)

    with peer:
        await loop.create_connection(Empty, sock=mine)
        peer.sendall(b"data")
        await lost


@scenario(
    "connection_made",
    "connection_lost ConnectionResetError",
    "exception handler called: False",
)
async def test_a_reset_from_the_peer_is_connection_lost_with_the_error(aio, log):
    """An OSError is the network's doing: connection_lost(exc), and (outside debug mode)
    nothing for the exception handler."""
    loop = aio.get_running_loop()
    reported = []
    loop.set_exception_handler(lambda loop, context: reported.append(context))
    server = socket.create_server(("127.0.0.1", 0))
    with server:
        lost = loop.create_future()

        class Recording(aio.Protocol):
            def connection_made(self, transport):
                log("connection_made")

            def connection_lost(self, exc):
                log("connection_lost", type(exc).__name__)
                lost.set_result(None)

        await loop.create_connection(Recording, *server.getsockname())
        conn, _ = server.accept()
        # SO_LINGER with a zero timeout: close() sends a reset instead of a FIN.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.close()
        await lost
        log("exception handler called:", bool(reported))


@scenario(
    "connection_made",
    "writelines: peer got b'onetwothree'",
    "writelines of big chunks paused the protocol: True",
    "connection_lost None",
    changed={(3, 12): [
        "connection_made",
        "writelines: peer got b'onetwothree'",
        "writelines of big chunks paused the protocol: False",
        "connection_lost None",
    ]},
)
async def test_writelines_does_not_pause_the_protocol(aio, log):
    """3.12+ sends writelines' chunks with one sendmsg() at once and, as asyncio does, never
    checks the high-water mark there; 3.11 joins them into one write(), which does."""
    loop = aio.get_running_loop()
    transport, protocol, peer = await connect_pair(aio, log)
    paused = []
    protocol.pause_writing = lambda: paused.append(True)
    with peer:
        transport.writelines([b"one", bytearray(b"two"), memoryview(b"three")])
        log("writelines: peer got", await loop.sock_recv(peer, 100))
        transport.writelines([b"w" * (BIG // 2), b"w" * (BIG // 2)])
        log("writelines of big chunks paused the protocol:", bool(paused))
        transport.abort()
        await protocol.lost


@scenario(
    "connection_made",
    "a str among them: TypeError: sequence item 1: expected a bytes-like object, str found",
    "an int among them: TypeError: sequence item 1: expected a bytes-like object, int found",
    "buffered: 0",
    "peer got b'ok'",
    "connection_lost None",
    changed={(3, 12): [
        "connection_made",
        "a str among them: TypeError: memoryview: a bytes-like object is required, not 'str'",
        "an int among them: TypeError: memoryview: a bytes-like object is required, not 'int'",
        "buffered: 0",
        "peer got b'ok'",
        "connection_lost None",
    ]},
)
async def test_writelines_refuses_what_is_not_bytes_before_writing_any(aio, log):
    """One chunk that is not bytes-like fails the whole call, and none of it is sent (not
    even the chunks before it); an int is refused too, not taken for a size. The message
    is whatever turns the chunks into bytes: 3.11's join(), 3.12's memoryview()."""
    loop = aio.get_running_loop()
    transport, protocol, peer = await connect_pair(aio, log)
    with peer:
        for label, bad in (("a str", "two"), ("an int", 2)):
            try:
                transport.writelines([b"one", bad, b"three"])
            except TypeError as exc:
                log.error(f"{label} among them:", exc)
        log("buffered:", transport.get_write_buffer_size())
        transport.write(b"ok")
        log("peer got", await loop.sock_recv(peer, 100))
        transport.abort()
        await protocol.lost


@scenario(
    "connection_made",
    "pause_writing raises",
    "handler: protocol.pause_writing() failed ZeroDivisionError",
    "the transport carries on: closing False",
    "connection_lost None",
)
async def test_an_error_in_pause_writing_is_reported_and_not_fatal(aio, log):
    loop = aio.get_running_loop()
    loop.set_exception_handler(lambda loop, context: log(
        "handler:", context["message"], type(context["exception"]).__name__))
    transport, protocol, peer = await connect_pair(aio, log)

    def pause_writing():
        log("pause_writing raises")
        raise ZeroDivisionError("division by zero")

    protocol.pause_writing = pause_writing
    with peer:
        transport.write(b"p" * BIG)
        log("the transport carries on: closing", transport.is_closing())
        transport.abort()
        await protocol.lost


@scenario(
    "connection_made",
    "handler: Fatal error: protocol.eof_received() call failed. ValueError",
    "connection_lost ValueError('no EOF today')",
)
async def test_an_error_in_eof_received_is_fatal(aio, log):
    loop = aio.get_running_loop()
    loop.set_exception_handler(lambda loop, context: log(
        "handler:", context["message"], type(context["exception"]).__name__))
    transport, protocol, peer = await connect_pair(aio, log)

    def eof_received():
        raise ValueError("no EOF today")

    protocol.eof_received = eof_received
    with peer:
        peer.shutdown(socket.SHUT_WR)
        await protocol.lost


@scenario(
    "connection_made",
    "pause_writing",
    "connection_lost: an OSError (the reset): True",
    "debug log: Fatal write error on socket transport",
)
async def test_a_reset_in_the_middle_of_a_write_in_debug_mode(aio, log):
    """The peer resets while our buffer is full: the write fails, the buffer is dropped,
    connection_lost gets the error; in debug mode the loop logs it at DEBUG level with
    asyncio's message (and nothing goes to the exception handler)."""
    loop = aio.get_running_loop()
    loop.set_debug(True)
    loop.slow_callback_duration = 60  # no "Executing ... took" lines on a loaded machine
    records = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())
    asyncio_logger = logging.getLogger("asyncio")
    asyncio_logger.addHandler(handler)
    level = asyncio_logger.level
    asyncio_logger.setLevel(logging.DEBUG)
    reported = []
    loop.set_exception_handler(lambda loop, context: reported.append(context))
    try:
        server = socket.create_server(("127.0.0.1", 0))
        with server:
            lost = loop.create_future()

            class Writer(aio.Protocol):
                def connection_made(self, transport):
                    log("connection_made")

                def pause_writing(self):
                    log("pause_writing")

                def connection_lost(self, exc):
                    log("connection_lost: an OSError (the reset):", isinstance(exc, OSError))
                    lost.set_result(None)

            transport, _ = await loop.create_connection(Writer, *server.getsockname())
            conn, _ = server.accept()
            transport.pause_reading()  # else the reader hears of the reset first
            transport.write(b"r" * BIG)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            b"\x01\x00\x00\x00\x00\x00\x00\x00")
            conn.close()
            await lost
    finally:
        asyncio_logger.removeHandler(handler)
        asyncio_logger.setLevel(level)
    fatal = [record.split(": ", 1)[1] for record in records if "Fatal" in record]
    log("debug log:", *fatal)
    if reported:
        log("exception handler called", reported)


@pytest.mark.skipif(sys.version_info < (3, 12),
                    reason="3.11's transport keeps a cycle through its bound read callback")
@scenario(
    "connection_made",
    "data_received b'and some back'",
    "connection_lost None",
    "freed without the collector: transport True, protocol True",
)
async def test_a_closed_connection_leaves_no_cycle(aio, log):
    """connection_lost is the end: the transport lets go of its socket, protocol and loop,
    so once the program drops them, both are freed at once (reference counting), with no
    cycle left for the garbage collector. (asyncio 3.11 keeps one; miniloop never does.)"""
    transport, protocol, peer = await connect_pair(aio, log)
    with peer:
        gc.disable()
        try:
            transport.write(b"some data")
            peer.sendall(b"and some back")
            await aio.sleep(0.01)
            transport.close()
            await protocol.lost
            transport_ref, protocol_ref = weakref.ref(transport), weakref.ref(protocol)
            del transport, protocol
            await aio.sleep(0)
            log(f"freed without the collector: transport {transport_ref() is None}, "
                f"protocol {protocol_ref() is None}")
        finally:
            gc.enable()


def described(transport):
    """A transport's repr without its class's name (asyncio's is private, miniloop's its
    own), its fd number, or a buffer size that depends on the kernel."""
    words = repr(transport).split(" ", 1)[1]
    return re.sub(r"bufsize=[1-9]\d*", "bufsize=(some)", re.sub(r"fd=\d+", "fd=FD", words))


@scenario(
    "in connection_made: fd=FD read=idle write=<idle, bufsize=0>>",
    "connected: fd=FD read=polling write=<idle, bufsize=0>>",
    "reading paused: fd=FD read=idle write=<idle, bufsize=0>>",
    "a write the kernel did not take: fd=FD read=idle write=<polling, bufsize=(some)>>",
    "closing: closing fd=FD read=idle write=<polling, bufsize=(some)>>",
    "closed: closed fd=FD>",
)
async def test_the_transport_says_what_the_loop_polls_for(aio, log):
    """The repr tells whether the loop watches the socket: for reading from the turn after
    connection_made until reading is paused, for writing while a buffer waits. It asks the
    selector (asyncio) or the poller (miniloop), not the transport's own flags."""
    class Describing(aio.Protocol):
        def connection_made(self, transport):
            log("in connection_made:", described(transport))

        def connection_lost(self, exc):
            lost.set_result(None)

    loop = aio.get_running_loop()
    lost = loop.create_future()
    mine, peer = socket.socketpair()
    with peer:
        transport, _ = await loop.create_connection(Describing, sock=mine)
        log("connected:", described(transport))
        transport.pause_reading()
        log("reading paused:", described(transport))
        transport.write(b"x" * BIG)
        log("a write the kernel did not take:", described(transport))
        transport.close()
        log("closing:", described(transport))
        peer.setblocking(False)
        await read_all(loop, peer)
        await lost
        log("closed:", described(transport))
