import asyncio


async def greet(reader, writer):
    writer.write(b"hel")  # half a line: the reader must wait for the rest
    await asyncio.sleep(0.01)
    writer.write(b"lo\n")
    writer.close()
    await writer.wait_closed()


async def main():
    server = await asyncio.start_server(greet, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    line = await reader.readline()
    print("line:", line)
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


asyncio.run(main())
