"""timeout() and timeout_at(): a deadline is a cancel() on a timer, converted on the way out."""

import time

from compat_tests.harness import scenario, sync_scenario


@scenario(
    "body got CancelledError",
    "raised TimeoutError, caused by CancelledError",
    "expired True",
    "cancelling() back to 0",
)
async def test_timeout_cancels_the_body_and_raises_timeout_error(aio, log):
    try:
        async with aio.timeout(0.01) as cm:
            try:
                await aio.sleep(1)
            except aio.CancelledError:
                log("body got CancelledError")
                raise
    except TimeoutError as exc:
        log("raised TimeoutError, caused by", type(exc.__cause__).__name__)
    log("expired", cm.expired())
    log("cancelling() back to", aio.current_task().cancelling())


@scenario(
    "body finished",
    "expired False",
    "deadline kept: True",
)
async def test_timeout_not_reached_changes_nothing(aio, log):
    loop = aio.get_running_loop()
    deadline = loop.time() + 1
    async with aio.timeout_at(deadline) as cm:
        await aio.sleep(0)
        log("body finished")
    log("expired", cm.expired())
    log("deadline kept:", cm.when() == deadline)


@scenario(
    "when None",
    "rescheduled: TimeoutError",
)
async def test_timeout_none_never_fires_until_rescheduled(aio, log):
    try:
        async with aio.timeout(None) as cm:
            log("when", cm.when())
            await aio.sleep(0.01)  # no deadline: nothing happens
            cm.reschedule(aio.get_running_loop().time() + 0.01)
            await aio.sleep(1)
    except TimeoutError:
        log("rescheduled: TimeoutError")


@scenario(
    "survived the first deadline",
    "expired False",
)
async def test_reschedule_pushes_the_deadline_back(aio, log):
    loop = aio.get_running_loop()
    async with aio.timeout(0.01) as cm:
        cm.reschedule(loop.time() + 1)
        await aio.sleep(0.03)
        log("survived the first deadline")
    log("expired", cm.expired())


@scenario(
    "before entering: RuntimeError: Timeout has not been entered",
    "after exit: RuntimeError: Cannot change state of finished Timeout",
    "after expiry: RuntimeError: Cannot change state of expired Timeout",
    "entering twice: RuntimeError: Timeout has already been entered",
)
async def test_timeout_misuse_raises_runtime_error(aio, log):
    cm = aio.timeout(1)
    try:
        cm.reschedule(None)
    except RuntimeError as exc:
        log.error("before entering:", exc)
    async with cm:
        pass
    try:
        cm.reschedule(None)
    except RuntimeError as exc:
        log.error("after exit:", exc)
    try:
        async with aio.timeout(0) as expired:
            await aio.sleep(1)
    except TimeoutError:
        pass
    try:
        expired.reschedule(None)
    except RuntimeError as exc:
        log.error("after expiry:", exc)
    try:
        async with cm:
            pass
    except RuntimeError as exc:
        log.error("entering twice:", exc)


@scenario(
    "inner timeout raised TimeoutError",
    "outer block went on, expired False",
)
async def test_nested_timeouts_inner_expires_first(aio, log):
    async with aio.timeout(1) as outer:
        try:
            async with aio.timeout(0.01):
                await aio.sleep(1)
        except TimeoutError:
            log("inner timeout raised TimeoutError")
        await aio.sleep(0)
    log("outer block went on, expired", outer.expired())


@scenario(
    "inner saw CancelledError (not its own)",
    "outer raised TimeoutError",
    "inner expired False outer expired True",
)
async def test_nested_timeouts_outer_expires_first(aio, log):
    """The inner timeout's deadline has not passed: the CancelledError is not its own, so it
    lets it through to the outer timeout, which converts it."""
    try:
        async with aio.timeout(0.01) as outer:
            try:
                async with aio.timeout(1) as inner:
                    await aio.sleep(1)
            except aio.CancelledError:
                log("inner saw CancelledError (not its own)")
                raise
    except TimeoutError:
        log("outer raised TimeoutError")
    log("inner expired", inner.expired(), "outer expired", outer.expired())


