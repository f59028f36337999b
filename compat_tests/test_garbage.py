"""What a finished program leaves for the garbage collector.

A cycle (a frame that holds a future that holds the exception whose traceback holds the
frame) is not a leak: the collector frees it later. But it keeps the failed work's locals
alive until then, so asyncio takes care not to make them on its common paths, and so does
miniloop. With the collector switched off, each story counts what `gc.collect()` finds.
"""

from __future__ import annotations

import gc

from compat_tests.harness import sync_scenario


def _garbage_after(run) -> int:
    gc.collect()
    gc.disable()
    try:
        run()
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
