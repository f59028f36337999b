"""Threads: feeding a loop from another thread, and futures that cross between them."""

import concurrent.futures
import contextvars
import threading
import time

from compat_tests.harness import scenario

request_id = contextvars.ContextVar("request_id", default="unset")


def in_a_thread(fn, *args):
    """Run fn(*args) in a new thread; return the thread (the caller joins it)."""
    thread = threading.Thread(target=fn, args=args)
    thread.start()
    return thread


@scenario(
    "got 0", "got 1", "got 2",
    "the loop woke up for each item: True",
)
async def test_a_thread_feeds_the_loop_with_call_soon_threadsafe(aio, log):
    loop = aio.get_running_loop()
    finished = loop.create_future()

    def producer():
        for i in range(3):
            time.sleep(0.01)
            loop.call_soon_threadsafe(log, f"got {i}")
        loop.call_soon_threadsafe(finished.set_result, None)

    started = time.monotonic()
    thread = in_a_thread(producer)
    await finished  # nothing else to do: the loop sleeps in select() until a thread writes
    thread.join()
    log("the loop woke up for each item:", time.monotonic() - started < 1)


@scenario(
    "kept",
)
async def test_call_soon_threadsafe_returns_a_handle_that_can_be_cancelled(aio, log):
    loop = aio.get_running_loop()
    handles = []

    def from_a_thread():
        handles.append(loop.call_soon_threadsafe(log, "dropped"))
        handles.append(loop.call_soon_threadsafe(log, "kept"))
        handles[0].cancel()

    in_a_thread(from_a_thread).join()
    await aio.sleep(0.01)


@scenario(
    "call_soon raised RuntimeError: Non-thread-safe operation invoked on an event loop other "
    "than the current one",
    "call_later raised RuntimeError: Non-thread-safe operation invoked on an event loop other "
    "than the current one",
    "call_soon_threadsafe is fine",
)
async def test_debug_mode_catches_loop_methods_called_from_another_thread(aio, log):
    loop = aio.get_running_loop()
    loop.set_debug(True)

    def wrong_thread():
        for name, call in [("call_soon", lambda: loop.call_soon(log, "never")),
                           ("call_later", lambda: loop.call_later(1, log, "never"))]:
            try:
                call()
            except RuntimeError as exc:
                log.error(f"{name} raised", exc)
        loop.call_soon_threadsafe(log, "call_soon_threadsafe is fine")

    try:
        in_a_thread(wrong_thread).join()
        await aio.sleep(0.01)
    finally:
        loop.set_debug(False)


# == run_coroutine_threadsafe ======================================================================


@scenario(
    "coroutine runs in the loop's thread: True",
    "thread got 42",
    "a concurrent.futures.Future: True",
)
async def test_run_coroutine_threadsafe_returns_a_concurrent_future(aio, log):
    loop = aio.get_running_loop()
    loop_thread = threading.current_thread()

    async def answer():
        log("coroutine runs in the loop's thread:", threading.current_thread() is loop_thread)
        await aio.sleep(0.01)
        return 42

    def client():
        future = aio.run_coroutine_threadsafe(answer(), loop)
        log("thread got", future.result(timeout=5))
        log("a concurrent.futures.Future:", isinstance(future, concurrent.futures.Future))

    thread = in_a_thread(client)
    while thread.is_alive():
        await aio.sleep(0.01)


@scenario(
    "thread sees ValueError: from the coroutine",
)
async def test_run_coroutine_threadsafe_passes_the_exception_on(aio, log):
    loop = aio.get_running_loop()

    async def fails():
        raise ValueError("from the coroutine")

    def client():
        try:
            aio.run_coroutine_threadsafe(fails(), loop).result(timeout=5)
        except ValueError as exc:
            log.error("thread sees", exc)

    thread = in_a_thread(client)
    while thread.is_alive():
        await aio.sleep(0.01)


