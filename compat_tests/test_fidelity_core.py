"""The core's fine print: what asyncio's own tests and real programs found.

Each scenario is a difference miniloop once had: the await iterator's send() and throw(),
isfuture() on duck-typed futures, a Future subclass that skipped __init__, reprs and
comparisons of handles, and the names that show up in reprs and messages.
"""

import functools
import os
import re
import socket
import warnings

from compat_tests.harness import scenario, sync_scenario

AT = re.compile(r" at [^ >]+:\d+")  # " at file:line" differs between the two libraries


@sync_scenario(
    "methods ['close', 'send', 'throw']",
    "send(None) hands the future up: True",
    "send(42) RuntimeError: await wasn't used with future",
    "throw ValueError: boom; future done: False",
    "done future: StopIteration 7",
)
def test_the_await_iterator_has_send_throw_and_close(aio, log):
    """Code that drives an awaitable by hand gets what a generator would offer."""
    loop = aio.new_event_loop()
    try:
        fut = loop.create_future()
        it = fut.__await__()
        log("methods", sorted(m for m in ("send", "throw", "close") if hasattr(it, m)))
        log("send(None) hands the future up:", it.send(None) is fut)
        try:
            it.send(42)
        except RuntimeError as exc:
            log.error("send(42)", exc)
        try:
            fut.__await__().throw(ValueError("boom"))
        except ValueError as exc:
            log(f"throw ValueError: {exc}; future done: {fut.done()}")
        done = loop.create_future()
        done.set_result(7)
        try:
            done.__await__().send(None)
        except StopIteration as stop:
            log("done future: StopIteration", stop.value)
    finally:
        loop.close()


@sync_scenario(
    "first step yields the future: True",
    "gen.send(42) RuntimeError: await wasn't used with future",
)
def test_yield_from_a_future_then_send_a_value(aio, log):
    """The value sent into the generator goes down to the iterator, which ignores it: the
    future is still pending, and it was already handed up once."""
    loop = aio.new_event_loop()
    try:
        fut = loop.create_future()

        def gen():
            return (yield from fut)

        g = gen()
        log("first step yields the future:", next(g) is fut)
        try:
            g.send(42)
        except RuntimeError as exc:
            log.error("gen.send(42)", exc)
    finally:
        loop.close()


@sync_scenario(
    "declared None on the class, False on the instance: True",
    "None on the instance: False",
    "not declared on the class: False",
)
def test_isfuture_asks_whether_the_class_declares_the_flag(aio, log):
    class Duck:
        _asyncio_future_blocking = None

    duck = Duck()
    duck._asyncio_future_blocking = False
    log("declared None on the class, False on the instance:", aio.isfuture(duck))
    log("None on the instance:", aio.isfuture(Duck()))

    class Stranger:
        pass

    stranger = Stranger()
    stranger._asyncio_future_blocking = False
    log("not declared on the class:", aio.isfuture(stranger))


@sync_scenario(
    "done -> False",
    "cancelled -> False",
    "result InvalidStateError: Future object is not initialized.",
    "exception InvalidStateError: Future object is not initialized.",
    "get_loop RuntimeError: Future object is not initialized.",
    "set_result RuntimeError: Future object is not initialized.",
    "set_exception RuntimeError: Future object is not initialized.",
    "cancel RuntimeError: Future object is not initialized.",
    "add_done_callback RuntimeError: uninitialized Future object",
    "repr RuntimeError: Future object is not initialized.",
)
def test_a_future_subclass_that_skipped_init(aio, log):
    class Lazy(aio.Future):
        def __init__(self):
            pass  # no super().__init__()

    fut = Lazy()
    calls = [("done", fut.done), ("cancelled", fut.cancelled), ("result", fut.result),
             ("exception", fut.exception), ("get_loop", fut.get_loop),
             ("set_result", lambda: fut.set_result(1)),
             ("set_exception", lambda: fut.set_exception(ValueError())),
             ("cancel", fut.cancel), ("add_done_callback", lambda: fut.add_done_callback(print)),
             ("repr", lambda: repr(fut))]
    for name, call in calls:
        try:
            log(name, "->", call())
        except Exception as exc:
            log.error(name, exc)


