"""The call graph (asyncio 3.14's format, which 3.11-3.13's asyncio does not have: these are
miniloop-only tests) and what each leaf waits on."""

from __future__ import annotations

import io
import os
import signal
import socket
from typing import Any

import pytest

import miniloop
from miniloop import graph

HERE = __file__
SLEEP_PY = os.path.join(os.path.dirname(miniloop.__file__), "sleep.py")


def line_of(function: Any, text: str) -> int:
    """The line number of the first line of `function` that contains `text`."""
    import inspect

    lines, first = inspect.getsourcelines(function)
    return first + next(i for i, line in enumerate(lines) if text in line)


async def inner(event: miniloop.Event) -> None:
    await event.wait()


async def middle(event: miniloop.Event) -> None:
    await inner(event)


def test_a_task_awaited_by_another_prints_both_stacks_in_asyncio_s_format() -> None:
    async def awaiter(leaf: miniloop.Task[None]) -> None:
        await leaf

    async def main() -> tuple[str, int, int]:
        event = miniloop.Event()
        leaf = miniloop.create_task(middle(event), name="leaf")
        waiting = miniloop.create_task(awaiter(leaf), name="awaiter")
        await miniloop.sleep(0)
        text = graph.format_call_graph(leaf)
        event.set()
        await waiting
        return text, id(leaf), id(waiting)

    text, leaf_id, awaiter_id = miniloop.run(main())
    event_file, event_line = _line_in(miniloop.Event.wait, "await fut")
    assert text.splitlines() == [
        f"* Task(name='leaf', id={leaf_id:#x})",
        "  + Call stack:",
        f"  |   File {event_file!r}, line {event_line}, in async Event.wait()",
        f"  |   File {HERE!r}, line {line_of(inner, 'await')}, in async inner()",
        f"  |   File {HERE!r}, line {line_of(middle, 'await')}, in async middle()",
        "  + Awaited by:",
        f"    * Task(name='awaiter', id={awaiter_id:#x})",
        "      + Call stack:",
        f"      |   File {HERE!r}, line {line_of(awaiter, 'await leaf')}, in async "
        f"{awaiter.__qualname__}()",
    ]


def _line_in(function: Any, text: str) -> tuple[str, int]:
    import inspect

    return inspect.getsourcefile(function) or "", line_of(function, text)


AEXIT = _line_in(miniloop.TaskGroup.__aexit__, "await")


def test_the_current_task_s_graph_starts_at_the_caller_and_follows_the_task_group() -> None:
    out = io.StringIO()

    async def child() -> None:
        graph.print_call_graph(file=out)

    async def main() -> tuple[int, int, str]:
        async with miniloop.TaskGroup() as group:
            task = group.create_task(child(), name="child")
        me = miniloop.current_task()
        assert me is not None
        return id(task), id(me), me.get_name()

    child_id, main_id, main_name = miniloop.run(main())
    assert out.getvalue().splitlines() == [
        f"* Task(name='child', id={child_id:#x})",
        "  + Call stack:",
        f"  |   File {HERE!r}, line {line_of(child, 'print_call_graph')}, in async "
        f"{child.__qualname__}()",
        "  + Awaited by:",  # the TaskGroup's parent awaits its children
        f"    * Task(name={main_name!r}, id={main_id:#x})",
        "      + Call stack:",
        f"      |   File {AEXIT[0]!r}, line {AEXIT[1]}, in async TaskGroup.__aexit__()",
        f"      |   File {HERE!r}, line {line_of(main, 'async with')}, in async "
        f"{main.__qualname__}()",
    ]


def test_gather_s_future_stands_between_a_child_and_the_task_awaiting_gather() -> None:
    async def sleeper() -> None:
        await miniloop.sleep(3600)

    async def main() -> list[str]:
        child = miniloop.create_task(sleeper(), name="sleeper")
        gathering = miniloop.gather(child)

        async def awaiter() -> None:
            await gathering

        task = miniloop.create_task(awaiter(), name="awaiter")
        await miniloop.sleep(0)
        await miniloop.sleep(0)
        captured = graph.capture_call_graph(child)
        assert captured is not None
        [outer] = captured.awaited_by
        [awaiting_task] = outer.awaited_by
        shape = [captured.future.get_name(), type(outer.future).__name__,
                 awaiting_task.future.get_name()]
        lines = graph.format_call_graph(child, limit=1).splitlines()
        task.cancel()
        with pytest.raises(miniloop.CancelledError):
            await task
        return shape + lines

    shape_and_lines = miniloop.run(main())
    assert shape_and_lines[:3] == ["sleeper", "_GatheringFuture", "awaiter"]
    lines = shape_and_lines[3:]
    # limit=1 keeps the outermost entry of each stack: the coroutine the task runs.
    assert lines[1:3] == ["  + Call stack:",
                          f"  |   File {HERE!r}, line {line_of(sleeper, 'await')}, in async "
                          f"{sleeper.__qualname__}()"]
    assert lines[3] == "  + Awaited by:"
    assert lines[4].startswith("    * Future(id=0x")
    assert lines[5] == "      + Awaited by:"
    assert lines[6].startswith("        * Task(name='awaiter', id=0x")


