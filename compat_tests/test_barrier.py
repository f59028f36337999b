"""Barrier: parties meet, leave together, and the barrier is reused, reset or broken."""

from compat_tests.harness import scenario, sync_scenario
from compat_tests.test_locks import shape


@scenario(
    "p0 arrives", "p1 arrives",
    "n_waiting 2",
    "p2 arrives",
    "p2 passes with index 2",
    "p0 passes with index 0",
    "p1 passes with index 1",
    "n_waiting 0",
)
async def test_barrier_releases_all_parties_together(aio, log):
    barrier = aio.Barrier(3)

    async def party(name):
        log(name, "arrives")
        index = await barrier.wait()
        log(name, "passes with index", index)

    first = [aio.create_task(party(f"p{i}")) for i in range(2)]
    await aio.sleep(0.01)
    log("n_waiting", barrier.n_waiting)
    await aio.gather(party("p2"), *first)
    log("n_waiting", barrier.n_waiting)


@scenario(
    "round 0: indices [0, 1]",
    "round 1: indices [0, 1]",
    "round 2: indices [0, 1]",
    "<Barrier [filling, waiters:0/2]>",
)
async def test_barrier_is_reused_round_after_round(aio, log):
    barrier = aio.Barrier(2)
    for round_ in range(3):
        indices = await aio.gather(barrier.wait(), barrier.wait())
        log(f"round {round_}: indices", sorted(indices))
    log(shape(barrier))


@scenario(
    "<Barrier [filling, waiters:0/3]>",
    "<Barrier [filling, waiters:2/3]>",
    "<Barrier [draining, waiters:0/3]>",
    "<Barrier [filling, waiters:0/3]>",
    "<Barrier [broken]>",
)
async def test_barrier_repr_shows_the_state(aio, log):
    barrier = aio.Barrier(3)
    log(shape(barrier))
    tasks = [aio.create_task(barrier.wait()) for _ in range(2)]
    await aio.sleep(0)
    log(shape(barrier))
    tasks.append(aio.create_task(barrier.wait()))
    await aio.sleep(0)  # the third trips it; the first two have not left yet
    log(shape(barrier))
    await aio.gather(*tasks)
    log(shape(barrier))
    await barrier.abort()
    log(shape(barrier))


@scenario(
    "p0: BrokenBarrierError: Abort or reset of barrier",
    "p1: BrokenBarrierError: Abort or reset of barrier",
    "broken True",
    "late: BrokenBarrierError: Barrier aborted",
)
async def test_barrier_abort_breaks_waiters_and_later_arrivals(aio, log):
    barrier = aio.Barrier(3)

    async def party(name):
        try:
            await barrier.wait()
        except aio.BrokenBarrierError as exc:
            log.error(f"{name}:", exc)

    tasks = [aio.create_task(party(f"p{i}")) for i in range(2)]
    await aio.sleep(0)
    await barrier.abort()
    await aio.gather(*tasks)
    log("broken", barrier.broken)
    await party("late")


@scenario(
    "p0: BrokenBarrierError: Abort or reset of barrier",
    "p1: BrokenBarrierError: Abort or reset of barrier",
    "after reset: broken False, n_waiting 0",
    "next round works: [0, 1, 2]",
)
async def test_barrier_reset_breaks_current_waiters_then_works_again(aio, log):
    barrier = aio.Barrier(3)

    async def party(name):
        try:
            return await barrier.wait()
        except aio.BrokenBarrierError as exc:
            log.error(f"{name}:", exc)

    tasks = [aio.create_task(party(f"p{i}")) for i in range(2)]
    await aio.sleep(0)
    await barrier.reset()
    await aio.gather(*tasks)
    log(f"after reset: broken {barrier.broken}, n_waiting {barrier.n_waiting}")
    log("next round works:", sorted(await aio.gather(*(party(i) for i in range(3)))))


@scenario(
    "broken True",
    "reset() repairs it: broken False",
    "indices [0, 1]",
)
async def test_barrier_reset_after_abort_repairs_it(aio, log):
    barrier = aio.Barrier(2)
    await barrier.abort()
    log("broken", barrier.broken)
    await barrier.reset()
    log("reset() repairs it: broken", barrier.broken)
    log("indices", sorted(await aio.gather(barrier.wait(), barrier.wait())))


@scenario(
    "n_waiting 1",
    "p0 cancelled",
    "n_waiting 0, broken False",
    "p2 passes",
    "p1 passes",
)
async def test_barrier_cancelled_party_leaves_without_breaking_it(aio, log):
    barrier = aio.Barrier(2)

    async def party(name):
        try:
            await barrier.wait()
        except aio.CancelledError:
            log(name, "cancelled")
            raise
        log(name, "passes")

    p0 = aio.create_task(party("p0"))
    await aio.sleep(0)
    log("n_waiting", barrier.n_waiting)
    p0.cancel()
    await aio.gather(p0, return_exceptions=True)
    log(f"n_waiting {barrier.n_waiting}, broken {barrier.broken}")
    p1 = aio.create_task(party("p1"))
    await aio.sleep(0)
    await party("p2")  # the second party trips it; p1 leaves after
    await p1


@scenario(
    "a arrives for round 2 while round 1 drains",
    "round 1: y passes",
    "round 1: x passes",
    "a waits: n_waiting 1",
    "round 2: b passes",
    "round 2: a passes",
)
async def test_barrier_next_round_waits_for_the_drain(aio, log):
    """a calls wait() while x and y are still leaving round 1: it is not counted as a
    party of round 1, and waits for round 2 with b."""
    barrier = aio.Barrier(2)

    async def party(name, round_):
        await barrier.wait()
        log(f"round {round_}: {name} passes")

    x = aio.create_task(party("x", 1))
    await aio.sleep(0)
    y = aio.create_task(party("y", 1))
    a = aio.create_task(party("a", 2))
    log("a arrives for round 2 while round 1 drains")
    await aio.gather(x, y)
    await aio.sleep(0.01)
    log("a waits: n_waiting", barrier.n_waiting)
    await aio.gather(a, party("b", 2))


@scenario(
    "async with gave index 1",
    "async with gave index 0",
)
async def test_barrier_async_with_gives_the_index(aio, log):
    """The last to arrive trips the barrier and goes on at once, so it is the first out."""
    barrier = aio.Barrier(2)

    async def party():
        async with barrier as index:
            log("async with gave index", index)

    await aio.gather(party(), party())


@sync_scenario(
    "Barrier(0): ValueError: parties must be > 0",
    "parties 4, n_waiting 0, broken False",
    "BrokenBarrierError is a RuntimeError: True",
)
def test_barrier_construction_and_properties(aio, log):
    try:
        aio.Barrier(0)
    except ValueError as exc:
        log.error("Barrier(0):", exc)
    barrier = aio.Barrier(4)
    log(f"parties {barrier.parties}, n_waiting {barrier.n_waiting}, broken {barrier.broken}")
    log("BrokenBarrierError is a RuntimeError:", issubclass(aio.BrokenBarrierError, RuntimeError))
