"""wait(): (done, pending) sets of the objects you passed, and a timeout that cancels nothing."""

import concurrent.futures as cf
import gc

from compat_tests.harness import scenario


def names(tasks):
    """Task names, sorted: sets have no order a scenario may depend on."""
    return sorted(task.get_name() for task in tasks)


@scenario(
    "done ['fast']",
    "pending ['slow']",
    "the very objects passed in: True",
)
async def test_wait_first_completed_returns_done_and_pending(aio, log):
    fast = aio.create_task(aio.sleep(0.01), name="fast")
    slow = aio.create_task(aio.sleep(0.2), name="slow")
    done, pending = await aio.wait([fast, slow], return_when=aio.FIRST_COMPLETED)
    log("done", names(done))
    log("pending", names(pending))
    log("the very objects passed in:", done == {fast} and pending == {slow})
    slow.cancel()


@scenario(
    "done ['a', 'b', 'c']",
    "pending []",
)
async def test_wait_all_completed_is_the_default(aio, log):
    tasks = [aio.create_task(aio.sleep(d), name=n) for n, d in
             [("a", 0.02), ("b", 0.0), ("c", 0.01)]]
    done, pending = await aio.wait(tasks)
    log("done", names(done))
    log("pending", names(pending))


@scenario(
    "done ['bad', 'quick']",
    "pending ['slow']",
)
async def test_wait_first_exception_returns_at_the_first_failure(aio, log):
    """A success does not end the wait; the first failure does."""
    async def bad():
        await aio.sleep(0.02)
        raise ValueError("bad")

    quick = aio.create_task(aio.sleep(0), name="quick")
    failing = aio.create_task(bad(), name="bad")
    slow = aio.create_task(aio.sleep(0.3), name="slow")
    done, pending = await aio.wait([quick, failing, slow], return_when=aio.FIRST_EXCEPTION)
    log("done", names(done))
    log("pending", names(pending))
    failing.exception()
    slow.cancel()


@scenario(
    "done ['cancelled', 'ok']",
    "pending []",
)
async def test_wait_first_exception_does_not_count_a_cancellation_as_failure(aio, log):
    """With no failure at all, FIRST_EXCEPTION waits for everything, like ALL_COMPLETED."""
    victim = aio.create_task(aio.sleep(1), name="cancelled")
    ok = aio.create_task(aio.sleep(0.02), name="ok")
    aio.get_running_loop().call_later(0.005, victim.cancel)
    done, pending = await aio.wait([victim, ok], return_when=aio.FIRST_EXCEPTION)
    log("done", names(done))
    log("pending", names(pending))


@scenario(
    "after timeout: done [] pending ['slow']",
    "slow was not cancelled: True",
    "slow result 'finished later'",
)
async def test_wait_timeout_returns_pending_and_cancels_nothing(aio, log):
    slow = aio.create_task(aio.sleep(0.05, "finished later"), name="slow")
    done, pending = await aio.wait([slow], timeout=0.005)
    log("after timeout: done", names(done), "pending", names(pending))
    log("slow was not cancelled:", not slow.done())
    log("slow result", repr(await slow))


@scenario(
    "TypeError: Passing coroutines is forbidden, use tasks explicitly.",
    "ValueError: Set of Tasks/Futures is empty.",
    "ValueError: Invalid return_when value: SOMETIMES",
    "TypeError: expect a list of futures, not Task",
)
async def test_wait_rejects_bad_arguments(aio, log):
    """Coroutines are refused (they could never be found in done/pending), as is nothing."""
    task = aio.create_task(aio.sleep(0))
    coro = aio.sleep(0)
    attempts = [
        lambda: aio.wait([coro]),
        lambda: aio.wait([]),
        lambda: aio.wait([task], return_when="SOMETIMES"),
        lambda: aio.wait(task),
    ]
    for attempt in attempts:
        try:
            await attempt()
        except (TypeError, ValueError) as exc:
            log(f"{type(exc).__name__}: {exc}")
    coro.close()
    await task


