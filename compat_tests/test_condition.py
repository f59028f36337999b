"""Condition: wait() gives the lock up while it waits, and always takes it back."""

from compat_tests.harness import scenario
from compat_tests.test_locks import shape


@scenario(
    "wait: RuntimeError: cannot wait on un-acquired lock",
    "notify: RuntimeError: cannot notify on un-acquired lock",
    "notify_all: RuntimeError: cannot notify on un-acquired lock",
)
async def test_condition_requires_the_lock(aio, log):
    cond = aio.Condition()
    try:
        await cond.wait()
    except RuntimeError as exc:
        log.error("wait:", exc)
    try:
        cond.notify()
    except RuntimeError as exc:
        log.error("notify:", exc)
    try:
        cond.notify_all()
    except RuntimeError as exc:
        log.error("notify_all:", exc)


@scenario(
    "notify(1)",
    "w0 woke, holds the lock: True",
    "notify(2)",
    "w1 woke, holds the lock: True",
    "w2 woke, holds the lock: True",
    "still waiting: 1",
)
async def test_condition_notify_wakes_the_first_n_waiters_in_order(aio, log):
    cond = aio.Condition()

    async def waiter(name):
        async with cond:
            await cond.wait()
            log(name, "woke, holds the lock:", cond.locked())

    tasks = [aio.create_task(waiter(f"w{i}")) for i in range(4)]
    await aio.sleep(0)
    async with cond:
        log("notify(1)")
        cond.notify(1)
    await aio.sleep(0.01)
    async with cond:
        log("notify(2)")
        cond.notify(2)
    await aio.sleep(0.01)
    log("still waiting:", len(cond._waiters))
    tasks[3].cancel()
    await aio.gather(*tasks, return_exceptions=True)


@scenario(
    "notify_all done, waiters run only after main releases",
    "main released",
    "w0 has the lock alone: True",
    "w1 has the lock alone: True",
    "w2 has the lock alone: True",
)
async def test_condition_notify_all_wakes_everyone_one_lock_holder_at_a_time(aio, log):
    cond = aio.Condition()
    inside = 0

    async def waiter(name):
        nonlocal inside
        async with cond:
            await cond.wait()
            inside += 1
            log(name, "has the lock alone:", inside == 1)
            await aio.sleep(0)  # others cannot get in while we hold the lock
            inside -= 1

    tasks = [aio.create_task(waiter(f"w{i}")) for i in range(3)]
    await aio.sleep(0)
    async with cond:
        cond.notify_all()
        log("notify_all done, waiters run only after main releases")
        await aio.sleep(0.01)
    log("main released")
    await aio.gather(*tasks)


@scenario(
    "predicate checked: 0",
    "predicate checked: 1",
    "predicate checked: 2",
    "predicate checked: 3",
    "wait_for returned 'ready'",
)
async def test_condition_wait_for_rechecks_the_predicate_after_each_wake(aio, log):
    cond = aio.Condition()
    state = {"step": 0}

    def predicate():
        log("predicate checked:", state["step"])
        return "ready" if state["step"] == 3 else None

    async def consumer():
        async with cond:
            return await cond.wait_for(predicate)

    task = aio.create_task(consumer())
    await aio.sleep(0)
    for _ in range(3):
        async with cond:
            state["step"] += 1
            cond.notify()
        await aio.sleep(0.01)
    log("wait_for returned", repr(await task))


@scenario(
    "true at once: 42",
)
async def test_condition_wait_for_a_true_predicate_does_not_wait(aio, log):
    cond = aio.Condition()
    async with cond:
        log("true at once:", await cond.wait_for(lambda: 42))


@scenario(
    "cond.locked() follows the lock: True",
    "lock.locked() follows cond: True",
    "two conditions, one lock: True",
)
async def test_condition_shares_a_given_lock(aio, log):
    lock = aio.Lock()
    cond = aio.Condition(lock)
    other = aio.Condition(lock)
    await lock.acquire()
    log("cond.locked() follows the lock:", cond.locked())
    lock.release()
    await cond.acquire()
    log("lock.locked() follows cond:", lock.locked())
    log("two conditions, one lock:", other.locked())
    cond.release()


@scenario(
    "waiter cancelled, holds the lock again: True",
    "lock free once the waiter's async with is done: True",
)
async def test_condition_cancelled_wait_reacquires_the_lock_before_raising(aio, log):
    cond = aio.Condition()

    async def waiter():
        async with cond:
            try:
                await cond.wait()
            except aio.CancelledError:
                log("waiter cancelled, holds the lock again:", cond.locked())
                raise

    task = aio.create_task(waiter())
    await aio.sleep(0)
    task.cancel()
    await aio.gather(task, return_exceptions=True)
    log("lock free once the waiter's async with is done:", not cond.locked())


