"""Error reporting: what the loop says about errors that have nobody to propagate to.

An exception in a callback, a task whose exception nobody looked at, a task garbage
collected while still pending: there is no caller left to raise these to, so the loop hands
them to its exception handler, which by default logs them to the "asyncio" logger. The
scenarios compare the log records themselves (see records.py for what is normalized).
"""

import contextvars
import gc
import logging

from compat_tests.harness import scenario
from compat_tests.records import asyncio_log, messages, normalize


async def boom():
    raise ValueError("nobody looks at me")


async def wait_on(fut):
    await fut


def fails(x):
    return x / 0


def at_nn(line, fn):
    """Replace the line number where `fn` is defined by NN (the trace stays readable)."""
    return line.replace(f".py:{fn.__code__.co_firstlineno}", ".py:NN")


@scenario(
    "ERROR Task exception was never retrieved",
    "future: <Task finished name='Task-N' coro=<boom() done, defined at "
    "compat_tests/test_error_reporting.py:NN> exception=ValueError('nobody looks at me')>",
    "traceback attached: ValueError",
)
async def test_task_exception_was_never_retrieved(aio, log):
    with asyncio_log() as records:
        task = aio.create_task(boom())
        await aio.sleep(0.01)
        del task  # the last reference: the report comes from the task's finalizer
        gc.collect()
    for line in messages(records):
        log(at_nn(line, boom))
    log("traceback attached:", records[0].exc_info[0].__name__)


@scenario(
    "debug=False: before del nothing logged: True",
    "debug=False: reported by del itself: Task exception was never retrieved",
    "debug=True: before del nothing logged: True",
    "debug=True: reported by del itself: Task exception was never retrieved",
)
async def test_never_retrieved_is_reported_as_soon_as_the_task_is_dropped(aio, log):
    """No garbage collection needed: the report comes the moment the last reference goes,
    so it shows up next to the code that dropped the task (both in and out of debug mode)."""
    loop = aio.get_running_loop()
    gc.disable()
    try:
        for debug in (False, True):
            loop.set_debug(debug)
            with asyncio_log(logging.ERROR) as records:
                task = aio.create_task(boom())
                await aio.sleep(0.01)
                log(f"debug={debug}: before del nothing logged:", records == [])
                del task
                log(f"debug={debug}: reported by del itself:",
                    records[0].message.splitlines()[0] if records else "nothing")
    finally:
        gc.enable()
        loop.set_debug(False)


@scenario(
    "nothing logged: True",
)
async def test_looking_at_the_exception_silences_the_report(aio, log):
    with asyncio_log() as records:
        task = aio.create_task(boom())
        await aio.sleep(0.01)
        task.exception()
        del task
        gc.collect()
    log("nothing logged:", records == [])


@scenario(
    "ERROR Future exception was never retrieved",
    "future: <Future finished exception=KeyError('k')>",
)
async def test_future_exception_was_never_retrieved(aio, log):
    with asyncio_log() as records:
        fut = aio.get_running_loop().create_future()
        fut.set_exception(KeyError("k"))
        del fut
        gc.collect()
    for line in messages(records):
        log(line)


@scenario(
    "ERROR Task was destroyed but it is pending!",
    "task: <Task pending name='Task-N' coro=<wait_on() done, defined at "
    "compat_tests/test_error_reporting.py:NN>",
)
async def test_task_was_destroyed_but_it_is_pending(aio, log):
    """A task waiting on a future that nobody else references is garbage: the collector
    finds the cycle (the future's callback holds the task) and the task complains."""
    with asyncio_log() as records:
        task = aio.create_task(wait_on(aio.get_running_loop().create_future()))
        await aio.sleep(0)
        del task
        gc.collect()
    for line in messages(records):
        # Cut at the awaited future: its callback is C asyncio's builtin `task_wakeup`, a
        # name miniloop's Python method does not have.
        log(at_nn(line.split(" wait_for=")[0], wait_on))


@scenario(
    "ERROR Exception in callback fails(1) at compat_tests/test_error_reporting.py:NN",
    "handle: <Handle fails(1) at compat_tests/test_error_reporting.py:NN>",
    "traceback attached: ZeroDivisionError",
    "the loop went on",
    changed={(3, 13): [
        "ERROR Exception in callback fails() at compat_tests/test_error_reporting.py:NN",
        "handle: <Handle fails() at compat_tests/test_error_reporting.py:NN>",
        "traceback attached: ZeroDivisionError",
        "the loop went on",
    ]},
)
async def test_exception_in_callback_is_logged_with_its_handle(aio, log):
    """3.13 stops showing a callback's arguments outside debug mode (they may hold secrets)."""
    with asyncio_log() as records:
        aio.get_running_loop().call_soon(fails, 1)
        await aio.sleep(0)
    for line in messages(records):
        log(at_nn(line, fails))
    log("traceback attached:", records[0].exc_info[0].__name__)
    log("the loop went on")


