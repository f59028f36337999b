"""Queue, PriorityQueue, LifoQueue: order, blocking, join(), cancellation and shutdown."""

import re

from compat_tests.harness import scenario, sync_scenario


def shape(queue):
    """repr() without the address: `<Queue at 0x7f.. maxsize=0>` reads `<Queue maxsize=0>`."""
    return re.sub(r" at 0x[0-9a-f]+", "", repr(queue))


@scenario(
    "put 0 (qsize 1)", "put 1 (qsize 2)",
    "got 0",
    "put 2 (qsize 2)",
    "got 1",
    "put 3 (qsize 2)",
    "got 2",
    "put 4 (qsize 2)",
    "producer done",
    "got 3",
    "got 4",
    "join() returned: every item processed",
)
async def test_queue_bounded_producer_consumer_with_join(aio, log):
    """The producer runs ahead until the queue is full, then goes at the consumer's pace.
    join() waits for task_done() of every item, not just for the queue to be empty."""
    queue = aio.Queue(maxsize=2)

    async def consumer():
        while True:
            item = await queue.get()
            log("got", item)
            await aio.sleep(0.01)  # the work
            queue.task_done()

    worker = aio.create_task(consumer())
    for i in range(5):
        await queue.put(i)
        log(f"put {i} (qsize {queue.qsize()})")
    log("producer done")
    await queue.join()
    log("join() returned: every item processed")
    worker.cancel()
    await aio.gather(worker, return_exceptions=True)


@scenario(
    "FIFO: ['a', 'b', 'c']",
    "LIFO: ['c', 'b', 'a']",
    "priority: [(1, 'urgent'), (2, 'soon'), (3, 'later')]",
)
async def test_queue_kinds_differ_in_the_order_items_come_out(aio, log):
    for name, cls, items in [
        ("FIFO:", aio.Queue, ["a", "b", "c"]),
        ("LIFO:", aio.LifoQueue, ["a", "b", "c"]),
        ("priority:", aio.PriorityQueue, [(3, "later"), (1, "urgent"), (2, "soon")]),
    ]:
        queue = cls()
        for item in items:
            await queue.put(item)
        log(name, [await queue.get() for _ in items])


@scenario(
    "[1, 1, 2, 5, 9]",
    "ties broken by the second field: [(1, 'a'), (1, 'b')]",
)
async def test_priority_queue_is_a_heap(aio, log):
    queue = aio.PriorityQueue()
    for n in [5, 1, 9, 2, 1]:
        queue.put_nowait(n)
    log([queue.get_nowait() for _ in range(5)])
    queue.put_nowait((1, "b"))
    queue.put_nowait((1, "a"))
    log("ties broken by the second field:", [queue.get_nowait(), queue.get_nowait()])


@scenario(
    "g0 got item0", "g1 got item1", "g2 got item2",
)
async def test_queue_getters_are_served_in_fifo_order(aio, log):
    queue = aio.Queue()

    async def getter(name):
        log(name, "got", await queue.get())

    tasks = [aio.create_task(getter(f"g{i}")) for i in range(3)]
    await aio.sleep(0)
    for i in range(3):
        queue.put_nowait(f"item{i}")
    await aio.gather(*tasks)


@scenario(
    "3 putters waiting",
    "out: ['first', 'p0', 'p1', 'p2']",
)
async def test_queue_putters_are_served_in_fifo_order(aio, log):
    queue = aio.Queue(maxsize=1)
    queue.put_nowait("first")
    tasks = [aio.create_task(queue.put(f"p{i}")) for i in range(3)]
    await aio.sleep(0)
    log(len(queue._putters), "putters waiting")
    out = []
    for _ in range(4):
        out.append(await queue.get())
    log("out:", out)
    await aio.gather(*tasks)


