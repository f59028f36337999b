"""TaskGroup: every task done on exit; the first failure cancels the rest; errors grouped."""

import contextvars

from compat_tests.harness import scenario, sync_scenario


def describe(group):
    """`ExceptionGroup[ValueError: a, KeyError: 'b']`, nested groups included."""
    inner = ", ".join(describe(e) if isinstance(e, BaseExceptionGroup)
                      else f"{type(e).__name__}: {e}" for e in group.exceptions)
    return f"{type(group).__name__}[{inner}]"


@scenario(
    "body done",
    "a done",
    "b done",
    "after the block: ['a', 'b']",
)
async def test_taskgroup_waits_for_every_task_on_exit(aio, log):
    async def job(name, delay):
        await aio.sleep(delay)
        log(name, "done")
        return name

    async with aio.TaskGroup() as group:
        a = group.create_task(job("a", 0.01))
        b = group.create_task(job("b", 0.02))
        log("body done")
    log("after the block:", [a.result(), b.result()])


@scenario(
    "sibling cancelled",
    "body cancelled",
    "ExceptionGroup[ValueError: boom]",
    "message: unhandled errors in a TaskGroup (1 sub-exception)",
    "cancelling() back to 0",
)
async def test_first_failure_cancels_the_siblings_and_the_body(aio, log):
    async def boom():
        await aio.sleep(0.01)
        raise ValueError("boom")

    async def sibling():
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            log("sibling cancelled")
            raise

    try:
        async with aio.TaskGroup() as group:
            group.create_task(boom())
            group.create_task(sibling())
            try:
                await aio.sleep(1)
            except aio.CancelledError:
                log("body cancelled")
                raise
    except ExceptionGroup as eg:
        log(describe(eg))
        log("message:", eg)
    log("cancelling() back to", aio.current_task().cancelling())


@scenario(
    "ExceptionGroup[ValueError: first, KeyError: 'second']",
)
async def test_errors_failing_in_the_same_turn_are_collected_in_order(aio, log):
    async def fail(exc):
        await aio.sleep(0)  # both fail on the second turn, before either can be cancelled
        raise exc

    try:
        async with aio.TaskGroup() as group:
            group.create_task(fail(ValueError("first")))
            group.create_task(fail(KeyError("second")))
    except ExceptionGroup as eg:
        log(describe(eg))


@scenario(
    "BaseExceptionGroup[Stop: not an Exception]",
)
async def test_a_base_exception_makes_a_base_exception_group(aio, log):
    class Stop(BaseException):
        pass

    async def stop():
        raise Stop("not an Exception")

    try:
        async with aio.TaskGroup() as group:
            group.create_task(stop())
    except BaseExceptionGroup as eg:
        log(describe(eg))


@scenario(
    "task cancelled by the body's error",
    "ExceptionGroup[ZeroDivisionError: division by zero]",
)
async def test_error_in_the_body_cancels_the_tasks_and_is_grouped(aio, log):
    async def task():
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            log("task cancelled by the body's error")
            raise

    try:
        async with aio.TaskGroup() as group:
            group.create_task(task())
            await aio.sleep(0)
            log("never logged", 1 / 0)
    except ExceptionGroup as eg:
        log(describe(eg))


@scenario(
    "task cancelled",
    "KeyboardInterrupt re-raised as is",
)
async def test_keyboard_interrupt_in_the_body_is_not_grouped(aio, log):
    async def task():
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            log("task cancelled")
            raise

    try:
        async with aio.TaskGroup() as group:
            group.create_task(task())
            await aio.sleep(0)
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        log("KeyboardInterrupt re-raised as is")


@sync_scenario(
    "SystemExit left run(): 3",
    "sibling cancelled during shutdown",
)
def test_system_exit_in_a_task_leaves_the_loop_at_once(aio, log):
    """SystemExit and KeyboardInterrupt raised by a task stop the loop itself: they come
    out of run() as they are, and the shutdown cancels what is left."""
    async def leave():
        await aio.sleep(0)
        raise SystemExit(3)

    async def sibling():
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            log("sibling cancelled during shutdown")
            raise

    async def main():
        async with aio.TaskGroup() as group:
            group.create_task(leave())
            group.create_task(sibling())

    try:
        aio.run(main())
    except SystemExit as exc:
        log.lines.insert(0, f"SystemExit left run(): {exc.code}")