@scenario(
    "callback error: ['exception', 'handle', 'message']",
    "never retrieved: ['exception', 'future', 'message']",
    "pending destroyed: ['message', 'task']",
)
async def test_the_context_keys_a_handler_receives(aio, log):
    loop = aio.get_running_loop()
    contexts = []
    loop.set_exception_handler(lambda loop, context: contexts.append(context))
    loop.call_soon(lambda: 1 / 0)
    task = aio.create_task(boom())
    await aio.sleep(0.01)
    del task
    task = aio.create_task(wait_on(loop.create_future()))
    await aio.sleep(0)
    del task
    gc.collect()
    loop.set_exception_handler(None)
    for name, context in zip(["callback error", "never retrieved", "pending destroyed"],
                             contexts, strict=True):
        log(f"{name}:", sorted(context))


@scenario(
    "ERROR Unhandled error in exception handler",
    "context: {'message': 'something odd', 'detail': 42}",
    "the handler's own error is attached: RuntimeError",
)
async def test_a_failing_exception_handler_is_reported_by_the_default_one(aio, log):
    loop = aio.get_running_loop()

    def broken_handler(loop, context):
        raise RuntimeError("the handler broke")

    loop.set_exception_handler(broken_handler)
    with asyncio_log() as records:
        loop.call_exception_handler({"message": "something odd", "detail": 42})
    loop.set_exception_handler(None)
    for line in messages(records):
        log(line)
    log("the handler's own error is attached:", records[0].exc_info[0].__name__)


@scenario(
    "ERROR custom message",
    "answer: 42",
    "zeta: 'last'",
    "ERROR Unhandled exception in event loop",
    "no traceback without an exception: False",
)
async def test_default_exception_handler_formats_the_context(aio, log):
    """The message first, then every other key in sorted order, each value's repr."""
    loop = aio.get_running_loop()
    with asyncio_log() as records:
        loop.default_exception_handler({"zeta": "last", "message": "custom message",
                                        "answer": 42})
        loop.default_exception_handler({})
    for line in messages(records):
        log(line)
    log("no traceback without an exception:", records[1].exc_info)


@scenario(
    "default handler: None",
    "after set: True",
    "after reset: None",
    "raised TypeError: A callable object or None is expected, got 'not callable'",
)
async def test_set_and_get_exception_handler(aio, log):
    loop = aio.get_running_loop()

    def handler(loop, context):
        pass

    log("default handler:", loop.get_exception_handler())
    loop.set_exception_handler(handler)
    log("after set:", loop.get_exception_handler() is handler)
    loop.set_exception_handler(None)
    log("after reset:", loop.get_exception_handler())
    try:
        loop.set_exception_handler("not callable")
    except TypeError as exc:
        log.error("raised", exc)


user = contextvars.ContextVar("user", default="nobody")


@scenario(
    "handler sees user=nobody",
    changed={(3, 12): ["handler sees user=alice"]},
)
async def test_custom_handler_runs_in_the_failing_tasks_context(aio, log):
    """3.12+ runs a custom handler inside the context of the task, future or handle the
    report is about, so a request id set by the failing code is visible to the handler."""
    loop = aio.get_running_loop()
    loop.set_exception_handler(lambda loop, context: log("handler sees user=" + user.get()))

    async def as_alice():
        user.set("alice")
        raise ValueError("unretrieved")

    task = aio.create_task(as_alice())
    await aio.sleep(0.01)
    del task
    gc.collect()
    loop.set_exception_handler(None)


@scenario(
    "ERROR Exception in callback MyError.raise_it() at compat_tests/test_error_reporting.py:NN",
    "handle: <Handle MyError.raise_it() at compat_tests/test_error_reporting.py:NN>",
    "logger name: asyncio",
)
async def test_reports_go_to_the_logger_named_asyncio(aio, log):
    """One logging set-up (`logging.getLogger("asyncio")`) serves both loops."""
    class MyError:
        @staticmethod
        def raise_it():
            raise LookupError

    with asyncio_log(logging.ERROR) as records:
        aio.get_running_loop().call_soon(MyError.raise_it)
        await aio.sleep(0)
    line_no = f":{MyError.raise_it.__code__.co_firstlineno}"
    for line in messages(records):
        log(normalize(line).replace(line_no, ":NN").replace(
            "test_reports_go_to_the_logger_named_asyncio.<locals>.", ""))
    log("logger name:", records[0].name)
