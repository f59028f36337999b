"""Shutdown: what run() does after main() returns, in asyncio's order.

1. cancel the tasks still pending, and wait for their `finally:` blocks;
2. close the async generators that were started but never finished (`shutdown_asyncgens`);
3. wait for the default executor's threads (`shutdown_default_executor`);
4. close the loop.
"""

import gc
import logging
import sys
import threading
import warnings

from compat_tests.harness import sync_scenario
from compat_tests.records import asyncio_log, messages, normalize

# Async generators kept alive here, so that only shutdown_asyncgens() can close them.
kept_alive = []


@sync_scenario(
    "main returns",
    "leftover task: cancelled, finally runs",
    "async generator: finally runs",
    "executor job: done",
    "run() returned 'main result'",
)
def test_run_shuts_down_tasks_then_async_generators_then_the_executor(aio, log):
    async def leftover():
        try:
            await aio.sleep(10)
        finally:
            log("leftover task: cancelled, finally runs")

    generator_closed = threading.Event()

    async def ticker():
        try:
            while True:
                yield
        finally:
            log("async generator: finally runs")
            generator_closed.set()

    def job():
        generator_closed.wait(1)  # still running when shutdown_default_executor() starts
        log("executor job: done")

    async def main():
        aio.create_task(leftover())
        agen = ticker()
        kept_alive.append(agen)
        await agen.__anext__()
        aio.get_running_loop().run_in_executor(None, job)
        await aio.sleep(0)
        log("main returns")
        return "main result"

    try:
        log("run() returned", repr(aio.run(main())))
    finally:
        kept_alive.clear()


@sync_scenario(
    "leftover: cancelled, cleaning up",
    "leftover: still cleaning up after an await",
    "run() returned",
)
def test_leftover_tasks_may_await_in_their_finally_blocks(aio, log):
    async def leftover():
        try:
            await aio.sleep(10)
        finally:
            log("leftover: cancelled, cleaning up")
            await aio.sleep(0.01)  # the loop is still running during shutdown
            log("leftover: still cleaning up after an await")

    async def main():
        aio.create_task(leftover())
        await aio.sleep(0)

    aio.run(main())
    log("run() returned")


async def stubborn(aio):
    try:
        await aio.sleep(10)
    except aio.CancelledError:
        raise ValueError("failed while cancelled")


@sync_scenario(
    "ERROR unhandled exception during asyncio.run() shutdown",
    "task: <Task finished name='Task-N' coro=<stubborn() done, defined at "
    "compat_tests/test_shutdown.py:NN> exception=ValueError('failed while cancelled')>",
)
def test_a_leftover_task_that_fails_while_cancelled_is_reported(aio, log):
    async def main():
        aio.create_task(stubborn(aio))
        await aio.sleep(0)

    with asyncio_log(logging.WARNING) as records:
        aio.run(main())
    line_no = f".py:{stubborn.__code__.co_firstlineno}"
    for line in messages(records):
        log(line.replace(line_no, ".py:NN"))


@sync_scenario(
    "ERROR an error occurred during closing of asynchronous generator "
    "<async_generator object test_an_async_generator_that_fails_to_close_is_reported."
    "<locals>.broken at 0x?>",
    "asyncgen: <async_generator object test_an_async_generator_that_fails_to_close_is_"
    "reported.<locals>.broken at 0x?>",
    "the error is attached: OSError",
)
def test_an_async_generator_that_fails_to_close_is_reported(aio, log):
    async def broken():
        try:
            yield 1
        finally:
            raise OSError("cannot close")

    async def main():
        agen = broken()
        kept_alive.append(agen)
        await agen.__anext__()

    try:
        with asyncio_log(logging.WARNING) as records:
            aio.run(main())
    finally:
        kept_alive.clear()
    for line in messages(records):
        log(line)
    log("the error is attached:", records[0].exc_info[0].__name__)


