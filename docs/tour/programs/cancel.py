import asyncio


async def worker():
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print("worker: CancelledError at its await")
        raise


async def main():
    task = asyncio.create_task(worker(), name="worker")
    await asyncio.sleep(0)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        print("main: worker cancelled:", task.cancelled())


asyncio.run(main())
