"""Task.get_stack() and print_stack(): a suspended task shows the await it sits at; a
failed one, its traceback; a finished one, nothing."""

import io
import re

from compat_tests.harness import scenario


def printed_stack(task, **options):
    """print_stack()'s text, with this file's path and the line numbers made neutral."""
    out = io.StringIO()
    task.print_stack(file=out, **options)
    text = out.getvalue().replace(__file__, "FILE")
    return re.sub(r"(line |FILE:)\d+", r"\1N", text).splitlines()


@scenario(
    "suspended: ['waiting']",
    "Stack for <Task pending name='waiter' coro=<test_the_stack_of_a_task.<locals>.waiting() "
    "running at FILE:N> wait_for=<Future pending cb=[Task.task_wakeup()]>> "
    "(most recent call last):",
    '  File "FILE", line N, in waiting',
    "    await never",
    "failed: ['failing'] with limit=1: ['failing']",
    "Traceback for <Task finished name='failer' coro=<test_the_stack_of_a_task.<locals>.failing() "
    "done, defined at FILE:N> exception=ValueError('boom')> (most recent call last):",
    '  File "FILE", line N, in failing',
    '    raise ValueError("boom")',
    "ValueError: boom",
    "finished: []",
    "No stack for <Task finished name='done' coro=<test_the_stack_of_a_task.<locals>.quick() "
    "done, defined at FILE:N> result=1>",
)
async def test_the_stack_of_a_task(aio, log):
    never = aio.get_running_loop().create_future()

    async def waiting():
        await never

    async def failing():
        raise ValueError("boom")

    async def quick():
        return 1

    waiter = aio.create_task(waiting(), name="waiter")
    failer = aio.create_task(failing(), name="failer")
    done = aio.create_task(quick(), name="done")
    await aio.sleep(0)
    log("suspended:", [frame.f_code.co_name for frame in waiter.get_stack()])
    for line in printed_stack(waiter):
        log(line)
    log("failed:", [frame.f_code.co_name for frame in failer.get_stack()],
        "with limit=1:", [frame.f_code.co_name for frame in failer.get_stack(limit=1)])
    for line in printed_stack(failer):
        log(line)
    log("finished:", done.get_stack())
    for line in printed_stack(done):
        log(line)
    failer.exception()
    waiter.cancel()
