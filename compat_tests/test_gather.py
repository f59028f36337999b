"""gather(), and the helpers it rests on: results in argument order, the first error,
cancellation in both directions; ensure_future, iscoroutine, isfuture."""

import gc

from compat_tests.harness import scenario


@scenario(
    "fast done",
    "medium done",
    "slow done",
    "results ['slow', 'fast', 'medium']",
)
async def test_gather_returns_results_in_argument_order(aio, log):
    """The children finish fast, medium, slow; the list follows the arguments instead."""
    async def job(name, delay):
        await aio.sleep(delay)
        log(name, "done")
        return name

    results = await aio.gather(job("slow", 0.06), job("fast", 0.0), job("medium", 0.02))
    log("results", results)


@scenario(
    "gather raised ValueError: bad",
    "sibling still pending: True",
    "sibling finished anyway: 'ok'",
)
async def test_gather_first_exception_propagates_while_siblings_keep_running(aio, log):
    async def bad():
        await aio.sleep(0)
        raise ValueError("bad")

    async def slow():
        await aio.sleep(0.05)
        return "ok"

    sibling = aio.create_task(slow())
    try:
        await aio.gather(bad(), sibling)
    except ValueError as exc:
        log.error("gather raised", exc)
    log("sibling still pending:", not sibling.done())  # not cancelled by gather
    log("sibling finished anyway:", repr(await sibling))


@scenario(
    "results [1, \"ValueError('two')\", 3]",
)
async def test_gather_return_exceptions_puts_errors_in_the_list(aio, log):
    async def job(n):
        await aio.sleep(0)
        if n == 2:
            raise ValueError("two")
        return n

    results = await aio.gather(job(1), job(2), job(3), return_exceptions=True)
    log("results", [r if isinstance(r, int) else repr(r) for r in results])


@scenario(
    "cancel() returned True",
    "outer done right after cancel(): False",
    "child a got CancelledError: stop",
    "child b got CancelledError: stop",
    "awaiting outer raised CancelledError: stop",
    "outer cancelled False",
)
async def test_cancelling_gather_cancels_every_child(aio, log):
    """Like Task.cancel(), cancelling the outer future only *requests* it: the children are
    cancelled, and the outer future is done once they have all reacted. Surprise: it ends
    holding a CancelledError as its *exception*, so cancelled() says False."""
    async def child(name):
        try:
            await aio.sleep(1)
        except aio.CancelledError as exc:
            log(f"child {name} got CancelledError:", exc)
            raise

    outer = aio.gather(child("a"), child("b"))
    await aio.sleep(0)  # let the children start
    log("cancel() returned", outer.cancel(msg="stop"))
    log("outer done right after cancel():", outer.done())
    try:
        await outer
    except aio.CancelledError as exc:
        log("awaiting outer raised CancelledError:", exc)
    log("outer cancelled", outer.cancelled())


@scenario(
    "child got CancelledError",
    "main got CancelledError",
    "main cancelled True",
)
async def test_cancelling_the_task_that_awaits_gather_cancels_the_children(aio, log):
    async def child():
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            log("child got CancelledError")
            raise

    async def main():
        try:
            await aio.gather(child())
        except aio.CancelledError:
            log("main got CancelledError")
            raise

    task = aio.create_task(main())
    await aio.sleep(0.01)
    task.cancel()
    await aio.gather(task, return_exceptions=True)
    log("main cancelled", task.cancelled())


@scenario(
    "gather raised CancelledError: by hand",
    "outer cancelled: False",
    "sibling result 'ok'",
)
async def test_child_cancelled_on_its_own_makes_gather_raise_cancelled_error(aio, log):
    """The outer future is *not* cancelled, it fails with CancelledError; siblings go on."""
    async def sibling():
        await aio.sleep(0.02)
        return "ok"

    victim = aio.create_task(aio.sleep(1))
    other = aio.create_task(sibling())
    outer = aio.gather(victim, other)
    await aio.sleep(0)
    victim.cancel("by hand")
    try:
        await outer
    except aio.CancelledError as exc:
        log("gather raised CancelledError:", exc)
    log("outer cancelled:", outer.cancelled())
    log("sibling result", repr(await other))


@scenario(
    "results ['ok', \"CancelledError('')\"]",
)
async def test_child_cancelled_with_return_exceptions_is_returned_as_an_error(aio, log):
    """The message is lost: a task that is cancelled through its coroutine keeps no
    cancel message of its own, and gather builds a fresh CancelledError from it."""
    victim = aio.create_task(aio.sleep(1))

    async def other():
        await aio.sleep(0)
        victim.cancel("by hand")
        return "ok"

    results = await aio.gather(other(), victim, return_exceptions=True)
    log("results", [r if isinstance(r, str) else repr(r) for r in results])


@scenario(
    "done before any await: True",
    "result []",
)
async def test_gather_with_no_arguments_is_an_empty_list_at_once(aio, log):
    outer = aio.gather()
    log("done before any await:", outer.done())
    log("result", await outer)


@scenario(
    "runs: 1",
    "results ['x', 'x', 'y']",
)
async def test_gather_of_the_same_awaitable_twice_runs_it_once(aio, log):
    runs = 0

    async def job():
        nonlocal runs
        runs += 1
        await aio.sleep(0)
        return "x"

    coro = job()
    other = aio.create_task(aio.sleep(0, "y"))
    results = await aio.gather(coro, coro, other)
    log("runs:", runs)
    log("results", results)


