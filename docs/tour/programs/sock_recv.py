import asyncio
import socket


async def send_later(sock):
    await asyncio.sleep(0.01)
    sock.send(b"ping")


async def main():
    loop = asyncio.get_running_loop()
    left, right = socket.socketpair()
    left.setblocking(False)
    sender = asyncio.create_task(send_later(right), name="sender")
    data = await loop.sock_recv(left, 100)
    print("received", data)
    await sender
    left.close()
    right.close()


asyncio.run(main())
