"""A real library on miniloop's streams, through the drop-in: websockets' server and client
(its legacy implementation reads every frame through asyncio.StreamReader's readexactly and
writes through a transport with drain()).

Runs where websockets is installed (the `bench` extra pins it); skipped elsewhere.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("websockets")

ECHO = textwrap.dedent('''
    import asyncio, sys
    import websockets

    async def echo(ws):
        async for message in ws:
            await ws.send(message)

    async def main():
        async with websockets.serve(echo, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            async with websockets.connect(f"ws://127.0.0.1:{port}") as ws:
                for message in ("hello", "ü" * 70_000, b"\\0" * 1_000_000):
                    await ws.send(message)
                    reply = await ws.recv()
                    print(type(reply).__name__, len(reply), reply == message)
            print(type(asyncio.get_running_loop()).__module__)

    asyncio.run(main())
''')


def test_websockets_echo_runs_the_same_on_miniloop(tmp_path):
    script = tmp_path / "echo.py"
    script.write_text(ECHO)
    runs = {}
    for name, args in (("asyncio", [str(script)]), ("miniloop", ["-m", "miniloop", str(script)])):
        result = subprocess.run([sys.executable, *args], capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 0, result.stderr
        runs[name] = result.stdout.splitlines()
    assert runs["asyncio"][:3] == runs["miniloop"][:3] == [
        "str 5 True", "str 70000 True", "bytes 1000000 True"]
    assert runs["miniloop"][3] == "miniloop.loop"  # and it really was miniloop's loop
