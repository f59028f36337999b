"""Tasks: when a coroutine actually runs, and how tasks take turns."""

import contextvars
import types

from compat_tests.harness import scenario


@scenario(
    "task created, not started",
    "main yields",
    "child runs",
    "main resumes",
)
async def test_create_task_schedules_but_does_not_run(aio, log):
    async def child():
        log("child runs")

    task = aio.create_task(child())
    log("task created, not started")
    log("main yields")
    await aio.sleep(0)
    log("main resumes")
    await task


@scenario(
    "a 0", "b 0", "a 1", "b 1", "a 2", "b 2",
)
async def test_sleep_zero_interleaves_tasks_turn_by_turn(aio, log):
    """`sleep(0)` yields exactly one turn: two tasks alternate line by line."""
    async def worker(name):
        for i in range(3):
            log(name, i)
            await aio.sleep(0)

    await aio.gather(worker("a"), worker("b"))


@scenario(
    "result 42",
    "awaiting again: 42",
    "done True",
)
async def test_awaiting_a_task_twice_gives_the_same_result(aio, log):
    async def answer():
        await aio.sleep(0)
        return 42

    task = aio.create_task(answer())
    log("result", await task)
    log("awaiting again:", await task)
    log("done", task.done())


@scenario(
    "caught ValueError: deep",
    "task raised ValueError: deep",
)
async def test_exceptions_propagate_through_awaits(aio, log):
    async def inner():
        await aio.sleep(0)
        raise ValueError("deep")

    async def middle():
        return await inner()

    task = aio.create_task(middle())
    try:
        await task
    except ValueError as exc:
        log.error("caught", exc)
    log.outcome("task", task)


@scenario(
    "Task-? names: True",
    "custom",
    "renamed 7",
)
async def test_task_names(aio, log):
    async def nothing():
        pass

    plain = aio.create_task(nothing())
    named = aio.create_task(nothing(), name="custom")
    log("Task-? names:", plain.get_name().startswith("Task-"))
    log(named.get_name())
    named.set_name(7)  # any object, stored as str
    log("renamed", named.get_name())
    await aio.gather(plain, named)


@scenario(
    "in main: main",
    "in child: child",
    "all_tasks has both: True",
    "in a callback: None",
    "after child finished: ['main']",
)
async def test_current_task_and_all_tasks(aio, log):
    async def child():
        log("in child:", aio.current_task().get_name())
        await aio.sleep(0.01)

    aio.current_task().set_name("main")
    log("in main:", aio.current_task().get_name())
    task = aio.create_task(child(), name="child")
    await aio.sleep(0)
    aio.get_running_loop().call_soon(lambda: log("in a callback:", aio.current_task()))
    log("all_tasks has both:", {t.get_name() for t in aio.all_tasks()} == {"main", "child"})
    await task
    log("after child finished:", sorted(t.get_name() for t in aio.all_tasks()))


@scenario(
    "TypeError: object int can't be used in 'await' expression",
)
async def test_awaiting_a_non_awaitable(aio, log):
    try:
        await 5
    except TypeError as exc:
        log.error("", exc)
    log.lines[-1] = log.lines[-1].strip()


@scenario(
    "TypeError: a coroutine was expected, got <function test_create_task_wants_a_coroutine_object",
    "TypeError: a coroutine was expected, got 5",
)
async def test_create_task_wants_a_coroutine_object(aio, log):
    async def forgot_the_parentheses():
        pass

    for wrong in (forgot_the_parentheses, 5):
        try:
            aio.create_task(wrong)
        except TypeError as exc:
            log(f"TypeError: {exc}".split(".<locals>")[0])  # drop the function's address


@scenario(
    "RuntimeError: Task cannot await on itself: True",
)
async def test_a_task_cannot_await_itself(aio, log):
    async def selfish():
        await aio.current_task()

    task = aio.create_task(selfish())
    try:
        await task
    except RuntimeError as exc:
        log("RuntimeError: Task cannot await on itself:",
            str(exc).startswith("Task cannot await on itself: <Task"))


@scenario(
    "RuntimeError: Task got bad yield: 'oops'",
)
async def test_yielding_something_that_is_not_a_future(aio, log):
    @types.coroutine
    def bad():
        yield "oops"

    try:
        await aio.create_task(bad_caller(bad))
    except RuntimeError as exc:
        log.error("", exc)
    log.lines[-1] = log.lines[-1].strip()


async def bad_caller(bad):
    await bad()


@scenario(
    "RuntimeError: attached to a different loop: True",
)
async def test_awaiting_a_future_of_another_loop(aio, log):
    other = aio.new_event_loop()
    try:
        foreign = other.create_future()

        async def waiter():
            await foreign

        try:
            await aio.create_task(waiter())
        except RuntimeError as exc:
            log("RuntimeError: attached to a different loop:",
                str(exc).endswith("attached to a different loop"))
    finally:
        other.close()


var = contextvars.ContextVar("var", default="default")


@scenario(
    "a sees a",
    "b sees b",
    "main still sees main",
    "explicit context: from ctx",
)
async def test_each_task_runs_in_its_own_context_copy(aio, log):
    async def worker(name):
        var.set(name)
        await aio.sleep(0)
        log(name, "sees", var.get())

    var.set("main")
    await aio.gather(worker("a"), worker("b"))
    log("main still sees", var.get())
    ctx = contextvars.copy_context()
    ctx.run(var.set, "from ctx")

    async def reader():
        log("explicit context:", var.get())

    await aio.create_task(reader(), context=ctx)


@scenario(
    "get_coro is the coroutine: True",
    "has get_context: False",
    "repr: <Task pending name='t'",
    "repr when done: <Task finished name='t'",
    changed={(3, 12): [
        "get_coro is the coroutine: True",
        "has get_context: True",
        "repr: <Task pending name='t'",
        "repr when done: <Task finished name='t'",
    ]},
)
async def test_task_introspection(aio, log):
    async def job():
        await aio.sleep(0)
        return 1

    coro = job()
    task = aio.create_task(coro, name="t")
    log("get_coro is the coroutine:", task.get_coro() is coro)
    log("has get_context:", hasattr(task, "get_context"))  # new in 3.12
    log("repr:", repr(task).split(" coro=")[0])
    await task
    log("repr when done:", repr(task).split(" coro=")[0])


@scenario(
    "RuntimeError: Task does not support set_result operation",
    "RuntimeError: Task does not support set_exception operation",
)
async def test_a_task_cannot_be_completed_by_hand(aio, log):
    async def job():
        pass

    task = aio.create_task(job())
    for attempt in (lambda: task.set_result(1), lambda: task.set_exception(ValueError())):
        try:
            attempt()
        except RuntimeError as exc:
            log(f"RuntimeError: {exc}")
    await task