@scenario(
    "put_nowait on a full queue: QueueFull ''",
    "get_nowait on an empty queue: QueueEmpty ''",
    "they are plain Exceptions: True",
)
async def test_queue_nowait_errors(aio, log):
    queue = aio.Queue(maxsize=1)
    queue.put_nowait(1)
    try:
        queue.put_nowait(2)
    except aio.QueueFull as exc:
        log("put_nowait on a full queue:", type(exc).__name__, repr(str(exc)))
    queue.get_nowait()
    try:
        queue.get_nowait()
    except aio.QueueEmpty as exc:
        log("get_nowait on an empty queue:", type(exc).__name__, repr(str(exc)))
    log("they are plain Exceptions:",
        issubclass(aio.QueueFull, Exception) and issubclass(aio.QueueEmpty, Exception))


@scenario(
    "maxsize 2: empty True, full False, qsize 0",
    "maxsize 2: empty False, full True, qsize 2",
    "maxsize 0 is never full: False",
    "maxsize -1 is never full: False",
)
async def test_queue_size_queries(aio, log):
    queue = aio.Queue(2)
    log(f"maxsize {queue.maxsize}: empty {queue.empty()}, full {queue.full()}, "
        f"qsize {queue.qsize()}")
    queue.put_nowait("a")
    queue.put_nowait("b")
    log(f"maxsize {queue.maxsize}: empty {queue.empty()}, full {queue.full()}, "
        f"qsize {queue.qsize()}")
    for maxsize in (0, -1):
        unbounded = aio.Queue(maxsize)
        for i in range(100):
            unbounded.put_nowait(i)
        log(f"maxsize {maxsize} is never full:", unbounded.full())


@scenario(
    "one task_done per item: fine",
    "one more: ValueError: task_done() called too many times",
    "join() with nothing unfinished returns at once",
)
async def test_queue_task_done_too_often_and_idle_join(aio, log):
    queue = aio.Queue()
    queue.put_nowait("x")
    queue.get_nowait()
    queue.task_done()
    log("one task_done per item: fine")
    try:
        queue.task_done()
    except ValueError as exc:
        log.error("one more:", exc)
    other = aio.create_task(aio.sleep(0))
    await queue.join()  # does not suspend: `other` has not run yet
    log("join() with nothing unfinished returns at once" if not other.done() else "suspended")
    await other


@scenario(
    "join waits while one item is unfinished: True",
    "got it, not yet done: join still waits: True",
    "task_done() releases join",
)
async def test_queue_join_waits_for_task_done_not_for_get(aio, log):
    queue = aio.Queue()
    queue.put_nowait("job")
    joiner = aio.create_task(queue.join())
    await aio.sleep(0.01)
    log("join waits while one item is unfinished:", not joiner.done())
    queue.get_nowait()
    await aio.sleep(0.01)
    log("got it, not yet done: join still waits:", not joiner.done())
    queue.task_done()
    await joiner
    log("task_done() releases join")


@scenario(
    "a cancelled after being woken",
    "b got 'x'",
    "nothing lost, nothing left: empty True",
)
async def test_queue_woken_getter_cancelled_passes_the_item_on(aio, log):
    """put_nowait wakes a, then a is cancelled before it runs. The item is still in the
    queue (getters take items themselves), and a wakes b to take it."""
    queue = aio.Queue()

    async def getter(name):
        try:
            item = await queue.get()
        except aio.CancelledError:
            log(name, "cancelled after being woken")
            raise
        log(name, "got", repr(item))

    a = aio.create_task(getter("a"))
    b = aio.create_task(getter("b"))
    await aio.sleep(0)
    queue.put_nowait("x")
    a.cancel()
    await aio.gather(a, b, return_exceptions=True)
    log("nothing lost, nothing left: empty", queue.empty())


@scenario(
    "cancelled put: cancelled",
    "qsize 1, holding ['first']",
    "getters left behind: 0",
)
async def test_queue_cancelled_put_inserts_nothing(aio, log):
    queue = aio.Queue(maxsize=1)
    queue.put_nowait("first")
    put = aio.create_task(queue.put("second"))
    await aio.sleep(0)
    put.cancel()
    await aio.gather(put, return_exceptions=True)
    log.state("cancelled put:", put)
    log(f"qsize {queue.qsize()}, holding {list(queue._queue)}")
    get = aio.create_task(queue.get())  # a getter that is cancelled leaves no trace either
    await aio.sleep(0)
    get.cancel()
    await aio.gather(get, return_exceptions=True)
    log("getters left behind:", len(queue._getters))


