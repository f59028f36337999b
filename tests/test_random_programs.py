"""Differential testing: random little programs must tell the same story on both loops.

The compat scenarios pin down behaviours we thought of. This test looks for the ones we did
not: hypothesis writes random programs out of the operations that decide the order of events
(yielding a turn, scheduling callbacks, waiting on futures, completing and cancelling
futures, cancelling tasks, catching the cancellation, a lock, an event, a bounded queue,
shield and gather), runs each on asyncio and on miniloop,
and requires the two traces to be identical, line for line. No sleeps with a delay: the
programs are driven by turns of the loop only, so the outcome never depends on timing.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import miniloop

FUTURES = 3  # futures shared by all the tasks of a program
TASKS = 4    # at most this many tasks

# One operation of a task: (name, argument).
operation = st.one_of(
    st.tuples(st.just("yield"), st.just(0)),             # await sleep(0)
    st.tuples(st.just("soon"), st.integers(0, 9)),        # loop.call_soon(log, ...)
    st.tuples(st.just("await"), st.integers(0, FUTURES - 1)),
    st.tuples(st.just("set"), st.integers(0, FUTURES - 1)),
    st.tuples(st.just("cancel_future"), st.integers(0, FUTURES - 1)),
    st.tuples(st.just("cancel_task"), st.integers(0, TASKS - 1)),
    st.tuples(st.just("shrug"), st.integers(0, 1)),       # catch the next CancelledError
    st.tuples(st.just("raise"), st.just(0)),
    st.tuples(st.just("lock"), st.just(0)),               # async with lock: await sleep(0)
    st.tuples(st.just("event_wait"), st.just(0)),
    st.tuples(st.just("event_set"), st.just(0)),
    st.tuples(st.just("put"), st.integers(0, 9)),         # await queue.put(arg), maxsize 2
    st.tuples(st.just("get"), st.just(0)),
    st.tuples(st.just("shield"), st.integers(0, FUTURES - 1)),
    st.tuples(st.just("gather"), st.just(0)),             # gather of two futures
)
program = st.lists(st.lists(operation, max_size=6), min_size=1, max_size=TASKS)


def run_program(aio: Any, tasks_ops: list[list[tuple[str, int]]]) -> list[str]:
    """Run the program on the backend `aio` and return its trace."""
    trace: list[str] = []
    log = trace.append

    async def task_body(n: int, ops: list[tuple[str, int]]) -> str:
        loop = aio.get_running_loop()
        shrug = False  # swallow the next cancellation instead of ending the task
        for op, arg in ops:
            log(f"t{n} {op} {arg}")
            try:
                if op == "yield":
                    await aio.sleep(0)
                elif op == "soon":
                    loop.call_soon(log, f"callback {n}.{arg}")
                elif op == "await":
                    log(f"t{n} got {await futures[arg]!r}")
                elif op == "set" and not futures[arg].done():
                    futures[arg].set_result(f"f{arg} from t{n}")
                elif op == "cancel_future":
                    log(f"t{n} cancel f{arg}: {futures[arg].cancel()}")
                elif op == "cancel_task" and arg < len(tasks):
                    log(f"t{n} cancel t{arg}: {tasks[arg].cancel()}")
                elif op == "shrug":
                    shrug = True
                elif op == "raise":
                    raise ValueError(f"t{n}")
                elif op == "lock":
                    async with lock:
                        log(f"t{n} holds the lock")
                        await aio.sleep(0)
                elif op == "event_wait":
                    log(f"t{n} event: {await event.wait()}")
                elif op == "event_set":
                    event.set()
                elif op == "put":
                    await queue.put(arg)
                elif op == "get":
                    log(f"t{n} got item {await queue.get()}")
                elif op == "shield":
                    log(f"t{n} shielded {await aio.shield(futures[arg])!r}")
                elif op == "gather":
                    both = await aio.gather(futures[0], futures[1], return_exceptions=True)
                    log(f"t{n} gathered {[repr(x) for x in both]}")
            except aio.CancelledError:
                log(f"t{n} CancelledError at {op}")
                if not shrug:
                    raise
                shrug = False
        return f"t{n} finished"

    async def main() -> None:
        loop = aio.get_running_loop()
        futures[:] = [loop.create_future() for _ in range(FUTURES)]
        tasks[:] = [aio.create_task(task_body(n, ops)) for n, ops in enumerate(tasks_ops)]
        for _ in range(40):  # let the program run its course, turn by turn
            await aio.sleep(0)
        for fut in futures:  # then end whatever still waits, and hear how each ended
            fut.cancel()
        for _ in range(50):  # (a task that swallows one cancellation needs another)
            for task in tasks:
                task.cancel()
            for _ in range(3):
                await aio.sleep(0)
        outcomes = await aio.gather(*tasks, return_exceptions=True)
        names = [type(o).__name__ if isinstance(o, BaseException) else o for o in outcomes]
        log(f"outcomes {names}")
        for fut in futures:
            if fut.done() and not fut.cancelled():
                fut.result()  # retrieved, so nothing is logged at garbage collection

    futures: list[Any] = []  # filled in by main(), on the running loop
    tasks: list[Any] = []
    lock, event, queue = aio.Lock(), aio.Event(), aio.Queue(2)  # bound on first use
    aio.run(main())
    return trace


@settings(max_examples=1000, deadline=None)
@given(program)
def test_random_programs_tell_the_same_story_on_both_loops(tasks_ops):
    assert run_program(miniloop, tasks_ops) == run_program(asyncio, tasks_ops)


def test_the_harness_sees_a_difference_when_there_is_one():
    """A trace that a single reordering changes: proof that the comparison can fail."""
    ops = [[("soon", 1), ("yield", 0)], [("soon", 2)]]
    trace = run_program(asyncio, ops)
    assert trace.index("callback 0.1") < trace.index("callback 1.2")
    assert run_program(miniloop, ops) == trace
