"""shield(): the awaiter is cancelled, the shielded work is not."""

import gc

from compat_tests.harness import scenario


@scenario(
    "caller got CancelledError at once",
    "inner still running: True",
    "inner finished: 'saved'",
)
async def test_shield_keeps_the_inner_task_alive_when_the_caller_is_cancelled(aio, log):
    inner = aio.create_task(aio.sleep(0.03, "saved"))

    async def caller():
        await aio.shield(inner)

    task = aio.create_task(caller())
    await aio.sleep(0.005)
    task.cancel()
    try:
        await task
    except aio.CancelledError:
        log("caller got CancelledError at once")
    log("inner still running:", not inner.done())
    log("inner finished:", repr(await inner))


@scenario(
    "shield returns its argument: True",
    "result 5",
)
async def test_shield_of_a_finished_future_is_the_future_itself(aio, log):
    fut = aio.get_running_loop().create_future()
    fut.set_result(5)
    log("shield returns its argument:", aio.shield(fut) is fut)
    log("result", await aio.shield(fut))


@scenario(
    "awaiting the shield raised CancelledError",
    "outer cancelled: True",
)
async def test_cancelling_the_inner_task_cancels_the_shield(aio, log):
    """Only one direction is shielded: the inner task's own cancellation comes through."""
    inner = aio.create_task(aio.sleep(1))
    outer = aio.shield(inner)
    aio.get_running_loop().call_later(0.005, inner.cancel)
    try:
        await outer
    except aio.CancelledError:
        log("awaiting the shield raised CancelledError")
    log("outer cancelled:", outer.cancelled())


@scenario(
    "shield raised ValueError: inside",
)
async def test_shield_passes_the_inner_exception_on(aio, log):
    async def fail():
        await aio.sleep(0)
        raise ValueError("inside")

    try:
        await aio.shield(fail())
    except ValueError as exc:
        log.error("shield raised", exc)


@scenario(
    "wait_for raised TimeoutError",
    "t survived the timeout: True",
    "t completed later: 'late'",
)
async def test_wait_for_shield_times_out_while_the_task_completes_later(aio, log):
    """wait_for() cancels what it waits on, which here is only the shield around `t`."""
    t = aio.create_task(aio.sleep(0.03, "late"))
    try:
        await aio.wait_for(aio.shield(t), timeout=0.005)
    except TimeoutError:
        log("wait_for raised TimeoutError")
    log("t survived the timeout:", not t.done())
    log("t completed later:", repr(await t))


@scenario(
    "caller cancelled",
    "coroutine went on: done",
)
async def test_shield_of_a_coroutine_runs_it_in_a_task_that_survives(aio, log):
    finished = aio.Event()

    async def work():
        await aio.sleep(0.03)
        log("coroutine went on: done")
        finished.set()

    async def caller():
        await aio.shield(work())

    task = aio.create_task(caller())
    await aio.sleep(0.005)
    task.cancel()
    try:
        await task
    except aio.CancelledError:
        log("caller cancelled")
    await finished.wait()


@scenario(
    "reported: Task exception was never retrieved ValueError",
)
async def test_an_error_of_abandoned_shielded_work_is_reported(aio, log):
    """Once the caller is cancelled, the shield lets go of the inner task: if that task
    fails later and nobody holds it, the loop reports the error as never retrieved."""
    reported = []
    aio.get_running_loop().set_exception_handler(lambda loop, ctx: reported.append(ctx))

    async def fail_later():
        await aio.sleep(0.01)
        raise ValueError("nobody listens")

    async def caller():
        await aio.shield(fail_later())

    task = aio.create_task(caller())
    await aio.sleep(0)
    task.cancel()
    await aio.gather(task, return_exceptions=True)
    await aio.sleep(0.03)
    gc.collect()  # the failed task is garbage now
    for context in reported:
        log("reported:", context["message"], type(context["exception"]).__name__)


@scenario(
    "outer cancelled",
    "nothing reported: True",
)
async def test_inner_failing_as_the_shield_is_cancelled_is_not_reported(aio, log):
    """The inner future fails, then the shield is cancelled, in the same turn: the shield's
    callback still runs and finds itself cancelled, so it looks at the error (nobody else
    can now) and the inner future is not reported as never retrieved."""
    loop = aio.get_running_loop()
    reported = []
    loop.set_exception_handler(lambda loop, ctx: reported.append(ctx["message"]))
    inner = loop.create_future()
    outer = aio.shield(inner)
    inner.set_exception(ValueError("seen by the shield"))
    outer.cancel()
    await aio.sleep(0)
    log.outcome("outer", outer)
    del inner
    gc.collect()
    log("nothing reported:", reported == [])
