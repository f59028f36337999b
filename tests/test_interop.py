"""Real libraries on miniloop, through the drop-in: uvicorn serves an ASGI app written here,
and httpx's async client queries it, both in one program on one loop; then uvicorn's
WebSocket protocol (websockets' sans-I/O core) answers websockets' client; and anyio on its
own (task groups, cancel scopes, threads, TCP, memory streams, child processes), which
httpx runs on.

uvicorn runs its h11 protocol on the loop's server and socket transports (create_server,
pause_reading, write buffering); httpx runs on anyio's asyncio backend, which reads some of
asyncio's private names at start-up (miniloop/dropin.py offers them) and drives miniloop's
tasks with its cancel scopes (the timeout below is one). The same program runs on asyncio
first: both must print the same. (websockets' own server and client are
tests/test_interop_streams.py.)

Runs where the `interop` extra is installed; skipped, saying which package is missing,
elsewhere.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap

import pytest

for _package in ("uvicorn", "h11", "httpx", "anyio"):
    pytest.importorskip(_package, reason=f"{_package} is not installed (the interop extra)")

PROGRAM = textwrap.dedent('''
    import asyncio, socket
    import httpx, uvicorn

    seen = []  # what the app saw, printed at the end (the server runs beside the client)

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                seen.append(message["type"])
                await send({"type": "lifespan.startup.complete"})
            seen.append(message["type"])
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["path"] == "/slow":
            # Answers only when the client is gone: the client times out first.
            seen.append(("slow", (await receive())["type"]))
            return
        if scope["path"] == "/chunks":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            for chunk in (b"one ", b"two ", b"three"):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await asyncio.sleep(0.01)
            await send({"type": "http.response.body", "body": b""})
            return
        status = 404 if scope["path"] == "/missing" else 200
        reply = f"{scope['method']} {scope['path']} {len(body)}".encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": reply})

    async def main():
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))  # port 0: a free port, handed to uvicorn
        port = listener.getsockname()[1]
        config = uvicorn.Config(app, http="h11", ws="none", lifespan="on",
                                log_level="warning")
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve(sockets=[listener]))
        async with asyncio.timeout(10):
            while not server.started:
                await asyncio.sleep(0.01)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}",
                                     timeout=10) as client:
            response = await client.get("/hello")
            print(response.status_code, response.headers["content-type"], response.text)
            response = await client.post("/upload", content=b"x" * 300_000)
            print(response.status_code, response.text)
            response = await client.get("/missing")
            print(response.status_code, response.text)
            responses = await asyncio.gather(*(client.get(f"/n{i}") for i in range(5)))
            print([response.text for response in responses])
            async with client.stream("GET", "/chunks") as response:
                print("streamed", b"".join([chunk async for chunk in response.aiter_bytes()]))
            try:
                await client.get("/slow", timeout=0.2)
            except httpx.ReadTimeout:
                print("slow: ReadTimeout")
        server.should_exit = True
        async with asyncio.timeout(10):
            await serving
        listener.close()
        print("seen", seen)
        print(type(asyncio.get_running_loop()).__module__)

    asyncio.run(main())
''')


WEBSOCKET = textwrap.dedent('''
    import asyncio, socket
    import uvicorn
    from websockets.asyncio.client import connect

    seen = []

    async def app(scope, receive, send):
        assert (await receive())["type"] == "websocket.connect"
        await send({"type": "websocket.accept"})
        while (message := await receive())["type"] != "websocket.disconnect":
            if message.get("text") is not None:
                await send({"type": "websocket.send", "text": message["text"].upper()})
            else:
                await send({"type": "websocket.send", "bytes": message["bytes"][::-1]})
        seen.append(("disconnect", message["code"]))

    async def main():
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        config = uvicorn.Config(app, http="h11", ws="websockets-sansio", lifespan="off",
                                log_level="warning")
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve(sockets=[listener]))
        async with asyncio.timeout(10):
            while not server.started:
                await asyncio.sleep(0.01)
            async with connect(f"ws://127.0.0.1:{port}/echo") as ws:
                for message in ("hello", b"\\x01\\x02\\x03", "x" * 500_000):
                    await ws.send(message)
                    reply = await ws.recv()
                    print(type(reply).__name__, len(reply), reply[:5])
            server.should_exit = True
            await serving
        listener.close()
        print("seen", seen)
        print(type(asyncio.get_running_loop()).__module__)

    asyncio.run(main())
''')


ANYIO = textwrap.dedent('''
    import asyncio, sys
    import anyio, anyio.abc

    async def child(n, results):
        for _ in range(n):
            await anyio.sleep(0)  # n checkpoints: the children finish in the order 1, 2, 3
        results.append(n)

    async def upper(stream):
        async with stream:
            await stream.send((await stream.receive()).upper())

    async def main():
        results = []
        async with anyio.create_task_group() as group:
            for n in (3, 1, 2):
                group.start_soon(child, n, results)
        print("task group", results)
        with anyio.move_on_after(0.05) as scope:
            await anyio.sleep(10)
        print("moved on", scope.cancelled_caught)
        try:
            with anyio.fail_after(0.05):
                await anyio.sleep(10)
        except TimeoutError:
            print("fail_after: TimeoutError")
        print("thread", await anyio.to_thread.run_sync(sum, [1, 2, 3]))
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        async with anyio.create_task_group() as group:
            group.start_soon(listener.serve, upper)
            async with await anyio.connect_tcp("127.0.0.1", port) as client:
                await client.send(b"hello")
                print("tcp", await client.receive())
            group.cancel_scope.cancel()
        await listener.aclose()
        send, receive = anyio.create_memory_object_stream(1)

        async def produce():
            async with send:
                for i in range(3):
                    await send.send(i)

        async with anyio.create_task_group() as group:
            group.start_soon(produce)
            async with receive:
                print("memory stream", [i async for i in receive])

        async def fail():
            raise ValueError("boom")

        try:
            async with anyio.create_task_group() as group:
                group.start_soon(fail)
                await anyio.sleep(10)
        except* ValueError as errors:
            print("errors", [str(exc) for exc in errors.exceptions])
        shout = [sys.executable, "-c", "import sys; print(sys.stdin.read().upper(), end='')"]
        result = await anyio.run_process(shout, input=b"child")
        print("run_process", result.returncode, result.stdout)
        async with await anyio.open_process(shout) as process:
            await process.stdin.send(b"piped")
            await process.stdin.aclose()
            print("open_process", await process.stdout.receive(), await process.wait())
        print(type(asyncio.get_running_loop()).__module__)

    anyio.run(main)
''')


def run_both(tmp_path, program):
    """Run `program` on asyncio, then on miniloop; return what each printed, less the last
    line (the loop's module, checked here)."""
    script = tmp_path / "program.py"
    script.write_text(program)
    runs = {}
    for name, args in (("asyncio", [str(script)]), ("miniloop", ["-m", "miniloop", str(script)])):
        result = subprocess.run([sys.executable, *args], capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 0, result.stderr
        assert result.stderr == "", f"{name}: {result.stderr}"
        runs[name] = result.stdout.splitlines()
    assert runs["asyncio"][-1] == "asyncio.unix_events"
    assert runs["miniloop"][-1] == "miniloop.loop"  # and it really was miniloop's loop
    return runs["asyncio"][:-1], runs["miniloop"][:-1]


def test_uvicorn_and_httpx_run_the_same_on_miniloop(tmp_path):
    on_asyncio, on_miniloop = run_both(tmp_path, PROGRAM)
    assert on_miniloop == on_asyncio
    assert on_asyncio == [
        "200 text/plain GET /hello 0",
        "200 POST /upload 300000",
        "404 GET /missing 0",
        "['GET /n0 0', 'GET /n1 0', 'GET /n2 0', 'GET /n3 0', 'GET /n4 0']",
        "streamed b'one two three'",
        "slow: ReadTimeout",
        "seen ['lifespan.startup', ('slow', 'http.disconnect'), 'lifespan.shutdown']",
    ]


def _sansio_websockets() -> str | None:
    """Why uvicorn's websockets-sansio protocol cannot run here, or None if it can."""
    if importlib.util.find_spec("websockets") is None:
        return "websockets is not installed (the interop extra)"
    if importlib.util.find_spec("websockets.asyncio") is None:
        return "websockets before 13.0 has no sans-I/O server for uvicorn (nor its new client)"
    from uvicorn.config import WS_PROTOCOLS
    if "websockets-sansio" not in WS_PROTOCOLS:
        return "this uvicorn has no websockets-sansio protocol"
    return None


@pytest.mark.skipif(_sansio_websockets() is not None, reason=str(_sansio_websockets()))
def test_uvicorn_websockets_answer_a_websockets_client_the_same_on_miniloop(tmp_path):
    on_asyncio, on_miniloop = run_both(tmp_path, WEBSOCKET)
    assert on_miniloop == on_asyncio
    assert on_asyncio == [
        "str 5 HELLO", "bytes 3 b'\\x03\\x02\\x01'", "str 500000 XXXXX",
        "seen [('disconnect', 1000)]",
    ]


def test_anyio_runs_the_same_on_miniloop(tmp_path):
    on_asyncio, on_miniloop = run_both(tmp_path, ANYIO)
    assert on_miniloop == on_asyncio
    assert on_asyncio == [
        "task group [1, 2, 3]", "moved on True", "fail_after: TimeoutError", "thread 6",
        "tcp b'HELLO'", "memory stream [0, 1, 2]", "errors ['boom']",
        "run_process 0 b'CHILD'", "open_process b'PIPED' 0",
    ]
