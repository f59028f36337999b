"""Pipe transports: connect_read_pipe and connect_write_pipe on os.pipe()."""

import os

import pytest

from compat_tests.fds import no_fd_leaks  # noqa: F401 (the fixture, used below)
from compat_tests.harness import scenario, sync_scenario

pytestmark = pytest.mark.usefixtures("no_fd_leaks")


def pipe_protocol(aio, log, name, *, keep_open=None):
    class Logging(aio.Protocol):
        def __init__(self):
            self.lost = aio.get_running_loop().create_future()

        def connection_made(self, transport):
            log(name, "connection_made")

        def data_received(self, data):
            log(name, "data_received", data)

        def eof_received(self):
            log(name, "eof_received")
            return keep_open

        def pause_writing(self):
            log(name, "pause_writing")

        def resume_writing(self):
            log(name, "resume_writing")

        def connection_lost(self, exc):
            log(name, "connection_lost", repr(exc))
            self.lost.set_result(None)

    return Logging


@scenario(
    "reader connection_made",
    "get_extra_info('pipe') is the file: True",
    "reader data_received b'through a pipe'",
    "reader eof_received",
    "reader connection_lost None",
    "the pipe is closed: True",
)
async def test_read_pipe_delivers_data_then_eof_and_closes(aio, log):
    """The writer closing its end is the end: eof_received, then connection_lost, even when
    eof_received asks to stay open (a pipe cannot be half-closed)."""
    loop = aio.get_running_loop()
    rfd, wfd = os.pipe()
    reading = os.fdopen(rfd, "rb", 0)
    transport, protocol = await loop.connect_read_pipe(
        pipe_protocol(aio, log, "reader", keep_open=True), reading)
    log("get_extra_info('pipe') is the file:", transport.get_extra_info("pipe") is reading)
    os.write(wfd, b"through a pipe")
    await aio.sleep(0.05)
    os.close(wfd)
    await protocol.lost
    log("the pipe is closed:", reading.closed)


@scenario(
    "reader connection_made",
    "paused: is_reading False",
    "resumed",
    "reader data_received b'held back'",
    "reader connection_lost None",
)
async def test_read_pipe_pause_and_resume(aio, log):
    loop = aio.get_running_loop()
    rfd, wfd = os.pipe()
    transport, protocol = await loop.connect_read_pipe(pipe_protocol(aio, log, "reader"),
                                                       os.fdopen(rfd, "rb", 0))
    transport.pause_reading()
    log("paused: is_reading", transport.is_reading())
    os.write(wfd, b"held back")
    await aio.sleep(0.05)
    log("resumed")
    transport.resume_reading()
    await aio.sleep(0.05)
    transport.close()
    await protocol.lost
    os.close(wfd)


@scenario(
    "writer connection_made",
    "small write: buffer 0",
    "writer pause_writing",
    "big write: buffered True",
    "writer resume_writing",
    "writer connection_lost None",
    "reader got everything in order: True",
)
async def test_write_pipe_buffers_and_flushes_on_close(aio, log):
    loop = aio.get_running_loop()
    rfd, wfd = os.pipe()
    transport, protocol = await loop.connect_write_pipe(pipe_protocol(aio, log, "writer"),
                                                        os.fdopen(wfd, "wb", 0))
    transport.write(b"small")
    log("small write: buffer", transport.get_write_buffer_size())
    data = bytes(range(256)) * 4096
    transport.write(data)
    log("big write: buffered", transport.get_write_buffer_size() > 0)
    transport.close()  # write_eof: flush, then close
    reader = os.fdopen(rfd, "rb", 0)
    os.set_blocking(rfd, False)
    received = bytearray()
    while True:
        try:
            chunk = reader.read(1 << 16)
        except BlockingIOError:
            chunk = None
        if chunk == b"":
            break
        received += chunk or b""
        await aio.sleep(0)
    reader.close()
    await protocol.lost
    log("reader got everything in order:", bytes(received) == b"small" + data)


@scenario(
    "writer connection_made",
    "writer connection_lost None",
    "writes after the reader left: dropped, 1 warnings",
)
async def test_write_pipe_learns_that_the_reader_went_away(aio, log):
    """The reader closes its end: our end becomes "readable" (an error condition), and the
    transport closes itself; later writes are dropped, and logged from the sixth on (the
    count starts at 0 here, where the socket transport's close() already counted one)."""
    import logging

    loop = aio.get_running_loop()
    rfd, wfd = os.pipe()
    transport, protocol = await loop.connect_write_pipe(pipe_protocol(aio, log, "writer"),
                                                        os.fdopen(wfd, "wb", 0))
    os.close(rfd)
    await protocol.lost
    warnings = []
    handler = logging.Handler()
    handler.emit = lambda record: warnings.append(record.getMessage())
    logging.getLogger("asyncio").addHandler(handler)
    try:
        for _ in range(6):
            transport.write(b"nobody reads this")
    finally:
        logging.getLogger("asyncio").removeHandler(handler)
    log(f"writes after the reader left: dropped, {len(warnings)} warnings")


