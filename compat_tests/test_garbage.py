"""What a finished program leaves for the garbage collector.

A cycle (a frame that holds a future that holds the exception whose traceback holds the
frame) is not a leak: the collector frees it later. But it keeps the failed work's locals
alive until then, so asyncio takes care not to make them on its common paths, and so does
miniloop. With the collector switched off, each story counts what `gc.collect()` finds.
"""

from __future__ import annotations

import contextlib
import gc
import weakref

from compat_tests.harness import sync_scenario


def _garbage_after(run, before_collecting=lambda: None) -> int:
    gc.collect()
    gc.disable()
    try:
        run()
        before_collecting()
        return gc.collect()
    finally:
        gc.enable()


@sync_scenario(
    "run(sleep(0)) leaves 0 objects",
    "run(a gather of three sleeps) leaves 0 objects",
    "run(a wait() on two tasks) leaves 0 objects",
)
def test_a_finished_run_leaves_nothing_for_the_collector(aio, log):
    async def gathered():
        await aio.gather(aio.sleep(0), aio.sleep(0), aio.sleep(0))

    async def waited():
        await aio.wait([aio.ensure_future(aio.sleep(0)), aio.ensure_future(aio.sleep(0))])

    for what, main in (("sleep(0)", lambda: aio.sleep(0)),
                       ("a gather of three sleeps", gathered),
                       ("a wait() on two tasks", waited)):
        log(f"run({what}) leaves {_garbage_after(lambda main=main: aio.run(main()))} objects")


@sync_scenario(
    "run(await a failed task): its local freed at once True, nothing left",
    "run(gather a failed task): its local freed at once True, nothing left",
    "run(await a future set with an exception): its local freed at once True, nothing left",
    "run(result() of a failed task kept in a local): its local freed at once False, "
    "a cycle left",
)
def test_a_failed_task_is_freed_without_the_collector(aio, log):
    """Re-raising a stored exception adds the re-raising frame to its traceback; if the
    future kept that, the failed work's frames and locals would wait for the collector.
    The last story makes a cycle of its own: the frame holds the task, whose exception's
    traceback now holds the frame (how many objects that cycle holds differs between
    asyncio's C Task and a Python one, so the story only says whether one was left)."""
    class Local:
        pass

    freed = []  # one weakref per story, to a local of the work that failed

    async def fails():
        local = Local()
        freed.append(weakref.ref(local))
        await aio.sleep(0)
        raise ValueError("boom")

    async def await_task():
        with contextlib.suppress(ValueError):
            await aio.create_task(fails())

    async def gather_task():
        with contextlib.suppress(ValueError):
            await aio.gather(fails())

    async def result_of_task():
        task = aio.create_task(fails())
        await aio.sleep(0.01)
        with contextlib.suppress(ValueError):
            task.result()

    async def await_future():
        future = aio.get_running_loop().create_future()
        local = Local()
        freed.append(weakref.ref(local))
        future.set_exception(ValueError(local))
        del local
        with contextlib.suppress(ValueError):
            await future
        del future  # (kept, it would make the cycle of the last story)

    freed_at_once = []

    for what, main in (("await a failed task", await_task),
                       ("gather a failed task", gather_task),
                       ("await a future set with an exception", await_future),
                       ("result() of a failed task kept in a local", result_of_task)):
        left = _garbage_after(lambda main=main: aio.run(main()),
                              lambda: freed_at_once.append(freed[-1]() is None))
        log(f"run({what}): its local freed at once {freed_at_once[-1]}, "
            f"{'a cycle' if left else 'nothing'} left")