@sync_scenario(
    "handler heard ValueError: no loop here",
    "task done: False",
)
def test_a_future_whose_get_loop_raises(aio, log):
    """The task that awaits it cannot tell which loop the future is on: the error goes to
    the exception handler, and the task stays suspended with nothing left to wake it, as
    asyncio's does (so the story runs its own loop and closes the coroutine by hand)."""
    loop = aio.new_event_loop()

    def handler(loop, context):
        if "exception" in context:  # not the "destroyed but pending" report at collection
            log.error("handler heard", context["exception"])

    loop.set_exception_handler(handler)

    class Stray(aio.Future):
        def get_loop(self):
            raise ValueError("no loop here")

    stray = Stray(loop=loop)

    async def waiter():
        await stray

    task = loop.create_task(waiter())
    loop.run_until_complete(aio.sleep(0.01))
    log("task done:", task.done())
    task.get_coro().close()
    loop.close()


@scenario(
    "<Handle f(1, sep='-')(9)>",
    "<Handle f(2, x=3, y=4)(9)>",
    "<Handle f(sep='-')()>",
    changed={(3, 13): ["<Handle f()()>", "<Handle f()()>", "<Handle f()()>"]},
)
async def test_handle_repr_shows_a_partials_keywords(aio, log):
    """(3.13 shows no arguments at all outside debug mode.)"""
    loop = aio.get_running_loop()

    def f(*args, **kwargs):
        pass

    for callback, args in ((functools.partial(f, 1, sep="-"), (9,)),
                           (functools.partial(functools.partial(f, 2, x=3), y=4), (9,)),
                           (functools.partial(f, sep="-"), ())):
        handle = loop.call_soon(callback, *args)
        log(AT.sub("", repr(handle)).replace(f.__qualname__, "f"))
        handle.cancel()


@scenario(
    "hash is the hash of when(): True",
    "equal timers, equal hashes: True",
    "timer < () TypeError: '<' not supported between instances of 'TimerHandle' and 'tuple'",
    "timer == (): False, timer != (): True",
    "same time, other callback: < False, <= False, == False",
)
async def test_timer_handles_hash_and_compare(aio, log):
    loop = aio.get_running_loop()
    when = loop.time() + 100
    first = loop.call_at(when, print)
    twin = loop.call_at(when, print)
    other = loop.call_at(when, len)
    log("hash is the hash of when():", hash(first) == hash(first.when()))
    log("equal timers, equal hashes:", first == twin and hash(first) == hash(twin))
    try:
        first < ()  # noqa: B015 (the comparison is the point)
    except TypeError as exc:
        log.error("timer < ()", exc)
    log(f"timer == (): {first == ()}, timer != (): {first != ()}")
    log(f"same time, other callback: < {first < other}, <= {first <= other}, "
        f"== {first == other}")
    for timer in (first, twin, other):
        timer.cancel()


@sync_scenario(
    "full() TypeError: '<=' not supported between instances of 'NoneType' and 'int'",
)
def test_queue_with_maxsize_none(aio, log):
    """Not a valid size; what breaks, and how, is asyncio's."""
    queue = aio.Queue(maxsize=None)
    try:
        queue.full()
    except TypeError as exc:
        log.error("full()", exc)


@scenario(
    "<Future pending cb=[_release_waiter(<Future pendi...ask_wakeup()]>)()]>",
    changed={(3, 12): ["<Future pending cb=[Task.task_wakeup()]>"],
             (3, 13): ["<Future pending cb=[Task.task_wakeup()]>"]},
)
async def test_a_future_under_wait_for_names_asyncios_callbacks(aio, log):
    """3.11's wait_for() wakes its waiter through `_release_waiter`, which shows up in
    reprs (and so in messages such as "Task cannot await on itself: ..."); 3.12 builds on
    timeout() and the task waits on the future itself."""
    loop = aio.get_running_loop()
    fut = loop.create_future()
    task = loop.create_task(aio.wait_for(fut, 10))
    await aio.sleep(0)
    log(AT.sub("", repr(fut)))
    task.cancel()
    try:
        await task
    except aio.CancelledError:
        pass