@scenario(
    "read pipe on a regular file: ValueError: Pipe transport is for pipes/sockets only.",
    "write pipe on a regular file: ValueError: Pipe transport is only for pipes, sockets "
    "and character devices",
)
async def test_pipe_transports_refuse_regular_files(aio, log):
    import tempfile

    loop = aio.get_running_loop()
    with tempfile.TemporaryFile() as regular:
        for label, method in (("read pipe", loop.connect_read_pipe),
                              ("write pipe", loop.connect_write_pipe)):
            try:
                await method(aio.Protocol, regular)
            except ValueError as exc:
                log.error(f"{label} on a regular file:", exc)


@scenario(
    "reader in connection_made: fd=FD idle>",
    "reader connected: fd=FD polling>",
    "reader paused: fd=FD idle>",
    "reader closing: closing fd=FD idle>",
    "reader closed: closed fd=FD closed>",
    "writer in connection_made: fd=FD idle bufsize=0>",
    "writer with a buffer: fd=FD polling bufsize=(some)>",
    "writer closing: closing fd=FD polling bufsize=(some)>",
    "writer closed: closed fd=FD closed>",
)
async def test_pipe_transports_say_what_the_loop_polls_for(aio, log):
    """As the socket transport's repr (test_transports.py), in the pipe transports' own
    words: "closed" comes twice once the pipe is closed, as in asyncio."""
    from compat_tests.test_transports import described

    class Describing(aio.Protocol):
        def __init__(self, name):
            self.name = name
            self.lost = aio.get_running_loop().create_future()

        def connection_made(self, transport):
            log(self.name, "in connection_made:", described(transport))

        def connection_lost(self, exc):
            self.lost.set_result(None)

    loop = aio.get_running_loop()
    rfd, wfd = os.pipe()
    reader, protocol = await loop.connect_read_pipe(lambda: Describing("reader"),
                                                    os.fdopen(rfd, "rb", 0))
    log("reader connected:", described(reader))
    reader.pause_reading()
    log("reader paused:", described(reader))
    reader.close()
    log("reader closing:", described(reader))
    await protocol.lost
    log("reader closed:", described(reader))
    os.close(wfd)

    rfd, wfd = os.pipe()
    writer, protocol = await loop.connect_write_pipe(lambda: Describing("writer"),
                                                     os.fdopen(wfd, "wb", 0))
    writer.write(bytes(1 << 20))  # more than a pipe holds
    log("writer with a buffer:", described(writer))
    writer.close()
    log("writer closing:", described(writer))
    with os.fdopen(rfd, "rb", 0) as far_end:
        os.set_blocking(rfd, False)
        while not protocol.lost.done():
            far_end.read(1 << 16)  # (None while the pipe is empty)
            await aio.sleep(0)
    log("writer closed:", described(writer))


@sync_scenario(
    "after the loop closed: fd=FD open> fd=FD open>",
    "ResourceWarning unclosed transport: fd=FD open>",
    "ResourceWarning unclosed transport: fd=FD open>",
)
def test_pipe_transports_that_outlive_their_loop_say_open(aio, log):
    """With the loop closed nothing polls any more: the repr just says the pipe is open,
    and a transport collected unclosed says so in its warning (and closes the pipe)."""
    import gc
    import re
    import warnings

    from compat_tests.test_transports import described

    loop = aio.new_event_loop()
    rfd, wfd = os.pipe()
    reader, _ = loop.run_until_complete(
        loop.connect_read_pipe(aio.Protocol, os.fdopen(rfd, "rb", 0)))
    writer, _ = loop.run_until_complete(
        loop.connect_write_pipe(aio.Protocol, os.fdopen(wfd, "wb", 0)))
    loop.close()
    log("after the loop closed:", described(reader), described(writer))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del reader, writer
        gc.collect()
    for warning in caught:
        text = re.sub(r"<\w+ fd=\d+", "fd=FD", str(warning.message))
        log(warning.category.__name__, text.replace("transport ", "transport: "))
