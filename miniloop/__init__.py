"""miniloop: asyncio, rebuilt from scratch in plain Python.

`import miniloop as asyncio` and a program written for asyncio runs on miniloop, with the
same results, the same exceptions and the same order of events.

Reading order (each module's docstring says what you learn there; README.md has the same
list with a line on each):

    1. The core: exceptions.py, handles.py, futures.py, tasks.py, loop.py, poller.py,
       sleep.py, runners.py, current.py, eager.py
    2. Waiting on many things: gather.py, wait.py, shield.py, timeouts.py, taskgroups.py
    3. Coordination: waiters.py, loopbound.py, locks.py, semaphores.py, barriers.py,
       queues.py
    4. Real I/O: watching.py, sockets.py, sendfile.py; then transports and protocols:
       protocols.py, transports.py, transportsocket.py, selectortransport.py,
       sockettransport.py, connections.py, servers.py, listening.py, unix.py,
       datagrams.py, pipes.py, transportsendfile.py, tls.py, tlstransport.py,
       starttls.py; then streams on top:
       streamreader.py, streams.py, subprocessstreams.py
    5. Living with the rest of the process: errors.py, threads.py, executors.py,
       signals.py, subprocesstransport.py, childwatchers.py, sigchldwatchers.py,
       asyncgens.py, debug.py
    6. Standing in for asyncio: versions.py, abstractloop.py, registry.py,
       policies.py, dropin.py
    7. Watching the loop turn: instruments.py, tracing.py, timeline.py, stacks.py,
       waits.py, graph.py
    Small helpers: coroutines.py, reprs.py
"""


from . import subprocessstreams as subprocess  # noqa: F401 (miniloop.subprocess: asyncio.subprocess)
from . import versions
from .abstractloop import AbstractEventLoop
from .barriers import Barrier, BrokenBarrierError
from .childwatchers import AbstractChildWatcher, PidfdChildWatcher, ThreadedChildWatcher
from .coroutines import iscoroutine, iscoroutinefunction
from .current import (
    _get_running_loop,
    _set_running_loop,
    get_event_loop,
    get_running_loop,
    new_event_loop,
    set_event_loop,
)
from .dropin import install
from .exceptions import (
    CancelledError,
    IncompleteReadError,
    InvalidStateError,
    LimitOverrunError,
    SendfileNotAvailableError,
    TimeoutError,
)
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
    get_child_watcher,
    get_event_loop_policy,
    set_child_watcher,
    set_event_loop_policy,
)
from .protocols import (
    BaseProtocol,
    BufferedProtocol,
    DatagramProtocol,
    Protocol,
    SubprocessProtocol,
)
from .queues import LifoQueue, PriorityQueue, Queue, QueueEmpty, QueueFull
from .registry import _enter_task, _leave_task, _register_task, _unregister_task
from .runners import Runner, run
from .semaphores import BoundedSemaphore, Semaphore
from .servers import AbstractServer, Server
from .shield import shield
from .sigchldwatchers import FastChildWatcher, MultiLoopChildWatcher, SafeChildWatcher
from .sleep import sleep
from .streamreader import StreamReader
from .streams import (
    StreamReaderProtocol,
    StreamWriter,
    open_connection,
    open_unix_connection,
    start_server,
    start_unix_server,
)
from .subprocessstreams import create_subprocess_exec, create_subprocess_shell
from .taskgroups import TaskGroup
from .tasks import Task, all_tasks, create_task, current_task, ensure_future
from .threads import run_coroutine_threadsafe, to_thread, wrap_future
from .timeouts import Timeout, timeout, timeout_at, wait_for
from .transports import (
    BaseTransport,
    DatagramTransport,
    ReadTransport,
    SubprocessTransport,
    Transport,
    WriteTransport,
)
from .wait import ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION, as_completed, wait

# asyncio's names for its base loop class and its selector loop: miniloop's one loop is both.
BaseEventLoop = SelectorEventLoop = EventLoop

__all__: tuple[str, ...] = (
    # exceptions.py
    "CancelledError", "InvalidStateError", "TimeoutError", "BrokenBarrierError",
    "SendfileNotAvailableError",
    # handles.py, futures.py, tasks.py
    "Handle", "TimerHandle", "Future", "isfuture",
    "Task", "create_task", "current_task", "all_tasks", "ensure_future",
    # registry.py
    "_register_task", "_unregister_task", "_enter_task", "_leave_task",
    # loop.py, abstractloop.py, current.py
    "EventLoop", "AbstractEventLoop", "BaseEventLoop", "SelectorEventLoop",
    "get_running_loop", "get_event_loop", "set_event_loop", "new_event_loop",
    "_get_running_loop", "_set_running_loop",
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
    # streamreader.py, streams.py (and their errors, in exceptions.py)
    "StreamReader", "StreamWriter", "StreamReaderProtocol", "open_connection", "start_server",
    "open_unix_connection", "start_unix_server", "IncompleteReadError", "LimitOverrunError",
    # dropin.py
    "install",
    # protocols.py, transports.py, servers.py
    "BaseProtocol", "Protocol", "BufferedProtocol", "DatagramProtocol", "SubprocessProtocol",
    "BaseTransport", "ReadTransport", "WriteTransport", "Transport", "DatagramTransport",
    "SubprocessTransport", "AbstractServer", "Server",
    # subprocessstreams.py, policies.py, childwatchers.py, sigchldwatchers.py
    "create_subprocess_exec", "create_subprocess_shell", "get_child_watcher",
    "set_child_watcher", "AbstractChildWatcher", "PidfdChildWatcher", "ThreadedChildWatcher",
    "SafeChildWatcher", "FastChildWatcher", "MultiLoopChildWatcher",
)

if versions.EAGER_TASKS:
    from .eager import create_eager_task_factory, eager_task_factory

    __all__ += ("create_eager_task_factory", "eager_task_factory")

if versions.QUEUE_SHUTDOWN:
    from .queues import QueueShutDown

    __all__ += ("QueueShutDown",)
