import asyncio


async def holder(name, lock):
    async with lock:
        print(name, "has the lock")
        await asyncio.sleep(0.01)
    print(name, "let it go")


async def main():
    lock = asyncio.Lock()
    first = asyncio.create_task(holder("a", lock), name="a")
    second = asyncio.create_task(holder("b", lock), name="b")
    await asyncio.gather(first, second)


asyncio.run(main())
