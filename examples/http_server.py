"""A tiny HTTP/1.1 server that says hello, with keep-alive, on nothing but loop.sock_*.

    python examples/http_server.py [--loop asyncio|miniloop] [--host 127.0.0.1] [--port 8080]

then `curl -v http://127.0.0.1:8080/ http://127.0.0.1:8080/again` (curl reuses the
connection for the second URL) or point a browser at it. The same code runs on asyncio and
on miniloop; `--loop` only chooses which module `asyncio` names below.

What to notice: a connection is a loop of "read a request, write a response". Requests can
arrive in pieces or several at once (pipelining), so the reader keeps a buffer and cuts
requests out of it at each blank line, and only waits for more bytes when the buffer holds
no complete request.
"""

from __future__ import annotations

import argparse
import importlib
import socket
import sys

import miniloop as asyncio  # `--loop asyncio` swaps in the real one: the code is the same

MAX_HEADER_BYTES = 64 * 1024  # a client that sends more without a blank line is cut off


class BadRequest(Exception):
    pass


async def read_request(conn: socket.socket,
                       buffer: bytearray) -> tuple[str, str, dict[str, str]] | None:
    """Cut the next request out of `buffer`, reading more as needed; None at a clean EOF."""
    loop = asyncio.get_running_loop()
    while (end := buffer.find(b"\r\n\r\n")) < 0:
        if len(buffer) > MAX_HEADER_BYTES:
            raise BadRequest("headers too long")
        data = await loop.sock_recv(conn, 65536)
        if not data:
            if buffer:
                raise BadRequest("connection closed mid-request")
            return None
        buffer += data
    head = bytes(buffer[:end]).decode("latin-1")
    del buffer[:end + 4]
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
    length = int(headers.get("content-length", "0"))
    while len(buffer) < length:
        data = await loop.sock_recv(conn, 65536)
        if not data:
            raise BadRequest("connection closed mid-body")
        buffer += data
    del buffer[:length]
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


async def handle(conn: socket.socket) -> None:
    """Serve requests on one connection until the client closes it or asks to close it."""
    loop = asyncio.get_running_loop()
    buffer = bytearray()
    with conn:
        try:
            while request := await read_request(conn, buffer):
                method, target, headers = request
                keep_alive = wants_keep_alive(headers)
                if method in ("GET", "HEAD"):
                    body = f"Hello from {asyncio.__name__}! You asked for {target}\n".encode()
                    reply = response("200 OK", body, keep_alive)
                    if method == "HEAD":
                        reply = reply[:len(reply) - len(body)]
                else:
                    reply = response("405 Method Not Allowed", b"GET or HEAD only\n",
                                     keep_alive)
                await loop.sock_sendall(conn, reply)
                if not keep_alive:
                    break
        except BadRequest as exc:
            await loop.sock_sendall(conn, response("400 Bad Request", f"{exc}\n".encode(),
                                                   keep_alive=False))
        except ConnectionError:  # the client went away: nothing to answer
            pass


async def serve(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    with socket.create_server((host, port)) as server:
        server.setblocking(False)
        host, port = server.getsockname()[:2]
        print(f"http server on http://{host}:{port}/ ({asyncio.__name__})", flush=True)
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
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    asyncio = importlib.import_module(args.loop)
    try:
        asyncio.run(serve(args.host, args.port))
    except KeyboardInterrupt:
        print("bye", file=sys.stderr)


if __name__ == "__main__":
    main()
