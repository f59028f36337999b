"""StreamWriter and StreamReaderProtocol on a transport the story controls.

The story plays the transport: it calls the protocol's callbacks (connection_made,
data_received, pause_writing, connection_lost...) itself, in the order a real transport
would, so each trace shows exactly what drain() and wait_closed() wait for and what wakes
them. compat_tests/test_streams.py does the same over real sockets.
"""

import gc
import warnings
import weakref

import pytest

from compat_tests.fds import no_fd_leaks  # noqa: F401 (the fixture, used below)
from compat_tests.harness import scenario, sync_scenario

pytestmark = pytest.mark.usefixtures("no_fd_leaks")


class Recorder:
    """A transport that records what the streams ask of it."""

    def __init__(self, log):
        self.log = log
        self.closing = False
        self.protocol = None  # set by connection_made's caller

    def hang_up(self, exc=None):
        """The connection ends (the peer hung up, or failed with `exc`): a real transport
        is closing by the time it calls connection_lost()."""
        self.closing = True
        self.protocol.connection_lost(exc)

    def write(self, data):
        self.log("transport write", data)

    def writelines(self, lines):
        self.log("transport writelines", list(lines))

    def write_eof(self):
        self.log("transport write_eof")

    def can_write_eof(self):
        return True

    def close(self):
        self.log("transport close")
        self.closing = True

    def is_closing(self):
        return self.closing

    def get_extra_info(self, name, default=None):
        return {"peername": ("127.0.0.1", 4242)}.get(name, default)

    def pause_reading(self):
        self.log("transport pause_reading")

    def resume_reading(self):
        self.log("transport resume_reading")

    def __repr__(self):
        return "<Recorder>"


def connect(aio, log):
    """A StreamReaderProtocol whose transport is a Recorder, as open_connection builds it."""
    loop = aio.get_running_loop()
    reader = aio.StreamReader(loop=loop)
    protocol = aio.StreamReaderProtocol(reader, loop=loop)
    transport = Recorder(log)
    transport.protocol = protocol
    protocol.connection_made(transport)
    return reader, aio.StreamWriter(transport, protocol, reader, loop), protocol


def accept(aio, log, client_connected_cb):
    """A server's StreamReaderProtocol (as start_server builds it), on a Recorder."""
    loop = aio.get_running_loop()
    protocol = aio.StreamReaderProtocol(aio.StreamReader(loop=loop), client_connected_cb,
                                        loop=loop)
    transport = Recorder(log)
    transport.protocol = protocol
    protocol.connection_made(transport)
    return protocol


async def drain(aio, log, writer, name):
    try:
        await writer.drain()
        log(name, "returned")
    except OSError as exc:
        log.error(f"{name} raised", exc)


# == The writer is the transport, plus drain() ==============================================

@scenario(
    "transport write b'one'",
    "transport writelines [b'two', b'three']",
    "can_write_eof True",
    "transport write_eof",
    "peername ('127.0.0.1', 4242) missing default",
    "transport is the transport: True",
    "is_closing False",
    "transport close",
    "is_closing True",
    "<StreamWriter transport=<Recorder> reader=<StreamReader transport=<Recorder>>>",
)
async def test_writer_passes_everything_to_the_transport(aio, log):
    reader, writer, _ = connect(aio, log)
    writer.write(b"one")
    writer.writelines([b"two", b"three"])
    log("can_write_eof", writer.can_write_eof())
    writer.write_eof()
    log("peername", writer.get_extra_info("peername"), writer.get_extra_info("x", "missing"),
        "default")
    log("transport is the transport:", writer.transport is reader._transport)
    log("is_closing", writer.is_closing())
    writer.close()
    log("is_closing", writer.is_closing())
    log(repr(writer))


@scenario(
    "drain returned",
    "callback",
)
async def test_drain_does_not_wait_while_the_transport_takes_more(aio, log):
    """Not paused: drain() returns without yielding (the callback queued first runs
    after it)."""
    _, writer, _ = connect(aio, log)
    aio.get_running_loop().call_soon(log, "callback")
    await drain(aio, log, writer, "drain")
    await aio.sleep(0)
    writer.transport.hang_up()


@scenario(
    "pause_writing",
    "drains wait",
    "resume_writing",
    "first returned",
    "second returned",
    "after resume: third returned",
    "callback",
)
async def test_drain_waits_while_the_transport_is_paused(aio, log):
    """Every drain() waiting on a paused transport wakes at resume_writing()."""
    _, writer, protocol = connect(aio, log)
    log("pause_writing")
    protocol.pause_writing()
    first = aio.create_task(drain(aio, log, writer, "first"))
    second = aio.create_task(drain(aio, log, writer, "second"))
    await aio.sleep(0)
    log("drains wait")
    await aio.sleep(0)
    log("resume_writing")
    protocol.resume_writing()
    await aio.gather(first, second)
    aio.get_running_loop().call_soon(log, "callback")
    await drain(aio, log, writer, "after resume: third")
    await aio.sleep(0)
    writer.transport.hang_up()


