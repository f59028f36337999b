"""The workloads: small asyncio programs, each timing one thing an event loop does a lot.

What you learn here: what each benchmark measures, and how. Every workload is an
`async def` that takes the backend module as `aio` (miniloop, or asyncio under any loop)
and a size `n`, runs on a fresh loop, and returns the *total* it measured: seconds of
`time.perf_counter()` for the timed part, or bytes of `tracemalloc` for `memory`. The
cost per operation is that total divided by `ops(n)`.

Only the asyncio API is used, so a program here runs unchanged on every backend. A
workload names the features it `needs`; a backend that lacks one is skipped with that
reason instead of failing (see `missing_features`).

The garbage collector stays on, as in a real program: at 100k tasks it is about half of the
cost of `spawn`, for every backend alike.
"""

from __future__ import annotations

import gc
import socket
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

__all__ = ("WORKLOADS", "Workload", "missing_features", "run_workload")


@dataclass(frozen=True)
class Workload:
    """One benchmark: what it runs, how big, and what miniloop should reach."""

    name: str
    run: Callable[[Any, int], Awaitable[float]]  # (aio, n) -> seconds, or bytes for memory
    n: int                       # size of a normal run
    rounds: int                  # rounds of a normal run (the spread between them is the noise)
    what: str                    # one line for the table and the docs
    unit: str = "us"             # "us" per operation, or "B" per task
    per: int = 1                 # operations per unit of n (switch: 100 tasks x n sleeps)
    needs: tuple[str, ...] = ()  # "Queue" = aio.Queue, "loop.sock_recv" = a loop method
    target: float | None = None  # miniloop / asyncio-C must be at most this
    scaling_of: str | None = None  # "spawn@100k" is the same program as "spawn", bigger
    group: str = "scheduling"    # the chart's panel: scheduling, synchronisation, I/O

    def ops(self, n: int) -> int:
        return n * self.per


# == Tasks and turns ==========================================================================

async def switch(aio: Any, n: int) -> float:
    """100 tasks each call `sleep(0)` n times: the cost of one task switch."""
    async def spin() -> None:
        for _ in range(n):
            await aio.sleep(0)

    started = time.perf_counter()
    await aio.gather(*[spin() for _ in range(100)])
    return time.perf_counter() - started


async def spawn(aio: Any, n: int) -> float:
    """Create n tasks of a coroutine that does nothing, then gather them."""
    async def nothing() -> None:
        pass

    started = time.perf_counter()
    await aio.gather(*[aio.create_task(nothing()) for _ in range(n)])
    return time.perf_counter() - started


# Every timer workload waits this long at most; its overhead is what it takes beyond that.
LONGEST_TIMER = 0.1


async def timers(aio: Any, n: int) -> float:
    """n tasks sleep n distinct delays up to LONGEST_TIMER: the time beyond the longest."""
    async def nap(delay: float) -> None:
        await aio.sleep(delay)

    started = time.perf_counter()
    await aio.gather(*[aio.create_task(nap(LONGEST_TIMER * (i + 1) / n)) for i in range(n)])
    return time.perf_counter() - started - LONGEST_TIMER


# == Coordination =============================================================================

async def _through_queue(aio: Any, items: Any, n: int) -> float:
    """One producer puts n items through `items` to one consumer: seconds taken."""
    async def produce() -> None:
        for i in range(n):
            await items.put(i)

    async def consume() -> None:
        for _ in range(n):
            await items.get()

    started = time.perf_counter()
    await aio.gather(produce(), consume())
    return time.perf_counter() - started


async def queue(aio: Any, n: int) -> float:
    """One producer puts n items through a roomy Queue(64) to one consumer: the producer
    runs ahead 64 items, so most puts and gets do not wait."""
    return await _through_queue(aio, aio.Queue(maxsize=64), n)


async def queue_unbounded(aio: Any, n: int) -> float:
    """The same through an unbounded Queue(): no put ever waits, the consumer waits only
    when it has caught up."""
    return await _through_queue(aio, aio.Queue(), n)


