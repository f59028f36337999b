"""add_reader/add_writer: callbacks the selector calls while a file descriptor is ready."""

import socket

import pytest

from compat_tests.fds import (
    no_fd_leaks,  # noqa: F401 (the fixture, used below)
    nonblocking_pair,
)
from compat_tests.harness import scenario, sync_scenario

pytestmark = pytest.mark.usefixtures("no_fd_leaks")


@scenario(
    "add_reader returned None",
    "readable: b'hi' (arg)",
    "remove_reader: True",
    "again: False",
)
async def test_add_reader_calls_back_with_its_arguments(aio, log):
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    with left, right:
        done = loop.create_future()

        def on_readable(arg):
            log("readable:", left.recv(10), f"({arg})")
            done.set_result(None)

        log("add_reader returned", loop.add_reader(left, on_readable, "arg"))
        right.send(b"hi")
        await done
        log("remove_reader:", loop.remove_reader(left))
        log("again:", loop.remove_reader(left))


@scenario(
    "calls while readable: 2",
    "calls after remove_reader: 2",
)
async def test_a_reader_is_called_every_turn_while_the_fd_stays_readable(aio, log):
    """Level-triggered: unread data makes the selector report the fd on every turn. Three
    sleep(0)s see only two calls: in each turn the I/O callback queues up behind our step,
    and the third call, already queued when remove_reader() runs, is cancelled by it."""
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    with left, right:
        calls = []
        right.send(b"never read")
        loop.add_reader(left.fileno(), calls.append, None)
        for _ in range(3):
            await aio.sleep(0)
        log("calls while readable:", len(calls))
        loop.remove_reader(left.fileno())
        await aio.sleep(0.01)
        log("calls after remove_reader:", len(calls))


@scenario(
    "writable",
    "remove_writer: True",
    "remove_writer again: False",
)
async def test_add_writer_on_a_socket_with_room(aio, log):
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    with left, right:
        done = loop.create_future()
        loop.add_writer(left, lambda: done.done() or done.set_result("writable"))
        log(await done)
        log("remove_writer:", loop.remove_writer(left))
        log("remove_writer again:", loop.remove_writer(left))


@scenario(
    "second",
    "first was replaced: True",
)
async def test_add_reader_again_replaces_the_callback(aio, log):
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    with left, right:
        calls = []
        loop.add_reader(left, calls.append, "first")
        loop.add_reader(left, calls.append, "second")
        right.send(b"x")
        await aio.sleep(0.01)
        loop.remove_reader(left)
        log(calls[0])
        log("first was replaced:", "first" not in calls)


@scenario(
    "reader, writer: ['read', 'write']",
    "remove_reader keeps the writer: ['write']",
    "remove_writer: True",
)
async def test_reader_and_writer_share_one_fd(aio, log):
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    with left, right:
        calls = []
        right.send(b"x")
        loop.add_reader(left, calls.append, "read")
        loop.add_writer(left, calls.append, "write")
        await aio.sleep(0.01)
        log("reader, writer:", sorted(set(calls)))
        loop.remove_reader(left)
        calls.clear()
        await aio.sleep(0.01)
        log("remove_reader keeps the writer:", sorted(set(calls)))
        log("remove_writer:", loop.remove_writer(left))


@scenario(
    "called once",
)
async def test_remove_reader_inside_its_own_callback(aio, log):
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    with left, right:
        def once():
            log("called once")
            loop.remove_reader(left)

        right.send(b"stays unread")
        loop.add_reader(left, once)
        await aio.sleep(0.01)


@scenario(
    "add_reader('not a file'): ValueError: Invalid file object: 'not a file'",
    "add_reader(-1): ValueError: Invalid file descriptor: -1",
    "add_reader(closed socket): ValueError: Invalid file descriptor: -1",
    "add_writer(fd that is not open): OSError: [Errno 9] Bad file descriptor",
    "remove_reader('not a file'): ValueError: Invalid file object: 'not a file'",
    "remove_reader(-1): ValueError: Invalid file descriptor: -1",
    "remove_reader(fd that is not open): False",
)
async def test_add_reader_with_a_bad_file_descriptor(aio, log):
    loop = aio.get_running_loop()
    closed = socket.socket()
    closed.close()
    with socket.socket() as probe:
        not_open = probe.fileno() + 1000  # far above anything this process has open
    for name, call in [
            ("add_reader('not a file')", lambda: loop.add_reader("not a file", print)),
            ("add_reader(-1)", lambda: loop.add_reader(-1, print)),
            ("add_reader(closed socket)", lambda: loop.add_reader(closed, print)),
            ("add_writer(fd that is not open)", lambda: loop.add_writer(not_open, print)),
            ("remove_reader('not a file')", lambda: loop.remove_reader("not a file")),
            ("remove_reader(-1)", lambda: loop.remove_reader(-1)),
            ("remove_reader(fd that is not open)", lambda: loop.remove_reader(not_open))]:
        try:
            log(f"{name}: {call()}")
        except (ValueError, OSError) as exc:
            log.error(f"{name}:", exc)


@sync_scenario(
    "add_reader('x'): ValueError: Invalid file object: 'x'",
    "add_reader(socket): RuntimeError: Event loop is closed",
    "add_writer(socket): RuntimeError: Event loop is closed",
    "remove_reader('x'): ValueError: Invalid file object: 'x'",
    "remove_reader(socket): False",
    "remove_writer(socket): False",
)
def test_watching_on_a_closed_loop(aio, log):
    """The file object is checked first, even on a closed loop; then the closed loop."""
    loop = aio.new_event_loop()
    loop.close()
    with socket.socket() as sock:
        for name, call in [
                ("add_reader('x')", lambda: loop.add_reader("x", print)),
                ("add_reader(socket)", lambda: loop.add_reader(sock, print)),
                ("add_writer(socket)", lambda: loop.add_writer(sock, print)),
                ("remove_reader('x')", lambda: loop.remove_reader("x")),
                ("remove_reader(socket)", lambda: loop.remove_reader(sock)),
                ("remove_writer(socket)", lambda: loop.remove_writer(sock))]:
            try:
                log(f"{name}: {call()}")
            except (ValueError, RuntimeError) as exc:
                log.error(f"{name}:", exc)


@scenario(
    "a reader on a new socket with a reused fd number still fires: True",
)
async def test_fd_number_reused_after_close(aio, log):
    """remove_reader, close, and a new socket that gets the same fd number: the selector
    must watch the new socket, not remember the old one."""
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    old_fd = left.fileno()
    loop.add_reader(left, print)
    loop.remove_reader(left)
    left.close()
    right.close()
    left, right = nonblocking_pair()
    with left, right:
        fired = loop.create_future()
        reused = left if left.fileno() == old_fd else right
        other = right if reused is left else left
        loop.add_reader(reused, lambda: fired.done() or fired.set_result(True))
        other.send(b"x")
        result = await aio.wait_for(fired, 1)
        loop.remove_reader(reused)
        log("a reader on a new socket with a reused fd number still fires:", result)


@scenario(
    "soon",
    "reader",
    "timer",
)
async def test_io_callbacks_run_before_timers_due_in_the_same_turn(aio, log):
    """One turn: what was already queued, then the selector's ready fds, then due timers."""
    loop = aio.get_running_loop()
    left, right = nonblocking_pair()
    with left, right:
        def reader():
            log("reader")
            loop.remove_reader(left)

        right.send(b"x")
        loop.call_later(0, log, "timer")
        loop.add_reader(left, reader)
        loop.call_soon(log, "soon")
        await aio.sleep(0.01)