@scenario(
    "connection_lost(BrokenPipeError)",
    "paused raised BrokenPipeError: peer went away",
    "wait_closed raised BrokenPipeError: peer went away",
    "readline raised BrokenPipeError: peer went away",
    "later raised BrokenPipeError: peer went away",
)
async def test_connection_lost_while_paused_fails_the_drain(aio, log):
    """The error reaches the waiting drain(), wait_closed() and the reader; a later drain()
    raises the reader's error before anything else."""
    reader, writer, protocol = connect(aio, log)
    protocol.pause_writing()
    task = aio.create_task(drain(aio, log, writer, "paused"))
    await aio.sleep(0)
    log("connection_lost(BrokenPipeError)")
    writer.transport.hang_up(BrokenPipeError("peer went away"))
    await task
    for name, call in (("wait_closed", writer.wait_closed()), ("readline", reader.readline()),
                       ("later", writer.drain())):
        try:
            await call
        except BrokenPipeError as exc:
            log.error(f"{name} raised", exc)


@scenario(
    "connection_lost(None)",
    "paused returned",
    "wait_closed returned",
    "readline b''",
    "later raised ConnectionResetError: Connection lost",
)
async def test_a_clean_close_wakes_the_drain_and_the_next_one_fails(aio, log):
    reader, writer, protocol = connect(aio, log)
    protocol.pause_writing()
    task = aio.create_task(drain(aio, log, writer, "paused"))
    await aio.sleep(0)
    log("connection_lost(None)")
    writer.transport.hang_up()
    await task
    await writer.wait_closed()
    log("wait_closed returned")
    log("readline", await reader.readline())
    await drain(aio, log, writer, "later")


@scenario(
    "transport close",
    "callback",
    "drain returned",
    "connection_lost(None)",
    "callback",
    "drain raised ConnectionResetError: Connection lost",
)
async def test_drain_on_a_closing_transport_lets_connection_lost_arrive(aio, log):
    """A closing transport: drain() yields one turn first, so a connection_lost() queued
    meanwhile is seen (else `write(); await drain()` in a loop would never notice)."""
    _, writer, protocol = connect(aio, log)
    loop = aio.get_running_loop()
    writer.close()
    loop.call_soon(log, "callback")
    await drain(aio, log, writer, "drain")
    loop.call_soon(log, "connection_lost(None)")
    loop.call_soon(protocol.connection_lost, None)
    loop.call_soon(log, "callback")
    await drain(aio, log, writer, "drain")


@scenario(
    "wait_closed waits",
    "connection_lost(None)",
    "wait_closed returned",
    "handler saw: nothing",
)
async def test_wait_closed_waits_for_connection_lost(aio, log):
    loop = aio.get_running_loop()
    errors = []
    loop.set_exception_handler(lambda loop, context: errors.append(context["message"]))
    _, writer, protocol = connect(aio, log)
    task = aio.create_task(writer.wait_closed())
    await aio.sleep(0)
    log("wait_closed waits")
    log("connection_lost(None)")
    writer.transport.hang_up()
    await task
    log("wait_closed returned")
    # A connection lost with an error, and nobody calling wait_closed(): nothing to report.
    other_writer = connect(aio, log)[1]
    other_writer.transport.hang_up(ConnectionResetError("reset"))
    del other_writer  # the writer, its protocol and their close future go with it
    gc.collect()
    await aio.sleep(0)
    log("handler saw:", errors or "nothing")


# == The protocol feeds the reader ==========================================================

@scenario(
    "read b'abc'",
    "eof_received returns True",
    "line b'def'",
    "at_eof True",
)
async def test_protocol_feeds_its_reader(aio, log):
    """eof_received() returns True: the transport stays open for writing (half-close)."""
    reader, _, protocol = connect(aio, log)
    protocol.data_received(b"abc")
    log("read", await reader.read(10))
    protocol.data_received(b"def")
    log("eof_received returns", protocol.eof_received())
    log("line", await reader.readline())
    log("at_eof", reader.at_eof())
    protocol._transport.hang_up()


