import asyncio


async def main():
    print("going to sleep")
    await asyncio.sleep(1)
    print("awake")


asyncio.run(main())