@scenario(
    "not entered: RuntimeError: TaskGroup <TaskGroup> has not been entered",
    "finished: RuntimeError: TaskGroup <TaskGroup entered> is finished",
    "shutting down: RuntimeError: TaskGroup <TaskGroup tasks=1 errors=1 cancelling> "
    "is shutting down",
    "entered twice: RuntimeError: TaskGroup <TaskGroup entered> has already been entered",
)
async def test_create_task_outside_the_group_lifetime_raises(aio, log):
    group = aio.TaskGroup()
    coro = aio.sleep(0)
    try:
        group.create_task(coro)
    except RuntimeError as exc:
        log.error("not entered:", exc)
    coro.close()
    async with group:
        pass
    coro = aio.sleep(0)
    try:
        group.create_task(coro)
    except RuntimeError as exc:
        log.error("finished:", exc)
    coro.close()

    async def fail():
        raise ValueError

    async def spawner():
        try:
            await aio.sleep(1)
        except aio.CancelledError:  # the group is aborting: no new tasks
            coro = aio.sleep(0)
            try:
                second.create_task(coro)
            except RuntimeError as exc:
                log.error("shutting down:", exc)
            coro.close()
            raise

    try:
        async with aio.TaskGroup() as second:
            second.create_task(fail())
            second.create_task(spawner())
    except ExceptionGroup:
        pass
    try:
        async with group:
            pass
    except RuntimeError as exc:
        log.error("entered twice:", exc)


@scenario(
    "inner sibling cancelled",
    "outer sibling cancelled",
    "ExceptionGroup[ExceptionGroup[ValueError: deep]]",
)
async def test_nested_taskgroups(aio, log):
    """The inner group's ExceptionGroup is the failure of a task of the outer group, so it
    arrives nested, and the outer group cancels its own tasks too."""
    async def fail():
        await aio.sleep(0.01)
        raise ValueError("deep")

    async def wait_forever(name):
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            log(name, "cancelled")
            raise

    async def inner_group():
        async with aio.TaskGroup() as inner:
            inner.create_task(fail())
            inner.create_task(wait_forever("inner sibling"))

    try:
        async with aio.TaskGroup() as outer:
            outer.create_task(inner_group())
            outer.create_task(wait_forever("outer sibling"))
    except ExceptionGroup as eg:
        log(describe(eg))


@scenario(
    "ExceptionGroup[TimeoutError: ]",
    "fast task finished: True",
)
async def test_timeout_inside_a_task_of_the_group(aio, log):
    async def limited():
        async with aio.timeout(0.01):
            await aio.sleep(1)

    async def fast():
        await aio.sleep(0)
        return True

    try:
        async with aio.TaskGroup() as group:
            quick = group.create_task(fast())
            group.create_task(limited())
    except ExceptionGroup as eg:
        log(describe(eg))
    log("fast task finished:", quick.result())


@scenario(
    "task cancelled",
    "TimeoutError around the group",
    "cancelling() 0",
)
async def test_timeout_around_a_taskgroup(aio, log):
    """The timeout cancels the body; the group cancels its task and lets the CancelledError
    out, and the timeout converts it."""
    async def task():
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            log("task cancelled")
            raise

    try:
        async with aio.timeout(0.01), aio.TaskGroup() as group:
            group.create_task(task())
    except TimeoutError:
        log("TimeoutError around the group")
    log("cancelling()", aio.current_task().cancelling())


@scenario(
    "child cancelled",
    "parent raised CancelledError",
    "parent cancelled: True",
)
async def test_cancelling_the_parent_cancels_the_group(aio, log):
    async def child():
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            log("child cancelled")
            raise

    async def parent():
        try:
            async with aio.TaskGroup() as group:
                group.create_task(child())
        except aio.CancelledError:
            log("parent raised CancelledError")
            raise

    task = aio.create_task(parent())
    await aio.sleep(0.005)
    task.cancel()
    await aio.gather(task, return_exceptions=True)
    log("parent cancelled:", task.cancelled())


@scenario(
    "caught ExceptionGroup[ValueError: oops]",
    "parent goes on",
)
async def test_parent_continues_after_catching_the_group_error(aio, log):
    """The group took back the cancel it used on the body, so the parent can await again."""
    async def oops():
        await aio.sleep(0)
        raise ValueError("oops")

    try:
        async with aio.TaskGroup() as group:
            group.create_task(oops())
            await aio.sleep(1)
    except* ValueError as eg:
        log("caught", describe(eg))
    await aio.sleep(0)
    log("parent goes on")


