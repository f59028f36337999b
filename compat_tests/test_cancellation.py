"""Cancellation: a request delivered as CancelledError at the await, and what can follow."""

from compat_tests.harness import scenario


@scenario(
    "cancel() True",
    "task cancelled",
    "the coroutine never ran: True",
)
async def test_cancel_before_the_task_starts(aio, log):
    ran = []

    async def job():
        ran.append(1)

    task = aio.create_task(job())
    log("cancel()", task.cancel())
    try:
        await task
    except aio.CancelledError:
        pass
    log.outcome("task", task)
    log("the coroutine never ran:", ran == [])


@scenario(
    "sleeping",
    "cancel() True",
    "cancelled() right after cancel(): False",
    "CancelledError raised at the await",
    "cleanup in finally",
    "task cancelled",
)
async def test_cancel_is_delivered_at_the_await(aio, log):
    """cancel() only requests; the CancelledError appears where the task is suspended."""
    async def sleeper():
        try:
            log("sleeping")
            await aio.sleep(10)
        except aio.CancelledError:
            log("CancelledError raised at the await")
            raise
        finally:
            log("cleanup in finally")

    task = aio.create_task(sleeper())
    await aio.sleep(0)
    log("cancel()", task.cancel())
    log("cancelled() right after cancel():", task.cancelled())
    try:
        await task
    except aio.CancelledError:
        log.outcome("task", task)


@scenario(
    "cancel() after done: False",
    "task result 'ok'",
)
async def test_cancel_after_the_task_is_done(aio, log):
    async def job():
        return "ok"

    task = aio.create_task(job())
    await task
    log("cancel() after done:", task.cancel())
    log.outcome("task", task)


@scenario(
    "caught the cancellation, carrying on",
    "task result 'survived'",
    "cancelling() 1",
    "cancelled() False",
)
async def test_catching_cancelled_error_and_carrying_on(aio, log):
    async def stubborn():
        try:
            await aio.sleep(10)
        except aio.CancelledError:
            log("caught the cancellation, carrying on")
        await aio.sleep(0)
        return "survived"

    task = aio.create_task(stubborn())
    await aio.sleep(0)
    task.cancel()
    await task
    log.outcome("task", task)
    log("cancelling()", task.cancelling())
    log("cancelled()", task.cancelled())


@scenario(
    "inside: CancelledError: shutting down",
    "outside: CancelledError: shutting down",
)
async def test_cancel_with_a_message(aio, log):
    async def job():
        try:
            await aio.sleep(10)
        except aio.CancelledError as exc:
            log.error("inside:", exc)
            raise

    task = aio.create_task(job())
    await aio.sleep(0)
    task.cancel("shutting down")
    try:
        await task
    except aio.CancelledError as exc:
        log.error("outside:", exc)


@scenario(
    "cancelling() 0",
    "after two cancel(): 2",
    "uncancel() 1",
    "uncancel() 0",
    "uncancel() at zero stays 0",
)
async def test_cancelling_counts_requests_and_uncancel_takes_them_back(aio, log):
    async def job():
        try:
            await aio.sleep(10)
        except aio.CancelledError:
            await aio.sleep(0)

    task = aio.create_task(job())
    await aio.sleep(0)
    log("cancelling()", task.cancelling())
    task.cancel()
    task.cancel()
    log("after two cancel():", task.cancelling())
    log("uncancel()", task.uncancel())
    log("uncancel()", task.uncancel())
    log("uncancel() at zero stays", task.uncancel())
    await task


@scenario(
    "inner: cancelled while waiting",
    "outer: CancelledError",
    "inner cancelled",
    "outer cancelled",
)
async def test_cancelling_a_task_cancels_the_task_it_awaits(aio, log):
    async def inner():
        try:
            await aio.sleep(10)
        except aio.CancelledError:
            log("inner: cancelled while waiting")
            raise

    async def outer(child):
        try:
            await child
        except aio.CancelledError:
            log("outer: CancelledError")
            raise

    child = aio.create_task(inner())
    parent = aio.create_task(outer(child))
    await aio.sleep(0)
    parent.cancel()
    await aio.gather(parent, child, return_exceptions=True)
    log.outcome("inner", child)
    log.outcome("outer", parent)


