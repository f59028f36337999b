"""The echo server again, on transports and protocols instead of sock_* calls.

    python examples/echo_protocol.py [--loop asyncio|miniloop] [--host 127.0.0.1] [--port 8888]

then `nc 127.0.0.1 8888` and type: every line comes back. Compare with echo_server.py, the
same server written with `sock_accept`/`sock_recv`/`sock_sendall`:

* there, one *task* per connection loops over `await sock_recv()`; here there is no task
  and no loop at all, only an object whose methods the transport calls
  (miniloop/protocols.py, miniloop/sockettransport.py);
* there, `await sock_sendall()` waits while the client is slow to read; here `write()`
  never waits: what the kernel does not take is buffered, and the protocol is told
  `pause_writing()` when the buffer passes its high-water mark. This one then stops
  *reading* (`pause_reading()`) until `resume_writing()`: a client that sends without
  reading cannot make the server buffer without bound. That is backpressure, by hand;
  streams (`StreamWriter.drain()`) wrap the same two calls in a coroutine.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Any

import miniloop as asyncio  # `--loop asyncio` swaps in the real one: the code is the same


class Echo(asyncio.Protocol):
    """One per connection: made by the server's protocol factory (the class itself).

    (With `--loop asyncio` this class still derives from miniloop's Protocol, chosen at
    import: that works, because a transport only ever calls a protocol's methods.)
    """

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)  # never blocks

    def eof_received(self) -> bool:
        # The client is done sending; keep our side open until what we buffered is out.
        self.transport.close()  # close() flushes the buffer before connection_lost
        return True

    def pause_writing(self) -> None:
        self.transport.pause_reading()  # the client is not reading: stop reading from it

    def resume_writing(self) -> None:
        self.transport.resume_reading()


async def serve(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Echo, host, port)
    host, port = server.sockets[0].getsockname()[:2]
    print(f"echo server on {host}:{port} ({asyncio.__name__})", flush=True)
    async with server:
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
