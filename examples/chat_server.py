"""A chat server on streams: every line a client sends goes to every other client.

    python examples/chat_server.py [--loop asyncio|miniloop] [--host 127.0.0.1] [--port 8765]

then, in two or more terminals, `nc 127.0.0.1 8765`: type your name, then chat. The same
code runs on asyncio and on miniloop; `--loop` only chooses which module `asyncio` names
below.

What to notice: one client must not be able to stall the others. Broadcasting with
`write(); await drain()` to each client in turn would wait for the slowest reader. So each
client gets a bounded outbox and a task that sends from it (`write`, then `drain`, which
is where a slow client makes only its own task wait); broadcasting is `put_nowait` into
every outbox, which never waits, and a client whose outbox is full is too far behind to
keep: it is disconnected.
"""

from __future__ import annotations

import argparse
import importlib
import sys

import miniloop as asyncio  # `--loop asyncio` swaps in the real one: the code is the same

OUTBOX_LINES = 100  # lines a client may fall behind before it is disconnected


class Room:
    def __init__(self) -> None:
        # name -> (lines waiting to be sent to that client, its writer)
        self.members: dict[str, tuple[asyncio.Queue[bytes], asyncio.StreamWriter]] = {}

    def broadcast(self, line: str, *, sender: str | None = None) -> None:
        """Queue `line` for everyone but its sender; never waits."""
        data = line.encode() + b"\n"
        for name, (outbox, writer) in list(self.members.items()):
            if name == sender:
                continue
            try:
                outbox.put_nowait(data)
            except asyncio.QueueFull:  # too far behind to catch up: cut it off
                del self.members[name]
                writer.transport.abort()  # close() would wait to send what is buffered

    async def join(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One client's connection (start_server runs it as a task per client)."""
        try:
            writer.write(b"name? ")
            await writer.drain()
            name = (await reader.readline()).decode(errors="replace").strip()
            if not name or name in self.members:
                writer.write(b"that name is empty or taken, bye\n")
            else:
                await self.chat(name, reader, writer)
        except (ConnectionError, ValueError):  # gone, or a line longer than the limit
            pass
        finally:
            writer.close()

    async def chat(self, name: str, reader: asyncio.StreamReader,
                   writer: asyncio.StreamWriter) -> None:
        outbox: asyncio.Queue[bytes] = asyncio.Queue(OUTBOX_LINES)
        sender = asyncio.create_task(send_from(outbox, writer))
        self.broadcast(f"* {name} joined")
        self.members[name] = (outbox, writer)
        outbox.put_nowait(f"welcome, {name}: {len(self.members)} here\n".encode())
        try:
            async for line in reader:  # until the client closes its side
                text = line.decode(errors="replace").rstrip("\r\n")
                self.broadcast(f"<{name}> {text}", sender=name)
        finally:
            if self.members.pop(name, None) is not None:
                self.broadcast(f"* {name} left")
            sender.cancel()


async def send_from(outbox: asyncio.Queue[bytes], writer: asyncio.StreamWriter) -> None:
    """Send a client its lines in order; drain() makes only this task wait for it."""
    while True:
        writer.write(await outbox.get())
        await writer.drain()


async def serve(host: str, port: int) -> None:
    room = Room()
    server = await asyncio.start_server(room.join, host, port)
    async with server:
        host, port = server.sockets[0].getsockname()[:2]
        print(f"chat server on {host}:{port} ({asyncio.__name__})", flush=True)
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    global asyncio
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loop", choices=["asyncio", "miniloop"], default="miniloop")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    asyncio = importlib.import_module(args.loop)
    try:
        asyncio.run(serve(args.host, args.port))
    except KeyboardInterrupt:
        print("bye", file=sys.stderr)


if __name__ == "__main__":
    main()
