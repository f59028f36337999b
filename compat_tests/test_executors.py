"""Executors: blocking functions run in a thread (or process) pool while the loop keeps turning."""

import concurrent.futures
import contextvars
import functools
import multiprocessing
import sys
import threading
import time
import warnings

from compat_tests.harness import scenario, sync_scenario


def square(x):
    return x * x


def fail(message):
    raise ValueError(message)


def worker_thread_name(*_):
    return threading.current_thread().name


@scenario(
    "result 49",
    "ran in a thread named asyncio_N: True",
)
async def test_run_in_executor_runs_the_function_in_the_default_thread_pool(aio, log):
    loop = aio.get_running_loop()
    log("result", await loop.run_in_executor(None, square, 7))
    name = await loop.run_in_executor(None, worker_thread_name)
    log("ran in a thread named asyncio_N:", name.startswith("asyncio_"))


@scenario(
    "raised ValueError: bad input",
)
async def test_run_in_executor_raises_what_the_function_raised(aio, log):
    loop = aio.get_running_loop()
    try:
        await loop.run_in_executor(None, fail, "bad input")
    except ValueError as exc:
        log.error("raised", exc)


@scenario(
    "main ticks while the worker blocks",
    "worker done",
)
async def test_the_loop_keeps_turning_while_a_worker_blocks(aio, log):
    loop = aio.get_running_loop()
    job = loop.run_in_executor(None, time.sleep, 0.1)
    job.add_done_callback(lambda _: log("worker done"))
    await aio.sleep(0.01)
    log("main ticks while the worker blocks")
    await job


@scenario(
    "the future is a miniloop/asyncio Future: True",
)
async def test_run_in_executor_returns_a_loop_future(aio, log):
    loop = aio.get_running_loop()
    fut = loop.run_in_executor(None, square, 2)
    log("the future is a miniloop/asyncio Future:", isinstance(fut, aio.Future))
    await fut


@scenario(
    "results [0, 1, 4, 9]",
    "raised ValueError: in a child process",
)
async def test_run_in_executor_with_a_process_pool(aio, log):
    loop = aio.get_running_loop()
    # fork is the fastest way to start a worker; the pytest process has no other threads here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork() with threads
        with concurrent.futures.ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("fork")) as pool:
            results = [await loop.run_in_executor(pool, square, i) for i in range(4)]
            log("results", results)
            try:
                await loop.run_in_executor(pool, fail, "in a child process")
            except ValueError as exc:
                log.error("raised", exc)


@scenario(
    "custom pool used: True",
)
async def test_set_default_executor_replaces_the_pool(aio, log):
    loop = aio.get_running_loop()
    pool = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="mine")
    loop.set_default_executor(pool)
    name = await loop.run_in_executor(None, worker_thread_name)
    log("custom pool used:", name.startswith("mine_"))
    # run() shuts down the default executor on the way out: it is ours now.


@scenario(
    "raised TypeError: executor must be ThreadPoolExecutor instance",
)
async def test_set_default_executor_accepts_only_thread_pools(aio, log):
    loop = aio.get_running_loop()
    with concurrent.futures.ProcessPoolExecutor(max_workers=1) as pool:
        try:
            loop.set_default_executor(pool)
        except TypeError as exc:
            log.error("raised", exc)


class RecordingExecutor(concurrent.futures.ThreadPoolExecutor):
    """A pool that remembers the concurrent futures it hands out."""

    def __init__(self):
        super().__init__(max_workers=1)
        self.submitted = []

    def submit(self, fn, /, *args, **kwargs):
        cf = super().submit(fn, *args, **kwargs)
        self.submitted.append(cf)
        return cf


async def await_it(fut):
    return await fut


@scenario(
    "queued job cancelled: True",
    "running job cancelled: False",
    "running job finished anyway: True",
)
async def test_cancelling_the_awaiting_task_cancels_the_job_if_not_started(aio, log):
    loop = aio.get_running_loop()
    started, release = threading.Event(), threading.Event()
    with RecordingExecutor() as pool:
        running = loop.create_task(await_it(loop.run_in_executor(
            pool, lambda: started.set() or release.wait())))
        queued = loop.create_task(await_it(loop.run_in_executor(pool, square, 3)))
        await aio.sleep(0)  # both tasks now await their jobs
        while not started.is_set():  # the only worker is now busy: the second job waits
            await aio.sleep(0.001)
        running.cancel()
        queued.cancel()
        await aio.sleep(0.01)
        running_cf, queued_cf = pool.submitted
        log("queued job cancelled:", queued_cf.cancelled())
        log("running job cancelled:", running_cf.cancelled())
        release.set()
    log("running job finished anyway:", running_cf.result())


