"""Lock: the single-threaded race, FIFO hand-off, and cancellation around the wake-up."""

import re

from compat_tests.harness import scenario, sync_scenario


def shape(obj):
    """A repr without module path and address, which differ between the backends:
    `<asyncio.locks.Lock object at 0x7f.. [locked]>` reads `<Lock [locked]>`."""
    return re.sub(r"<[\w.]+\.(\w+) object at 0x[0-9a-f]+", r"<\1", str(obj))


@scenario(
    "a read 0",
    "b read 0",
    "a wrote 1",
    "b wrote 1",
    "counter 1",
)
async def test_lock_single_thread_race_loses_an_update(aio, log):
    """No threads, and still a race: each task reads, awaits, then writes back what it read
    plus one. Both read before either writes, so one increment is lost."""
    counter = 0

    async def increment(name):
        nonlocal counter
        seen = counter
        log(name, "read", seen)
        await aio.sleep(0)  # anything that awaits lets the other task run here
        counter = seen + 1
        log(name, "wrote", counter)

    await aio.gather(increment("a"), increment("b"))
    log("counter", counter)


@scenario(
    "a read 0",
    "a wrote 1",
    "b read 1",
    "b wrote 2",
    "counter 2",
)
async def test_lock_fixes_the_single_thread_race(aio, log):
    counter = 0
    lock = aio.Lock()

    async def increment(name):
        nonlocal counter
        async with lock:  # b waits here until a has written
            seen = counter
            log(name, "read", seen)
            await aio.sleep(0)
            counter = seen + 1
            log(name, "wrote", counter)

    await aio.gather(increment("a"), increment("b"))
    log("counter", counter)


@scenario(
    "locked False",
    "acquire returned True",
    "locked True",
    "locked False",
    "release again: RuntimeError: Lock is not acquired.",
)
async def test_lock_acquire_release_and_releasing_an_unlocked_lock(aio, log):
    lock = aio.Lock()
    log("locked", lock.locked())
    log("acquire returned", await lock.acquire())
    log("locked", lock.locked())
    lock.release()
    log("locked", lock.locked())
    try:
        lock.release()
    except RuntimeError as exc:
        log.error("release again:", exc)


@scenario(
    "w0 got it", "w1 got it", "w2 got it", "w3 got it", "w4 got it",
)
async def test_lock_wakes_waiters_in_fifo_order(aio, log):
    lock = aio.Lock()
    await lock.acquire()

    async def waiter(name):
        async with lock:
            log(name, "got it")
            await aio.sleep(0)

    tasks = [aio.create_task(waiter(f"w{i}")) for i in range(5)]
    await aio.sleep(0)  # all five are queued now
    lock.release()
    await aio.gather(*tasks)


@scenario(
    "as target: None",
    "inside: locked True",
    "caught ValueError: boom",
    "after: locked False",
)
async def test_lock_async_with_releases_on_exception(aio, log):
    lock = aio.Lock()
    try:
        async with lock as target:
            log("as target:", target)
            log("inside: locked", lock.locked())
            raise ValueError("boom")
    except ValueError as exc:
        log.error("caught", exc)
    log("after: locked", lock.locked())


@scenario(
    "a cancelled while waiting",
    "b got it",
    "c got it",
    "waiters left: 0",
)
async def test_lock_waiter_cancelled_while_waiting_leaves_the_line(aio, log):
    lock = aio.Lock()
    await lock.acquire()

    async def waiter(name):
        try:
            async with lock:
                log(name, "got it")
        except aio.CancelledError:
            log(name, "cancelled while waiting")
            raise

    a, b, c = (aio.create_task(waiter(n)) for n in "abc")
    await aio.sleep(0)
    a.cancel()
    await aio.sleep(0)
    lock.release()
    await aio.gather(b, c)
    log("waiters left:", len(lock._waiters))


@scenario(
    "released: locked False",
    "a cancelled after being woken",
    "b got the lock",
    "a: cancelled",
    "lock free at the end: True",
)
async def test_lock_waiter_cancelled_after_wake_up_passes_the_lock_on(aio, log):
    """release() wakes a, but a is cancelled before it runs. a must not take the lock, and
    must not strand b either: it wakes b on its way out."""
    lock = aio.Lock()
    await lock.acquire()

    async def waiter(name):
        try:
            await lock.acquire()
        except aio.CancelledError:
            log(name, "cancelled after being woken")
            raise
        log(name, "got the lock")
        lock.release()

    a = aio.create_task(waiter("a"))
    b = aio.create_task(waiter("b"))
    await aio.sleep(0)
    lock.release()  # a's future is done: a is on its way...
    a.cancel()      # ...but it will find CancelledError instead
    log("released: locked", lock.locked())
    await aio.gather(a, b, return_exceptions=True)
    log.state("a:", a)
    log("lock free at the end:", not lock.locked())


