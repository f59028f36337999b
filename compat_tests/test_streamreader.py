"""StreamReader on its own: what each read returns, when it waits, and what it leaves behind.

No socket here: the story plays the protocol's part itself, calling feed_data() and
feed_eof() between the reads, so the trace shows exactly which feed wakes which read.
A `Recorder` stands in for the transport where the reader pauses and resumes it.
"""

import pytest

from compat_tests.fds import no_fd_leaks  # noqa: F401 (the fixture, used below)
from compat_tests.harness import scenario, sync_scenario

pytestmark = pytest.mark.usefixtures("no_fd_leaks")


class Recorder:
    """A transport that records the reading-side calls a StreamReader makes of it."""

    def __init__(self, log, *, can_pause=True):
        self.log = log
        self.can_pause = can_pause

    def pause_reading(self):
        self.log("transport pause_reading")
        if not self.can_pause:
            raise NotImplementedError

    def resume_reading(self):
        self.log("transport resume_reading")

    def __repr__(self):
        return "<Recorder>"


async def feed(aio, log, reader, *chunks):
    """Feed each chunk, then let the loop turn once so a waiting read can run."""
    for chunk in chunks:
        log("feed", chunk)
        reader.feed_data(chunk)
        await aio.sleep(0)


# == What is read when =======================================================================

@scenario(
    "feed b'hel'",
    "feed b'lo\\nwor'",
    "line b'hello\\n'",
    "feed b'ld\\n'",
    "line b'world\\n'",
)
async def test_readline_waits_across_chunks(aio, log):
    """A read waits only while the buffer cannot answer it: one wake-up per chunk."""
    reader = aio.StreamReader()

    async def read_two_lines():
        log("line", await reader.readline())
        log("line", await reader.readline())

    task = aio.create_task(read_two_lines())
    await aio.sleep(0)
    await feed(aio, log, reader, b"hel", b"lo\nwor", b"ld\n")
    await task


@scenario(
    "line b'one\\n'",
    "line b'two\\n'",
    "callback",
    "line b'thr'",
    "line b''",
    "at_eof True",
)
async def test_readline_at_eof_returns_the_rest_then_empty(aio, log):
    """A buffered line is returned without waiting (the callback queued first runs after
    both reads); at EOF the unterminated rest, then b''."""
    reader = aio.StreamReader()
    reader.feed_data(b"one\ntwo\nthr")
    reader.feed_eof()
    aio.get_running_loop().call_soon(log, "callback")
    log("line", await reader.readline())
    log("line", await reader.readline())
    await aio.sleep(0)
    log("line", await reader.readline())
    log("line", await reader.readline())
    log("at_eof", reader.at_eof())


@scenario(
    "read(3) b'abc'",
    "read(3) b'de'",
    "feed b'fgh'",
    "read(3) b'fgh'",
    "read(0) b''",
    "read(-1) b'ijklmnop'",
    "read(5) after EOF b''",
)
async def test_read_returns_what_is_there_up_to_n(aio, log):
    """read(n) returns as soon as there is anything, at most n; read() waits for EOF."""
    reader = aio.StreamReader(limit=3)
    reader.feed_data(b"abcde")
    log("read(3)", await reader.read(3))
    log("read(3)", await reader.read(3))
    task = aio.create_task(reader.read(3))
    await aio.sleep(0)
    await feed(aio, log, reader, b"fgh")
    log("read(3)", await task)
    log("read(0)", await reader.read(0))
    reader.feed_data(b"ijklmnop")  # more than the limit: read() takes it in limit-sized bites
    reader.feed_eof()
    log("read(-1)", await reader.read())
    log("read(5) after EOF", await reader.read(5))