@scenario(
    "cancelled while main holds the lock",
    "main releases",
    "waiter raises only now, holding the lock: True",
)
async def test_condition_cancelled_waiter_waits_for_the_lock_first(aio, log):
    """The CancelledError is held back until the lock is free again and ours."""
    cond = aio.Condition()

    async def waiter():
        async with cond:
            try:
                await cond.wait()
            except aio.CancelledError:
                log("waiter raises only now, holding the lock:", cond.locked())
                raise

    task = aio.create_task(waiter())
    await aio.sleep(0)
    async with cond:
        task.cancel()
        log("cancelled while main holds the lock")
        await aio.sleep(0.01)
        log("main releases")
    await aio.gather(task, return_exceptions=True)


@scenario(
    "a cancelled after notify, holds the lock: True",
    "b woken: False",
    "b cancelled, holds the lock: True",
    changed={(3, 13): [
        "a cancelled after notify, holds the lock: True",
        "b notified",
        "b woken: True",
    ]},
)
async def test_condition_notified_then_cancelled_passes_the_notify_on(aio, log):
    """notify(1) picks a, then a is cancelled before it runs. On 3.11 and 3.12 that
    notification is lost and b sleeps on; 3.13 hands it on to b (a "spurious" wake-up is
    allowed, a lost one is not)."""
    cond = aio.Condition()

    async def waiter(name):
        async with cond:
            try:
                await cond.wait()
                log(name, "notified")
            except aio.CancelledError:
                log(name, "cancelled" + (" after notify" if name == "a" else "") +
                    ", holds the lock:", cond.locked())
                raise

    a = aio.create_task(waiter("a"))
    b = aio.create_task(waiter("b"))
    await aio.sleep(0)
    async with cond:
        cond.notify(1)
        a.cancel()
    await aio.gather(a, return_exceptions=True)
    await aio.sleep(0.01)
    log("b woken:", b.done())
    b.cancel()
    await aio.gather(b, return_exceptions=True)


@scenario(
    "waiter got CancelledError with args ()",
    changed={(3, 13): ["waiter got CancelledError with args ('stop',)"]},
)
async def test_condition_cancel_message_while_reacquiring(aio, log):
    """Cancelled while queueing to re-take the lock: 3.11 and 3.12 raise a new, empty
    CancelledError; 3.13 re-raises the one carrying the message."""
    cond = aio.Condition()

    async def waiter():
        async with cond:
            try:
                await cond.wait()
            except aio.CancelledError as exc:
                log("waiter got CancelledError with args", exc.args)
                raise

    task = aio.create_task(waiter())
    await aio.sleep(0)
    await cond.acquire()
    cond.notify()
    await aio.sleep(0)  # the waiter was notified and now queues for the lock main holds
    task.cancel("stop")
    await aio.sleep(0)
    cond.release()
    await aio.gather(task, return_exceptions=True)


@scenario(
    "notify with nobody waiting is harmless",
    "notify(5) with two waiting woke: 2",
)
async def test_condition_notify_more_than_are_waiting(aio, log):
    cond = aio.Condition()
    async with cond:
        cond.notify()
    log("notify with nobody waiting is harmless")
    woke = 0

    async def waiter():
        nonlocal woke
        async with cond:
            await cond.wait()
            woke += 1

    tasks = [aio.create_task(waiter()) for _ in range(2)]
    await aio.sleep(0)
    async with cond:
        cond.notify(5)
    await aio.gather(*tasks)
    log("notify(5) with two waiting woke:", woke)


@scenario(
    "<Condition [unlocked]>",
    "<Condition [locked]>",
    "<Condition [unlocked, waiters:2]>",
    "wait() returned True",
)
async def test_condition_repr_and_wait_result(aio, log):
    cond = aio.Condition()
    log(shape(cond))
    async with cond:
        log(shape(cond))

    async def waiter():
        async with cond:
            return await cond.wait()

    tasks = [aio.create_task(waiter()) for _ in range(2)]
    await aio.sleep(0)
    log(shape(cond))
    async with cond:
        cond.notify_all()
    results = await aio.gather(*tasks)
    log("wait() returned", all(results))


@scenario(
    "produced 1", "consumed 1",
    "produced 2", "consumed 2",
    "produced 3", "consumed 3",
)
async def test_condition_producer_consumer_handshake(aio, log):
    cond = aio.Condition()
    items = []

    async def consumer():
        for _ in range(3):
            async with cond:
                await cond.wait_for(lambda: items)
                log("consumed", items.pop(0))

    task = aio.create_task(consumer())
    for i in range(1, 4):
        async with cond:
            items.append(i)
            log("produced", i)
            cond.notify()
        await aio.sleep(0.01)
    await task
