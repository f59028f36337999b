"""Semaphore and BoundedSemaphore: capping concurrency, FIFO, and fairness per version."""

from compat_tests.harness import scenario, sync_scenario
from compat_tests.test_locks import shape


@scenario(
    "w0 in", "w1 in", "w2 in",
    "w0 out", "w3 in",
    "w1 out", "w4 in",
    "w2 out", "w5 in",
    "w3 out", "w4 out", "w5 out",
    "peak concurrency: 3",
)
async def test_semaphore_limits_concurrency(aio, log):
    sem = aio.Semaphore(3)
    running = peak = 0

    async def worker(name, turns):
        nonlocal running, peak
        async with sem:
            running += 1
            peak = max(peak, running)
            log(name, "in")
            for _ in range(turns):
                await aio.sleep(0)
            running -= 1
            log(name, "out")

    # w0..w2 leave one turn apart, so the three waiting workers come in one by one.
    await aio.gather(*(worker(f"w{i}", 3 + i if i < 3 else 10) for i in range(6)))
    log("peak concurrency:", peak)


@scenario(
    "w0 got a place", "w1 got a place", "w2 got a place", "w3 got a place",
)
async def test_semaphore_wakes_waiters_in_fifo_order(aio, log):
    sem = aio.Semaphore(0)

    async def waiter(name):
        await sem.acquire()
        log(name, "got a place")

    tasks = [aio.create_task(waiter(f"w{i}")) for i in range(4)]
    await aio.sleep(0)
    for _ in range(4):
        sem.release()
    await aio.gather(*tasks)


@scenario(
    "released three times",
    "a got a place",
    "turn 1 done",
    "c got a place",
    "turn 2 done",
    "d got a place",
    "turn 3 done",
    changed={(3, 13): [
        "released three times",
        "a got a place",
        "turn 1 done",
        "c got a place",
        "d got a place",
        "turn 2 done",
        "turn 3 done",
    ]},
)
async def test_semaphore_fairness_across_versions(aio, log):
    """c and d ask while a has been woken but has not run: even with places free they
    queue behind a (FIFO). When a runs, 3.11 and 3.12 wake one more waiter, which wakes
    the next when it runs (one turn per waiter); 3.13 wakes as many as there are places."""
    sem = aio.Semaphore(1)
    await sem.acquire()

    async def taker(name):
        await sem.acquire()
        log(name, "got a place")

    a = aio.create_task(taker("a"))
    await aio.sleep(0)
    c = aio.create_task(taker("c"))  # their first steps run before a's wake-up
    d = aio.create_task(taker("d"))
    sem.release()  # wakes a, whose place is reserved at once
    sem.release()  # a plain Semaphore may go above its initial value
    sem.release()
    log("released three times")
    for turn in range(1, 4):
        await aio.sleep(0)
        log("turn", turn, "done")
    await aio.gather(a, c, d)


@scenario(
    "value 1, a queued before: locked() True",
    "newcomer queued behind a",
    "a got a place",
    "newcomer got a place",
)
async def test_semaphore_locked_while_anyone_waits(aio, log):
    """locked() means "acquire() would wait", which it does while others are in line, even
    with a free place: that place is promised to them."""
    sem = aio.Semaphore(1)
    await sem.acquire()

    async def taker(name):
        await sem.acquire()
        log(name, "got a place")

    a = aio.create_task(taker("a"))
    await aio.sleep(0)
    sem.release()  # a is woken; the place is reserved for it
    sem.release()  # one more place, free
    log("value 1, a queued before: locked()", sem.locked())
    newcomer = aio.create_task(taker("newcomer"))
    log("newcomer queued behind a")
    await aio.gather(a, newcomer)


