"""`python -m benchmarks --callgrind`: instructions per operation, which machine load does not move.

What you learn here: a figure that can be compared across machines and busy moments. Under
valgrind's callgrind every instruction the interpreter executes is counted; the count does
not depend on what else the machine is doing. A worker process (worker.py) runs one
workload at two sizes, each in its own process under `valgrind --tool=callgrind`, and the
difference of the two totals divided by the difference in operations is the cost of one
operation, with the interpreter's start-up and the loop's set-up cancelled out. Only
miniloop and asyncio (C) are counted (each run is some 50 times slower than normal); the
ratio is comparable to the timed ratio of the micro family, which docs/benchmarks.md
compares. `memory` is left out: it is measured in bytes already.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from typing import Any

from .progress import Progress
from .worker import REPO
from .workloads import WORKLOADS

__all__ = ("run",)

BACKENDS = ("miniloop", "asyncio")
DIVISORS = (10, 5)  # the two sizes: each workload's normal n / 10 and n / 5


def _instructions(backend: str, name: str, n: int) -> int:
    """Instructions executed by a worker process that runs `name` once at size `n`."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         sys.executable, "-m", "benchmarks.worker", backend],
        input=json.dumps({"workload": name, "n": n}) + "\n", cwd=REPO, env=env,
        capture_output=True, text=True, timeout=600)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if not found or '"total"' not in done.stdout:
        raise RuntimeError(f"{backend} {name}: {(done.stdout + done.stderr)[-300:]}")
    return int(found.group(1))


def run(words: list[str], quick: bool) -> dict[str, Any]:
    from .__main__ import describe  # the same description of the machine as a timed run

    if not shutil.which("valgrind"):
        sys.exit("--callgrind needs valgrind (Debian: apt-get install valgrind)")
    names = [name for name, w in WORKLOADS.items()
             if w.unit == "us" and not w.scaling_of and (not words or any(x in name
                                                                         for x in words))]
    progress = Progress(len(names) * len(BACKENDS) * len(DIVISORS))
    rows = []
    for name in names:
        workload = WORKLOADS[name]
        sizes = [max(1, workload.n // (d * (5 if quick else 1))) for d in DIVISORS]
        if sizes[0] == sizes[1]:
            sizes[1] = sizes[0] + 1
        outcomes: dict[str, dict[str, Any]] = {}
        for backend in BACKENDS:
            counts = []
            for n in sizes:
                progress.step(f"{name}  n={n}  {backend} (callgrind)")
                counts.append(_instructions(backend, name, n))
            per_op = (counts[1] - counts[0]) / (workload.ops(sizes[1]) - workload.ops(sizes[0]))
            outcomes[backend] = {"rounds": [per_op]}
        rows.append({"name": name, "what": workload.what, "n": sizes[1], "unit": "instr",
                     "better": "lower", "target": workload.target, "group": workload.group,
                     "backends": outcomes})
    progress.close()
    meta = describe(quick, None, progress.elapsed())
    meta["scale"] = f"instructions: n / {DIVISORS[0]} and n / {DIVISORS[1]}, one process each"
    if quick:
        meta["scale"] += ", quick (n / 5 again)"
    return {"family": "callgrind", "backends": list(BACKENDS), "rows": rows, "meta": meta}
