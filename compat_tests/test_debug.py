"""Debug mode: slow callbacks, creation tracebacks, forgotten awaits, misuse caught early."""

import gc
import logging
import os
import re
import sys
import time
import warnings

from compat_tests.harness import scenario, sync_scenario
from compat_tests.records import asyncio_log, messages, normalize

SLOW = 0.03  # slow_callback_duration in these scenarios; slow callbacks take 5x as long


def at_nn(line, *fns):
    """Replace the line numbers where each of `fns` is defined by NN."""
    for fn in fns:
        line = line.replace(f".py:{fn.__code__.co_firstlineno}", ".py:NN")
    return line


def user_lines(text):
    """A normalized report keeping only this file's frames (the frames above it belong to
    pytest and the harness, which asyncio's shorter library stack leaves in view), with
    this file's line numbers as LL."""
    lines = []
    keep = True
    previous = ""
    for line in normalize(text).splitlines():
        if line.startswith('  File "'):
            keep = 'test_debug.py"' in line
        elif not (line.startswith("    ") and previous.startswith('  File "')):
            keep = True  # not part of a frame: always kept
        if keep:
            lines.append(re.sub(r"(test_debug\.py:|line )\d+", r"\1LL", line))
        previous = line
    return lines


def slow_callback():
    time.sleep(SLOW * 5)


async def slow_step():
    time.sleep(SLOW * 5)


async def boom():
    raise ValueError("unretrieved")


async def forgotten():
    pass


@sync_scenario(
    "PYTHONASYNCIODEBUG=1: True",
    "unset: False",
)
def test_the_environment_variable_turns_debug_mode_on(aio, log):
    saved = os.environ.pop("PYTHONASYNCIODEBUG", None)
    try:
        for value in ["1", None]:
            if value is not None:
                os.environ["PYTHONASYNCIODEBUG"] = value
            else:
                os.environ.pop("PYTHONASYNCIODEBUG", None)
            loop = aio.new_event_loop()
            log("PYTHONASYNCIODEBUG=1:" if value else "unset:", loop.get_debug())
            loop.close()
    finally:
        if saved is not None:
            os.environ["PYTHONASYNCIODEBUG"] = saved


@scenario(
    "WARNING Executing <Handle slow_callback() at compat_tests/test_debug.py:NN "
    "created at compat_tests/test_debug.py:LL> took ?.??? seconds",
    "reported duration >= slow_callback_duration: True",
)
async def test_a_slow_callback_is_logged_in_debug_mode(aio, log):
    loop = aio.get_running_loop()
    loop.set_debug(True)
    loop.slow_callback_duration = SLOW
    with asyncio_log(logging.WARNING) as records:
        loop.call_soon(slow_callback)
        await aio.sleep(0)
    loop.set_debug(False)
    records = [r for r in records if "slow_callback" in r.message]  # not a stalled machine's
    for line in messages(records):
        line = at_nn(line, slow_callback)
        log(user_lines(line)[0].replace(line.split(" took ")[1], "?.??? seconds"))
    log("reported duration >= slow_callback_duration:", records[0].args[1] >= SLOW)


@scenario(
    "WARNING Executing <Task finished name='Task-N' coro=<slow_step() done, defined at "
    "compat_tests/test_debug.py:NN> result=None created at <lib>> took ?.??? seconds",
)
async def test_a_slow_task_step_is_logged_with_the_task(aio, log):
    """A task's step is named by the task, as it is after the step: which coroutine held
    the loop is what you need to know."""
    loop = aio.get_running_loop()
    loop.set_debug(True)
    loop.slow_callback_duration = SLOW
    with asyncio_log(logging.WARNING) as records:
        await aio.create_task(slow_step())
    loop.set_debug(False)
    records = [r for r in records if "slow_step" in r.message]  # not a stalled machine's
    for line in messages(records):
        log(at_nn(line, slow_step).replace(line.split(" took ")[1], "?.??? seconds"))


async def turns_debug_on(loop):
    loop.set_debug(True)
    time.sleep(SLOW * 5)


async def turns_debug_off(loop):
    loop.set_debug(False)
    time.sleep(SLOW * 5)


