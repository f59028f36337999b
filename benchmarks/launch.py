"""`python -m benchmarks.launch BACKEND SCRIPT [ARGS...]`: run an unmodified asyncio program
on one backend.

What you learn here: how a program that says `import asyncio` is put on another loop without
touching it. Each backend is a few lines run before the program's first `import asyncio`:

    miniloop      miniloop.install(): `import asyncio` gets miniloop (the drop-in, as
                  `python -m miniloop SCRIPT` does)
    asyncio       nothing: the default loop with its C Task and Future
    asyncio-pure  `_asyncio` blocked, so asyncio falls back to its pure-Python Task and Future
    uvloop        asyncio, with uvloop's event loop policy: every new loop is a uvloop loop
    rloop         the same with rloop's policy (a loop written in Rust)

The pyperformance and real-server benchmarks start their programs through this module, so
that the program text is the same on every backend and only this choice differs.
"""

from __future__ import annotations

import os
import runpy
import sys

__all__ = ("LOOPS", "prepare")

LOOPS = ("miniloop", "asyncio", "asyncio-pure", "uvloop", "rloop")


def prepare(backend: str) -> None:
    """Put this process on `backend`: to be called before anything imports asyncio."""
    if backend == "miniloop":
        import miniloop
        miniloop.install()
        return
    if backend == "asyncio-pure":
        sys.modules["_asyncio"] = None  # type: ignore[assignment]  # import fails: pure Python
    import asyncio
    if (asyncio.Task.__module__ == "_asyncio") == (backend == "asyncio-pure"):
        raise RuntimeError(f"{backend}: asyncio.Task comes from {asyncio.Task.__module__}")
    if backend == "uvloop":
        import uvloop
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    elif backend == "rloop":
        import rloop
        asyncio.set_event_loop_policy(rloop.EventLoopPolicy())
    elif backend not in ("asyncio", "asyncio-pure"):
        raise ValueError(f"unknown backend {backend!r}; expected one of {', '.join(LOOPS)}")


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        sys.exit("usage: python -m benchmarks.launch BACKEND (SCRIPT | -m MODULE) [ARGS...]")
    backend, *program = argv
    try:
        prepare(backend)
    except ImportError as exc:
        # The runner reads this line: the backend is not installed here, nothing ran.
        print(f"unavailable: {backend} is not installed ({exc})", flush=True)
        sys.exit(3)
    from miniloop.dropin import MissingFeatureError  # miniloop itself never imports asyncio

    try:
        if program[0] == "-m":
            sys.argv = program[1:]
            runpy.run_module(program[1], run_name="__main__", alter_sys=True)
        else:
            sys.argv = program
            sys.path[0] = os.path.dirname(os.path.abspath(program[0]))
            runpy.run_path(program[0], run_name="__main__")
    except MissingFeatureError as exc:
        # Not a crash: the program needs what miniloop does not have yet. The runner reads
        # this line and reports the row as unavailable, with the message.
        print(f"unavailable: {exc}", flush=True)
        sys.exit(3)


if __name__ == "__main__":
    main(sys.argv[1:])
