"""Futures: one-shot results, the errors for asking too early, and done-callbacks."""

import types

from compat_tests.harness import scenario, sync_scenario


@scenario(
    "result() InvalidStateError: Result is not set.",
    "exception() InvalidStateError: Exception is not set.",
    "done False",
)
async def test_asking_a_pending_future_too_early(aio, log):
    fut = aio.get_running_loop().create_future()
    for name in ("result", "exception"):
        try:
            getattr(fut, name)()
        except aio.InvalidStateError as exc:
            log.error(f"{name}()", exc)
    log("done", fut.done())


@scenario(
    "result() CancelledError: ",
    "exception() CancelledError: ",
    "with a message: CancelledError: stop",
    "cancelled True, done True",
)
async def test_result_of_a_cancelled_future_raises_cancelled_error(aio, log):
    loop = aio.get_running_loop()
    fut = loop.create_future()
    fut.cancel()
    for name in ("result", "exception"):
        try:
            getattr(fut, name)()
        except aio.CancelledError as exc:
            log.error(f"{name}()", exc)
    other = loop.create_future()
    other.cancel("stop")
    try:
        other.result()
    except aio.CancelledError as exc:
        log.error("with a message:", exc)
    log(f"cancelled {fut.cancelled()}, done {fut.done()}")


@scenario(
    "set_result again: InvalidStateError: invalid state",
    "set_exception after: InvalidStateError: invalid state",
    "cancel after: False",
    "result 1",
)
async def test_a_future_completes_only_once(aio, log):
    fut = aio.get_running_loop().create_future()
    fut.set_result(1)
    try:
        fut.set_result(2)
    except aio.InvalidStateError as exc:
        log.error("set_result again:", exc)
    try:
        fut.set_exception(ValueError())
    except aio.InvalidStateError as exc:
        log.error("set_exception after:", exc)
    log("cancel after:", fut.cancel())
    log("result", fut.result())


@scenario(
    "exception() ValueError: bad",
    "result() raises ValueError: bad",
    "a class is instantiated: KeyError",
)
async def test_set_exception(aio, log):
    loop = aio.get_running_loop()
    fut = loop.create_future()
    fut.set_exception(ValueError("bad"))
    log.error("exception()", fut.exception())
    try:
        fut.result()
    except ValueError as exc:
        log.error("result() raises", exc)
    by_class = loop.create_future()
    by_class.set_exception(KeyError)
    log("a class is instantiated:", type(by_class.exception()).__name__)


@scenario(
    "TypeError: StopIteration interacts badly with generators and cannot be raised into a Future",
    changed={(3, 13): [
        "stored RuntimeError: StopIteration interacts badly with generators and cannot be "
        "raised into a Future",
    ]},
)
async def test_stop_iteration_cannot_be_set_as_an_exception(aio, log):
    fut = aio.get_running_loop().create_future()
    try:
        fut.set_exception(StopIteration())
    except TypeError as exc:
        log.error("", exc)
        log.lines[-1] = log.lines[-1].strip()
    else:
        log.error("stored", fut.exception())


@scenario(
    "set_result returned",
    "callback 1 sees result 'x'",
    "callback 2 sees result 'x'",
    "callback 3 sees result 'x'",
)
async def test_done_callbacks_run_later_in_registration_order(aio, log):
    fut = aio.get_running_loop().create_future()
    for i in (1, 2, 3):
        fut.add_done_callback(lambda f, i=i: log(f"callback {i} sees result {f.result()!r}"))
    fut.set_result("x")
    log("set_result returned")  # callbacks are scheduled, not called
    await aio.sleep(0)


@scenario(
    "added after done",
    "late callback ran",
)
async def test_callback_added_to_a_done_future_is_scheduled(aio, log):
    fut = aio.get_running_loop().create_future()
    fut.set_result(None)
    fut.add_done_callback(lambda f: log("late callback ran"))
    log("added after done")
    await aio.sleep(0)


@scenario(
    "removed 2",
    "removed again 0",
    "kept",
)
async def test_remove_done_callback_removes_every_registration(aio, log):
    fut = aio.get_running_loop().create_future()

    def unwanted(f):
        log("unwanted ran")

    fut.add_done_callback(unwanted)
    fut.add_done_callback(lambda f: log("kept"))
    fut.add_done_callback(unwanted)
    log("removed", fut.remove_done_callback(unwanted))
    log("removed again", fut.remove_done_callback(unwanted))
    fut.set_result(None)
    await aio.sleep(0)


@scenario(
    "cancel() True",
    "cancel() again False",
    "callback sees cancelled True",
)
async def test_cancelling_a_future_runs_its_callbacks(aio, log):
    fut = aio.get_running_loop().create_future()
    fut.add_done_callback(lambda f: log("callback sees cancelled", f.cancelled()))
    log("cancel()", fut.cancel())
    log("cancel() again", fut.cancel())
    await aio.sleep(0)


@scenario(
    "waiting",
    "setter runs",
    "await returned 7",
)
async def test_await_suspends_until_the_future_is_done(aio, log):
    loop = aio.get_running_loop()
    fut = loop.create_future()

    def setter():
        log("setter runs")
        fut.set_result(7)

    loop.call_later(0.01, setter)
    log("waiting")
    log("await returned", await fut)


@scenario(
    "<Future pending>",
    "<Future finished result=1>",
    "<Future finished exception=ValueError('v')>",
    "<Future cancelled>",
    "get_loop is the loop: True",
    "isfuture: True False",
)
async def test_future_repr_and_identity(aio, log):
    loop = aio.get_running_loop()
    futs = [loop.create_future() for _ in range(4)]
    futs[1].set_result(1)
    futs[2].set_exception(ValueError("v"))
    futs[3].cancel()
    for fut in futs:
        log(repr(fut))
    futs[2].exception()
    log("get_loop is the loop:", futs[0].get_loop() is loop)
    log("isfuture:", aio.isfuture(futs[0]), aio.isfuture(object()))


@scenario(
    "waiter 1 woke with 'go'",
    "waiter 2 woke with 'go'",
    "waiter 3 woke with 'go'",
)
async def test_waiters_on_one_future_wake_in_the_order_they_started_waiting(aio, log):
    fut = aio.get_running_loop().create_future()

    async def waiter(n):
        log(f"waiter {n} woke with {await fut!r}")

    tasks = [aio.create_task(waiter(n)) for n in (1, 2, 3)]
    await aio.sleep(0)
    fut.set_result("go")
    await aio.gather(*tasks)


@sync_scenario(
    "Future[int] is a types.GenericAlias: True",
    "Task[str] is a types.GenericAlias: True",
    "origin Future, args (<class 'int'>,)",
)
def test_future_and_task_take_a_type_argument(aio, log):
    # For annotations evaluated at run time: asyncio's classes give the plain builtin alias.
    log("Future[int] is a types.GenericAlias:", isinstance(aio.Future[int], types.GenericAlias))
    log("Task[str] is a types.GenericAlias:", isinstance(aio.Task[str], types.GenericAlias))
    alias = aio.Future[int]
    log("origin", alias.__origin__.__name__ + ", args", alias.__args__)
