"""Callbacks and timers: the order in which the loop runs what it was given."""

import contextvars
import logging

from compat_tests.harness import scenario


@scenario(
    "sync part done",
    "first",
    "second",
    "third",
)
async def test_call_soon_runs_callbacks_in_fifo_order(aio, log):
    loop = aio.get_running_loop()
    loop.call_soon(log, "first")
    loop.call_soon(log, "second")
    loop.call_soon(log, "third")
    log("sync part done")  # call_soon never calls anything right away
    await aio.sleep(0)


@scenario(
    "a",
    "b",
    "main resumes",
    "a's follow-up",
)
async def test_callback_scheduled_by_a_callback_waits_for_the_next_turn(aio, log):
    loop = aio.get_running_loop()

    def a():
        log("a")
        loop.call_soon(log, "a's follow-up")

    loop.call_soon(a)
    loop.call_soon(log, "b")
    # sleep(0) puts main's next step behind a and b, but ahead of what a schedules later.
    await aio.sleep(0)
    log("main resumes")
    await aio.sleep(0)


@scenario(
    "args: 1 2",
)
async def test_call_soon_passes_positional_arguments(aio, log):
    aio.get_running_loop().call_soon(log, "args:", 1, 2)
    await aio.sleep(0)


@scenario(
    "t=0.01",
    "t=0.02",
    "t=0.03",
)
async def test_timers_fire_in_deadline_order_not_creation_order(aio, log):
    loop = aio.get_running_loop()
    loop.call_later(0.03, log, "t=0.03")
    loop.call_later(0.01, log, "t=0.01")
    loop.call_later(0.02, log, "t=0.02")
    await aio.sleep(0.1)


@scenario(
    "timer 0", "timer 2", "timer 1", "timer 3", "timer 4",
)
async def test_timers_with_equal_deadlines(aio, log):
    """Equal deadlines come out in heap order, which is not creation order: asyncio promises
    no FIFO between timers due at the same instant."""
    loop = aio.get_running_loop()
    when = loop.time() + 0.01
    for i in range(5):
        loop.call_at(when, log, f"timer {i}")
    await aio.sleep(0.1)


@scenario(
    "soon",
    "later",
)
async def test_call_later_zero_runs_after_call_soon_of_the_same_turn(aio, log):
    loop = aio.get_running_loop()
    loop.call_later(0, log, "later")
    loop.call_soon(log, "soon")
    await aio.sleep(0.05)


@scenario(
    "cancelled before: True",
    "kept",
    "cancel() after running only marks it: True",
)
async def test_cancelled_handles_and_timers_never_run(aio, log):
    loop = aio.get_running_loop()
    handle = loop.call_soon(log, "dropped handle")
    timer = loop.call_later(0.01, log, "dropped timer")
    kept = loop.call_soon(log, "kept")
    handle.cancel()
    timer.cancel()
    log("cancelled before:", handle.cancelled() and timer.cancelled())
    await aio.sleep(0.05)
    kept.cancel()  # too late: it already ran, and cancel() is harmless
    log("cancel() after running only marks it:", kept.cancelled())


@scenario(
    "when is loop time + delay: True",
    "timer is TimerHandle: True",
)
async def test_timer_handle_knows_when_it_is_due(aio, log):
    loop = aio.get_running_loop()
    before = loop.time()
    timer = loop.call_later(10, log, "never")
    after = loop.time()
    log("when is loop time + delay:", before + 10 <= timer.when() <= after + 10)
    log("timer is TimerHandle:", isinstance(timer, aio.TimerHandle))
    timer.cancel()


@scenario(
    "before",
    "handler: Exception in callback ZeroDivisionError",
    "after: the loop kept going",
)
async def test_exception_in_callback_goes_to_the_exception_handler(aio, log):
    loop = aio.get_running_loop()

    def handler(loop, context):
        message = context["message"].split(" ")[:3]
        log("handler:", " ".join(message), type(context["exception"]).__name__)

    loop.set_exception_handler(handler)
    loop.call_soon(log, "before")
    loop.call_soon(lambda: 1 / 0)
    loop.call_soon(log, "after: the loop kept going")
    await aio.sleep(0.01)


@scenario(
    "logged at ERROR: Exception in callback",
    "has traceback: True",
)
async def test_default_exception_handler_logs_to_the_asyncio_logger(aio, log):
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("asyncio")
    logger.addHandler(handler)
    try:
        aio.get_running_loop().call_soon(lambda: 1 / 0)
        await aio.sleep(0.01)
    finally:
        logger.removeHandler(handler)
    (record,) = records
    log(f"logged at {record.levelname}:", " ".join(record.getMessage().split(" ")[:3]))
    log("has traceback:", record.exc_info[0] is ZeroDivisionError)


request_id = contextvars.ContextVar("request_id", default="unset")


@scenario(
    "copied at call_soon: 1",
    "explicit context: 2",
    "main still sees: 3",
)
async def test_callbacks_run_in_the_context_they_were_scheduled_with(aio, log):
    loop = aio.get_running_loop()
    request_id.set(1)
    loop.call_soon(lambda: log("copied at call_soon:", request_id.get()))
    other = contextvars.copy_context()
    other.run(request_id.set, 2)
    loop.call_soon(lambda: log("explicit context:", request_id.get()), context=other)
    request_id.set(3)
    await aio.sleep(0)
    log("main still sees:", request_id.get())


@scenario(
    "TypeError: delay must not be None",
    "TypeError: when cannot be None",
)
async def test_call_later_and_call_at_refuse_none(aio, log):
    loop = aio.get_running_loop()
    try:
        loop.call_later(None, log)
    except TypeError as exc:
        log.error("", exc)
    try:
        loop.call_at(None, log)
    except TypeError as exc:
        log.error("", exc)
    log.lines[:] = [line.strip() for line in log.lines]