@scenario(
    "parent.cancelling() seen by a sibling during the wait: 0",
    changed={(3, 13): [
        "parent.cancelling() seen by a sibling during the wait: 1",
    ]},
)
async def test_when_the_group_takes_back_its_cancel(aio, log):
    """3.11 and 3.12 call uncancel() as soon as __aexit__ starts; 3.13 only after every task
    is done, so a timeout around the group still sees the request while the tasks finish."""
    parent = aio.current_task()

    async def fail():
        await aio.sleep(0.01)
        raise ValueError

    async def sibling():
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            await aio.sleep(0)  # let the parent reach __aexit__
            log("parent.cancelling() seen by a sibling during the wait:", parent.cancelling())
            raise

    try:
        async with aio.TaskGroup() as group:
            group.create_task(fail())
            group.create_task(sibling())
            await aio.sleep(1)
    except ExceptionGroup:
        pass


@scenario(
    "caught ExceptionGroup[ValueError: cleanup failed]",
    "next await went through",
    changed={(3, 13): [
        "caught ExceptionGroup[ValueError: cleanup failed]",
        "next await raised CancelledError",
    ]},
)
async def test_outside_cancel_and_a_failure_together(aio, log):
    """The parent is cancelled from outside, and a task fails while being cancelled. The
    error wins over the CancelledError; 3.13 then re-arms the outside cancellation, so it
    hits the parent's next await instead of being lost."""
    async def fails_on_cancel():
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            raise ValueError("cleanup failed")

    async def parent():
        try:
            async with aio.TaskGroup() as group:
                group.create_task(fails_on_cancel())
                await aio.sleep(1)
        except* ValueError as eg:
            log("caught", describe(eg))
        try:
            await aio.sleep(0)
            log("next await went through")
        except aio.CancelledError:
            log("next await raised CancelledError")

    task = aio.create_task(parent())
    await aio.sleep(0.005)
    task.cancel()
    await aio.gather(task, return_exceptions=True)


@scenario(
    "group ended normally",
    "victim cancelled: True, other result 'ok'",
)
async def test_a_task_cancelled_on_its_own_is_not_a_failure(aio, log):
    async with aio.TaskGroup() as group:
        victim = group.create_task(aio.sleep(1))
        other = group.create_task(aio.sleep(0.01, "ok"))
        await aio.sleep(0)
        victim.cancel()
    log("group ended normally")
    log(f"victim cancelled: {victim.cancelled()}, other result {other.result()!r}")


@scenario(
    "name worker",
    "context value: from the group's caller",
)
async def test_create_task_takes_name_and_context(aio, log):
    var = contextvars.ContextVar("var")
    ctx = contextvars.copy_context()
    ctx.run(var.set, "from the group's caller")

    async def read():
        return var.get()

    async with aio.TaskGroup() as group:
        task = group.create_task(read(), name="worker", context=ctx)
    log("name", task.get_name())
    log("context value:", task.result())


@scenario(
    "long task cancelled",
    "ExceptionGroup[TimeoutError: ]",
)
async def test_timeout_inside_the_body_of_a_taskgroup(aio, log):
    """The TimeoutError leaves the body like any error: the group cancels its tasks and
    reports it in an ExceptionGroup."""
    async def long():
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            log("long task cancelled")
            raise

    try:
        async with aio.TaskGroup() as group:
            group.create_task(long())
            async with aio.timeout(0.01):
                await aio.sleep(1)
    except ExceptionGroup as eg:
        log(describe(eg))


@scenario(
    "ExceptionGroup[ValueError: from a task, KeyError: 'from the body']",
)
async def test_the_body_error_comes_after_the_task_errors(aio, log):
    async def fail():
        raise ValueError("from a task")

    try:
        async with aio.TaskGroup() as group:
            group.create_task(fail())
            try:
                await aio.sleep(1)
            except aio.CancelledError:
                raise KeyError("from the body")
    except ExceptionGroup as eg:
        log(describe(eg))


@scenario(
    "ExceptionGroup[ValueError: cleanup failed]",
    "error's context: CancelledError",
    changed={(3, 13): [
        "ExceptionGroup[ValueError: cleanup failed]",
        "error's context: TimeoutError",
    ]},
)
async def test_timeout_around_a_group_whose_task_fails_on_cancel(aio, log):
    """The timeout cancels the group, and a task turns its CancelledError into an error: the
    ExceptionGroup wins over the timeout. 3.13 marks the timeout in the context chain of
    each error in the group."""
    async def fails_on_cancel():
        try:
            await aio.sleep(1)
        except aio.CancelledError:
            raise ValueError("cleanup failed")

    try:
        async with aio.timeout(0.01), aio.TaskGroup() as group:
            group.create_task(fails_on_cancel())
    except ExceptionGroup as eg:
        log(describe(eg))
        log("error's context:", type(eg.exceptions[0].__context__).__name__)
