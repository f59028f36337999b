"""run(), Runner and the loop's own run methods: starting, stopping and cleaning up."""

import contextvars
import re
import subprocess
import sys

from compat_tests.harness import sync_scenario


@sync_scenario(
    "run returned 'hello'",
)
def test_run_returns_the_coroutine_result(aio, log):
    async def main():
        await aio.sleep(0)
        return "hello"

    log("run returned", repr(aio.run(main())))


@sync_scenario(
    "main returns",
    "leftover cancelled in its finally",
    "run returned",
)
def test_run_cancels_leftover_tasks_and_waits_for_them(aio, log):
    async def leftover():
        try:
            await aio.sleep(10)
        finally:
            log("leftover cancelled in its finally")

    async def main():
        aio.create_task(leftover())
        await aio.sleep(0)
        log("main returns")

    aio.run(main())
    log("run returned")


@sync_scenario(
    "main raised ValueError: from main",
)
def test_run_propagates_the_exception_of_main(aio, log):
    async def main():
        raise ValueError("from main")

    try:
        aio.run(main())
    except ValueError as exc:
        log.error("main raised", exc)


@sync_scenario(
    "RuntimeError: asyncio.run() cannot be called from a running event loop",
)
def test_run_inside_a_running_loop(aio, log):
    async def inner():
        pass

    async def main():
        coro = inner()
        try:
            aio.run(coro)
        except RuntimeError as exc:
            log.error("", exc)
        finally:
            coro.close()

    aio.run(main())
    log.lines[:] = [line.strip() for line in log.lines]


@sync_scenario(
    "RuntimeError: no running event loop",
)
def test_get_running_loop_outside_a_loop(aio, log):
    try:
        aio.get_running_loop()
    except RuntimeError as exc:
        log(f"RuntimeError: {exc}")


@sync_scenario(
    "ValueError: a coroutine was expected, got 42",
)
def test_run_wants_a_coroutine(aio, log):
    try:
        aio.run(42)
    except ValueError as exc:
        log(f"ValueError: {exc}")


@sync_scenario(
    "same loop for every run: True",
    "context shared between runs: set by the first run",
    "after close: RuntimeError: Runner is closed",
    "the runner's loop is closed: True",
)
def test_runner_runs_several_coroutines_on_one_loop(aio, log):
    var = contextvars.ContextVar("var", default="unset")

    async def first():
        var.set("set by the first run")
        return aio.get_running_loop()

    async def second():
        return aio.get_running_loop(), var.get()

    with aio.Runner() as runner:
        loop1 = runner.run(first())
        loop2, seen = runner.run(second())
        log("same loop for every run:", loop1 is loop2 is runner.get_loop())
        log("context shared between runs:", seen)
    coro = second()
    try:
        runner.run(coro)
    except RuntimeError as exc:
        log(f"after close: RuntimeError: {exc}")
    coro.close()
    log("the runner's loop is closed:", loop1.is_closed())


@sync_scenario(
    "debug inside: True",
    "debug default: False",
)
def test_run_debug_flag(aio, log):
    async def main():
        return aio.get_running_loop().get_debug()

    log("debug inside:", aio.run(main(), debug=True))
    log("debug default:", aio.run(main()))


@sync_scenario(
    "run_until_complete returned 3",
    "is_running inside: True",
    "is_running after: False",
    "close twice is fine: True",
)
def test_loop_run_until_complete(aio, log):
    loop = aio.new_event_loop()
    seen = []

    async def add(a, b):
        seen.append(loop.is_running())
        await aio.sleep(0)
        return a + b

    log("run_until_complete returned", loop.run_until_complete(add(1, 2)))
    log("is_running inside:", seen[0])
    log("is_running after:", loop.is_running())
    loop.close()
    loop.close()
    log("close twice is fine:", loop.is_closed())


@sync_scenario(
    "tick 1",
    "tick 2",
    "stop requested",
    "queued in the same turn still runs",
    "run_forever returned",
    "left for the next run: ran",
)
def test_stop_ends_run_forever_after_the_current_turn(aio, log):
    loop = aio.new_event_loop()

    def stopper():
        log("stop requested")
        loop.stop()
        loop.call_soon(log, "left for the next run: ran")

    loop.call_soon(log, "tick 1")
    loop.call_soon(log, "tick 2")
    loop.call_soon(stopper)
    loop.call_soon(log, "queued in the same turn still runs")
    loop.run_forever()
    log("run_forever returned")
    loop.call_soon(loop.stop)
    loop.run_forever()
    loop.close()


