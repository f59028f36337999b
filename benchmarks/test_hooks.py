"""The `miniloop-unhooked` backend really is miniloop without its instrument checks."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from .worker import REPO

PROGRAM = textwrap.dedent("""
    import sys
    from benchmarks.worker import load_backend

    aio, new_loop = load_backend(sys.argv[1])

    class Count(aio.instruments.Instrument):
        calls = 0

        def turn_started(self, *args, **details):
            type(self).calls += 1

        def task_created(self, *args, **details):
            type(self).calls += 1

    async def main():
        await aio.sleep(0)

    loop = new_loop()
    loop.add_instrument(Count())
    loop.run_until_complete(main())
    loop.close()
    print(aio.__file__.startswith(str(sys.path[0])), Count.calls > 0)
""")


def run(backend: str) -> str:
    return subprocess.run([sys.executable, "-c", PROGRAM, backend], cwd=REPO, text=True,
                          capture_output=True, timeout=60, check=True).stdout.split()


def test_the_unhooked_copy_never_calls_an_instrument() -> None:
    assert run("miniloop-unhooked") == ["True", "False"]  # the copy, and no hook reached
    assert run("miniloop")[1] == "True"                   # the real one calls it
