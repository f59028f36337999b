"""Backends, and the worker process that runs workloads on one of them.

What you learn here: how five event loops can be compared in one run. Each backend lives
in its own worker process (`python -m benchmarks.worker BACKEND`), which reads one JSON
request per line on stdin and answers one JSON line on stdout. A process is necessary for
`asyncio-pure`: asyncio picks its C accelerator `_asyncio` at import time, so the only
way to get the pure-Python Task and Future is to block `_asyncio` before asyncio is ever
imported, and a process can hold only one of the two. The others get a process too, so
that every backend starts from the same clean interpreter and the runner can alternate
between them round by round.

    miniloop      miniloop's own loop
    miniloop-unhooked
                  miniloop with its instrument checks compiled out (`hooks` family): what
                  the hooks cost a program that installs no instrument
    asyncio       asyncio's default loop, with the C Task and Future (what people run)
    asyncio-pure  the same loop with `_asyncio` blocked: pure-Python Task and Future,
                  the apples-to-apples peer of miniloop
    uvloop        asyncio's API on libuv (Cython), from the `bench` extra
    rloop         asyncio's API on a loop written in Rust, from the `bench` extra
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
from typing import Any

__all__ = ("BACKENDS", "UNHOOKED", "Worker", "load_backend")

BACKENDS = ("miniloop", "asyncio", "asyncio-pure", "uvloop", "rloop")
UNHOOKED = "miniloop-unhooked"  # only for the `hooks` family
REPO = pathlib.Path(__file__).resolve().parent.parent


def load_backend(name: str) -> tuple[Any, Any]:
    """Import backend `name`: (the module used as `aio`, a function making a new loop).

    Must run before anything imports asyncio in this process (for `asyncio-pure`).
    """
    if name == "miniloop":
        import miniloop
        return miniloop, miniloop.new_event_loop
    if name == UNHOOKED:
        sys.path.insert(0, _unhooked_copy())
        import miniloop
        return miniloop, miniloop.new_event_loop
    if name == "asyncio-pure":
        sys.modules["_asyncio"] = None  # type: ignore[assignment]  # import fails: pure Python
    import asyncio
    accelerated = asyncio.Task.__module__ == "_asyncio"
    if accelerated != (name != "asyncio-pure"):  # guard against measuring the wrong thing
        raise RuntimeError(f"{name}: asyncio.Task comes from {asyncio.Task.__module__}")
    if name == "uvloop":
        import uvloop
        return asyncio, uvloop.new_event_loop
    if name == "rloop":
        import rloop
        return asyncio, rloop.new_event_loop
    if name in ("asyncio", "asyncio-pure"):
        return asyncio, asyncio.new_event_loop
    raise ValueError(f"unknown backend {name!r}; expected one of "
                     f"{', '.join((*BACKENDS, UNHOOKED))}")


# Every check the loop makes for instruments (instruments.py) when none may be installed,
# per module, and what replaces it: `if False:` compiles to nothing at all, so the copy
# runs the same code with the checks gone.
HOOK_CHECKS = {
    "loop.py": ("if self._instruments:", 3),
    "tasks.py": ("if self._loop._instruments:", 3),
    "poller.py": ("if self._notify is not None:", 1),
}


def _unhooked_copy() -> str:
    """A copy of the miniloop package, in a temporary directory, without the hook checks;
    the directory to put first on sys.path. Fails if the checks are not where expected,
    so that the comparison cannot quietly measure two identical loops."""
    import shutil
    import tempfile

    where = pathlib.Path(tempfile.mkdtemp(prefix="miniloop-unhooked-"))
    shutil.copytree(REPO / "miniloop", where / "miniloop")
    for module, (check, count) in HOOK_CHECKS.items():
        path = where / "miniloop" / module
        text = path.read_text()
        if text.count(check) != count:
            raise RuntimeError(f"{module}: expected {count} x {check!r}, found "
                               f"{text.count(check)}; update HOOK_CHECKS")
        path.write_text(text.replace(check, "if False:"))
    return str(where)


def serve(name: str) -> None:
    """The worker's main loop: answer requests until stdin closes."""
    from .workloads import WORKLOADS, missing_features, run_workload

    try:
        aio, new_loop = load_backend(name)
    except ImportError as exc:
        _answer({"unavailable": f"{name} is not installed ({exc})"})
        return
    _answer({"ready": name})
    for line in sys.stdin:
        request = json.loads(line)
        workload = WORKLOADS[request["workload"]]
        probe = new_loop()
        try:
            missing = missing_features(aio, probe, workload)
        finally:
            probe.close()
        if missing:
            _answer({"skipped": f"{name} has no {', '.join(missing)} yet"})
            continue
        try:
            total = run_workload(aio, new_loop, workload, request["n"])
        except Exception as exc:  # report it and keep serving: one broken workload is not all
            _answer({"error": f"{type(exc).__name__}: {exc}"})
        else:
            _answer({"total": total})


def _answer(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


class Worker:
    """The runner's side: one worker process for one backend."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.worker", backend], cwd=REPO, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        hello = self._receive()
        self.unavailable: str | None = hello.get("unavailable")

    def run(self, workload: str, n: int) -> dict[str, Any]:
        """Run `workload` at size `n`: {"total": ...}, {"skipped": why} or {"error": what}."""
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps({"workload": workload, "n": n}) + "\n")
        self._process.stdin.flush()
        return self._receive()

    def _receive(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.backend} worker died (exit code "
                               f"{self._process.wait()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait()


if __name__ == "__main__":
    serve(sys.argv[1])