@scenario(
    "first try: the kernel buffer is full",
    "retry calls the method looked up now: second",
    "sent 3",
)
async def test_sock_sendto_retries_through_the_sockets_method(aio, log):
    """Each retry asks the socket for `sendto` again, as asyncio does (a library that wraps
    or patches the method sees every call)."""
    loop = aio.get_running_loop()

    class Tracked(socket.socket):
        def sendto(self, *args):
            return super().sendto(*args)

    address = f"\0miniloop-sendto-{os.getpid()}"  # Linux's abstract namespace: no file
    right = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    right.bind(address)
    sender = Tracked(socket.AF_UNIX, socket.SOCK_DGRAM)
    with sender, right:
        sender.setblocking(False)
        right.setblocking(False)
        try:
            while True:
                sender.sendto(b"x" * 1024, address)
        except BlockingIOError:
            log("first try: the kernel buffer is full")

        retries = []

        def second(self, *args):
            retries.append(args)  # how many depends on the kernel: a datagram socket can
            return socket.socket.sendto(self, *args)  # poll writable yet still refuse

        Tracked.sendto = second
        sending = loop.create_task(loop.sock_sendto(sender, b"abc", address))
        await aio.sleep(0.01)
        while True:
            try:
                right.recv(2048)
            except BlockingIOError:
                break
        log("retry calls the method looked up now:", "second" if retries else "the old one")
        log("sent", await sending)


@sync_scenario(
    "throw(ValueError, None, None): ValueError ()",
    "throw(ValueError, (1, 2)): ValueError (1, 2)",
    "throw(ValueError): ValueError ()",
    "throw(ValueError('x')): ValueError ('x',)",
    "throw(ValueError, 'v'): ValueError ('v',)",
    "throw(Exception, Exception('e'), 32): TypeError ('throw() third argument must be a "
    "traceback',)",
    "throw(Exception('e'), Exception('e')): TypeError ('instance exception may not have a "
    "separate value',)",
    "throw(list): TypeError ('exceptions must be classes deriving BaseException or instances "
    "of such a class',)",
    "warnings: 0",
    changed={(3, 12): [
        "throw(ValueError, None, None): ValueError ()",
        "throw(ValueError, (1, 2)): ValueError (1, 2)",
        "throw(ValueError): ValueError ()",
        "throw(ValueError('x')): ValueError ('x',)",
        "throw(ValueError, 'v'): ValueError ('v',)",
        "throw(Exception, Exception('e'), 32): TypeError ('throw() third argument must be a "
        "traceback',)",
        "throw(Exception('e'), Exception('e')): TypeError ('instance exception may not have a "
        "separate value',)",
        "throw(list): TypeError ('exceptions must be classes deriving BaseException or "
        "instances of such a class',)",
        "warnings: 5",
    ]},
)
def test_the_await_iterator_throw_takes_what_a_generator_takes(aio, log):
    # The (type, value, traceback) form is a generator's; 3.12 deprecates it on both.
    loop = aio.new_event_loop()
    try:
        awaiting = loop.create_future().__await__()
        forms = [(ValueError, None, None), (ValueError, (1, 2)), (ValueError,),
                 (ValueError("x"),), (ValueError, "v"), (Exception, Exception("e"), 32),
                 (Exception("e"), Exception("e")), (list,)]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for form in forms:
                try:
                    awaiting.throw(*form)
                except BaseException as exc:
                    shown = ", ".join(t.__name__ if isinstance(t, type) else repr(t)
                                      for t in form)
                    log(f"throw({shown}): {type(exc).__name__} {exc.args}")
        log("warnings:", len(caught))
    finally:
        loop.close()


@sync_scenario(
    "a mock with spec=Future: True",
    "a plain mock: False",
)
def test_isfuture_asks_the_class_a_mock_pretends_to_be(aio, log):
    from unittest import mock

    log("a mock with spec=Future:", aio.isfuture(mock.Mock(aio.Future)))
    log("a plain mock:", aio.isfuture(mock.Mock()))


@sync_scenario(
    "coroutine 'BaseEventLoop.shutdown_asyncgens' was never awaited",
    "coroutine 'BaseSelectorEventLoop.sock_recv' was never awaited",
    "coroutine 'BaseEventLoop.create_connection' was never awaited",
    "raised TypeError: BaseEventLoop.call_soon() got an unexpected keyword argument 'ctx'",
)
def test_loop_methods_carry_asyncio_s_names(aio, log):
    # Messages name a loop method by the asyncio class that defines it.
    import gc

    loop = aio.new_event_loop()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            loop.shutdown_asyncgens()  # made, then dropped unawaited
            loop.sock_recv(None, 1)
            loop.create_connection(object)
            gc.collect()
        for warning in caught:
            log(str(warning.message))
        try:
            loop.call_soon(print, ctx=None)
        except TypeError as exc:
            log.error("raised", exc)
    finally:
        loop.close()
