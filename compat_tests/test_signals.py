"""Signals: a signal sent to the process becomes a callback on the loop; Ctrl-C during run()."""

import contextvars
import os
import signal
import threading

from compat_tests.harness import scenario, sync_scenario


def send_to_myself(sig):
    os.kill(os.getpid(), sig)


@scenario(
    "kill returned",
    "handler got SIGUSR1 from the loop: True",
    "removed: True",
    "removed again: False",
    "SIGUSR1 back to its default action: True",
)
async def test_signal_sent_to_the_process_is_handled_then_removed(aio, log):
    loop = aio.get_running_loop()
    got = loop.create_future()
    loop.add_signal_handler(signal.SIGUSR1, got.set_result, "SIGUSR1")
    send_to_myself(signal.SIGUSR1)
    log("kill returned")  # the callback is queued for a later turn, never run at once
    log("handler got", await got, "from the loop:", aio.get_running_loop() is loop)
    log("removed:", loop.remove_signal_handler(signal.SIGUSR1))
    log("removed again:", loop.remove_signal_handler(signal.SIGUSR1))
    log("SIGUSR1 back to its default action:", signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL)


@scenario(
    "second handler ran",
)
async def test_adding_a_handler_again_replaces_the_first(aio, log):
    loop = aio.get_running_loop()
    ran = loop.create_future()
    loop.add_signal_handler(signal.SIGUSR2, ran.set_result, "first handler ran")
    loop.add_signal_handler(signal.SIGUSR2, ran.set_result, "second handler ran")
    try:
        send_to_myself(signal.SIGUSR2)
        log(await ran)
    finally:
        loop.remove_signal_handler(signal.SIGUSR2)


@scenario(
    "handler sees user=alice",
)
async def test_signal_handler_runs_in_the_context_of_add_signal_handler(aio, log):
    user = contextvars.ContextVar("user")
    loop = aio.get_running_loop()
    seen = loop.create_future()
    user.set("alice")
    loop.add_signal_handler(signal.SIGUSR1, lambda: seen.set_result(user.get()))
    user.set("bob")
    try:
        send_to_myself(signal.SIGUSR1)
        log("handler sees user=" + await seen)
    finally:
        loop.remove_signal_handler(signal.SIGUSR1)


@scenario(
    "each signal runs the handler: 3",
)
async def test_handler_runs_once_per_signal(aio, log):
    loop = aio.get_running_loop()
    count = []
    arrived = []  # one future per signal sent

    def handler():
        count.append(1)
        arrived[-1].set_result(None)

    loop.add_signal_handler(signal.SIGUSR1, handler)
    try:
        for _ in range(3):
            arrived.append(loop.create_future())
            send_to_myself(signal.SIGUSR1)
            await arrived[-1]
        await aio.sleep(0.01)  # room for a (wrong) extra run
    finally:
        loop.remove_signal_handler(signal.SIGUSR1)
    log("each signal runs the handler:", len(count))


@scenario(
    "raised ValueError: invalid signal number 1000",
    "raised TypeError: sig must be an int, not 'USR1'",
    "raised RuntimeError: sig 9 cannot be caught",
    "raised TypeError: coroutines cannot be used with add_signal_handler()",
    "raised ValueError: invalid signal number 1000",
    "SIGKILL left no wake-up fd behind: True",
)
async def test_add_signal_handler_checks_its_arguments(aio, log):
    loop = aio.get_running_loop()

    async def coroutine_function():
        pass

    for sig, callback in [(1000, log), ("USR1", log), (signal.SIGKILL, log),
                          (signal.SIGUSR1, coroutine_function)]:
        try:
            loop.add_signal_handler(sig, callback)
        except (ValueError, TypeError, RuntimeError) as exc:
            log.error("raised", exc)
    try:
        loop.remove_signal_handler(1000)
    except ValueError as exc:
        log.error("raised", exc)
    log("SIGKILL left no wake-up fd behind:", signal.set_wakeup_fd(-1) == -1)


@sync_scenario(
    "raised RuntimeError: set_wakeup_fd only works in main thread of the main interpreter",
)
def test_add_signal_handler_works_only_in_the_main_thread(aio, log):
    async def in_a_thread():
        try:
            aio.get_running_loop().add_signal_handler(signal.SIGUSR1, log)
        except RuntimeError as exc:
            log.error("raised", exc)

    thread = threading.Thread(target=aio.run, args=(in_a_thread(),))
    thread.start()
    thread.join()


@sync_scenario(
    "handler installed: True",
    "after close(): default action True wake-up fd cleared True",
)
def test_close_removes_the_loops_signal_handlers(aio, log):
    loop = aio.new_event_loop()
    loop.add_signal_handler(signal.SIGUSR1, log, "never")
    log("handler installed:", signal.getsignal(signal.SIGUSR1) is not signal.SIG_DFL)
    loop.close()
    log("after close(): default action", signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL,
        "wake-up fd cleared", signal.set_wakeup_fd(-1) == -1)


