"""The real-servers family: whole servers on each loop, loaded from another process.

What you learn here: what a loop costs a real server, where parsing, buffers and system
calls all count. Each server is a separate process started through launch.py on one
backend, listening on a free port of 127.0.0.1; the load comes from another process:

    http-example   examples/http_server_streams.py (examples/http_server.py until the streams
                   version exists), loaded by `wrk` at 1, 10 and 100 connections:
                   requests/s, and the latency percentiles wrk reports
    uvicorn        a hello-world ASGI app (benchmarks/asgi_app.py) on uvicorn with h11, the
                   same wrk load
    echo           examples/echo_server_streams.py (else examples/echo_server.py), and a
                   client process (this module's `client`) sending 1, 100 and 1000-byte
                   messages one at a time on one connection: messages/s

All servers of a row stay up for the whole row and the load alternates between them round by
round, as in the other families. `python -m benchmarks servers`; `wrk` is Debian's package.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import time
from typing import Any

from .progress import Progress
from .worker import REPO

__all__ = ("BACKENDS", "client", "run")

BACKENDS = ("miniloop", "asyncio", "uvloop")
EXAMPLES = REPO / "examples"
CONNECTIONS = (1, 10, 100)
SIZES = (1, 100, 1000)
ROUNDS = 3


def _example(name: str) -> pathlib.Path:
    streams = EXAMPLES / f"{name}_streams.py"
    return streams if streams.exists() else EXAMPLES / f"{name}.py"


def _command(server: str, backend: str) -> list[str]:
    launch = [sys.executable, "-m", "benchmarks.launch", backend]
    if server == "uvicorn":
        return [*launch, "-m", "benchmarks.asgi_app"]
    loop = "miniloop" if backend == "miniloop" else "asyncio"
    script = _example("http_server" if server == "http-example" else "echo_server")
    return [*launch, str(script), "--loop", loop, "--port", "0"]


class Server:
    """One server process; `port` once it listens, or `unavailable` with the reason."""

    def __init__(self, server: str, backend: str) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
        self.process = subprocess.Popen(_command(server, backend), cwd=REPO, env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        text=True)
        assert self.process.stdout is not None
        banner = self.process.stdout.readline().strip()  # printed once it listens
        self.unavailable: str | None = None
        self.port = 0
        if banner.startswith("unavailable: "):
            self.unavailable = banner.removeprefix("unavailable: ")
        elif match := re.search(r":(\d+)/? \(", banner):
            self.port = int(match.group(1))
        else:
            self.unavailable = f"the server did not start ({banner or 'no output'})"

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=30)
        assert self.process.stdout is not None
        self.process.stdout.close()


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _wrk(port: int, connections: int, seconds: int) -> dict[str, Any]:
    done = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
                           f"http://127.0.0.1:{port}/"], capture_output=True, text=True,
                          timeout=seconds + 60)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    latency = re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)$", done.stdout, re.M)
    if not rate or len(latency) != 4:
        return {"error": f"wrk: {(done.stdout + done.stderr).strip()[-200:]}"}
    return {"value": float(rate.group(1)),
            "latency": [float(v) * _UNITS[unit] for _, v, unit in latency]}


def _echo(port: int, size: int, seconds: float) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "benchmarks.servers", "client", str(port),
                           str(size), str(seconds)], cwd=REPO, capture_output=True,
                          text=True, timeout=seconds + 60)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["client failed"])[-1]}
    return {"value": float(done.stdout)}


def run(words: list[str], quick: bool, rounds: int | None,
        backends: list[str] | None) -> tuple[list[dict[str, Any]], list[str]]:
    backends = backends or list(BACKENDS)
    seconds = 1 if quick else 3
    count = rounds or (1 if quick else ROUNDS)
    plan: list[tuple[str, str, int]] = []
    if shutil.which("wrk"):
        plan += [(server, f"{server} c={c}", c) for server in ("http-example", "uvicorn")
                 for c in ((10,) if quick else CONNECTIONS)]
    else:
        print("no wrk: the HTTP rows are left out (apt-get install wrk)", file=sys.stderr)
    plan += [("echo", f"echo {size} B", size) for size in SIZES]
    plan = [step for step in plan if not words or any(word in step[1] for word in words)]
    progress = Progress(len(plan) * len(backends) * count)
    rows = []
    for server, label, knob in plan:
        servers = {backend: Server(server, backend) for backend in backends}
        try:
            outcomes: dict[str, dict[str, Any]] = {
                b: {"unavailable": s.unavailable} if s.unavailable else {"rounds": []}
                for b, s in servers.items()}
            for round_number in range(count):
                shift = round_number % len(backends)
                for backend in backends[shift:] + backends[:shift]:
                    progress.step(f"{label}  round {round_number + 1}/{count}  {backend}")
                    outcome = outcomes[backend]
                    if "rounds" not in outcome:
                        continue
                    port = servers[backend].port
                    answer = (_echo(port, knob, seconds) if server == "echo"
                              else _wrk(port, knob, seconds))
                    if "value" not in answer:
                        outcomes[backend] = answer
                        continue
                    outcome["rounds"].append(answer["value"])
                    if "latency" in answer:
                        outcome.setdefault("latency", []).append(answer["latency"])
        finally:
            for process in servers.values():
                process.close()
        rows.append({"name": label, "what": f"{server}, {knob}", "n": knob,
                     "unit": "msg/s" if server == "echo" else "req/s", "better": "higher",
                     "target": 1.0, "group": "real servers", "backends": outcomes})
    progress.close()
    return rows, backends


def client(port: int, size: int, seconds: float) -> None:
    """Send `size`-byte messages one at a time, wait for each echo; print messages/s."""
    message = b"x" * size
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        count = 0
        started = time.perf_counter()
        deadline = started + seconds
        while time.perf_counter() < deadline:
            conn.sendall(message)
            received = 0
            while received < size:
                chunk = conn.recv(65536)
                if not chunk:
                    raise ConnectionError("the server closed the connection")
                received += len(chunk)
            count += 1
        print(count / (time.perf_counter() - started))


if __name__ == "__main__" and sys.argv[1:2] == ["client"]:
    client(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