@scenario(
    "feed b'ab'",
    "feed b'cd'",
    "readexactly b'abc'",
    "feed b'e'",
    "readexactly raised IncompleteReadError: 2 bytes read on a total of 3 expected bytes",
    "partial b'de' expected 3 at_eof True",
)
async def test_readexactly_waits_for_n_and_fails_with_the_partial_at_eof(aio, log):
    reader = aio.StreamReader()
    task = aio.create_task(reader.readexactly(3))
    await aio.sleep(0)
    await feed(aio, log, reader, b"ab", b"cd")
    log("readexactly", await task)
    await feed(aio, log, reader, b"e")
    reader.feed_eof()
    try:
        await reader.readexactly(3)
    except aio.IncompleteReadError as exc:
        log.error("readexactly raised", exc)
        log("partial", exc.partial, "expected", exc.expected, "at_eof", reader.at_eof())


@scenario(
    "feed b'GET / HT'",
    "feed b'TP/1.1\\r'",
    "feed b'\\n\\r\\nbody'",
    "head b'GET / HTTP/1.1\\r\\n\\r\\n'",
    "rest b'body'",
    "readuntil raised IncompleteReadError: 4 bytes read on a total of undefined expected bytes",
    "partial b'body' expected None",
)
async def test_readuntil_finds_a_separator_split_across_chunks(aio, log):
    """The separator may arrive in pieces; at EOF without one, the whole buffer is the
    partial."""
    reader = aio.StreamReader()
    task = aio.create_task(reader.readuntil(b"\r\n\r\n"))
    await aio.sleep(0)
    await feed(aio, log, reader, b"GET / HT", b"TP/1.1\r", b"\n\r\nbody")
    log("head", await task)
    log("rest", bytes(reader._buffer))
    reader.feed_eof()
    try:
        await reader.readuntil(b"\r\n\r\n")
    except aio.IncompleteReadError as exc:
        log.error("readuntil raised", exc)
        log("partial", exc.partial, "expected", exc.expected)


@scenario(
    "line b'one\\n'",
    "line b'two\\n'",
    "line b'three'",
)
async def test_async_for_reads_lines_until_eof(aio, log):
    reader = aio.StreamReader()
    reader.feed_data(b"one\ntwo\nthree")
    reader.feed_eof()
    async for line in reader:
        log("line", line)


# == The limit ===============================================================================

@scenario(
    "feed b'ab'",
    "feed b'cdefg'",
    "raised LimitOverrunError: Separator is not found, and chunk exceed the limit",
    "consumed 7, still buffered b'abcdefg'",
    "readuntil raised LimitOverrunError: Separator is found, but chunk is longer than limit",
    "consumed 8, still buffered b'abcdefgh!!'",
    "read b'abcdefgh!!'",
)
async def test_readuntil_over_the_limit_leaves_the_data_in_the_buffer(aio, log):
    """LimitOverrunError consumes nothing: the caller decides, with `consumed`."""
    reader = aio.StreamReader(limit=4)
    task = aio.create_task(reader.readuntil(b"!"))
    await aio.sleep(0)
    await feed(aio, log, reader, b"ab", b"cdefg")
    try:
        await task
    except aio.LimitOverrunError as exc:
        log.error("raised", exc)
        log(f"consumed {exc.consumed}, still buffered", bytes(reader._buffer))
    reader.feed_data(b"h!!")
    try:
        await reader.readuntil(b"!!")
    except aio.LimitOverrunError as exc:
        log.error("readuntil raised", exc)
        log(f"consumed {exc.consumed}, still buffered", bytes(reader._buffer))
    log("read", await reader.read(100))


@scenario(
    "readline raised ValueError: Separator is found, but chunk is longer than limit",
    "chained to the LimitOverrunError",
    "line b'next\\n'",
    "readline raised ValueError: Separator is not found, and chunk exceed the limit",
    "buffer b''",
    "line b'ok\\n'",
)
async def test_readline_over_the_limit_discards_the_line(aio, log):
    """Unlike readuntil(), readline() throws the long line away: through its newline if
    that arrived, else everything buffered."""
    reader = aio.StreamReader(limit=4)
    reader.feed_data(b"toolong\nnext\n")
    try:
        await reader.readline()
    except ValueError as exc:
        log.error("readline raised", exc)
        log("chained to the", type(exc.__context__).__name__)
    log("line", await reader.readline())
    reader.feed_data(b"abcdefgh")
    try:
        await reader.readline()
    except ValueError as exc:
        log.error("readline raised", exc)
    log("buffer", bytes(reader._buffer))
    reader.feed_data(b"ok\n")
    log("line", await reader.readline())