@scenario(
    "a cancelled after being woken",
    "b got the place",
    "<Semaphore [locked]>",
)
async def test_semaphore_woken_waiter_cancelled_gives_its_place_on(aio, log):
    sem = aio.Semaphore(1)
    await sem.acquire()

    async def taker(name):
        try:
            await sem.acquire()
        except aio.CancelledError:
            log(name, "cancelled after being woken")
            raise
        log(name, "got the place")

    a = aio.create_task(taker("a"))
    b = aio.create_task(taker("b"))
    await aio.sleep(0)
    sem.release()  # a's place is reserved...
    a.cancel()     # ...and given back when a finds CancelledError
    await aio.gather(a, b, return_exceptions=True)
    log(shape(sem))  # b holds the only place: none lost, none made up


@scenario(
    "a cancelled while waiting",
    "b got the place",
    "c got the place",
)
async def test_semaphore_cancelled_waiter_leaves_the_line(aio, log):
    sem = aio.Semaphore(0)

    async def taker(name):
        try:
            await sem.acquire()
        except aio.CancelledError:
            log(name, "cancelled while waiting")
            raise
        log(name, "got the place")

    a, b, c = (aio.create_task(taker(n)) for n in "abc")
    await aio.sleep(0)
    a.cancel()
    await aio.sleep(0)
    sem.release()
    sem.release()
    await aio.gather(a, b, c, return_exceptions=True)


@scenario(
    "third release: ValueError: BoundedSemaphore released too many times",
    "<BoundedSemaphore [unlocked, value:2]>",
)
async def test_bounded_semaphore_refuses_over_release(aio, log):
    sem = aio.BoundedSemaphore(2)
    async with sem:
        pass
    try:
        sem.release()
    except ValueError as exc:
        log.error("third release:", exc)
    log(shape(sem))


@scenario(
    "Semaphore(1) released twice: <Semaphore [unlocked, value:3]>",
    "BoundedSemaphore is a Semaphore: True",
)
async def test_plain_semaphore_may_grow_past_its_initial_value(aio, log):
    sem = aio.Semaphore(1)
    sem.release()
    sem.release()
    log("Semaphore(1) released twice:", shape(sem))
    log("BoundedSemaphore is a Semaphore:", issubclass(aio.BoundedSemaphore, aio.Semaphore))


@sync_scenario(
    "Semaphore(-1): ValueError: Semaphore initial value must be >= 0",
    "BoundedSemaphore(-1): ValueError: Semaphore initial value must be >= 0",
    "Semaphore(0) is locked: True",
    "default value: <Semaphore [unlocked, value:1]>",
)
def test_semaphore_initial_value(aio, log):
    for cls in (aio.Semaphore, aio.BoundedSemaphore):
        try:
            cls(-1)
        except ValueError as exc:
            log.error(f"{cls.__name__}(-1):", exc)
    log("Semaphore(0) is locked:", aio.Semaphore(0).locked())
    log("default value:", shape(aio.Semaphore()))


@scenario(
    "<Semaphore [unlocked, value:2]>",
    "<Semaphore [unlocked, value:1]>",
    "<Semaphore [locked]>",
    "<Semaphore [locked, waiters:2]>",
    "async with target: None",
)
async def test_semaphore_repr_shows_value_and_waiters(aio, log):
    sem = aio.Semaphore(2)
    log(shape(sem))
    await sem.acquire()
    log(shape(sem))
    await sem.acquire()
    log(shape(sem))
    tasks = [aio.create_task(sem.acquire()) for _ in range(2)]
    await aio.sleep(0)
    log(shape(sem))
    sem.release()
    sem.release()
    await aio.gather(*tasks)
    sem.release()
    async with sem as target:
        log("async with target:", target)


@scenario(
    "acquire returned True",
    "blocked at zero: True",
    "released from a callback",
    "woke",
)
async def test_semaphore_zero_blocks_until_released(aio, log):
    sem = aio.Semaphore(1)
    log("acquire returned", await sem.acquire())
    task = aio.create_task(sem.acquire())
    await aio.sleep(0.01)
    log("blocked at zero:", not task.done())
    aio.get_running_loop().call_soon(lambda: (log("released from a callback"), sem.release()))
    await task
    log("woke")
