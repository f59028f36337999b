"""wait_for(): a timeout for one await. The inner work is cancelled *and awaited* first."""

import time

from compat_tests.harness import scenario


@scenario(
    "inner cancelled, cleaning up",
    "inner cleanup done",
    "wait_for raised TimeoutError, caused by CancelledError",
)
async def test_wait_for_cancels_and_awaits_the_inner_work_before_raising(aio, log):
    """TimeoutError comes only after the inner coroutine has finished its cleanup."""
    async def slow():
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            log("inner cancelled, cleaning up")
            await aio.sleep(0.01)
            log("inner cleanup done")
            raise

    try:
        await aio.wait_for(slow(), timeout=0.01)
    except TimeoutError as exc:
        log("wait_for raised TimeoutError, caused by", type(exc.__cause__).__name__)


@scenario(
    "result 'in time'",
)
async def test_wait_for_returns_the_result_in_time(aio, log):
    log("result", repr(await aio.wait_for(aio.sleep(0.001, "in time"), timeout=1)))


@scenario(
    "result 'no limit'",
)
async def test_wait_for_with_timeout_none_just_awaits(aio, log):
    log("result", repr(await aio.wait_for(aio.sleep(0.01, "no limit"), timeout=None)))


@scenario(
    "TimeoutError",
    "the coroutine never started: True",
    "done future with timeout 0: 'ready'",
)
async def test_wait_for_with_zero_timeout(aio, log):
    """timeout <= 0: a coroutine is cancelled before its first line; a finished future wins."""
    started = False

    async def work():
        nonlocal started
        started = True

    try:
        await aio.wait_for(work(), timeout=0)
    except TimeoutError:
        log("TimeoutError")
    log("the coroutine never started:", not started)
    fut = aio.get_running_loop().create_future()
    fut.set_result("ready")
    log("done future with timeout 0:", repr(await aio.wait_for(fut, timeout=-1)))


@scenario(
    "inner got CancelledError",
    "waiter raised CancelledError",
    "inner task cancelled: True",
)
async def test_cancelling_the_waiter_cancels_the_inner_task(aio, log):
    async def inner():
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            log("inner got CancelledError")
            raise

    inner_task = aio.create_task(inner())

    async def waiter():
        try:
            await aio.wait_for(inner_task, timeout=1)
        except aio.CancelledError:
            log("waiter raised CancelledError")
            raise

    w = aio.create_task(waiter())
    await aio.sleep(0.005)
    w.cancel()
    await aio.gather(w, return_exceptions=True)
    log("inner task cancelled:", inner_task.cancelled())


@scenario(
    "inner runs in the caller's task: False",
    changed={(3, 12): [
        "inner runs in the caller's task: True",
    ]},
)
async def test_wait_for_runs_a_coroutine_in_its_own_task_only_on_3_11(aio, log):
    """3.12 rebuilt wait_for() on timeout(): the coroutine is awaited directly, in the
    calling task. 3.11 wraps it in a task of its own."""
    caller = aio.current_task()

    async def inner():
        return aio.current_task() is caller

    log("inner runs in the caller's task:", await aio.wait_for(inner(), timeout=1))


@scenario(
    "wait_for returned 'late'",
    changed={(3, 12): [
        "wait_for raised TimeoutError; the future has 'late'",
    ]},
)
async def test_result_that_arrives_in_the_same_turn_as_the_timeout(aio, log):
    """The loop is blocked past both deadlines, so the future's result and the timeout land
    in one turn. 3.11 checks the future first and returns the result; 3.12+ has already
    cancelled the waiting task, so the timeout wins and the result is dropped."""
    loop = aio.get_running_loop()
    fut = loop.create_future()
    loop.call_later(0.03, fut.set_result, "late")
    loop.call_soon(time.sleep, 0.1)  # block the loop past both deadlines
    try:
        log("wait_for returned", repr(await aio.wait_for(fut, timeout=0.06)))
    except TimeoutError:
        log("wait_for raised TimeoutError; the future has", repr(fut.result()))


