"""Eager tasks (3.12+): the first step runs inside create_task(), before it returns.

Each story starts by asking whether this Python has eager tasks: 3.11's asyncio has none,
and neither has miniloop on 3.11.
"""

from compat_tests.harness import scenario, sync_scenario

NOT_ON_311 = ["no eager tasks on this Python"]


def eager_tasks_here(aio, log):
    if not hasattr(aio, "eager_task_factory"):
        log("no eager tasks on this Python")
        return False
    aio.get_running_loop().set_task_factory(aio.eager_task_factory)
    return True


@scenario(*NOT_ON_311, changed={(3, 12): [
    "parent: before create_task",
    "child: first step, current_task() is the child: True",
    "parent: create_task returned, child done: False",
    "parent: current_task() is the parent again: True",
    "child: resumed on a later turn",
    "parent: child's result: 42",
]})
async def test_an_eager_task_runs_until_its_first_suspension(aio, log):
    if not eager_tasks_here(aio, log):
        return
    parent = aio.current_task()

    async def child():
        log("child: first step, current_task() is the child:",
            aio.current_task() not in (parent, None))
        await aio.sleep(0)
        log("child: resumed on a later turn")
        return 42

    log("parent: before create_task")
    task = aio.create_task(child())
    log("parent: create_task returned, child done:", task.done())
    log("parent: current_task() is the parent again:", aio.current_task() is parent)
    log("parent: child's result:", await task)


@scenario(*NOT_ON_311, changed={(3, 12): [
    "child runs",
    "done at once: True, result: cached",
    "in all_tasks(): False",
    "repr: <Task finished name='lookup' result='cached'>",
]})
async def test_an_eager_task_that_never_suspends_is_returned_done(aio, log):
    if not eager_tasks_here(aio, log):
        return

    async def lookup():
        log("child runs")
        return "cached"

    task = aio.create_task(lookup(), name="lookup")
    log(f"done at once: {task.done()}, result: {task.result()}")
    # (Its coroutine is let go of: the repr has no coro=. On asyncio 3.12.1, get_coro() of
    # such a task crashes the interpreter, so it is not asked here.)
    log("in all_tasks():", task in aio.all_tasks())
    log("repr:", repr(task))


@sync_scenario(*NOT_ON_311, changed={(3, 12): [
    "created on a loop that is not running: done False",
    "the loop runs: child's first step",
    "result: ok",
]})
def test_eager_start_waits_for_a_loop_that_is_not_running(aio, log):
    if not hasattr(aio, "eager_task_factory"):
        log("no eager tasks on this Python")
        return

    async def child():
        log("the loop runs: child's first step")
        return "ok"

    loop = aio.new_event_loop()
    try:
        task = aio.Task(child(), loop=loop, eager_start=True)
        log("created on a loop that is not running: done", task.done())
        log("result:", loop.run_until_complete(task))
    finally:
        loop.close()


@scenario(*NOT_ON_311, changed={(3, 12): [
    "first: starts and fails at once",
    "create_task(second) raised RuntimeError: TaskGroup <TaskGroup errors=1 cancelling> is "
    "shutting down",
    "the group raised ExceptionGroup: [ValueError('eager failure')]",
    "the next await raised CancelledError",
], (3, 13): [
    "first: starts and fails at once",
    "create_task(second) raised RuntimeError: TaskGroup <TaskGroup errors=1 cancelling> is "
    "shutting down",
    "the group raised ExceptionGroup: [ValueError('eager failure')]",
    "the next await went through",
]})
async def test_an_eager_task_failing_at_once_aborts_its_group(aio, log):
    # The failed task is done when create_task() returns, so the group is already shutting
    # down on the very next line: no turn of the loop in between. The group cancels this
    # task, which is running; on 3.12 that cancel is still pending after the group takes its
    # request back, and the next await raises it (3.13's uncancel() drops it).
    if not eager_tasks_here(aio, log):
        return

    async def first():
        log("first: starts and fails at once")
        raise ValueError("eager failure")

    async def second():
        log("second: never runs")

    try:
        async with aio.TaskGroup() as group:
            group.create_task(first())
            coro = second()
            try:
                group.create_task(coro)
            except RuntimeError as exc:
                coro.close()  # (3.11 and 3.12 leave a refused coroutine unclosed)
                log("create_task(second) raised RuntimeError:", exc)
    except ExceptionGroup as group_error:
        log(f"the group raised {type(group_error).__name__}:",
            "[" + ", ".join(repr(exc) for exc in group_error.exceptions) + "]")
    try:
        await aio.sleep(0)
        log("the next await went through")
    except aio.CancelledError:
        log("the next await raised CancelledError")


@scenario(*NOT_ON_311, changed={(3, 12): [
    "a: first step",
    "b: first step",
    "gather() called",
    "a: done",
    "b: done",
    "results: ['a', 'b']",
]})
async def test_gather_of_eager_tasks_starts_each_at_once(aio, log):
    if not eager_tasks_here(aio, log):
        return

    async def work(name):
        log(f"{name}: first step")
        await aio.sleep(0)
        log(f"{name}: done")
        return name

    waiting = aio.gather(work("a"), work("b"))
    log("gather() called")
    log("results:", await waiting)


@scenario(*NOT_ON_311, changed={(3, 12): [
    "constructor called with eager_start=True",
    "child's first step in a LoggingTask: True",
    "result: 7",
]})
async def test_create_eager_task_factory_uses_the_given_constructor(aio, log):
    if not hasattr(aio, "create_eager_task_factory"):
        log("no eager tasks on this Python")
        return

    class LoggingTask(aio.Task):
        def __init__(self, coro, *, loop=None, name=None, context=None, eager_start=False):
            log(f"constructor called with eager_start={eager_start}")
            super().__init__(coro, loop=loop, name=name, context=context,
                             eager_start=eager_start)

    async def child():
        log("child's first step in a LoggingTask:",
            type(aio.current_task()) is LoggingTask)
        return 7

    loop = aio.get_running_loop()
    loop.set_task_factory(aio.create_eager_task_factory(LoggingTask))
    task = aio.create_task(child())
    loop.set_task_factory(None)  # (run() makes tasks of its own when it shuts down)
    log("result:", await task)


@scenario(
    "name given: 'given'",
    "no name: 'Task-N'",
    changed={(3, 13): [
        "name given: 'given'",
        "no name: 'None'",
    ]},
)
async def test_a_factory_task_without_a_name(aio, log):
    # With a task factory, create_task() names the task after the factory made it; 3.13.0
    # does so even when no name was given, so the task is called "None".
    loop = aio.get_running_loop()
    loop.set_task_factory(lambda loop, coro, **kwargs: aio.Task(coro, loop=loop, **kwargs))
    named = aio.create_task(aio.sleep(0), name="given")
    unnamed = aio.create_task(aio.sleep(0))
    log("name given:", repr(named.get_name()))
    name = unnamed.get_name()
    log("no name:", repr("Task-N" if name.startswith("Task-") else name))
    await aio.gather(named, unnamed)
