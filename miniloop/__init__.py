"""miniloop: asyncio, rebuilt from scratch in plain Python.

`import miniloop as asyncio` and a program written for asyncio runs on miniloop, with the
same results, the same exceptions and the same order of events.

Reading order (each module's docstring says what you learn there):

    exceptions.py   CancelledError is a BaseException, and why
    handles.py      a callback in a queue, and how cancelling it works
    futures.py      a result that does not exist yet, and the await protocol
    tasks.py        the task that drives a coroutine, one step at a time
    loop.py         the event loop itself: ready queue, timer heap, selector
    sleep.py        waiting for time without sleeping
    gather.py       waiting for many things with done-callbacks
    wait.py         wait(), as_completed(): one waiter future for many awaitables
    shield.py       shield(): keeping a task out of its awaiter's cancellation
    timeouts.py     timeout(), wait_for(): a deadline is a cancel() on a timer
    taskgroups.py   TaskGroup: no task outlives the block that started it
    runners.py      run(): from a coroutine to a finished program
    errors.py       the exception handler: errors that nobody else can catch
    threads.py      futures that cross threads: wrap_future, to_thread
    executors.py    run_in_executor: blocking work in a thread pool
    watching.py     add_reader/add_writer: a file descriptor registered with the selector
    sockets.py      loop.sock_*: try the system call, else wait on the selector
    sendfile.py     loop.sock_sendfile: the kernel copies, or a fallback by hand
    asyncgens.py    async generators' finally blocks, run before the loop closes
    signals.py      Unix signals as ordinary callbacks, through the self-pipe
    debug.py        debug mode: creation tracebacks, slow callbacks, forgotten awaits
    instruments.py  the hooks that watch the loop turn, from the inside
    tracing.py      a recorder on those hooks, and the turn-by-turn text trace
    timeline.py     the same record as a web page and a Chrome trace
    waits.py        what a suspended task waits on, read off its chain of awaits
    graph.py        the call graph: who awaits whom (asyncio 3.14's asyncio.graph)
    current.py      which loop is current in this thread
    policies.py     event loop policies: asyncio's API over current.py, one policy only
    locks.py        Lock, Event, Condition: tasks waiting for each other
    semaphores.py   Semaphore, BoundedSemaphore: at most N at once, and fairness
    barriers.py     Barrier: N tasks meet, then go on together
    queues.py       Queue, PriorityQueue, LifoQueue: producers and consumers
    coroutines.py, reprs.py, loopbound.py   small helpers
    dropin.py       `import asyncio` that gives miniloop (python -m miniloop script.py)
"""


from . import versions
from .barriers import Barrier, BrokenBarrierError
from .coroutines import iscoroutine, iscoroutinefunction
from .current import get_event_loop, get_running_loop, new_event_loop, set_event_loop
from .dropin import install
from .exceptions import CancelledError, InvalidStateError, SendfileNotAvailableError, TimeoutError
from .futures import Future, isfuture
from .gather import gather
from .graph import (
    FrameCallGraphEntry,
    FutureCallGraph,
    capture_call_graph,
    format_call_graph,
    print_call_graph,
)
from .handles import Handle, TimerHandle
from .locks import Condition, Event, Lock
from .loop import EventLoop
from .policies import (
    AbstractEventLoopPolicy,
    DefaultEventLoopPolicy,
    get_event_loop_policy,
    set_event_loop_policy,
)
from .queues import LifoQueue, PriorityQueue, Queue, QueueEmpty, QueueFull
from .runners import Runner, run
from .semaphores import BoundedSemaphore, Semaphore
from .shield import shield
from .sleep import sleep
from .taskgroups import TaskGroup
from .tasks import Task, all_tasks, create_task, current_task, ensure_future
from .threads import run_coroutine_threadsafe, to_thread, wrap_future
from .timeouts import Timeout, timeout, timeout_at, wait_for
from .wait import ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION, as_completed, wait

__all__: tuple[str, ...] = (
    # exceptions.py
    "CancelledError", "InvalidStateError", "TimeoutError", "BrokenBarrierError",
    "SendfileNotAvailableError",
    # handles.py, futures.py, tasks.py
    "Handle", "TimerHandle", "Future", "isfuture",
    "Task", "create_task", "current_task", "all_tasks", "ensure_future",
    # loop.py, current.py
    "EventLoop", "get_running_loop", "get_event_loop", "set_event_loop", "new_event_loop",
    # policies.py
    "AbstractEventLoopPolicy", "DefaultEventLoopPolicy", "get_event_loop_policy",
    "set_event_loop_policy",
    # sleep.py, gather.py, runners.py, coroutines.py
    "sleep", "gather", "Runner", "run", "iscoroutine", "iscoroutinefunction",
    # wait.py, shield.py, timeouts.py, taskgroups.py
    "wait", "as_completed", "FIRST_COMPLETED", "FIRST_EXCEPTION", "ALL_COMPLETED",
    "shield", "Timeout", "timeout", "timeout_at", "wait_for", "TaskGroup",
    # locks.py, semaphores.py, barriers.py, queues.py
    "Lock", "Event", "Condition", "Semaphore", "BoundedSemaphore", "Barrier",
    "Queue", "PriorityQueue", "LifoQueue", "QueueEmpty", "QueueFull",
    # threads.py
    "wrap_future", "run_coroutine_threadsafe", "to_thread",
    # graph.py (asyncio 3.14's, on every Python)
    "capture_call_graph", "format_call_graph", "print_call_graph", "FrameCallGraphEntry",
    "FutureCallGraph",
    # dropin.py
    "install",
)

if versions.QUEUE_SHUTDOWN:
    from .queues import QueueShutDown

    __all__ += ("QueueShutDown",)