@scenario(
    "handler: Exception in callback",
    "the loop kept going",
)
async def test_an_error_in_a_signal_handler_goes_to_the_exception_handler(aio, log):
    loop = aio.get_running_loop()
    reported = loop.create_future()
    loop.set_exception_handler(
        lambda loop, context: reported.set_result(" ".join(context["message"].split()[:3])))
    loop.add_signal_handler(signal.SIGUSR1, lambda: 1 / 0)
    try:
        send_to_myself(signal.SIGUSR1)
        log("handler:", await reported)
    finally:
        loop.remove_signal_handler(signal.SIGUSR1)
    log("the loop kept going")


@scenario(
    "Ctrl-C handled by the program",
    "main carries on",
    "SIGINT raises KeyboardInterrupt again: True",
)
async def test_add_signal_handler_can_take_over_sigint(aio, log):
    loop = aio.get_running_loop()
    handled = loop.create_future()
    loop.add_signal_handler(signal.SIGINT, handled.set_result, "Ctrl-C handled by the program")
    send_to_myself(signal.SIGINT)
    log(await handled)
    log("main carries on")
    loop.remove_signal_handler(signal.SIGINT)
    log("SIGINT raises KeyboardInterrupt again:",
        signal.getsignal(signal.SIGINT) is signal.default_int_handler)


# == Ctrl-C during run() ==========================================================================


@sync_scenario(
    "main: CancelledError at the await",
    "main: finally",
    "run() raised KeyboardInterrupt",
    "SIGINT handler restored: True",
)
def test_ctrl_c_cancels_the_main_task_and_raises_keyboard_interrupt(aio, log):
    async def main():
        aio.get_running_loop().call_later(0.01, send_to_myself, signal.SIGINT)
        try:
            await aio.sleep(10)  # the loop is blocked in select(); Ctrl-C must wake it
        except aio.CancelledError:
            log("main: CancelledError at the await")
            raise
        finally:
            log("main: finally")

    try:
        aio.run(main())
    except KeyboardInterrupt:
        log("run() raised KeyboardInterrupt")
    log("SIGINT handler restored:", signal.getsignal(signal.SIGINT) is signal.default_int_handler)


@sync_scenario(
    "main: ignores the first Ctrl-C",
    "main: finally",
    "run() raised KeyboardInterrupt",
)
def test_a_second_ctrl_c_interrupts_at_once(aio, log):
    async def main():
        loop = aio.get_running_loop()
        loop.call_later(0.01, send_to_myself, signal.SIGINT)
        try:
            try:
                await aio.sleep(10)
            except aio.CancelledError:
                log("main: ignores the first Ctrl-C")
            loop.call_later(0.01, send_to_myself, signal.SIGINT)
            await aio.sleep(10)
            log("never reached")
        finally:
            log("main: finally")  # run() cancels the task on its way out

    try:
        aio.run(main())
    except KeyboardInterrupt:
        log("run() raised KeyboardInterrupt")


@sync_scenario(
    "run() returned 'finished anyway'",
)
def test_main_may_swallow_ctrl_c_and_return(aio, log):
    async def main():
        aio.get_running_loop().call_later(0.01, send_to_myself, signal.SIGINT)
        try:
            await aio.sleep(10)
        except aio.CancelledError:
            return "finished anyway"

    log("run() returned", repr(aio.run(main())))


@sync_scenario(
    "run() raised CancelledError",
)
def test_ctrl_c_with_a_task_type_that_has_no_uncancel(aio, log):
    # A task factory may make tasks of its own type, without uncancel(): Ctrl-C then cannot
    # tell its cancel from another, and run() lets the CancelledError through.
    class Wrapper:  # the Future-like part run() uses, around a real task
        def __init__(self, loop, coro, **kwargs):
            self._task = aio.Task(coro, loop=loop, **kwargs)

        @property
        def _asyncio_future_blocking(self):  # (isfuture() asks the class for it)
            return self._task._asyncio_future_blocking

        def __getattr__(self, name):
            if name == "uncancel":
                raise AttributeError(name)
            return getattr(self._task, name)

    async def main():
        aio.get_running_loop().call_later(0.01, send_to_myself, signal.SIGINT)
        await aio.sleep(10)

    def factory():
        loop = aio.new_event_loop()
        loop.set_task_factory(Wrapper)
        return loop

    try:
        with aio.Runner(loop_factory=factory) as runner:
            runner.run(main())
    except KeyboardInterrupt:
        log("run() raised KeyboardInterrupt")
    except aio.CancelledError:
        log("run() raised CancelledError")