@scenario(
    "thread timed out waiting: TimeoutError",
    "coroutine: CancelledError",
    "concurrent future cancelled: True",
)
async def test_cancelling_the_concurrent_future_cancels_the_task(aio, log):
    loop = aio.get_running_loop()

    seen = threading.Event()

    async def slow():
        try:
            await aio.sleep(10)
        except aio.CancelledError:
            log("coroutine: CancelledError")
            seen.set()
            raise

    def client():
        future = aio.run_coroutine_threadsafe(slow(), loop)
        try:
            future.result(timeout=0.02)
        except TimeoutError as exc:
            log("thread timed out waiting:", type(exc).__name__)
        future.cancel()
        seen.wait(1)
        log("concurrent future cancelled:", future.cancelled())

    thread = in_a_thread(client)
    while thread.is_alive():
        await aio.sleep(0.01)


@scenario(
    "raised TypeError: A coroutine object is required",
)
async def test_run_coroutine_threadsafe_wants_a_coroutine(aio, log):
    try:
        aio.run_coroutine_threadsafe(aio.sleep, aio.get_running_loop())
    except TypeError as exc:
        log.error("raised", exc)


# == wrap_future ===================================================================================


@scenario(
    "awaited 'from a thread'",
    "a loop future is returned as it is: True",
    "raised AssertionError: concurrent.futures.Future is expected, got 42",
)
async def test_wrap_future_lets_a_coroutine_await_a_concurrent_future(aio, log):
    cf = concurrent.futures.Future()
    thread = in_a_thread(lambda: (time.sleep(0.01), cf.set_result("from a thread")))
    log("awaited", repr(await aio.wrap_future(cf)))
    thread.join()
    fut = aio.get_running_loop().create_future()
    log("a loop future is returned as it is:", aio.wrap_future(fut) is fut)
    try:
        aio.wrap_future(42)
    except AssertionError as exc:
        log.error("raised", exc)


@scenario(
    "concurrent cancel seen as the loop's CancelledError: True",
    "thread exception: KeyError 'k'",
)
async def test_wrap_future_translates_the_outcome(aio, log):
    cf = concurrent.futures.Future()
    wrapped = aio.wrap_future(cf)
    in_a_thread(cf.cancel).join()
    try:
        await wrapped
    except aio.CancelledError:
        log("concurrent cancel seen as the loop's CancelledError:", wrapped.cancelled())
    cf = concurrent.futures.Future()
    in_a_thread(cf.set_exception, KeyError("k")).join()
    try:
        await aio.wrap_future(cf)
    except KeyError as exc:
        log("thread exception: KeyError", exc)


@scenario(
    "cancelling the wrapper cancels the concurrent future: True",
)
async def test_cancelling_the_wrapper_cancels_the_concurrent_future(aio, log):
    cf = concurrent.futures.Future()
    aio.wrap_future(cf).cancel()
    await aio.sleep(0)  # the wrapper's done-callbacks run on the next turn
    log("cancelling the wrapper cancels the concurrent future:", cf.cancelled())


# == to_thread =====================================================================================


@scenario(
    "thread sees request_id=42",
    "the thread's change stays in the thread: 42",
    "kwargs passed: 'a-b'",
)
async def test_to_thread_copies_the_callers_context(aio, log):
    request_id.set(42)

    def work():
        log(f"thread sees request_id={request_id.get()}")
        request_id.set(99)

    await aio.to_thread(work)
    log("the thread's change stays in the thread:", request_id.get())
    joined = await aio.to_thread(lambda a, *, sep: sep.join(a), "ab", sep="-")
    log("kwargs passed:", repr(joined))


@scenario(
    "raised OSError: disk on fire",
    "ran in the default executor: True",
)
async def test_to_thread_raises_what_the_function_raised(aio, log):
    def broken():
        raise OSError("disk on fire")

    try:
        await aio.to_thread(broken)
    except OSError as exc:
        log.error("raised", exc)
    name = await aio.to_thread(lambda: threading.current_thread().name)
    log("ran in the default executor:", name.startswith("asyncio_"))