@scenario(
    "a cancelled after being woken",
    "b put its item",
    "queue holds ['b']",
)
async def test_queue_woken_putter_cancelled_passes_the_slot_on(aio, log):
    queue = aio.Queue(maxsize=1)
    queue.put_nowait("first")

    async def putter(name):
        try:
            await queue.put(name)
        except aio.CancelledError:
            log(name, "cancelled after being woken")
            raise
        log(name, "put its item")

    a = aio.create_task(putter("a"))
    b = aio.create_task(putter("b"))
    await aio.sleep(0)
    queue.get_nowait()  # a free slot: wakes a...
    a.cancel()          # ...which hands the slot on to b
    await aio.gather(a, b, return_exceptions=True)
    log("queue holds", list(queue._queue))


@scenario(
    "str: <Queue maxsize=0>",
    "<Queue maxsize=0>",
    "<Queue maxsize=2 _queue=[1, 2] tasks=2>",
    "<Queue maxsize=2 _queue=[1, 2] _putters[1] tasks=2>",
    "<Queue maxsize=0 _getters[1]>",
    "<LifoQueue maxsize=0 _queue=[1, 2] tasks=2>",
    "<PriorityQueue maxsize=0 _queue=[1, 3, 2] tasks=3>",
)
async def test_queue_repr_shows_contents_waiters_and_unfinished_tasks(aio, log):
    log("str:", aio.Queue())
    log(shape(aio.Queue()))
    bounded = aio.Queue(2)
    bounded.put_nowait(1)
    bounded.put_nowait(2)
    log(shape(bounded))
    put = aio.create_task(bounded.put(3))
    await aio.sleep(0)
    log(shape(bounded))
    put.cancel()
    empty = aio.Queue()
    get = aio.create_task(empty.get())
    await aio.sleep(0)
    log(shape(empty))
    get.cancel()
    await aio.gather(put, get, return_exceptions=True)
    lifo = aio.LifoQueue()
    lifo.put_nowait(1)
    lifo.put_nowait(2)
    log(shape(lifo))
    heap = aio.PriorityQueue()
    for n in (3, 1, 2):
        heap.put_nowait(n)
    log(shape(heap))  # the heap's internal order, not the order items come out


@sync_scenario(
    "made and filled outside a loop: <Queue maxsize=0 _queue=['early'] tasks=1>",
    "first loop got 'early'",
    "first loop: waited, so bound",
    "second loop: RuntimeError: <Queue maxsize=0> is bound to a different event loop",
    "Queue[int] is a GenericAlias of Queue: True",
)
def test_queue_outside_a_loop_and_across_loops(aio, log):
    queue = aio.Queue()
    queue.put_nowait("early")
    log("made and filled outside a loop:", shape(queue))

    async def first():
        log("first loop got", repr(await queue.get()))
        getter = aio.create_task(queue.get())
        await aio.sleep(0)  # its future binds the queue to this loop
        queue.put_nowait("late")
        await getter
        queue.task_done()
        queue.task_done()
        log("first loop: waited, so bound")

    async def second():
        try:
            await queue.get()
        except RuntimeError as exc:
            log("second loop: RuntimeError:", re.sub(r" at 0x[0-9a-f]+", "", str(exc)))

    aio.run(first())
    aio.run(second())
    alias = aio.Queue[int]
    log(f"Queue[int] is a {type(alias).__name__} of Queue:", alias.__origin__ is aio.Queue)


