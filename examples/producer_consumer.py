"""A producer, two consumers and a lock: a small program to watch with the tracer.

    python -m miniloop trace --html timeline.html examples/producer_consumer.py

The text trace shows each turn of the loop; the page draws one lane per task, with what
each task waits on (the queue, the lock, a timer) when you hover over its bars.
"""

import asyncio


async def produce(queue: asyncio.Queue[int]) -> None:
    for item in range(4):
        await asyncio.sleep(0.01)
        await queue.put(item)
    for _ in range(2):
        await queue.put(-1)  # one "stop" for each consumer


async def consume(name: str, queue: asyncio.Queue[int], lock: asyncio.Lock) -> None:
    while (item := await queue.get()) != -1:
        async with lock:  # one consumer at a time reports
            await asyncio.sleep(0.005)
            print(f"{name} got {item}")


async def main() -> None:
    queue: asyncio.Queue[int] = asyncio.Queue(maxsize=1)
    lock = asyncio.Lock()
    async with asyncio.TaskGroup() as group:
        group.create_task(produce(queue), name="producer")
        group.create_task(consume("consumer-a", queue, lock), name="consumer-a")
        group.create_task(consume("consumer-b", queue, lock), name="consumer-b")


if __name__ == "__main__":
    asyncio.run(main())
