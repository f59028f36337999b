"""The task registry: a task type of a library's own, made visible to all_tasks() and
current_task() through _register_task, _enter_task and _leave_task."""

from compat_tests.harness import scenario


@scenario(
    "all_tasks() has it: True",
    "raised RuntimeError: Cannot enter into task <Future pending>",
    "raised RuntimeError: Leaving task <Future pending cb=[Task.task_wakeup()]> does not match "
    "the current task None.",
    "current_task() while it is entered: True",
    "current_task() after it left: None",
    "all_tasks() once it is done: False",
    "all_tasks() after _unregister_task: False",
)
async def test_a_task_type_of_its_own_joins_the_registry(aio, log):
    loop = aio.get_running_loop()
    own = loop.create_future()  # stands in for a library's own task object
    aio._register_task(own)
    log("all_tasks() has it:", own in aio.all_tasks())
    try:
        aio._enter_task(loop, own)  # this story's own task is running right now
    except RuntimeError as exc:
        log("raised", type(exc).__name__ + ":", str(exc).split(" while another")[0])

    def step_of_the_own_task():  # a plain callback: no task is running
        try:
            aio._leave_task(loop, own)
        except RuntimeError as exc:
            log.error("raised", exc)
        aio._enter_task(loop, own)
        log("current_task() while it is entered:", aio.current_task() is own)
        aio._leave_task(loop, own)
        log("current_task() after it left:", aio.current_task())
        own.set_result(None)

    loop.call_soon(step_of_the_own_task)
    await own
    log("all_tasks() once it is done:", own in aio.all_tasks())
    aio._unregister_task(own)
    aio._unregister_task(own)  # (forgetting twice is no error)
    log("all_tasks() after _unregister_task:", own in aio.all_tasks())
