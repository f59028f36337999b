"""An echo server on streams: start_server, and one handler per connection.

    python examples/echo_streams.py [--loop asyncio|miniloop] [--host 127.0.0.1] [--port 8888]

then `nc 127.0.0.1 8888` (or telnet) and type: every line comes back. The same code runs on
asyncio and on miniloop; `--loop` only chooses which module `asyncio` names below.

What to notice: diff this file with echo_server.py, the same server on `loop.sock_*`, and
read echo_protocol.py, the layer in between. The accept loop and the task per connection
are gone (`start_server` runs the handler as a task for each client), and so is the
socket: the handler gets a reader and a writer, and reads top to bottom again, where the
protocol had callbacks. `drain()` is the protocol's `pause_writing()`/`resume_writing()`
turned into one `await`: `write()` only buffers, and `drain()` waits while the client reads
slower than we write (see miniloop/streams.py), which `sock_sendall` did by itself.
"""

from __future__ import annotations

import argparse
import importlib
import sys

import miniloop as asyncio  # `--loop asyncio` swaps in the real one: the code is the same


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Echo what the client sends until it closes its side."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:  # the client went away mid-stream: nothing to clean up
        pass
    finally:
        writer.close()


async def serve(host: str, port: int) -> None:
    server = await asyncio.start_server(handle, host, port)
    async with server:
        host, port = server.sockets[0].getsockname()[:2]
        print(f"echo server on {host}:{port} ({asyncio.__name__})", flush=True)
        await server.serve_forever()


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
