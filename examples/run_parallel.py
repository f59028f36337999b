"""Run shell commands at once, at most N at a time, each with a time limit: a small `xargs -P`.

    python examples/run_parallel.py [--loop asyncio|miniloop] [--jobs 2] [--timeout 5] \\
        "echo one" "echo two >&2; exit 3" "sleep 60"

prints one line per command, in the order given: its exit status (or "timeout") and what
it printed, stdout and stderr together. The same code runs on asyncio and on miniloop;
`--loop` only chooses which module `asyncio` names below.

What to notice: each command is a child process whose pipe the loop reads while the others
run (`communicate()`), and a Semaphore keeps at most `--jobs` of them alive at once. A
command out of time is killed *with its whole process group*: the shell may have started
children of its own that hold the output pipe open, and killing only the shell would leave
`wait()` waiting for them. Then it is still waited for, so that no zombie is left behind.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys

import miniloop as asyncio  # `--loop asyncio` swaps in the real one: the code is the same


async def run(command: str, jobs: asyncio.Semaphore, limit: float) -> tuple[str, bytes]:
    """Run `command` in the shell when a job slot is free: (exit status, output)."""
    async with jobs:
        process = await asyncio.create_subprocess_shell(
            command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            start_new_session=True)  # its own process group, to kill all of it at once
        try:
            output, _ = await asyncio.wait_for(process.communicate(), limit)
        except TimeoutError:
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()  # reap it: a killed child is a zombie until waited for
            return "timeout", b""
        return str(process.returncode), output


async def run_all(commands: list[str], jobs: int, limit: float) -> list[tuple[str, bytes]]:
    slots = asyncio.Semaphore(jobs)
    return await asyncio.gather(*(run(command, slots, limit) for command in commands))


def main(argv: list[str] | None = None) -> None:
    global asyncio
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loop", choices=["asyncio", "miniloop"], default="miniloop")
    parser.add_argument("--jobs", type=int, default=2, help="how many at once")
    parser.add_argument("--timeout", type=float, default=5, help="seconds for each command")
    parser.add_argument("commands", nargs="+", metavar="COMMAND")
    args = parser.parse_args(argv)
    asyncio = importlib.import_module(args.loop)
    results = asyncio.run(run_all(args.commands, args.jobs, args.timeout))
    for status, output in results:
        print(f"{status} {output.decode(errors='replace')}".rstrip())
    sys.stdout.flush()


if __name__ == "__main__":
    main()
