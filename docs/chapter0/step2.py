"""Step 2: generators driven by a Future and a Task. A coroutine suspends by yielding a
future up its chain of awaits; the task driving it asks that future to call it back once
done, then sends the coroutine on. The loop of step 1 is unchanged."""

import types

import step1

_running = None  # the running loop: the one global asyncio has too


class Future:
    def __init__(self, loop):
        self.loop = loop
        self.callbacks = []    # to call_soon (never call directly) once done
        self.finished = False
        self.value = self.error = None

    def done(self):
        return self.finished

    def result(self):
        if self.error is not None:
            raise self.error
        return self.value

    def exception(self):
        return self.error

    def set_result(self, value, error=None):
        self.value, self.error, self.finished = value, error, True
        for callback in self.callbacks:
            self.loop.call_soon(callback, self)

    def set_exception(self, error):
        self.set_result(None, error)

    def add_done_callback(self, callback):
        if self.finished:
            self.loop.call_soon(callback, self)
        else:
            self.callbacks.append(callback)

    def __await__(self):
        if not self.finished:
            yield self         # up through every await, to Task.step
        return self.result()   # the task sent us on: we are done


class Task(Future):
    def __init__(self, coro, loop):
        super().__init__(loop)
        self.coro = coro
        self.waiting_on = None     # the future the coroutine is suspended on
        loop.call_soon(self.step)  # created, not run: the first step is a turn away

    def step(self, _future=None, error=None):
        self.waiting_on = None
        try:
            yielded = self.coro.send(None) if error is None else self.coro.throw(error)
        except StopIteration as stop:
            self.set_result(stop.value)
        except BaseException as exc:
            self.set_exception(exc)
        else:
            if yielded is None:
                self.loop.call_soon(self.step)  # a bare yield: sleep(0)
            else:
                self.waiting_on = yielded
                yielded.add_done_callback(self.step)


class Loop(step1.Loop):
    def create_future(self):
        return Future(self)

    def create_task(self, coro):
        return Task(coro, self)


def get_running_loop():
    return _running


def create_task(coro):
    return _running.create_task(coro)


@types.coroutine
def sleep(delay):
    assert delay == 0, "step 2 has no timers"
    yield


def run(coro, loop_class=Loop):
    global _running
    _running = loop = loop_class()
    task = loop.create_task(coro)
    task.add_done_callback(lambda _: loop.stop())
    try:
        loop.run_forever()
        return task.result()
    finally:
        _running = None
        loop.selector.close()


if __name__ == "__main__":
    async def child(name):
        print(name, "runs")
        await sleep(0)
        return name.upper()

    async def main():
        task = create_task(child("child"))
        print("task created")
        print("got", await task)

    run(main())