@scenario(
    "first cancel caught",
    "second cancel caught",
    "task result 'done'",
)
async def test_a_task_can_be_cancelled_again_after_surviving(aio, log):
    async def job():
        for name in ("first", "second"):
            try:
                await aio.sleep(10)
            except aio.CancelledError:
                log(name, "cancel caught")
        return "done"

    task = aio.create_task(job())
    for _ in range(2):
        await aio.sleep(0)
        task.cancel()
    await task
    log.outcome("task", task)


@scenario(
    "cancel() while running True",
    "reached the next await",
    "task cancelled",
)
async def test_cancel_from_inside_the_task_lands_at_its_next_await(aio, log):
    async def job():
        log("cancel() while running", aio.current_task().cancel())
        log("reached the next await")
        await aio.sleep(0)
        log("never printed")

    task = aio.create_task(job())
    try:
        await task
    except aio.CancelledError:
        log.outcome("task", task)


@scenario(
    "returned before the cancel could land",
    "task cancelled",
)
async def test_cancel_after_the_last_await_still_cancels(aio, log):
    """The coroutine returns normally, but a pending cancel() request wins."""
    async def job():
        aio.current_task().cancel()
        log("returned before the cancel could land")
        return "lost"

    task = aio.create_task(job())
    try:
        await task
    except aio.CancelledError:
        log.outcome("task", task)


@scenario(
    "timers left in the heap: 0",
)
async def test_cancelled_sleep_removes_its_timer(aio, log):
    """Many cancelled sleeps must not leave timers behind (the heap is cleaned)."""
    loop = aio.get_running_loop()

    async def sleeper():
        await aio.sleep(100)

    tasks = [aio.create_task(sleeper()) for _ in range(300)]
    await aio.sleep(0)
    for task in tasks:
        task.cancel()
    await aio.gather(*tasks, return_exceptions=True)
    await aio.sleep(0)
    log("timers left in the heap:", len(loop._scheduled))


@scenario(
    "cancel took effect: 1 request",
    "uncancel() 0",
    "task cancelled",
    changed={(3, 13): [
        "cancel took effect: 1 request",
        "uncancel() 0",
        "task result 'finished anyway'",
    ]},
)
async def test_uncancel_before_the_task_runs_again(aio, log):
    """A cancel() still waiting to be delivered survives uncancel() until 3.13, where taking
    back the last request drops it."""
    async def job():
        await aio.sleep(0)
        return "finished anyway"

    task = aio.create_task(job())
    await aio.sleep(0)  # the task now waits in sleep(0)'s bare yield: no future to cancel
    task.cancel()
    log("cancel took effect:", task.cancelling(), "request")
    log("uncancel()", task.uncancel())
    try:
        await task
    except aio.CancelledError:
        log.outcome("task", task)
    else:
        log.outcome("task", task)


@scenario(
    "future done: True",
    "cancel() True",
    "waiter got CancelledError, although the future has result 'value'",
)
async def test_cancel_after_the_awaited_future_completed_but_before_the_wakeup(aio, log):
    """The wake-up is already queued, yet cancel() still wins: the task is resumed with
    CancelledError instead of the result (it had not seen the result yet)."""
    loop = aio.get_running_loop()
    fut = loop.create_future()

    async def waiter():
        try:
            await fut
        except aio.CancelledError:
            log(f"waiter got CancelledError, although the future has result {fut.result()!r}")
            raise

    task = aio.create_task(waiter())
    await aio.sleep(0)
    fut.set_result("value")  # schedules the waiter's wake-up...
    log("future done:", fut.done())
    log("cancel()", task.cancel())  # ...but the request lands first
    await aio.gather(task, return_exceptions=True)
