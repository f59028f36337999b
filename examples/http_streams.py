"""A tiny HTTP/1.1 server that says hello, with keep-alive, on streams.

    python examples/http_streams.py [--loop asyncio|miniloop] [--host 127.0.0.1] [--port 8080]

then `curl -v http://127.0.0.1:8080/ http://127.0.0.1:8080/again` (curl reuses the
connection for the second URL) or point a browser at it. The same code runs on asyncio and
on miniloop; `--loop` only chooses which module `asyncio` names below.

What to notice: diff this file with http_server.py, the same server on `loop.sock_*`.
There the reader kept its own buffer and cut requests out of it; here the StreamReader is
that buffer. `readuntil(b"\\r\\n\\r\\n")` waits for a whole head however it arrives (in
pieces, or several pipelined requests in one packet, the rest staying buffered for the next
call), refuses a head longer than its limit (LimitOverrunError), and reports a connection
closed mid-request (IncompleteReadError); `readexactly` reads a body.
"""

from __future__ import annotations

import argparse
import importlib
import sys

import miniloop as asyncio  # `--loop asyncio` swaps in the real one: the code is the same

MAX_HEADER_BYTES = 64 * 1024  # the readers' limit: a longer head is refused


class BadRequest(Exception):
    pass


async def read_request(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str]] | None:
    """Read the next request from `reader`; None at a clean EOF."""
    try:
        head = (await reader.readuntil(b"\r\n\r\n"))[:-4].decode("latin-1")
    except asyncio.LimitOverrunError:
        raise BadRequest("headers too long") from None
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise BadRequest("connection closed mid-request") from None
        return None
    request_line, *header_lines = head.split("\r\n")
    try:
        method, target, version = request_line.split(" ")
        headers = {}
        for line in header_lines:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    except ValueError:
        raise BadRequest(f"malformed request: {request_line!r}") from None
    # A body (rare for this server) is read and ignored, so the next request starts right.
    try:
        await reader.readexactly(int(headers.get("content-length", "0")))
    except asyncio.IncompleteReadError:
        raise BadRequest("connection closed mid-body") from None
    return method, target, {"version": version, **headers}


def wants_keep_alive(headers: dict[str, str]) -> bool:
    """HTTP/1.1 keeps the connection open unless told otherwise; HTTP/1.0 closes it unless
    asked to keep it."""
    connection = headers.get("connection", "").lower()
    if headers["version"] == "HTTP/1.1":
        return connection != "close"
    return connection == "keep-alive"


def response(status: str, body: bytes, keep_alive: bool) -> bytes:
    head = (f"HTTP/1.1 {status}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n"
            "\r\n")
    return head.encode("latin-1") + body


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Serve requests on one connection until the client closes it or asks to close it."""
    try:
        while request := await read_request(reader):
            method, target, headers = request
            keep_alive = wants_keep_alive(headers)
            if method in ("GET", "HEAD"):
                body = f"Hello from {asyncio.__name__}! You asked for {target}\n".encode()
                reply = response("200 OK", body, keep_alive)
                if method == "HEAD":
                    reply = reply[:len(reply) - len(body)]
            else:
                reply = response("405 Method Not Allowed", b"GET or HEAD only\n", keep_alive)
            writer.write(reply)
            await writer.drain()
            if not keep_alive:
                break
    except BadRequest as exc:
        writer.write(response("400 Bad Request", f"{exc}\n".encode(), keep_alive=False))
    except ConnectionError:  # the client went away: nothing to answer
        pass
    finally:
        writer.close()  # after what is buffered has been sent


async def serve(host: str, port: int) -> None:
    server = await asyncio.start_server(handle, host, port, limit=MAX_HEADER_BYTES)
    async with server:
        host, port = server.sockets[0].getsockname()[:2]
        print(f"http server on http://{host}:{port}/ ({asyncio.__name__})", flush=True)
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    global asyncio
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loop", choices=["asyncio", "miniloop"], default="miniloop")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    asyncio = importlib.import_module(args.loop)
    try:
        asyncio.run(serve(args.host, args.port))
    except KeyboardInterrupt:
        print("bye", file=sys.stderr)


if __name__ == "__main__":
    main()
