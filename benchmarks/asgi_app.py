"""A hello-world ASGI app on uvicorn with h11, for the real-servers family.

    python -m benchmarks.launch BACKEND -m benchmarks.asgi_app

Listens on a free port of 127.0.0.1 and prints `asgi server on http://127.0.0.1:PORT/
(uvicorn)` once it does. uvicorn is run from code, on a socket made here (port 0), inside
`asyncio.run()`, so the loop is whatever launch.py made `asyncio` give.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

BODY = b"Hello, world!\n"


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"),
                            (b"content-length", str(len(BODY)).encode())]})
    await send({"type": "http.response.body", "body": BODY})


def main() -> None:
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, http="h11", lifespan="off", access_log=False,
                            log_level="warning")
    server = uvicorn.Server(config)

    async def serve() -> None:
        serving = asyncio.ensure_future(server.serve(sockets=[sock]))
        while not server.started:  # the banner only once it really listens
            if serving.done():
                serving.result()  # it failed to start: its exception, e.g. a missing feature
            await asyncio.sleep(0.01)
        print(f"asgi server on http://127.0.0.1:{sock.getsockname()[1]}/ (uvicorn)",
              flush=True)
        await serving

    asyncio.run(serve())


if __name__ == "__main__":
    main()