@scenario(
    "raised RuntimeError: Executor shutdown has been called",
    "an explicit executor still works: 16",
)
async def test_run_in_executor_refuses_the_default_pool_after_shutdown(aio, log):
    loop = aio.get_running_loop()
    await loop.run_in_executor(None, square, 1)
    await loop.shutdown_default_executor()
    try:
        loop.run_in_executor(None, square, 2)
    except RuntimeError as exc:
        log.error("raised", exc)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        log("an explicit executor still works:", await loop.run_in_executor(pool, square, 4))


@scenario(
    "shutdown returned after the job: True",
)
async def test_shutdown_default_executor_waits_for_running_jobs(aio, log):
    loop = aio.get_running_loop()
    finished = []
    loop.run_in_executor(None, lambda: (time.sleep(0.05), finished.append(True)))
    await loop.shutdown_default_executor()
    log("shutdown returned after the job:", finished == [True])


@scenario(
    "without a default executor there is nothing to wait for",
)
async def test_shutdown_default_executor_without_an_executor(aio, log):
    await aio.get_running_loop().shutdown_default_executor()
    log("without a default executor there is nothing to wait for")


@scenario(
    "raised TypeError: takes no timeout",
    changed={
        (3, 12): ["warned: False", "job done before shutdown returned: True"],
        (3, 13): ["warned: True",
                  "RuntimeWarning: The executor did not finishing joining its threads "
                  "within 0.01 seconds.",
                  "job done before shutdown returned: False"],
    },
)
async def test_shutdown_default_executor_timeout(aio, log):
    """3.12 added the timeout but only applied it to a join after the wait; 3.13 bounds the
    wait itself, warns and leaves the threads to finish on their own."""
    loop = aio.get_running_loop()
    done = threading.Event()
    loop.run_in_executor(None, lambda: (time.sleep(0.1), done.set()))
    if sys.version_info < (3, 12):
        try:
            await loop.shutdown_default_executor(0.01)
        except TypeError:
            log("raised TypeError: takes no timeout")
        await loop.shutdown_default_executor()
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await loop.shutdown_default_executor(0.01)
    log("warned:", bool(caught))
    for warning in caught:
        log(f"{warning.category.__name__}: {warning.message}")
    log("job done before shutdown returned:", done.is_set())
    done.wait()  # leave no thread behind


@sync_scenario(
    "worker threads exit after close(): True",
    "raised RuntimeError: Event loop is closed",
)
def test_close_shuts_down_the_default_executor_without_waiting(aio, log):
    loop = aio.new_event_loop()
    worker = loop.run_until_complete(loop.run_in_executor(None, threading.current_thread))
    loop.close()
    worker.join(1)
    log("worker threads exit after close():", not worker.is_alive())
    try:
        loop.run_in_executor(None, square, 1)
    except RuntimeError as exc:
        log.error("raised", exc)


@scenario(
    "raised TypeError: coroutines cannot be used with run_in_executor()",
)
async def test_run_in_executor_refuses_coroutine_functions_in_debug_mode(aio, log):
    loop = aio.get_running_loop()
    loop.set_debug(True)

    async def coro_fn():
        pass

    try:
        loop.run_in_executor(None, coro_fn)
    except TypeError as exc:
        log.error("raised", exc)
    finally:
        loop.set_debug(False)


user = contextvars.ContextVar("user", default="nobody")


@scenario(
    "run_in_executor: the worker sees user=nobody",
    "to_thread: the worker sees user=alice",
)
async def test_run_in_executor_does_not_carry_context_variables_but_to_thread_does(aio, log):
    """A pool thread runs in its own context; to_thread() wraps the call in a copy of the
    caller's. (Wrap it yourself with contextvars.copy_context().run to get the same.)"""
    loop = aio.get_running_loop()
    user.set("alice")
    log("run_in_executor: the worker sees user=" + await loop.run_in_executor(None, user.get))
    log("to_thread: the worker sees user=" + await aio.to_thread(user.get))


@scenario(
    "raised TypeError: BaseEventLoop.run_in_executor() got an unexpected keyword argument "
    "'reverse'",
    "with functools.partial: [3, 2, 1]",
)
async def test_run_in_executor_takes_no_keyword_arguments(aio, log):
    # Keywords for the function go through functools.partial; the loop method has none.
    loop = aio.get_running_loop()
    try:
        loop.run_in_executor(None, sorted, [1, 3, 2], reverse=True)
    except TypeError as exc:
        log.error("raised", exc)
    ordered = await loop.run_in_executor(None, functools.partial(sorted, reverse=True),
                                         [1, 3, 2])
    log("with functools.partial:", ordered)