@sync_scenario(
    "RuntimeError: Event loop stopped before Future completed.",
)
def test_run_until_complete_stopped_early(aio, log):
    loop = aio.new_event_loop()
    fut = loop.create_future()
    loop.call_soon(loop.stop)
    try:
        loop.run_until_complete(fut)
    except RuntimeError as exc:
        log(f"RuntimeError: {exc}")
    loop.close()


@sync_scenario(
    "close running: RuntimeError: Cannot close a running event loop",
    "run_forever nested: RuntimeError: This event loop is already running",
    "call_soon when closed: RuntimeError: Event loop is closed",
    "run when closed: RuntimeError: Event loop is closed",
)
def test_misusing_the_loop(aio, log):
    loop = aio.new_event_loop()

    async def main():
        for name, attempt in (("close running", loop.close),
                              ("run_forever nested", loop.run_forever)):
            try:
                attempt()
            except RuntimeError as exc:
                log(f"{name}: RuntimeError: {exc}")

    loop.run_until_complete(main())
    loop.close()
    try:
        loop.call_soon(print)
    except RuntimeError as exc:
        log(f"call_soon when closed: RuntimeError: {exc}")
    coro = main()
    try:
        loop.run_until_complete(coro)
    except RuntimeError as exc:
        log(f"run when closed: RuntimeError: {exc}")
    coro.close()


@sync_scenario(
    "set loop returned: True",
    "inside run: the running loop: True",
    "after run: RuntimeError: There is no current event loop in thread 'MainThread'.",
)
def test_get_event_loop_follows_the_set_loop(aio, log):
    loop = aio.new_event_loop()
    aio.set_event_loop(loop)
    log("set loop returned:", aio.get_event_loop() is loop)
    loop.close()

    async def main():
        return aio.get_event_loop() is aio.get_running_loop()

    log("inside run: the running loop:", aio.run(main()))
    try:
        aio.get_event_loop()  # run() set the current loop back to None
    except RuntimeError as exc:
        log(f"after run: RuntimeError: {exc}")


# Programs that end with a loop still open, each run in a child interpreter: what matters
# is what it prints as it exits.
_LEFT_OPEN = {
    "a Runner closed, then run": "r = aio.Runner(); r.close(); r.run(main())",
    "a set loop never closed": "aio.set_event_loop(aio.new_event_loop())",
    "a set loop unset, never closed": "aio.set_event_loop(aio.new_event_loop()); "
                                      "aio.set_event_loop(None)",
    "a loop in a global, never closed": "loop = aio.new_event_loop()",
}


@sync_scenario(
    "a Runner closed, then run: exit status 0, warnings []",
    "a set loop never closed: exit status 0, warnings []",
    "a set loop unset, never closed: exit status 0, warnings ['unclosed event loop']",
    "a loop in a global, never closed: exit status 0, warnings ['unclosed event loop']",
)
def test_what_a_loop_left_open_says_at_exit(aio, log):
    """asyncio never frees the loop still set as current when the interpreter exits, so that
    one says nothing; any other unclosed loop is collected at exit and warns."""
    for story, code in _LEFT_OPEN.items():
        program = f"import {aio.__name__} as aio\nasync def main(): pass\n{code}\n"
        child = subprocess.run([sys.executable, "-W", "default", "-c", program],
                               capture_output=True, text=True, timeout=60)
        warnings = re.findall(r"ResourceWarning: (unclosed[^<\n]*?) *(?:<|$)", child.stderr,
                              re.MULTILINE)
        log(f"{story}: exit status {child.returncode}, warnings {warnings}")


@sync_scenario(
    "main: starting workers",
    "worker 1 starts",
    "worker 2 starts",
    "worker 3 starts",
    "worker 1 done",
    "cancelling worker 3",
    "worker 3 cancelled",
    "worker 2 done",
    "results: [10, 20, 'cancelled']",
)
def test_a_small_program_creates_sleeps_cancels_and_awaits(aio, log):
    """The kind of program `import miniloop as asyncio` must run with asyncio's output."""
    async def worker(n, delay):
        log(f"worker {n} starts")
        try:
            await aio.sleep(delay)
        except aio.CancelledError:
            log(f"worker {n} cancelled")
            raise
        log(f"worker {n} done")
        return n * 10

    async def main():
        log("main: starting workers")
        tasks = [aio.create_task(worker(n, d)) for n, d in ((1, 0.01), (2, 0.1), (3, 10))]
        await tasks[0]
        log("cancelling worker 3")
        tasks[2].cancel()
        results = []
        for task in tasks:
            try:
                results.append(await task)
            except aio.CancelledError:
                results.append("cancelled")
        log("results:", results)

    aio.run(main())
