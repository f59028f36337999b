"""Deadlines that are not numbers: a NaN delay on every path that takes one.

NaN compares false with everything, so "is this timer due yet?" has no honest answer. Where
asyncio asks `when >= end_time` to stop collecting timers, a NaN deadline is never "not yet
due": before 3.13 such a timer fires on the next turn. 3.13 computes the poll timeout with
comparisons too, so the NaN reaches the selector, which refuses it with ValueError, out of
run_until_complete (versions.NAN_DEADLINE_REACHES_POLL).
"""

from compat_tests.harness import sync_scenario

NAN = float("nan")


def _run(aio, log, main):
    loop = aio.new_event_loop()
    try:
        loop.run_until_complete(main(loop))
    except ValueError as exc:
        log.error("run raised", exc)
    finally:
        loop.close()


@sync_scenario(
    "later timer fired",
    "timer fired",
    "main done",
)
def test_nan_deadline_behind_a_timer_fires_with_it(aio, log):
    """NaN never sorts ahead in the heap, so the real timer stays first and sets the poll
    timeout; once it is popped, the NaN behind it counts as due too, on every version
    (miniloop once never popped it, and spun at 100% CPU when it came first)."""
    async def main(loop):
        loop.call_later(0.01, log, "later timer fired")
        loop.call_later(NAN, log, "timer fired")
        await aio.sleep(0.1)
        log("main done")

    _run(aio, log, main)


@sync_scenario(
    "timer fired",
    changed={(3, 13): ["run raised ValueError: cannot convert float NaN to integer"]},
)
def test_nan_deadline_raises_out_of_the_poll(aio, log):
    """call_at(nan) alone: the loop's next poll is where 3.13 fails."""
    async def main(loop):
        done = loop.create_future()
        loop.call_at(NAN, lambda: (log("timer fired"), done.set_result(None)))
        await done

    _run(aio, log, main)


@sync_scenario(
    "wait_for raised TimeoutError",
    changed={(3, 13): ["run raised ValueError: cannot convert float NaN to integer"]},
)
def test_wait_for_nan_times_out_at_once(aio, log):
    async def main(loop):
        try:
            await aio.wait_for(aio.sleep(1), NAN)
        except TimeoutError:
            log("wait_for raised TimeoutError")

    _run(aio, log, main)


@sync_scenario(
    "timeout raised TimeoutError",
    changed={(3, 13): ["run raised ValueError: cannot convert float NaN to integer"]},
)
def test_timeout_nan_expires_at_once(aio, log):
    async def main(loop):
        try:
            async with aio.timeout(NAN):
                await aio.sleep(1)
        except TimeoutError:
            log("timeout raised TimeoutError")

    _run(aio, log, main)
