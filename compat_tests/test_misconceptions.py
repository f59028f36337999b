"""Misconceptions, tested: what people often believe about asyncio, and what it really does.

Each scenario here backs a page of docs/misconceptions/ (the others they show live beside
the behaviour they pin: test_tasks.py, test_gather.py, ...), or a remark of the tour. Three
of them come from notes written while learning asyncio, which got these wrong: asyncio is
the judge.
"""

import threading
import time

from compat_tests.harness import scenario


@scenario(
    "ticks while time.sleep() held the loop: 0",
    "ticked while a thread slept: True",
)
async def test_a_blocking_call_stops_every_other_task(aio, log):
    """time.sleep() in a coroutine never returns to the loop: no other task runs until it
    ends. The same wait in a worker thread (to_thread) lets the loop turn meanwhile."""
    ticks = 0
    stop = aio.Event()

    async def ticker():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await aio.sleep(0.001)

    task = aio.create_task(ticker())
    await aio.sleep(0.01)  # the ticker is running
    before = ticks
    time.sleep(0.05)  # blocks the loop's only thread
    log("ticks while time.sleep() held the loop:", ticks - before)
    before = ticks
    await aio.to_thread(time.sleep, 0.1)
    log("ticked while a thread slept:", ticks > before)
    stop.set()
    await task


@scenario(
    "TypeError: Queue.put() got an unexpected keyword argument 'priority'",
    "TypeError: Queue.put_nowait() got an unexpected keyword argument 'priority'",
    "out in order: [(1, 'urgent'), (5, 'normal'), (9, 'later')]",
)
async def test_priority_queue_put_takes_no_priority_argument(aio, log):
    """The priority is part of the item: put (priority, item) tuples, the smallest first."""
    queue = aio.PriorityQueue()
    try:
        await queue.put("urgent", priority=1)
    except TypeError as exc:
        log("TypeError:", exc)
    try:
        queue.put_nowait("urgent", priority=1)
    except TypeError as exc:
        log("TypeError:", exc)
    for item in [(5, "normal"), (9, "later"), (1, "urgent")]:
        await queue.put(item)
    log("out in order:", [queue.get_nowait() for _ in range(queue.qsize())])


@scenario(
    "TypeError: Passing coroutines is forbidden, use tasks explicitly.",
    "with tasks: done 2 pending 0",
)
async def test_wait_wants_tasks_not_coroutines(aio, log):
    """Since 3.11 wait() refuses bare coroutines (it used to wrap them in tasks the caller
    never saw, so `done` could not be matched against them)."""
    async def job(n):
        await aio.sleep(0)
        return n

    coros = [job(1), job(2)]
    try:
        await aio.wait(coros)
    except TypeError as exc:
        log("TypeError:", exc)
    for coro in coros:
        coro.close()  # never awaited: closed, so no "never awaited" warning
    tasks = [aio.create_task(job(n)) for n in (1, 2)]
    done, pending = await aio.wait(tasks)
    log("with tasks: done", len(done), "pending", len(pending))


@scenario(
    "producer put 0",
    "producer put 1",
    "join() returned; items the consumer has not even taken: 2",
    "consumer finished 0",
    "consumer finished 1",
)
async def test_a_producer_calling_task_done_releases_join_too_early(aio, log):
    """task_done() says "one item is processed", so it is the consumer's to call. Called by
    the producer after each put, it cancels out the put at once: join() returns while
    every item is still waiting, which is the wait join() was there to do."""
    queue = aio.Queue()

    async def consumer():
        while True:
            item = await queue.get()
            await aio.sleep(0.001)
            log("consumer finished", item)

    task = aio.create_task(consumer())
    for i in range(2):
        await queue.put(i)
        log("producer put", i)
        queue.task_done()  # the mistake: not the producer's to say
    await queue.join()
    log("join() returned; items the consumer has not even taken:", queue.qsize())
    while not queue.empty():
        await aio.sleep(0.001)
    await aio.sleep(0.01)
    task.cancel()
    try:
        await task
    except aio.CancelledError:
        pass


@scenario(
    "consumer finished 0",
    "consumer finished 1",
    "join() returned when every item was processed",
)
async def test_the_consumer_calls_task_done_and_join_waits_for_the_work(aio, log):
    """The fix: the consumer calls task_done() after each item; join() then returns when the
    work is done, and the consumer, which loops for ever, is cancelled."""
    queue = aio.Queue()

    async def consumer():
        while True:
            item = await queue.get()
            await aio.sleep(0.001)
            log("consumer finished", item)
            queue.task_done()

    task = aio.create_task(consumer())
    for i in range(2):
        await queue.put(i)
    await queue.join()
    log("join() returned when every item was processed")
    task.cancel()
    try:
        await task
    except aio.CancelledError:
        pass


@scenario(
    "the caller gave up: TimeoutError",
    "the job went on in its thread: finished True",
)
async def test_cancelling_run_in_executor_does_not_stop_a_running_job(aio, log):
    """A thread cannot be interrupted: wait_for() cancels the future run_in_executor gave,
    the caller moves on, and the function, already running, runs to its end."""
    loop = aio.get_running_loop()
    started, release = threading.Event(), threading.Event()
    finished = []

    def job():
        started.set()
        release.wait(5)
        finished.append(True)

    future = loop.run_in_executor(None, job)
    while not started.is_set():
        await aio.sleep(0.001)
    try:
        await aio.wait_for(future, timeout=0.01)
    except TimeoutError as exc:
        log("the caller gave up:", type(exc).__name__)
    release.set()
    await loop.shutdown_default_executor()  # waits for the job's thread
    log("the job went on in its thread: finished", finished == [True])


@scenario(
    "tasks start_server made on the way: 1",
)
async def test_start_server_looks_its_host_up_in_a_task_of_its_own(aio, log):
    """Even for a numeric host, which needs no getaddrinfo() call, create_server gathers one
    lookup per host, and gather() wraps each coroutine in a task: the tour's readline trace
    shows it as Task-2. (Task names count up for the whole process: compare two of them.)"""
    def number(task):
        return int(task.get_name().split("-")[1])

    before = aio.create_task(aio.sleep(0))
    server = await aio.start_server(lambda reader, writer: None, "127.0.0.1", 0)
    after = aio.create_task(aio.sleep(0))
    log("tasks start_server made on the way:", number(after) - number(before) - 1)
    await aio.gather(before, after)
    server.close()
    await server.wait_closed()