@scenario(
    "done before any await: False",
    "result [1, 2]",
    changed={(3, 12): [
        "done before any await: True",
        "result [1, 2]",
    ]},
)
async def test_gather_of_finished_futures(aio, log):
    """3.12 counts children that are already done on the spot, so the outer future is done
    when gather() returns; 3.11 counts them through call_soon, one turn later."""
    loop = aio.get_running_loop()
    a, b = loop.create_future(), loop.create_future()
    a.set_result(1)
    b.set_result(2)
    outer = aio.gather(a, b)
    log("done before any await:", outer.done())
    log("result", await outer)


@scenario(
    "gather raised KeyError: 'first'",
    "cancel() after the error: False",
    "sibling result 'survived'",
)
async def test_cancel_after_gather_failed_does_not_reach_the_children(aio, log):
    async def fail():
        raise KeyError("first")

    async def slow():
        await aio.sleep(0.02)
        return "survived"

    sibling = aio.create_task(slow())
    outer = aio.gather(fail(), sibling)
    try:
        await outer
    except KeyError as exc:
        log.error("gather raised", exc)
    log("cancel() after the error:", outer.cancel())  # outer is done: nothing to cancel
    log("sibling result", repr(await sibling))


@scenario(
    "gather raised ValueError: first",
    "later error retrieved, not logged: True",
)
async def test_later_errors_of_gather_children_are_not_logged(aio, log):
    """Only the first error is raised; gather marks later ones as retrieved, so the loop does
    not report 'exception was never retrieved' for them."""
    reported = []
    aio.get_running_loop().set_exception_handler(lambda loop, ctx: reported.append(ctx))

    async def fail(message, delay):
        await aio.sleep(delay)
        raise ValueError(message)

    second = aio.create_task(fail("second", 0.01))
    try:
        await aio.gather(fail("first", 0), second)
    except ValueError as exc:
        log.error("gather raised", exc)
    await aio.wait([second])  # (wait() itself does not look at the error)
    del second
    gc.collect()  # the children are garbage now: an unretrieved error would be logged
    log("later error retrieved, not logged:", reported == [])


@scenario(
    "cancel() of the waiter returned True",
    "waiter raised CancelledError",
    "gather itself finished with [1]",
)
async def test_cancellation_in_the_same_turn_as_the_last_completion(aio, log):
    """The child is already done, so cancelling the gather reaches no child and fails; the
    waiting task remembers the request instead and raises CancelledError at its next step,
    although the result it waited for has arrived."""
    loop = aio.get_running_loop()
    child = loop.create_future()
    outer = aio.gather(child)

    async def waiter():
        try:
            await outer
            log("waiter got the result")
        except aio.CancelledError:
            log("waiter raised CancelledError")

    w = aio.create_task(waiter())
    await aio.sleep(0)

    def complete_and_cancel():
        child.set_result(1)
        log("cancel() of the waiter returned", w.cancel())

    loop.call_soon(complete_and_cancel)
    await w
    log("gather itself finished with", outer.result())


class Ready:
    """An awaitable that is neither a future nor a coroutine."""

    def __await__(self):
        yield from []
        return "awaited"


@scenario(
    "a future passes through: True",
    "a coroutine becomes a Task: True",
    "an awaitable object becomes a Task: True",
    "its result 'awaited'",
    "TypeError: An asyncio.Future, a coroutine or an awaitable is required",
)
async def test_ensure_future_is_how_gather_accepts_its_arguments(aio, log):
    fut = aio.get_running_loop().create_future()
    log("a future passes through:", aio.ensure_future(fut) is fut)
    task = aio.ensure_future(aio.sleep(0))
    log("a coroutine becomes a Task:", isinstance(task, aio.Task))
    wrapped = aio.ensure_future(Ready())
    log("an awaitable object becomes a Task:", isinstance(wrapped, aio.Task))
    log("its result", repr(await wrapped))
    try:
        aio.ensure_future(42)
    except TypeError as exc:
        log.error("", exc)
        log.lines[-1] = log.lines[-1].strip()
    await task


@scenario(
    "iscoroutine: object True, function False, awaitable False, generator True",
    "isfuture: future True, task True, coroutine False",
    changed={(3, 12): [
        "iscoroutine: object True, function False, awaitable False, generator False",
        "isfuture: future True, task True, coroutine False",
    ]},
)
async def test_iscoroutine_and_isfuture(aio, log):
    """A coroutine *object* is what gets wrapped, not the function. 3.11 still counts a plain
    generator as a coroutine (a remnant of @asyncio.coroutine); 3.12 does not."""
    async def coro_function():
        pass

    def generator():
        yield

    coro, gen = coro_function(), generator()
    log(f"iscoroutine: object {aio.iscoroutine(coro)}, "
        f"function {aio.iscoroutine(coro_function)}, awaitable {aio.iscoroutine(Ready())}, "
        f"generator {aio.iscoroutine(gen)}")
    task = aio.create_task(aio.sleep(0))
    log(f"isfuture: future {aio.isfuture(aio.get_running_loop().create_future())}, "
        f"task {aio.isfuture(task)}, coroutine {aio.isfuture(coro)}")
    coro.close()
    await task