async def queue_bounded(aio: Any, n: int) -> float:
    """Back-pressure: a Queue(1), so the producer is blocked on every put until the
    consumer takes the item before it (the common case of a bounded queue under load)."""
    return await _through_queue(aio, aio.Queue(maxsize=1), n)


async def lock(aio: Any, n: int) -> float:
    """100 tasks take one Lock n times each, and `sleep(0)` while holding it."""
    shared = aio.Lock()

    async def contend() -> None:
        for _ in range(n):
            async with shared:
                await aio.sleep(0)

    started = time.perf_counter()
    await aio.gather(*[contend() for _ in range(100)])
    return time.perf_counter() - started


LOCK_WAITERS = 4


async def lock_waiters(aio: Any, n: int) -> float:
    """One holder and LOCK_WAITERS waiters: 1 + LOCK_WAITERS tasks take one Lock n times
    each and hold it across two `sleep(0)`, so every release hands it to a waiting task."""
    shared = aio.Lock()

    async def contend() -> None:
        for _ in range(n):
            async with shared:
                await aio.sleep(0)
                await aio.sleep(0)

    started = time.perf_counter()
    await aio.gather(*[contend() for _ in range(1 + LOCK_WAITERS)])
    return time.perf_counter() - started


# == Sockets ==================================================================================

async def ping_pong(aio: Any, n: int) -> float:
    """n 1-byte round trips over a socketpair, with `sock_sendall` and `sock_recv`."""
    loop = aio.get_running_loop()
    left, right = socket.socketpair()
    left.setblocking(False)
    right.setblocking(False)

    async def ping() -> None:
        for _ in range(n):
            await loop.sock_sendall(left, b"!")
            await loop.sock_recv(left, 1)

    async def pong() -> None:
        for _ in range(n):
            await loop.sock_sendall(right, await loop.sock_recv(right, 1))

    try:
        started = time.perf_counter()
        await aio.gather(ping(), pong())
        return time.perf_counter() - started
    finally:
        left.close()
        right.close()


ECHO_CLIENTS = 100
ECHO_MESSAGE = b"x" * 100


async def echo(aio: Any, n: int) -> float:
    """A TCP echo server on loopback; 100 connected clients each send n messages and wait
    for each echo. Timed from the first message to the last echo (connecting is not)."""
    loop = aio.get_running_loop()
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(ECHO_CLIENTS)
    server.setblocking(False)
    connections: list[socket.socket] = []

    async def serve(conn: socket.socket) -> None:
        while data := await loop.sock_recv(conn, 4096):
            await loop.sock_sendall(conn, data)

    async def accept() -> None:
        while True:
            conn, _ = await loop.sock_accept(server)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as asyncio's transports
            connections.append(conn)
            handlers.append(loop.create_task(serve(conn)))

    async def connect() -> socket.socket:
        client = socket.socket()
        client.setblocking(False)
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await loop.sock_connect(client, server.getsockname())
        return client

    async def talk(client: socket.socket) -> None:
        for _ in range(n):
            await loop.sock_sendall(client, ECHO_MESSAGE)
            received = 0
            while received < len(ECHO_MESSAGE):
                received += len(await loop.sock_recv(client, 4096))

    handlers: list[Any] = []
    acceptor = loop.create_task(accept())
    clients = await aio.gather(*[connect() for _ in range(ECHO_CLIENTS)])
    try:
        started = time.perf_counter()
        await aio.gather(*[talk(client) for client in clients])
        return time.perf_counter() - started
    finally:
        for client in clients:
            client.close()  # each handler sees end-of-file and returns
        await aio.gather(*handlers)
        acceptor.cancel()
        await aio.gather(acceptor, return_exceptions=True)
        for conn in connections:
            conn.close()
        server.close()


# == Memory ===================================================================================

