"""Step 3: timers and cancellation. A timer is a callback with a deadline, in a heap; the
poll waits until the nearest one. Cancelling a task throws CancelledError into its
coroutine, at the await it is suspended on."""

import heapq
import time

import step2


class CancelledError(BaseException):
    """A BaseException: `except Exception:` must not swallow it."""


class Handle:
    def __init__(self, callback, args, deadline=0.0):
        self.callback, self.args, self.deadline = callback, args, deadline
        self.is_cancelled = False

    def cancel(self):
        self.is_cancelled = True  # it stays queued, and is skipped when its turn comes

    def run(self):
        if not self.is_cancelled:
            self.callback(*self.args)

    def __lt__(self, other):  # the heap's order
        return self.deadline < other.deadline


class Loop(step2.Loop):
    def __init__(self):
        super().__init__()
        self.timers = []  # a heap of Handles, the nearest deadline first

    def time(self):
        return time.monotonic()

    def call_soon(self, callback, *args):
        handle = Handle(callback, args)
        super().call_soon(handle.run)
        return handle

    def call_later(self, delay, callback, *args):
        handle = Handle(callback, args, self.time() + delay)
        heapq.heappush(self.timers, handle)
        return handle

    def run_once(self):
        """One turn: poll (until the nearest timer at most), move the timers that are due
        to the ready queue, run what is ready."""
        timeout = 0 if self.ready else None
        if self.timers and not self.ready:
            timeout = max(0, self.timers[0].deadline - self.time())
        self.poll(timeout)
        while self.timers and self.timers[0].deadline <= self.time():
            super().call_soon(heapq.heappop(self.timers).run)
        self.run_ready()

    def create_future(self):
        return Future(self)

    def create_task(self, coro):
        return Task(coro, self)


class Future(step2.Future):
    def cancel(self):
        if self.finished:
            return False
        self.set_exception(CancelledError())
        return True

    def cancelled(self):
        return isinstance(self.error, CancelledError)


class Task(step2.Task, Future):
    must_cancel = False  # throw CancelledError in at the next step

    def cancel(self):
        if self.finished:
            return False
        # Cancel what we wait on: its callback wakes us, and its result() raises at the
        # await. With nothing to cancel (not started, or a bare yield), throw it in.
        if self.waiting_on is None or not self.waiting_on.cancel():
            self.must_cancel = True
        return True

    def step(self, future=None, error=None):
        if self.must_cancel:
            self.must_cancel, error = False, CancelledError()
        super().step(future, error)


get_running_loop, create_task = step2.get_running_loop, step2.create_task


async def sleep(delay, result=None):
    if delay <= 0:
        await step2.sleep(0)  # as asyncio: no timer, a bare yield (one turn, in FIFO order)
        return result
    future = get_running_loop().create_future()
    timer = get_running_loop().call_later(delay, future.set_result, result)
    try:
        return await future
    finally:
        timer.cancel()  # cancelled while asleep: the timer must not fire later


def run(coro):
    return step2.run(coro, Loop)


if __name__ == "__main__":
    async def sleeper(name, delay):
        try:
            await sleep(delay)
            print(name, "woke up")
        except CancelledError:
            print(name, "cancelled in its sleep")
            raise

    async def main():
        slow = create_task(sleeper("slow", 10))
        fast = create_task(sleeper("fast", 0.01))
        await sleep(0.02)
        slow.cancel()
        await sleep(0)
        print("slow cancelled:", slow.cancelled(), "fast done:", fast.done())

    run(main())