@scenario(
    "finished: t1",
    "finished: t2",
    "finished: t3",
    "nothing pending",
)
async def test_wait_in_a_while_pending_loop(aio, log):
    """The classic loop: handle each task as soon as it finishes, until none is left."""
    pending = {aio.create_task(aio.sleep(d, name), name=name)
               for name, d in [("t3", 0.04), ("t1", 0.0), ("t2", 0.02)]}
    while pending:
        done, pending = await aio.wait(pending, return_when=aio.FIRST_COMPLETED)
        for task in sorted(done, key=lambda t: t.get_name()):  # a set: no order of its own
            log("finished:", task.result())
    log("nothing pending")


@scenario(
    "callback queued before wait",
    "wait returned: done 1",
)
async def test_wait_on_finished_futures_still_takes_a_turn(aio, log):
    """Finished futures are counted through call_soon, so wait() suspends at least once:
    a callback queued before it runs first."""
    fut = aio.get_running_loop().create_future()
    fut.set_result(None)
    aio.get_running_loop().call_soon(log, "callback queued before wait")
    done, _ = await aio.wait([fut])
    log("wait returned: done", len(done))


@scenario(
    "wait raised CancelledError",
    "task still running: True",
    "task result 'kept going'",
)
async def test_cancelling_wait_does_not_cancel_the_futures(aio, log):
    work = aio.create_task(aio.sleep(0.03, "kept going"))

    async def waiter():
        try:
            await aio.wait([work])
        except aio.CancelledError:
            log("wait raised CancelledError")
            raise

    w = aio.create_task(waiter())
    await aio.sleep(0.005)
    w.cancel()
    await aio.gather(w, return_exceptions=True)
    log("task still running:", not work.done())
    log("task result", repr(await work))


@scenario(
    "done ['twice'] pending []",
)
async def test_wait_on_the_same_task_twice_reports_it_once(aio, log):
    task = aio.create_task(aio.sleep(0), name="twice")
    done, pending = await aio.wait([task, task])
    log("done", names(done), "pending", names(pending))


@scenario(
    "FIRST_COMPLETED FIRST_EXCEPTION ALL_COMPLETED",
    "same as concurrent.futures: True",
)
async def test_wait_constants_are_concurrent_futures_strings(aio, log):
    log(aio.FIRST_COMPLETED, aio.FIRST_EXCEPTION, aio.ALL_COMPLETED)
    log("same as concurrent.futures:", (aio.FIRST_COMPLETED, aio.FIRST_EXCEPTION,
                                        aio.ALL_COMPLETED) ==
        (cf.FIRST_COMPLETED, cf.FIRST_EXCEPTION, cf.ALL_COMPLETED))


@scenario(
    "done ['a', 'b'] pending ['c']",
)
async def test_wait_first_completed_may_return_several(aio, log):
    """Everything that finished by the time the waiter wakes is in `done`, not just one."""
    loop = aio.get_running_loop()
    a, b, c = (loop.create_future() for _ in range(3))
    for fut, name in ((a, "a"), (b, "b"), (c, "c")):
        fut.name = name

    def finish_two():
        a.set_result(1)
        b.set_result(2)

    loop.call_soon(finish_two)
    done, pending = await aio.wait([a, b, c], return_when=aio.FIRST_COMPLETED)
    log("done", sorted(f.name for f in done), "pending", sorted(f.name for f in pending))


@scenario(
    "done 1",
    "reported: Task exception was never retrieved",
)
async def test_wait_does_not_retrieve_the_errors_it_waits_for(aio, log):
    """wait() only looks at exceptions for FIRST_EXCEPTION; a failed task returned in
    `done` and then dropped unread is still reported by the loop."""
    reported = []
    aio.get_running_loop().set_exception_handler(lambda loop, ctx: reported.append(ctx))

    async def fail():
        raise ValueError("unread")

    done, _ = await aio.wait([aio.create_task(fail())])
    log("done", len(done))
    del done
    gc.collect()
    for context in reported:
        log("reported:", context["message"])
