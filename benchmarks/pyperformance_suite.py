"""The pyperformance family: the asyncio benchmarks CPython's developers run, on miniloop.

What you learn here: how a benchmark written for asyncio, untouched, is run on another loop.
The benchmark files are pyperformance's own, as published: the `pyperformance` package (the
`bench` extra installs it from the registry) ships them as data files, one folder per
benchmark with its `run_benchmark.py` and a TOML file per variant that names it and gives
its command-line options. Nothing of them is copied here; this module only reads that list:
every benchmark tagged "asyncio" (async_tree and its variants, async_generators, asyncio_tcp,
asyncio_tcp_ssl, asyncio_websockets), each variant whose `requires-python` this Python meets
(the eager ones need 3.12).

Each is run as `python -m benchmarks.launch BACKEND run_benchmark.py OPTIONS --worker ...`:
launch.py puts the process on the backend (for miniloop, `miniloop.install()`, the drop-in),
and pyperf's worker mode runs the benchmark in that same process (pyperf's usual way, a
parent spawning fresh workers with `sys.executable`, would lose the backend choice) and
writes its timings to a JSON file. One round is one such process per backend; the backends
alternate round by round as in the micro family. A benchmark that asks asyncio for something
miniloop does not implement yet (streams, TLS, eager tasks) ends with a MissingFeatureError,
reported as "unavailable: <its message>".

asyncio_tcp and asyncio_websockets, as published, listen on fixed ports (8882, 8001) of
127.0.0.1 and localhost: they run one at a time, and fail (reported as an error) if another
program holds the port.
"""

from __future__ import annotations

import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import tomllib
from typing import Any

from .progress import Progress
from .worker import REPO

__all__ = ("BACKENDS", "benchmarks", "run")

BACKENDS = ("miniloop", "asyncio", "asyncio-pure", "uvloop", "rloop")
ROUNDS = 3
TIMEOUT = 120  # seconds for one round of one benchmark on one backend (a hang is an error)


def data_files() -> pathlib.Path | None:
    """Where the installed pyperformance keeps its benchmarks, or None if not installed."""
    import importlib.util
    spec = importlib.util.find_spec("pyperformance")
    if spec is None or not spec.submodule_search_locations:
        return None
    return pathlib.Path(list(spec.submodule_search_locations)[0]) / "data-files" / "benchmarks"


def benchmarks(root: pathlib.Path) -> list[tuple[str, pathlib.Path, list[str]]]:
    """(name, run_benchmark.py, options) of every asyncio benchmark this Python can run."""
    found = []
    for folder in sorted(root.glob("bm_*")):
        base = tomllib.loads((folder / "pyproject.toml").read_text())
        if "asyncio" not in base["tool"]["pyperformance"].get("tags", ""):
            continue
        for variant in [folder / "pyproject.toml", *sorted(folder.glob("bm_*.toml"))]:
            spec = tomllib.loads(variant.read_text())
            needs = spec.get("project", {}).get("requires-python", ">=3.0")
            if sys.version_info < tuple(int(part) for part in needs[2:].split(".")):
                continue  # e.g. the eager variants, >=3.12
            settings = spec["tool"]["pyperformance"]
            found.append((settings["name"], folder / "run_benchmark.py",
                          list(settings.get("extra_opts", []))))
    return sorted(found)


def run_once(backend: str, script: pathlib.Path, options: list[str],
             quick: bool) -> dict[str, Any]:
    """One process: {"value": mean seconds per run}, {"unavailable": ...} or {"error": ...}."""
    with tempfile.TemporaryDirectory() as scratch:
        output = pathlib.Path(scratch) / "result.json"
        values = ["-w", "0", "-n", "1"] if quick else ["-w", "1", "-n", "3"]
        command = [sys.executable, "-m", "benchmarks.launch", backend, str(script), *options,
                   "--worker", "-l", "1", *values, "-o", str(output)]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
        try:
            done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True,
                                  timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            return {"error": f"no result within {TIMEOUT} s"}
        said = (done.stdout + done.stderr).splitlines()
        for line in said:
            if line.startswith("unavailable: "):
                return {"unavailable": line.removeprefix("unavailable: ")}
        if done.returncode != 0 or not output.exists():
            return {"error": said[-1] if said else f"exit code {done.returncode}"}
        result = json.loads(output.read_text())
        runs = result["benchmarks"][0]["runs"]
        return {"value": statistics.mean(v for r in runs for v in r.get("values", []))}


def run(words: list[str], quick: bool, rounds: int | None,
        backends: list[str] | None) -> tuple[list[dict[str, Any]], list[str]]:
    root = data_files()
    backends = backends or list(BACKENDS)
    if root is None:
        print("pyperformance is not installed: pip install -e '.[bench]'", file=sys.stderr)
        return [], backends
    picked = [b for b in benchmarks(root) if not words or any(w in b[0] for w in words)]
    count = rounds or (1 if quick else ROUNDS)
    progress = Progress(len(picked) * len(backends) * count)
    rows = []
    for name, script, options in picked:
        outcomes: dict[str, dict[str, Any]] = {backend: {"rounds": []} for backend in backends}
        for round_number in range(count):
            shift = round_number % len(backends)
            for backend in backends[shift:] + backends[:shift]:
                progress.step(f"{name}  round {round_number + 1}/{count}  {backend}")
                outcome = outcomes[backend]
                if "rounds" not in outcome:
                    continue  # unavailable or failed once: not again
                answer = run_once(backend, script, options, quick)
                if "value" in answer:
                    outcome["rounds"].append(answer["value"] * 1000)
                else:
                    outcomes[backend] = answer
        rows.append({"name": name, "what": f"pyperformance {name}", "n": 1 if quick else 3,
                     "unit": "ms",
                     "better": "lower", "target": 1.0, "group": "pyperformance",
                     "backends": outcomes})
    progress.close()
    return rows, backends
