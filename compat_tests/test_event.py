"""Event: one set() wakes every waiter, in the order they started waiting."""

from compat_tests.harness import scenario
from compat_tests.test_locks import shape


@scenario(
    "is_set False",
    "set() returned, nobody has run yet",
    "w0 woke with True", "w1 woke with True", "w2 woke with True",
    "is_set True",
)
async def test_event_set_wakes_all_waiters_in_order(aio, log):
    event = aio.Event()
    log("is_set", event.is_set())

    async def waiter(name):
        log(name, "woke with", await event.wait())

    tasks = [aio.create_task(waiter(f"w{i}")) for i in range(3)]
    await aio.sleep(0)
    event.set()
    log("set() returned, nobody has run yet")
    await aio.gather(*tasks)
    log("is_set", event.is_set())


@scenario(
    "woken once",
    "wake-ups: 1",
)
async def test_event_set_twice_wakes_waiters_once(aio, log):
    event = aio.Event()
    wakeups = 0

    async def waiter():
        nonlocal wakeups
        await event.wait()
        wakeups += 1
        log("woken once")

    task = aio.create_task(waiter())
    await aio.sleep(0)
    event.set()
    event.set()  # already set: nothing more happens
    await task
    log("wake-ups:", wakeups)


@scenario(
    "main: wait() on a set event returned True",
    "main: still before the other task",
    "other task runs",
)
async def test_event_wait_on_a_set_event_does_not_suspend(aio, log):
    event = aio.Event()
    event.set()
    other = aio.create_task(aio.sleep(0, "x"))
    other.add_done_callback(lambda _: log("other task runs"))
    log("main: wait() on a set event returned", await event.wait())
    log("main: still before the other task")
    await other


@scenario(
    "cleared before the waiter ran: is_set False",
    "waiter still returns True",
)
async def test_event_clear_after_set_does_not_unwake_waiters(aio, log):
    """Waiters woken by set() return True even if the flag is cleared before they run."""
    event = aio.Event()
    task = aio.create_task(event.wait())
    await aio.sleep(0)
    event.set()
    event.clear()
    log("cleared before the waiter ran: is_set", event.is_set())
    log("waiter still returns", await task)


@scenario(
    "first wait done",
    "second wait blocks after clear(): True",
    "second wait done",
)
async def test_event_clear_makes_wait_block_again(aio, log):
    event = aio.Event()
    event.set()
    await event.wait()
    log("first wait done")
    event.clear()
    task = aio.create_task(event.wait())
    await aio.sleep(0.01)
    log("second wait blocks after clear():", not task.done())
    event.set()
    await task
    log("second wait done")


@scenario(
    "waiters: 2",
    "a cancelled",
    "waiters after cancel: 1",
    "b woke",
)
async def test_event_cancelled_waiter_leaves_and_others_still_wake(aio, log):
    event = aio.Event()

    async def waiter(name):
        try:
            await event.wait()
            log(name, "woke")
        except aio.CancelledError:
            log(name, "cancelled")
            raise

    a = aio.create_task(waiter("a"))
    b = aio.create_task(waiter("b"))
    await aio.sleep(0)
    log("waiters:", len(event._waiters))
    a.cancel()
    await aio.sleep(0)
    log("waiters after cancel:", len(event._waiters))
    event.set()
    await aio.gather(a, b, return_exceptions=True)


@scenario(
    "<Event [unset]>",
    "<Event [unset, waiters:2]>",
    "<Event [set, waiters:2]>",
    "<Event [set]>",
)
async def test_event_repr_shows_flag_and_waiters(aio, log):
    event = aio.Event()
    log(shape(event))
    tasks = [aio.create_task(event.wait()) for _ in range(2)]
    await aio.sleep(0)
    log(shape(event))
    event.set()
    log(shape(event))  # woken, but not yet gone: they leave the line when they run
    await aio.gather(*tasks)
    log(shape(event))


@scenario(
    "set from a callback",
    "waiter woke",
)
async def test_event_set_from_a_plain_callback(aio, log):
    """set() is a plain function: a timer callback can call it."""
    event = aio.Event()
    loop = aio.get_running_loop()
    loop.call_later(0.01, lambda: (log("set from a callback"), event.set()))
    await event.wait()
    log("waiter woke")