@scenario(
    "readexactly b'0123456789'",
    "read(-1) b'abcdefghij'",
)
async def test_counted_reads_are_not_limited(aio, log):
    reader = aio.StreamReader(limit=2)
    reader.feed_data(b"0123456789abcdefghij")
    reader.feed_eof()
    log("readexactly", await reader.readexactly(10))
    log("read(-1)", await reader.read())


TUPLE_REFUSED = ("readuntil raised TypeError: argument should be integer or bytes-like "
                 "object, not 'tuple'")


@scenario(
    TUPLE_REFUSED,
    TUPLE_REFUSED,
    "readuntil raised ValueError: Separator should be at least one-byte string",
    TUPLE_REFUSED,
    changed={(3, 13): [
        "readuntil b'one\\r\\n'",
        "readuntil b'two--'",
        "readuntil raised ValueError: Separator should contain at least one element",
        "readuntil raised LimitOverrunError: Separator is found, but chunk is longer than "
        "limit",
    ]},
)
async def test_readuntil_tuple_of_separators(aio, log):
    """3.13: the shortest result wins, whichever separator gives it (b'-' at 6 ends before
    b'\\n' at 7, and is over the limit). Before, a tuple is taken for a single separator,
    and bytearray.find() refuses it."""
    reader = aio.StreamReader(limit=5)
    reader.feed_data(b"one\r\ntwo--!three-\n")
    for separators in ((b"\n", b"\r\n"), (b"!", b"--"), (), (b"\n", b"-")):
        try:
            log("readuntil", await reader.readuntil(separators))
        except (TypeError, ValueError, aio.LimitOverrunError) as exc:
            log.error("readuntil raised", exc)


# == Errors ==================================================================================

@sync_scenario(
    "StreamReader(limit=0) raised ValueError: Limit cannot be <= 0",
    "StreamReader(limit=-1) raised ValueError: Limit cannot be <= 0",
)
def test_a_limit_must_be_positive(aio, log):
    for limit in (0, -1):
        try:
            aio.StreamReader(limit=limit)
        except ValueError as exc:
            log.error(f"StreamReader(limit={limit}) raised", exc)


@scenario(
    "readuntil(b'') raised ValueError: Separator should be at least one-byte string",
    "readexactly(-1) raised ValueError: readexactly size can not be less than zero",
    "read(0) raised ConnectionResetError: gone",
    "readline raised ConnectionResetError: gone",
    "buffer b'unread'",
)
async def test_argument_errors_come_before_the_stream_error(aio, log):
    """A bad argument is refused first; then a stream that failed raises its error on every
    read, even with data still buffered."""
    reader = aio.StreamReader()
    reader.feed_data(b"unread")
    reader.set_exception(ConnectionResetError("gone"))
    for name, read in (("readuntil(b'')", reader.readuntil(b"")),
                       ("readexactly(-1)", reader.readexactly(-1)),
                       ("read(0)", reader.read(0)), ("readline", reader.readline())):
        try:
            await read
        except (ValueError, ConnectionResetError) as exc:
            log.error(f"{name} raised", exc)
    log("buffer", bytes(reader._buffer))