@scenario(
    "has shutdown(): False",
    changed={(3, 13): [
        "has shutdown(): True",
        "put_nowait: QueueShutDown",
        "put: QueueShutDown",
        "get drains what is left: [1, 2]",
        "then get: QueueShutDown",
        "get_nowait: QueueShutDown",
        "<Queue maxsize=0 tasks=2 shutdown>",
    ]},
)
async def test_queue_shutdown_refuses_puts_and_drains_gets(aio, log):
    """New in 3.13: after shutdown(), puts fail at once; gets return what is left, then fail."""
    log("has shutdown():", hasattr(aio.Queue, "shutdown"))
    if not hasattr(aio.Queue, "shutdown"):
        return
    queue = aio.Queue()
    queue.put_nowait(1)
    queue.put_nowait(2)
    queue.shutdown()
    for name, attempt in [("put_nowait", lambda: queue.put_nowait(3)),
                          ("put", lambda: aio.create_task(queue.put(3)))]:
        try:
            result = attempt()
            if name == "put":
                await result
        except aio.QueueShutDown as exc:
            log(f"{name}:", type(exc).__name__)
    log("get drains what is left:", [await queue.get(), await queue.get()])
    try:
        await queue.get()
    except aio.QueueShutDown:
        log("then get: QueueShutDown")
    try:
        queue.get_nowait()
    except aio.QueueShutDown:
        log("get_nowait: QueueShutDown")
    log(shape(queue))


@scenario(
    "has shutdown(): False",
    changed={(3, 13): [
        "has shutdown(): True",
        "g0: QueueShutDown",
        "g1: QueueShutDown",
        "p0: QueueShutDown",
    ]},
)
async def test_queue_shutdown_wakes_blocked_getters_and_putters(aio, log):
    log("has shutdown():", hasattr(aio.Queue, "shutdown"))
    if not hasattr(aio.Queue, "shutdown"):
        return
    empty = aio.Queue()
    full = aio.Queue(maxsize=1)
    full.put_nowait("x")

    async def attempt(name, coro):
        try:
            await coro
        except aio.QueueShutDown:
            log(f"{name}: QueueShutDown")

    tasks = [aio.create_task(attempt("g0", empty.get())),
             aio.create_task(attempt("g1", empty.get())),
             aio.create_task(attempt("p0", full.put("y")))]
    await aio.sleep(0)
    empty.shutdown()
    full.shutdown()
    await aio.gather(*tasks)


@scenario(
    "has shutdown(): False",
    changed={(3, 13): [
        "has shutdown(): True",
        "join() released by shutdown(immediate=True)",
        "items thrown away: qsize 0",
        "get: QueueShutDown",
    ]},
)
async def test_queue_shutdown_immediate_discards_items_and_releases_join(aio, log):
    log("has shutdown():", hasattr(aio.Queue, "shutdown"))
    if not hasattr(aio.Queue, "shutdown"):
        return
    queue = aio.Queue()
    for i in range(3):
        queue.put_nowait(i)
    joiner = aio.create_task(queue.join())
    await aio.sleep(0)
    queue.shutdown(immediate=True)
    await joiner
    log("join() released by shutdown(immediate=True)")
    log("items thrown away: qsize", queue.qsize())
    try:
        await queue.get()
    except aio.QueueShutDown:
        log("get: QueueShutDown")


@scenario(
    "full",          # put(3) asks whether there is room...
    "put_nowait 3",  # ...then hands the item to put_nowait()...
    "full",          # ...which asks again itself
    "full",
    "put_nowait 1",
    "full",
    "empty",         # get() asks whether there is an item...
    "get_nowait",    # ...then takes it with get_nowait()...
    "empty",         # ...which asks again itself
    "got 3",
    "qsize seen by put(): 4 calls",
)
async def test_put_and_get_go_through_methods_a_subclass_overrides(aio, log):
    """put() asks full() and calls put_nowait(); get() asks empty() and calls get_nowait().
    A subclass that overrides them sees every call (miniloop's fast path must step aside)."""
    class Traced(aio.Queue):
        def full(self):
            log("full")
            return super().full()

        def put_nowait(self, item):
            log("put_nowait", item)
            super().put_nowait(item)

        def empty(self):
            log("empty")
            return super().empty()

        def get_nowait(self):
            log("get_nowait")
            return super().get_nowait()

    queue = Traced(2)
    await queue.put(3)
    await queue.put(1)
    log("got", await queue.get())

    calls = []

    class Sized(aio.Queue):
        def qsize(self):
            calls.append(1)
            return super().qsize()

    sized = Sized(2)
    await sized.put(1)
    await sized.put(2)
    log(f"qsize seen by put(): {len(calls)} calls")