@scenario(
    "task raised CancelledError, not TimeoutError",
    "timeout expired True",
)
async def test_timeout_and_outside_cancel_in_the_same_turn(aio, log):
    """The deadline passes in the turn where someone else cancels the task too: after taking
    back its own request, the Timeout sees one left, so the cancellation is not its to
    convert."""
    seen = {}

    async def body():
        loop = aio.get_running_loop()
        me = aio.current_task()
        loop.call_soon(me.cancel)  # queued ahead of the timeout's own call_soon
        async with aio.timeout_at(loop.time() - 1) as cm:  # already past: fires next turn
            seen["cm"] = cm
            await aio.sleep(1)

    task = aio.create_task(body())
    try:
        await task
    except aio.CancelledError:
        log("task raised CancelledError, not TimeoutError")
    log("timeout expired", seen["cm"].expired())


@scenario(
    "body ran its first line",
    "TimeoutError at the first await",
)
async def test_timeout_at_a_past_deadline_still_runs_the_body(aio, log):
    loop = aio.get_running_loop()
    try:
        async with aio.timeout_at(loop.time() - 10):
            log("body ran its first line")
            await aio.sleep(0.01)
            log("never")
    except TimeoutError:
        log("TimeoutError at the first await")


@scenario(
    "body swallowed the cancellation",
    "no TimeoutError; expired True",
    "cancelling() 0",
)
async def test_body_that_swallows_the_cancellation_gets_no_timeout_error(aio, log):
    async with aio.timeout(0.01) as cm:
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            log("body swallowed the cancellation")
    log("no TimeoutError; expired", cm.expired())
    log("cancelling()", aio.current_task().cancelling())


@scenario(
    "<Timeout [created]>",
    "<Timeout [active] when=None>",
    "<Timeout [finished]>",
    "<Timeout [expired]>",
)
async def test_timeout_repr_shows_its_state(aio, log):
    cm = aio.timeout_at(None)
    log(repr(cm))
    async with cm:
        log(repr(cm))
    log(repr(cm))
    try:
        async with aio.timeout(0.001) as expired:
            await aio.sleep(1)
    except TimeoutError:
        log(repr(expired))


@scenario(
    "ValueError: cleanup failed",
    "its context: CancelledError",
    changed={(3, 13): [
        "ValueError: cleanup failed",
        "its context: TimeoutError",
        "whose context: CancelledError",
    ]},
)
async def test_error_raised_while_handling_the_timeout(aio, log):
    """3.13 inserts a TimeoutError into the context chain of an error that replaced the
    timeout's CancelledError, so tracebacks say a timeout was involved."""
    try:
        async with aio.timeout(0.01):
            try:
                await aio.sleep(1)
            except aio.CancelledError:
                raise ValueError("cleanup failed")
    except ValueError as exc:
        log.error("", exc)
        log.lines[-1] = log.lines[-1].strip()
        log("its context:", type(exc.__context__).__name__)
        if isinstance(exc.__context__, TimeoutError):
            log("whose context:", type(exc.__context__.__context__).__name__)


@scenario(
    "raised MyCancelled",
    changed={(3, 13): [
        "raised TimeoutError",
    ]},
)
async def test_cancelled_error_subclass_is_converted_from_3_13(aio, log):
    """3.11 and 3.12 convert exactly CancelledError; 3.13 any subclass of it."""
    class MyCancelled(aio.CancelledError):
        pass

    try:
        async with aio.timeout(0.01):
            try:
                await aio.sleep(1)
            except aio.CancelledError:
                raise MyCancelled()
    except TimeoutError:
        log("raised TimeoutError")
    except MyCancelled:
        log("raised MyCancelled")


@sync_scenario(
    "RuntimeError: no running event loop",
)
def test_timeout_needs_a_running_loop(aio, log):
    try:
        aio.timeout(1)
    except RuntimeError as exc:
        log.error("", exc)
        log.lines[-1] = log.lines[-1].strip()


@scenario(
    "inner let CancelledError through",
    "outer raised TimeoutError",
    "inner expired True outer expired True",
    "cancelling() 0",
)
async def test_nested_deadlines_passing_in_the_same_turn(aio, log):
    """Both timers fire before the task runs again: two cancel requests, one CancelledError.
    The inner timeout takes back its request and still sees the outer one, so it lets the
    error through even though it expired too; the outer one converts it."""
    loop = aio.get_running_loop()
    try:
        async with aio.timeout(0.06) as outer:
            try:
                async with aio.timeout(0.03) as inner:
                    loop.call_soon(time.sleep, 0.1)  # block the loop past both deadlines
                    await aio.sleep(1)
            except aio.CancelledError:
                log("inner let CancelledError through")
                raise
    except TimeoutError:
        log("outer raised TimeoutError")
    log("inner expired", inner.expired(), "outer expired", outer.expired())
    log("cancelling()", aio.current_task().cancelling())