def test_misuse_raises_asyncio_s_errors() -> None:
    with pytest.raises(RuntimeError, match=r"^capture_call_graph\(\) is called outside of a "
                                           r"running event loop and no \*future\* to "
                                           r"introspect was provided$"):
        graph.capture_call_graph()
    with pytest.raises(TypeError, match=r"^42 object does not appear to be compatible with "
                                        r"asyncio.Future$"):
        graph.capture_call_graph(42)  # type: ignore[arg-type]
    loop = miniloop.new_event_loop()
    try:
        assert graph.format_call_graph(loop.create_future()).startswith("* Future(id=0x")
        assert loop.run_until_complete(_no_task_graph()) is None
    finally:
        loop.close()


async def _no_task_graph() -> Any:
    # In a plain callback there is no current task: None, as in asyncio.
    loop = miniloop.get_running_loop()
    fut = loop.create_future()
    loop.call_soon(lambda: fut.set_result(graph.capture_call_graph()))
    return await fut


def test_the_package_and_the_drop_in_offer_the_graph() -> None:
    assert miniloop.print_call_graph is graph.print_call_graph
    assert "FutureCallGraph" in miniloop.__all__


# == Beyond asyncio: what each leaf waits on =====================================================

def test_the_program_dump_says_what_each_leaf_waits_on() -> None:
    async def hold(lock: miniloop.Lock, event: miniloop.Event) -> None:
        async with lock:
            await event.wait()

    async def take(lock: miniloop.Lock) -> None:
        await lock.acquire()

    async def get(queue: miniloop.Queue[int]) -> None:
        await queue.get()

    async def recv(sock: socket.socket) -> None:
        await miniloop.get_running_loop().sock_recv(sock, 1)

    async def nap() -> None:
        await miniloop.sleep(100)

    async def main() -> tuple[str, int, float]:
        lock, event, queue = miniloop.Lock(), miniloop.Event(), miniloop.Queue[int]()
        a, b = socket.socketpair()
        a.setblocking(False)
        tasks = [miniloop.create_task(hold(lock, event), name="holder"),
                 miniloop.create_task(take(lock), name="taker"),
                 miniloop.create_task(get(queue), name="getter"),
                 miniloop.create_task(recv(a), name="reader"),
                 miniloop.create_task(nap(), name="napper")]
        await miniloop.sleep(0)
        text = graph.format_program(miniloop.get_running_loop())
        wake = miniloop.get_running_loop().time() + 100
        for task in tasks:
            task.cancel()
        await miniloop.gather(*tasks, return_exceptions=True)
        fd = a.fileno()
        a.close()
        b.close()
        return text, fd, wake

    text, fd, wake = miniloop.run(main())
    waits = [line.strip() for line in text.splitlines() if "+ Waits on:" in line]
    assert text.splitlines()[0].startswith("* Task(name='getter', ")  # in name order
    assert [waits[i] for i in (0, 1, 3, 4)] == [
        "+ Waits on: Queue #1 get, queue empty",  # getter
        "+ Waits on: Event #1 wait",              # holder
        f"+ Waits on: sock_recv on fd {fd}",      # reader
        "+ Waits on: Lock #1 acquire, locked",    # taker
    ]
    assert waits[2].startswith("+ Waits on: sleeping until loop time ")  # napper
    until = float(waits[2].split("loop time ")[1].split()[0])
    assert abs(until - wake) < 1
    assert text.count("* Task(name=") == 5  # main is running: not a leaf waiting


def test_a_signal_prints_the_program_from_outside() -> None:
    out = io.StringIO()

    async def main() -> None:
        graph.install_signal_dump(signal.SIGUSR1, file=out)
        sleeper = miniloop.create_task(miniloop.sleep(100), name="sleeper")
        await miniloop.sleep(0)
        os.kill(os.getpid(), signal.SIGUSR1)
        for _ in range(20):  # the handler runs as a callback, a turn or two later
            await miniloop.sleep(0.01)
            if out.getvalue():
                break
        sleeper.cancel()
        miniloop.get_running_loop().remove_signal_handler(signal.SIGUSR1)

    miniloop.run(main())
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("-- miniloop: the program's tasks at loop time ")
    lines = lines[next(i for i, line in enumerate(lines) if "'sleeper'" in line):]
    assert lines[0].startswith("* Task(name='sleeper', id=0x")
    assert lines[2] == f"  |   File {SLEEP_PY!r}, line {line_of(miniloop.sleep, 'await future')}" \
                       ", in async sleep()"
    assert lines[3].startswith("  + Waits on: sleeping until loop time ")