@scenario(
    "main released and asks again",
    "waiter got it",
    "main got it back",
)
async def test_lock_newcomer_does_not_overtake_a_woken_waiter(aio, log):
    """Releasing and re-acquiring at once does not let the releaser back in first: the
    woken waiter has not run yet, but it is in line, and the line is respected."""
    lock = aio.Lock()
    await lock.acquire()

    async def waiter():
        async with lock:
            log("waiter got it")

    task = aio.create_task(waiter())
    await aio.sleep(0)
    lock.release()
    log("main released and asks again")
    await lock.acquire()  # the lock is free, but the woken waiter is in line: main waits
    log("main got it back")
    lock.release()
    await task


@scenario(
    "waiter cancelled before release",
    "main re-acquired before a ran",
    "a cancelled",
    "locked True",
)
async def test_lock_line_of_cancelled_waiters_counts_as_empty(aio, log):
    """A line holding only cancelled waiters does not stop an acquire: they are leaving."""
    lock = aio.Lock()
    await lock.acquire()

    async def waiter():
        try:
            await lock.acquire()
        except aio.CancelledError:
            log("a cancelled")
            raise

    a = aio.create_task(waiter())
    await aio.sleep(0)
    a.cancel()  # a's future is cancelled, but a has not run yet
    log("waiter cancelled before release")
    lock.release()
    await lock.acquire()  # had main been made to wait, a would have run first
    log("main re-acquired before a ran")
    await aio.gather(a, return_exceptions=True)
    log("locked", lock.locked())


@scenario(
    "<Lock [unlocked]>",
    "<Lock [locked]>",
    "<Lock [locked, waiters:2]>",
    "<Lock [locked, waiters:1]>",
    "<Lock [unlocked]>",
)
async def test_lock_repr_shows_state_and_waiters(aio, log):
    lock = aio.Lock()
    log(shape(lock))
    await lock.acquire()
    log(shape(lock))

    async def waiter():
        async with lock:
            await aio.sleep(0)

    tasks = [aio.create_task(waiter()) for _ in range(2)]
    await aio.sleep(0)
    log(shape(lock))
    lock.release()
    await aio.sleep(0)  # the first waiter holds it now
    log(shape(lock))
    await aio.gather(*tasks)
    log(shape(lock))


@scenario(
    "main took it",
    "helper released it",
    "locked False",
)
async def test_lock_may_be_released_by_another_task(aio, log):
    """asyncio's Lock has no owner: any task may release it."""
    lock = aio.Lock()
    await lock.acquire()
    log("main took it")

    async def helper():
        lock.release()
        log("helper released it")

    await aio.create_task(helper())
    log("locked", lock.locked())


@scenario(
    "holder cancelled inside the block",
    "next waiter got it",
    "locked at the end: False",
)
async def test_lock_holder_cancelled_inside_async_with_releases(aio, log):
    lock = aio.Lock()

    async def holder():
        async with lock:
            try:
                await aio.sleep(10)
            except aio.CancelledError:
                log("holder cancelled inside the block")
                raise

    async def next_waiter():
        async with lock:
            log("next waiter got it")

    h = aio.create_task(holder())
    await aio.sleep(0)
    n = aio.create_task(next_waiter())
    await aio.sleep(0)
    h.cancel()
    await aio.gather(h, n, return_exceptions=True)
    log("locked at the end:", lock.locked())


@sync_scenario(
    "made outside any loop: <Lock [unlocked]>",
    "first loop: contended and bound",
    "second loop: uncontended acquire works",
    "second loop: RuntimeError: <Lock [locked]> is bound to a different event loop",
)
def test_lock_is_bound_to_the_first_loop_that_waits_on_it(aio, log):
    lock = aio.Lock()
    log("made outside any loop:", shape(lock))

    async def first():
        await lock.acquire()
        waiter = aio.create_task(lock.acquire())
        await aio.sleep(0)  # the waiter's future binds the lock to this loop
        lock.release()
        await waiter
        lock.release()
        log("first loop: contended and bound")

    async def second():
        await lock.acquire()  # the fast path never asks for the loop
        log("second loop: uncontended acquire works")
        try:
            await lock.acquire()
        except RuntimeError as exc:
            log("second loop: RuntimeError:", shape(exc))

    aio.run(first())
    aio.run(second())


@sync_scenario(
    "Lock(loop=None): TypeError: Lock.__init__() got an unexpected keyword argument 'loop'",
)
def test_lock_takes_no_loop_argument(aio, log):
    try:
        aio.Lock(loop=None)
    except TypeError as exc:
        log.error("Lock(loop=None):", exc)