@scenario(
    "reader collected: True",
    "data dropped, no error",
)
async def test_a_dropped_reader_is_not_fed(aio, log):
    """The protocol holds its reader weakly: data for a reader nobody has is dropped."""
    loop = aio.get_running_loop()
    reader = aio.StreamReader(loop=loop)
    protocol = aio.StreamReaderProtocol(reader, loop=loop)
    reader_ref = weakref.ref(reader)
    del reader
    gc.collect()
    log("reader collected:", reader_ref() is None)
    protocol.connection_made(Recorder(log))
    protocol.data_received(b"nobody reads this")
    protocol.eof_received()
    protocol.connection_lost(None)
    log("data dropped, no error")


# == client_connected_cb: how a server hands out a connection ===============================

@scenario(
    "callback got a StreamReader and a StreamWriter",
    "connection_made returned",
    "the protocol keeps the writer: transport still open",
    changed={(3, 13): [
        "callback got a StreamReader and a StreamWriter",
        "transport close",
        "ResourceWarning: unclosed <StreamWriter transport=<Recorder> reader=<StreamReader "
        "transport=<Recorder>>>",
        "connection_made returned",
    ]},
)
async def test_server_writer_dropped_by_its_handler(aio, log):
    """A plain client_connected_cb is called inside connection_made. This one keeps
    neither stream: 3.11 and 3.12 keep the writer in the protocol until the connection is
    lost; 3.13 does not, so it is collected at once, and closes the connection."""
    def on_client(reader, writer):
        log(f"callback got a {type(reader).__name__} and a {type(writer).__name__}")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        protocol = accept(aio, log, on_client)
    for warning in caught:
        log(f"{warning.category.__name__}: {warning.message}")
    log("connection_made returned")
    if not protocol._transport.is_closing():
        log("the protocol keeps the writer: transport still open")
    protocol._transport.hang_up()


@scenario(
    "connection_made returned",
    "handler reads b'ping\\n'",
    "transport write b'pong\\n'",
    "transport close",
    "handler done",
)
async def test_a_coroutine_client_connected_cb_becomes_a_task(aio, log):
    async def handle(reader, writer):
        log("handler reads", await reader.readline())
        writer.write(b"pong\n")
        await writer.drain()
        writer.close()

    protocol = accept(aio, log, handle)
    log("connection_made returned")
    protocol.data_received(b"ping\n")
    await protocol._task
    log("handler done")
    protocol.connection_lost(None)


@scenario(
    "handler: Unhandled exception in client_connected_cb ValueError('bad request') "
    "transport=<Recorder>",
    "transport close",
)
async def test_a_failing_handler_is_reported_and_its_connection_closed(aio, log):
    loop = aio.get_running_loop()
    loop.set_exception_handler(lambda loop, context: log(
        "handler:", context["message"], repr(context["exception"]),
        f"transport={context['transport']!r}"))

    async def handle(reader, writer):
        raise ValueError("bad request")

    protocol = accept(aio, log, handle)
    await aio.sleep(0)
    await aio.sleep(0)
    protocol.connection_lost(None)


@scenario(
    "handler cancelled",
    "handler: Exception in callback StreamReaderProtocol.connection_made.<locals>.callback "
    "CancelledError",
    changed={(3, 13): [
        "handler cancelled",
        "transport close",
    ]},
)
async def test_handler_cancelled(aio, log):
    """3.13 closes the connection of a cancelled handler; before, the done-callback itself
    fails (task.exception() raises CancelledError) and the loop reports it."""
    loop = aio.get_running_loop()
    loop.set_exception_handler(lambda loop, context: log(
        "handler:", context["message"].split("(")[0], type(context["exception"]).__name__))

    async def handle(reader, writer):
        await reader.read()

    protocol = accept(aio, log, handle)
    await aio.sleep(0)
    protocol._task.cancel()
    await aio.sleep(0)
    log("handler cancelled")
    await aio.sleep(0)
    protocol._transport.hang_up()


# == A writer collected while its connection is open ========================================

@scenario(
    "transport close",
    "ResourceWarning: unclosed <StreamWriter transport=<Recorder> reader=<StreamReader "
    "transport=<Recorder>>>",
)
async def test_a_forgotten_writer_closes_its_transport(aio, log):
    _, writer, _ = connect(aio, log)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del writer
        gc.collect()
    for warning in caught:
        log(f"{warning.category.__name__}: {warning.message}")


@sync_scenario(
    "ResourceWarning: loop is closed",
)
def test_a_writer_collected_after_its_loop_closed(aio, log):
    loop = aio.new_event_loop()
    writer = aio.StreamWriter(Recorder(log), None, None, loop)
    loop.close()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del writer
        gc.collect()
    for warning in caught:
        log(f"{warning.category.__name__}: {warning.message}")
