"""as_completed(): results in the order they finish, failures and timeouts included."""

from compat_tests.harness import scenario


@scenario(
    "got 'fast'",
    "got 'medium'",
    "got 'slow'",
)
async def test_as_completed_yields_in_completion_order(aio, log):
    async def job(name, delay):
        await aio.sleep(delay)
        return name

    for next_done in aio.as_completed([job("slow", 0.05), job("fast", 0.0),
                                       job("medium", 0.02)]):
        log("got", repr(await next_done))


@scenario(
    "got 'ok'",
    "raised ValueError: broken",
    "got 'late'",
)
async def test_as_completed_with_a_failing_member(aio, log):
    """The failure is raised by the await of its turn; the iteration can go on after it."""
    async def ok(value, delay):
        await aio.sleep(delay)
        return value

    async def broken():
        await aio.sleep(0.02)
        raise ValueError("broken")

    for next_done in aio.as_completed([broken(), ok("late", 0.05), ok("ok", 0.0)]):
        try:
            log("got", repr(await next_done))
        except ValueError as exc:
            log.error("raised", exc)


@scenario(
    "got 'quick'",
    "raised TimeoutError",
    "raised TimeoutError",
    "slow ones not cancelled: True",
)
async def test_as_completed_timeout_raises_without_cancelling(aio, log):
    quick = aio.create_task(aio.sleep(0, "quick"))
    slow = [aio.create_task(aio.sleep(0.1)) for _ in range(2)]
    for next_done in aio.as_completed([quick, *slow], timeout=0.01):
        try:
            log("got", repr(await next_done))
        except TimeoutError:
            log("raised TimeoutError")
    log("slow ones not cancelled:", not any(t.done() for t in slow))
    for task in slow:
        task.cancel()


@scenario(
    "yielded the original task: False",
    "result 7",
)
async def test_as_completed_plain_iteration_yields_new_coroutines(aio, log):
    """Plain iteration never hands out the original tasks, on any version."""
    task = aio.create_task(aio.sleep(0, 7))
    for next_done in aio.as_completed([task]):
        log("yielded the original task:", next_done is task)
        log("result", await next_done)


@scenario(
    "TypeError: 'async for' requires an object with __aiter__ method, got generator",
    changed={(3, 13): [
        "first done is b: True",
        "second done is a: True",
    ]},
)
async def test_as_completed_async_for_yields_the_original_tasks(aio, log):
    """3.13 made the result an async iterator too, which yields the tasks themselves (so you
    can tell which one finished); before that it is a plain generator."""
    a = aio.create_task(aio.sleep(0.02))
    b = aio.create_task(aio.sleep(0))
    try:
        order = [t async for t in aio.as_completed([a, b])]
    except TypeError as exc:
        log.error("", exc)
        log.lines[-1] = log.lines[-1].strip()
        await aio.gather(a, b)
        return
    log("first done is b:", order[0] is b)
    log("second done is a:", order[1] is a)


@scenario(
    "as_completed() returned",
    "TypeError at first next(): expect an iterable of futures, not Future",
    changed={(3, 13): [
        "TypeError at the call: expects an iterable of awaitables, not Future",
    ]},
)
async def test_as_completed_rejects_a_single_future(aio, log):
    """Up to 3.12 as_completed() is a generator: even the argument check waits for next()."""
    fut = aio.get_running_loop().create_future()
    try:
        iterator = aio.as_completed(fut)
    except TypeError as exc:
        log("TypeError at the call:", exc)
        return
    log("as_completed() returned")
    try:
        next(iterator)
    except TypeError as exc:
        log("TypeError at first next():", exc)


@scenario(
    "tasks before next(): 0",
    "tasks after next(): 2",
    changed={(3, 13): [
        "tasks before next(): 2",
        "tasks after next(): 2",
    ]},
)
async def test_as_completed_wraps_coroutines_lazily_before_3_13(aio, log):
    async def job():
        await aio.sleep(0)

    main = aio.current_task()
    iterator = aio.as_completed([job(), job()])
    log("tasks before next():", len(aio.all_tasks() - {main}))
    first = next(iterator)
    log("tasks after next():", len(aio.all_tasks() - {main}))
    await first
    await next(iterator)


@scenario(
    "results ['a', 'b', 'c']",
)
async def test_as_completed_consumers_may_wait_concurrently(aio, log):
    """gather() awaits all the yielded coroutines at once: each takes the next arrival."""
    async def job(name, delay):
        await aio.sleep(delay)
        return name

    results = await aio.gather(*aio.as_completed([job("c", 0.04), job("a", 0.0),
                                                  job("b", 0.02)]))
    log("results", results)


@scenario(
    "yielded 1 awaitable",
    "result 'once'",
    "empty input yields nothing: []",
)
async def test_as_completed_counts_each_awaitable_once(aio, log):
    task = aio.create_task(aio.sleep(0, "once"))
    coros = list(aio.as_completed([task, task]))
    log(f"yielded {len(coros)} awaitable")
    log("result", repr(await coros[0]))
    log("empty input yields nothing:", list(aio.as_completed([])))


@scenario(
    "got 'quick'",
    "raised TimeoutError",
    changed={(3, 13): [
        "got 'quick'",
        "async for raised TimeoutError",
    ]},
)
async def test_as_completed_timeout_in_async_for(aio, log):
    """On 3.13 the TimeoutError comes out of the `async for` itself."""
    quick = aio.create_task(aio.sleep(0, "quick"))
    slow = aio.create_task(aio.sleep(0.1))
    if not hasattr(aio.as_completed([]), "__aiter__"):  # before 3.13: plain iteration
        for next_done in aio.as_completed([quick, slow], timeout=0.01):
            try:
                log("got", repr(await next_done))
            except TimeoutError:
                log("raised TimeoutError")
    else:
        try:
            async for done in aio.as_completed([quick, slow], timeout=0.01):
                log("got", repr(done.result()))
        except TimeoutError:
            log("async for raised TimeoutError")
    slow.cancel()


@scenario(
    "c1 cancelled",
    "c2 got 'x'",
)
async def test_a_woken_consumer_cancelled_in_the_same_turn_passes_the_result_on(aio, log):
    """c1 is first in line and is woken for the arrival of 'x', but is cancelled before it
    runs: the arrival is handed to c2 instead of being lost."""
    loop = aio.get_running_loop()
    a, b = loop.create_future(), loop.create_future()
    first, second = aio.as_completed([a, b])

    async def consume(name, coro):
        try:
            log(name, "got", repr(await coro))
        except aio.CancelledError:
            log(name, "cancelled")

    c1 = aio.create_task(consume("c1", first))
    c2 = aio.create_task(consume("c2", second))
    await aio.sleep(0)  # both wait now, c1 first

    def arrive_then_cancel():
        a.set_result("x")  # as_completed hears of it (and wakes c1) on the next turn
        loop.call_soon(c1.cancel)  # ...just after that, before c1 runs

    loop.call_soon(arrive_then_cancel)
    await aio.gather(c1, c2)
    b.cancel()