@scenario(
    "WARNING Executing <Task finished name='Task-N' coro=<turns_debug_off() done, defined "
    "at compat_tests/test_debug.py:NN> result=None created at <lib>> took ?.??? seconds",
)
async def test_whether_a_callback_is_timed_is_decided_as_it_starts(aio, log):
    """A step that turns debug mode on is not timed, however slow it is; a step that turns
    it off still is: the loop asks before it runs the callback, not after."""
    loop = aio.get_running_loop()
    loop.slow_callback_duration = SLOW
    with asyncio_log(logging.WARNING) as records:
        await aio.create_task(turns_debug_on(loop))
        await aio.create_task(turns_debug_off(loop))
    records = [r for r in records if "turns_debug_o" in r.message]
    for line in messages(records):
        line = at_nn(line, turns_debug_on, turns_debug_off)
        log(line.replace(line.split(" took ")[1], "?.??? seconds"))


@scenario(
    "nothing logged outside debug mode: True",
)
async def test_slow_callbacks_are_not_timed_outside_debug_mode(aio, log):
    loop = aio.get_running_loop()
    loop.slow_callback_duration = SLOW
    with asyncio_log(logging.WARNING) as records:
        loop.call_soon(slow_callback)
        await aio.sleep(0)
    log("nothing logged outside debug mode:", records == [])


@scenario(
    "ERROR Exception in callback fails(1) at compat_tests/test_debug.py:LL",
    "handle: <Handle fails(1) at compat_tests/test_debug.py:LL created at "
    "compat_tests/test_debug.py:LL>",
    "source_traceback: Object created at (most recent call last):",
    '  File "compat_tests/test_debug.py", line LL, in '
    "test_an_error_report_says_where_the_callback_was_scheduled",
    "    loop.call_soon(fails, 1)",
)
async def test_an_error_report_says_where_the_callback_was_scheduled(aio, log):
    """In debug mode a handle keeps its creation stack; the report shows it (library frames
    are left out here: asyncio's differ from miniloop's). 3.13 shows arguments again."""
    def fails(x):
        return x / 0

    loop = aio.get_running_loop()
    loop.set_debug(True)
    with asyncio_log(logging.ERROR) as records:
        loop.call_soon(fails, 1)
        await aio.sleep(0)
    loop.set_debug(False)
    for line in user_lines("ERROR " + records[0].getMessage()):
        log(line.replace("test_an_error_report_says_where_the_callback_was_scheduled"
                         ".<locals>.", ""))


@scenario(
    "ERROR Task exception was never retrieved",
    "future: <Task finished name='Task-N' coro=<boom() done, defined at "
    "compat_tests/test_debug.py:LL> exception=ValueError('unretrieved') created at <lib>>",
    "source_traceback: Object created at (most recent call last):",
    '  File "compat_tests/test_debug.py", line LL, in '
    "test_a_never_retrieved_report_says_where_the_task_was_created",
    "    task = aio.create_task(boom())",
)
async def test_a_never_retrieved_report_says_where_the_task_was_created(aio, log):
    loop = aio.get_running_loop()
    loop.set_debug(True)
    with asyncio_log(logging.ERROR) as records:
        task = aio.create_task(boom())
        await aio.sleep(0.01)
        del task
        gc.collect()
    loop.set_debug(False)
    for line in user_lines("ERROR " + records[0].getMessage()):
        log(line)


@scenario(
    "ERROR something odd",
    "handle_traceback: Handle created at (most recent call last):",
    '  File "compat_tests/test_debug.py", line LL, in '
    "test_a_report_made_inside_a_callback_says_where_the_callback_came_from",
    "    loop.call_soon(report)",
)
async def test_a_report_made_inside_a_callback_says_where_the_callback_came_from(aio, log):
    """A report without a creation traceback of its own, made while a callback runs, gets
    the callback's: "handle_traceback"."""
    loop = aio.get_running_loop()
    loop.set_debug(True)

    def report():
        loop.call_exception_handler({"message": "something odd"})

    with asyncio_log(logging.ERROR) as records:
        loop.call_soon(report)
        await aio.sleep(0)
    loop.set_debug(False)
    for line in user_lines("ERROR " + records[0].getMessage()):
        log(line)