@sync_scenario(
    "started generator: finally runs",
    "run() returned",
)
def test_only_started_async_generators_are_finalized(aio, log):
    """An async generator is known to the loop from its first iteration on (the firstiter
    hook); one that never started has no frame, so there is nothing to finalize."""
    async def gen(name):
        try:
            yield name
        finally:
            log(f"{name} generator: finally runs")

    async def main():
        started, unstarted = gen("started"), gen("unstarted")
        kept_alive.extend([started, unstarted])
        await started.__anext__()

    try:
        aio.run(main())
    finally:
        kept_alive.clear()
    log("run() returned")


@sync_scenario(
    "finally runs in a task on the loop: True",
    "main goes on",
)
def test_a_collected_async_generator_is_closed_by_the_loop(aio, log):
    """When an unfinished async generator is garbage collected, the finalizer hook hands
    `aclose()` to the loop as a new task: its finally block may await."""
    async def gen(closed):
        try:
            yield 1
        finally:
            await aio.sleep(0)
            log("finally runs in a task on the loop:", aio.current_task() is not None)
            closed.set_result(None)

    async def main():
        closed = aio.get_running_loop().create_future()
        agen = gen(closed)
        await agen.__anext__()
        del agen  # the last reference: the finalizer hook runs now
        gc.collect()
        await closed
        log("main goes on")

    aio.run(main())


@sync_scenario(
    "ResourceWarning: asynchronous generator <async_generator object "
    "test_an_async_generator_started_after_shutdown_asyncgens_is_reported.<locals>.gen "
    "at 0x?> was scheduled after loop.shutdown_asyncgens() call",
)
def test_an_async_generator_started_after_shutdown_asyncgens_is_reported(aio, log):
    async def gen():
        yield 1

    async def main():
        await aio.get_running_loop().shutdown_asyncgens()
        agen = gen()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            await agen.__anext__()
        await agen.aclose()
        for warning in caught:
            log(f"{warning.category.__name__}: {normalize(str(warning.message))}")

    aio.run(main())


@sync_scenario(
    "hooks installed while running: True",
    "hooks restored after run(): True",
)
def test_run_installs_async_generator_hooks_only_while_running(aio, log):
    before = sys.get_asyncgen_hooks()

    async def main():
        hooks = sys.get_asyncgen_hooks()
        log("hooks installed while running:", hooks.firstiter is not None and
            hooks.finalizer is not None and hooks != before)

    aio.run(main())
    log("hooks restored after run():", sys.get_asyncgen_hooks() == before)


@sync_scenario(
    "first run: 1",
    "second run sees the same loop: True",
    "close(): leftover cancelled",
    "close(): async generator closed",
    "get_loop() after close raised RuntimeError: Runner is closed",
)
def test_runner_close_uses_the_same_order(aio, log):
    async def gen():
        try:
            yield
        finally:
            log("close(): async generator closed")

    async def leftover():
        try:
            await aio.sleep(10)
        finally:
            log("close(): leftover cancelled")

    async def first():
        agen = gen()
        kept_alive.append(agen)
        await agen.__anext__()
        return 1

    async def second(loop):
        aio.create_task(leftover())
        await aio.sleep(0)
        return aio.get_running_loop() is loop

    try:
        with aio.Runner() as runner:
            log("first run:", runner.run(first()))
            log("second run sees the same loop:", runner.run(second(runner.get_loop())))
    finally:
        kept_alive.clear()
    try:
        runner.get_loop()
    except RuntimeError as exc:
        log.error("get_loop() after close raised", exc)


@sync_scenario(
    "job still running when close() returned: True",
    "job finished afterwards: True",
)
def test_loop_close_does_not_wait_for_the_executor(aio, log):
    release = threading.Event()
    finished = threading.Event()

    def job():
        release.wait()
        finished.set()

    loop = aio.new_event_loop()
    loop.run_in_executor(None, job)
    loop.close()
    log("job still running when close() returned:", not finished.is_set())
    release.set()
    log("job finished afterwards:", finished.wait(1))