@scenario(
    "waiter returned 'x', cancellation lost",
    "cancelling() 1",
    changed={(3, 12): [
        "waiter raised CancelledError",
        "cancelling() 1",
    ]},
)
async def test_cancellation_arriving_in_the_same_turn_as_completion(aio, log):
    """The future completes and the waiting task is cancelled in one callback. 3.11 sees
    the finished future and returns its result: the cancellation is swallowed (a known bug).
    3.12+ raises CancelledError, as cancel() promised."""
    loop = aio.get_running_loop()
    fut = loop.create_future()

    async def waiter():
        try:
            value = await aio.wait_for(fut, timeout=1)
            log("waiter returned", repr(value) + ", cancellation lost")
        except aio.CancelledError:
            log("waiter raised CancelledError")
        log("cancelling()", aio.current_task().cancelling())

    w = aio.create_task(waiter())
    await aio.sleep(0)

    def complete_and_cancel():
        fut.set_result("x")
        w.cancel()

    loop.call_soon(complete_and_cancel)
    await w


@scenario(
    "result ['a', 'b']",
    "gather timed out: TimeoutError",
    "both children cancelled: True",
)
async def test_gather_inside_wait_for(aio, log):
    """On timeout, wait_for cancels the gather, and the gather cancels its children."""
    log("result", await aio.wait_for(aio.gather(aio.sleep(0, "a"), aio.sleep(0.01, "b")),
                                     timeout=1))
    children = [aio.create_task(aio.sleep(1)) for _ in range(2)]
    try:
        await aio.wait_for(aio.gather(*children), timeout=0.01)
    except TimeoutError as exc:
        log("gather timed out:", type(exc).__name__)
    log("both children cancelled:", all(child.cancelled() for child in children))


@scenario(
    "wait_for returned 'swallowed'",
)
async def test_inner_that_swallows_the_cancellation_returns_its_value(aio, log):
    """If the inner work catches the timeout's cancellation and returns, that value wins."""
    async def stubborn():
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            return "swallowed"

    log("wait_for returned", repr(await aio.wait_for(stubborn(), timeout=0.01)))


@scenario(
    "inner timeout first: TimeoutError",
    "outer block continues",
)
async def test_wait_for_inside_timeout(aio, log):
    async with aio.timeout(1):
        try:
            await aio.wait_for(aio.sleep(1), timeout=0.01)
        except TimeoutError:
            log("inner timeout first: TimeoutError")
        log("outer block continues")


@scenario(
    "wait_for raised KeyError: 'inner'",
)
async def test_wait_for_passes_the_inner_error_on(aio, log):
    async def fail():
        await aio.sleep(0)
        raise KeyError("inner")

    try:
        await aio.wait_for(fail(), timeout=1)
    except KeyError as exc:
        log.error("wait_for raised", exc)


@scenario(
    "waiter raised CancelledError",
    "waiter cancelled: True",
    changed={(3, 12): [
        "wait_for returned 'kept', cancelling() 1",
        "waiter cancelled: False",
    ]},
)
async def test_waiter_cancelled_while_the_inner_swallows_the_cancellation(aio, log):
    """3.11 re-raises the waiter's CancelledError once the inner work is done, dropping its
    value. 3.12+ awaits the work directly, so the work decides: it returned a value, and the
    cancellation is gone (only cancelling() still remembers it)."""
    async def stubborn():
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            await aio.sleep(0)
            return "kept"

    async def waiter():
        try:
            value = await aio.wait_for(stubborn(), timeout=1)
            log(f"wait_for returned {value!r}, cancelling()", aio.current_task().cancelling())
        except aio.CancelledError:
            log("waiter raised CancelledError")
            raise

    w = aio.create_task(waiter())
    await aio.sleep(0.005)
    w.cancel()
    await aio.gather(w, return_exceptions=True)
    log("waiter cancelled:", w.cancelled())


@scenario(
    "wait_for(fut=..., timeout=...): 'ok'",
    "shield(arg=...): 'ok'",
)
async def test_keyword_arguments_have_asyncio_names(aio, log):
    log("wait_for(fut=..., timeout=...):", repr(await aio.wait_for(fut=aio.sleep(0, "ok"),
                                                                   timeout=1)))
    log("shield(arg=...):", repr(await aio.shield(arg=aio.sleep(0, "ok"))))