@scenario(
    "second raised RuntimeError: read() called while another coroutine is already waiting "
    "for incoming data",
    "set_exception",
    "first raised BrokenPipeError: peer failed",
)
async def test_one_reader_at_a_time_and_set_exception_wakes_it(aio, log):
    reader = aio.StreamReader()
    first = aio.create_task(reader.readline())
    await aio.sleep(0)
    try:
        await reader.read(10)
    except RuntimeError as exc:
        log.error("second raised", exc)
    log("set_exception")
    reader.set_exception(BrokenPipeError("peer failed"))
    try:
        await first
    except BrokenPipeError as exc:
        log.error("first raised", exc)


@scenario(
    "read cancelled",
    "buffer b'kept'",
    "line b'kept\\n'",
)
async def test_a_cancelled_read_leaves_the_reader_usable(aio, log):
    reader = aio.StreamReader()
    task = aio.create_task(reader.readline())
    await aio.sleep(0)
    task.cancel()
    reader.feed_data(b"kept")  # the cancelled waiter is skipped, the data is kept
    try:
        await task
    except aio.CancelledError:
        log("read cancelled")
    log("buffer", bytes(reader._buffer))
    reader.feed_data(b"\n")
    log("line", await reader.readline())


@sync_scenario(
    "<StreamReader>",
    "<StreamReader 3 bytes limit=10 transport=<Recorder>>",
    "transport pause_reading",
    "<StreamReader 30 bytes eof limit=10 transport=<Recorder> paused>",
    "exception <StreamReader 30 bytes eof limit=10 exception=OSError('x') "
    "transport=<Recorder> paused>",
)
def test_reader_repr(aio, log):
    loop = aio.new_event_loop()
    try:
        log(repr(aio.StreamReader(loop=loop)))
        reader = aio.StreamReader(limit=10, loop=loop)
        reader.set_transport(Recorder(log))
        reader.feed_data(b"abc")
        log(repr(reader))
        reader.feed_data(b"d" * 27)
        reader.feed_eof()
        log(repr(reader))
        reader.set_exception(OSError("x"))
        log("exception", repr(reader))
    finally:
        loop.close()


# == Flow control: the reader pauses the transport =========================================

@scenario(
    "feed 8 bytes",
    "feed 1 byte",
    "transport pause_reading",
    "feed 4 more bytes",
    "read(4) b'aaaa'",
    "read(1) b'a'",
    "transport resume_reading",
    "read 4, feed 5 bytes",
    "transport pause_reading",
    "readexactly(20) waits",
    "transport resume_reading",
    "feed 11 bytes",
    "transport pause_reading",
    "transport resume_reading",
    "readexactly 20 bytes",
)
async def test_reader_pauses_the_transport_over_twice_the_limit(aio, log):
    """Paused above 2 * limit; resumed once a read brings the buffer to the limit, or when a
    read must wait (a paused transport would never bring what it waits for)."""
    reader = aio.StreamReader(limit=4)
    reader.set_transport(Recorder(log))
    log("feed 8 bytes")
    reader.feed_data(b"a" * 8)
    log("feed 1 byte")
    reader.feed_data(b"a")
    log("feed 4 more bytes")  # already paused: not asked again
    reader.feed_data(b"a" * 4)
    log("read(4)", await reader.read(4))  # 9 left: over the limit still
    log("read(1)", await reader.read(1))  # 8 left
    await reader.read(4)
    log("read 4, feed 5 bytes")
    reader.feed_data(b"b" * 5)  # 9 buffered: paused again
    task = aio.create_task(reader.readexactly(20))
    log("readexactly(20) waits")
    await aio.sleep(0)
    log("feed 11 bytes")  # 20 buffered: paused, and the read takes them all: resumed
    reader.feed_data(b"c" * 11)
    log("readexactly", len(await task), "bytes")


@scenario(
    "transport pause_reading",
    "buffered 6",
)
async def test_a_transport_that_cannot_pause_is_not_asked_again(aio, log):
    reader = aio.StreamReader(limit=1)
    reader.set_transport(Recorder(log, can_pause=False))
    reader.feed_data(b"abc")
    reader.feed_data(b"def")
    log("buffered", len(reader._buffer))