@scenario(
    "RuntimeWarning: coroutine 'forgotten' was never awaited",
    "Coroutine created at (most recent call last)",
    '  File "compat_tests/test_debug.py", line LL, in '
    "test_debug_mode_says_where_an_unawaited_coroutine_was_created",
    "    forgotten()  # no await",
    "origin tracking depth while running: 10",
)
async def test_debug_mode_says_where_an_unawaited_coroutine_was_created(aio, log):
    loop = aio.get_running_loop()
    loop.set_debug(True)
    await aio.sleep(0)  # set_debug() while running takes effect on the next turn
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        forgotten()  # no await
        gc.collect()
    depth = sys.get_coroutine_origin_tracking_depth()
    loop.set_debug(False)
    await aio.sleep(0)
    for warning in caught:
        lines = user_lines(str(warning.message))
        log(f"{warning.category.__name__}: {lines[0]}")
        for line in lines[1:]:
            log(line)
    log("origin tracking depth while running:", depth)


@sync_scenario(
    "depth while running: 10",
    "RuntimeWarning: coroutine 'forgotten' was never awaited",
    "depth after run(): 0",
)
def test_run_debug_tracks_coroutine_origins_only_while_running(aio, log):
    async def main():
        log("depth while running:", sys.get_coroutine_origin_tracking_depth())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            forgotten()
            gc.collect()
        log(f"RuntimeWarning: {str(caught[0].message).splitlines()[0]}")

    aio.run(main(), debug=True)
    log("depth after run():", sys.get_coroutine_origin_tracking_depth())


@scenario(
    "raised TypeError: coroutines cannot be used with call_soon()",
    "raised TypeError: coroutines cannot be used with call_at()",
    "raised TypeError: a callable object was expected by call_soon(), got 42",
    "raised TypeError: coroutines cannot be used with call_soon_threadsafe()",
    "outside debug mode call_soon(42) is accepted: True",
)
async def test_debug_mode_refuses_coroutines_and_non_callables(aio, log):
    """call_later() delegates to call_at(), and the message names call_at()."""
    loop = aio.get_running_loop()
    loop.set_debug(True)
    coro = forgotten()
    for call in [lambda: loop.call_soon(forgotten), lambda: loop.call_later(1, coro),
                 lambda: loop.call_soon(42), lambda: loop.call_soon_threadsafe(forgotten)]:
        try:
            call()
        except TypeError as exc:
            log.error("raised", exc)
    coro.close()
    loop.set_debug(False)
    handle = loop.call_soon(42)
    log("outside debug mode call_soon(42) is accepted:", handle is not None)
    handle.cancel()


@scenario(
    "<Handle noop() at compat_tests/test_debug.py:LL created at compat_tests/test_debug.py:LL>",
    "<TimerHandle when=? noop() at compat_tests/test_debug.py:LL created at "
    "compat_tests/test_debug.py:LL>",
    "<Future pending created at <lib>>",
)
async def test_reprs_in_debug_mode_say_where_objects_were_created(aio, log):
    def noop():
        pass

    loop = aio.get_running_loop()
    loop.set_debug(True)
    handle = loop.call_soon(noop)
    timer = loop.call_later(10, noop)
    fut = loop.create_future()
    loop.set_debug(False)
    for obj in (handle, timer, fut):
        text = user_lines(repr(obj))[0].replace(
            "test_reprs_in_debug_mode_say_where_objects_were_created.<locals>.", "")
        log(text.replace(f"when={timer.when()}", "when=?"))
    handle.cancel()
    timer.cancel()
    fut.cancel()


@sync_scenario(
    "DEBUG Using selector: EpollSelector",
    "DEBUG Close <EventLoop running=False closed=False debug=True>",
)
def test_debug_records_when_a_loop_is_created_and_closed(aio, log):
    with asyncio_log(logging.DEBUG) as records:
        loop = aio.new_event_loop()
        loop.set_debug(True)
        loop.close()
    for line in messages(records):
        log(line)
