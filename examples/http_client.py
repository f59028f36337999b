"""A small concurrent HTTP client: fetch several URLs at once with loop.sock_*.

    python examples/http_server.py --port 8080 &
    python examples/http_client.py [--loop asyncio|miniloop] http://127.0.0.1:8080/a \\
        http://127.0.0.1:8080/b http://localhost:8080/c

prints one line per URL, in the order given: status, URL, body. The same code runs on asyncio
and on miniloop; `--loop` only chooses which module `asyncio` names below.

What to notice: `gather` runs one task per URL, so the connections are open at the same
time; a host name ("localhost") is resolved by `sock_connect` in the loop's default
executor, an IP address is not resolved at all.
"""

from __future__ import annotations

import argparse
import importlib
import socket
import sys
from urllib.parse import urlsplit

import miniloop as asyncio  # `--loop asyncio` swaps in the real one: the code is the same


async def fetch(url: str) -> tuple[int, bytes]:
    """GET `url` (plain http only) on a new connection; return (status, body)."""
    loop = asyncio.get_running_loop()
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"not an http:// URL: {url}")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    # IPv4 keeps the example simple; "localhost" resolves to 127.0.0.1 here.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setblocking(False)
        await loop.sock_connect(sock, (parts.hostname, parts.port or 80))
        request = (f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                   "Connection: close\r\n\r\n")
        await loop.sock_sendall(sock, request.encode("latin-1"))
        response = bytearray()
        while data := await loop.sock_recv(sock, 65536):  # "Connection: close": read to EOF
            response += data
    head, _, body = bytes(response).partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, body


async def fetch_all(urls: list[str]) -> list[tuple[int, bytes]]:
    return await asyncio.gather(*(fetch(url) for url in urls))


def main(argv: list[str] | None = None) -> None:
    global asyncio
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loop", choices=["asyncio", "miniloop"], default="miniloop")
    parser.add_argument("urls", nargs="+", metavar="URL")
    args = parser.parse_args(argv)
    asyncio = importlib.import_module(args.loop)
    for url, (status, body) in zip(args.urls, asyncio.run(fetch_all(args.urls)), strict=True):
        print(status, url, body.decode(errors="replace").rstrip("\n"))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
