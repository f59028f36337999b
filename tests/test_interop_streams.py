"""A real library on miniloop's streams, through the drop-in: websockets' server and client,
in both of its implementations where the installed version has them: the legacy one (the
only one in 11.0.3, which the `bench` extra pins) reads every frame through
asyncio.StreamReader's readexactly and writes through a transport with drain(); the newer
one (websockets.asyncio, 13.0 on, the default from 14.0, what the `interop` extra installs)
is a Protocol on the transport itself, with pause_reading and the write-buffer marks.

Runs where websockets is installed; skipped elsewhere.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap

import pytest

websockets = pytest.importorskip("websockets")

ECHO = textwrap.dedent('''
    import asyncio, sys, warnings
    warnings.simplefilter("ignore", DeprecationWarning)  # websockets.legacy, from 14.0
    from websockets.IMPLEMENTATION.server import serve
    from websockets.IMPLEMENTATION.client import connect

    async def echo(ws):
        async for message in ws:
            await ws.send(message)

    async def main():
        async with serve(echo, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            async with connect(f"ws://127.0.0.1:{port}") as ws:
                for message in ("hello", "ü" * 70_000, b"\\0" * 1_000_000):
                    await ws.send(message)
                    reply = await ws.recv()
                    print(type(reply).__name__, len(reply), reply == message)
            print(type(asyncio.get_running_loop()).__module__)

    asyncio.run(main())
''')


@pytest.mark.parametrize("implementation", [
    "legacy",
    pytest.param("asyncio", marks=pytest.mark.skipif(
        importlib.util.find_spec("websockets.asyncio") is None,
        reason=f"websockets {websockets.__version__} has no websockets.asyncio (13.0 on)")),
])
def test_websockets_echo_runs_the_same_on_miniloop(tmp_path, implementation):
    script = tmp_path / "echo.py"
    script.write_text(ECHO.replace("IMPLEMENTATION", implementation))
    runs = {}
    for name, args in (("asyncio", [str(script)]), ("miniloop", ["-m", "miniloop", str(script)])):
        result = subprocess.run([sys.executable, *args], capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 0, result.stderr
        runs[name] = result.stdout.splitlines()
    assert runs["asyncio"][:3] == runs["miniloop"][:3] == [
        "str 5 True", "str 70000 True", "bytes 1000000 True"]
    assert runs["miniloop"][3] == "miniloop.loop"  # and it really was miniloop's loop