async def memory(aio: Any, n: int) -> float:
    """Bytes allocated per pending task: n tasks suspended on one future (tracemalloc)."""
    loop = aio.get_running_loop()
    gate = loop.create_future()

    async def wait() -> None:
        await gate

    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tasks = [loop.create_task(wait()) for _ in range(n)]
        await aio.sleep(0)  # every task has now run its first step and waits on `gate`
        allocated = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    gate.set_result(None)
    await aio.gather(*tasks)
    return float(allocated)


# == The registry =============================================================================

SOCKETS = ("loop.sock_recv", "loop.sock_sendall")

WORKLOADS: dict[str, Workload] = {w.name: w for w in [
    Workload("switch", switch, 100, 7, "100 tasks x sleep(0): one task switch", per=100,
             target=0.5),
    Workload("spawn", spawn, 10_000, 5, "create and gather 10k trivial tasks", target=1.0),
    Workload("timers", timers, 10_000, 5,
             "10k tasks, distinct sleeps: time beyond the longest, per timer", target=1.0),
    Workload("memory", memory, 10_000, 1, "bytes per pending task (tracemalloc)", unit="B",
             target=1.0),
    Workload("queue", queue, 20_000, 5, "roomy Queue(64), 1 producer -> 1 consumer, per item",
             needs=("Queue",), target=0.8, group="synchronisation"),
    Workload("queue-unbounded", queue_unbounded, 20_000, 5,
             "unbounded Queue(), 1 producer -> 1 consumer, per item", needs=("Queue",),
             target=0.8, group="synchronisation"),
    Workload("queue-bounded", queue_bounded, 10_000, 5,
             "back-pressure: Queue(1), the producer blocked on every put, per item",
             needs=("Queue",), target=0.8, group="synchronisation"),
    Workload("lock", lock, 20, 5, "100 tasks contend for a Lock, sleep(0) inside, per acquire",
             per=100, needs=("Lock",), target=0.8, group="synchronisation"),
    Workload("lock-waiters", lock_waiters, 400, 5,
             f"1 holder + {LOCK_WAITERS} waiters, each release hands over, per acquire",
             per=1 + LOCK_WAITERS, needs=("Lock",), target=0.8, group="synchronisation"),
    Workload("ping-pong", ping_pong, 2_000, 5, "1-byte round trip over a socketpair",
             needs=SOCKETS, target=0.5, group="I/O"),
    Workload("echo", echo, 30, 3, "TCP echo, 100 clients on loopback: cost per message "
             "(target: >= 1.8x asyncio's messages/s)", per=ECHO_CLIENTS,
             needs=(*SOCKETS, "loop.sock_accept", "loop.sock_connect"), target=1 / 1.8,
             group="I/O"),
    Workload("spawn@1k", spawn, 1_000, 7, "spawn, 1k tasks", scaling_of="spawn"),
    Workload("spawn@100k", spawn, 100_000, 3, "spawn, 100k tasks", scaling_of="spawn"),
    Workload("timers@1k", timers, 1_000, 5, "timers, 1k tasks", scaling_of="timers"),
    Workload("timers@100k", timers, 100_000, 3, "timers, 100k tasks", scaling_of="timers"),
]}


def missing_features(aio: Any, loop: Any, workload: Workload) -> list[str]:
    """The features `workload` needs that this backend does not have (yet)."""
    missing = []
    for feature in workload.needs:
        owner, _, attribute = feature.rpartition(".")
        if not hasattr(loop if owner == "loop" else aio, attribute):
            missing.append(feature)
    return missing


def run_workload(aio: Any, new_loop: Callable[[], Any], workload: Workload, n: int) -> float:
    """Run `workload` once at size `n` on a fresh loop; return its total (s, or B)."""
    loop = new_loop()
    try:
        gc.collect()  # start every round from the same heap, not from the last round's garbage
        return float(loop.run_until_complete(workload.run(aio, n)))
    finally:
        loop.close()
