"""An echo server: an accept loop, and one task per connection.

    python examples/echo_server.py [--loop asyncio|miniloop] [--host 127.0.0.1] [--port 8888]

then `nc 127.0.0.1 8888` (or telnet) and type: every line comes back. The same code runs on
asyncio and on miniloop; `--loop` only chooses which module `asyncio` names below.

What to notice: the server never blocks. `sock_accept` and `sock_recv` suspend only the
task that calls them (see miniloop/sockets.py), so one slow client holds up nobody else.
"""

from __future__ import annotations

import argparse
import importlib
import socket
import sys

import miniloop as asyncio  # `--loop asyncio` swaps in the real one: the code is the same


async def handle(conn: socket.socket) -> None:
    """Echo what the client sends until it closes its side."""
    loop = asyncio.get_running_loop()
    with conn:
        try:
            while data := await loop.sock_recv(conn, 65536):
                await loop.sock_sendall(conn, data)
        except ConnectionError:  # the client went away mid-stream: nothing to clean up
            pass


async def serve(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    with socket.create_server((host, port), reuse_port=False) as server:
        server.setblocking(False)
        host, port = server.getsockname()[:2]
        print(f"echo server on {host}:{port} ({asyncio.__name__})", flush=True)
        tasks = set()
        while True:
            conn, _ = await loop.sock_accept(server)
            task = asyncio.create_task(handle(conn))
            tasks.add(task)  # keep a reference: the loop only holds tasks weakly
            task.add_done_callback(tasks.discard)


def main(argv: list[str] | None = None) -> None:
    global asyncio
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loop", choices=["asyncio", "miniloop"], default="miniloop")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8888)
    args = parser.parse_args(argv)
    asyncio = importlib.import_module(args.loop)
    try:
        asyncio.run(serve(args.host, args.port))
    except KeyboardInterrupt:
        print("bye", file=sys.stderr)


if __name__ == "__main__":
    main()
