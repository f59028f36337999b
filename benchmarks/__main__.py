"""python -m benchmarks: every workload on every backend, one table, a JSON file and a chart.

    python -m benchmarks                 # the full run (about two minutes)
    python -m benchmarks --quick         # sizes / 10, one round: a smoke test (CI)
    python -m benchmarks switch spawn    # only workloads whose name contains a word
    python -m benchmarks --backends miniloop,asyncio

Backends alternate within a run: round 1 of a workload runs on every backend, then round 2
(in a rotated order), and so on, so a burst of load on a shared machine hits them all
rather than one. The best round counts. Results go to benchmarks/results/ (gitignored).
"""

from __future__ import annotations

import argparse
import gc
import os
import pathlib
import platform
import sys
import time
from typing import Any

from .report import render_markdown, render_table, summarize, write_chart, write_json
from .worker import BACKENDS, Worker
from .workloads import WORKLOADS

RESULTS = pathlib.Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("words", nargs="*", help="run only workloads whose name contains one")
    parser.add_argument("--quick", action="store_true", help="sizes / 10 and one round")
    parser.add_argument("--rounds", type=int, help="rounds per workload (default: its own)")
    parser.add_argument("--backends", default=",".join(BACKENDS),
                        help=f"comma-separated, from {', '.join(BACKENDS)}")
    parser.add_argument("--out", type=pathlib.Path, default=RESULTS, help="where files go")
    parser.add_argument("--markdown", action="store_true",
                        help="also print the table in Markdown (for docs/benchmarks.md)")
    args = parser.parse_args(argv)

    names = [name for name in WORKLOADS
             if not args.words or any(word in name for word in args.words)]
    sizes = {name: max(1, WORKLOADS[name].n // 10) if args.quick else WORKLOADS[name].n
             for name in names}
    rounds = {name: args.rounds or (1 if args.quick else WORKLOADS[name].rounds)
              for name in names}

    workers = {name: Worker(name) for name in args.backends.split(",")}
    try:
        for name, worker in workers.items():
            if worker.unavailable:
                print(f"skipping {name}: {worker.unavailable}", file=sys.stderr)
        live = [worker for worker in workers.values() if not worker.unavailable]
        started = time.perf_counter()
        measured = measure(names, sizes, rounds, live)
        elapsed = time.perf_counter() - started
    finally:
        for worker in workers.values():
            worker.close()

    backends = [worker.backend for worker in live]
    summary = summarize(measured, sizes)
    scale = ("quick run: sizes / 10, 1 round" if args.quick
             else "best of each workload's rounds" if not args.rounds
             else f"best of {args.rounds} rounds")
    header = (f"miniloop benchmarks: Python {platform.python_version()}, "
              f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
              f"GC {'on' if gc.isenabled() else 'off'}, {scale}, {elapsed:.0f} s")
    print(render_table(summary, backends, header))
    if args.markdown:
        print("\n" + render_markdown(summary, backends))

    args.out.mkdir(parents=True, exist_ok=True)
    meta: dict[str, Any] = {
        "python": platform.python_version(), "platform": platform.platform(),
        "cpus": os.cpu_count(), "gc": gc.isenabled(), "quick": args.quick,
        "rounds": rounds, "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "seconds": round(elapsed, 1),
        "unavailable": {w.backend: w.unavailable for w in workers.values() if w.unavailable},
    }
    write_json(args.out / "benchmarks.json", summary, meta)
    print(f"\nwrote {args.out / 'benchmarks.json'}")
    if write_chart(args.out / "benchmarks.png", summary, backends, header):
        print(f"wrote {args.out / 'benchmarks.png'}")
    else:
        print("(no chart: matplotlib is not installed; pip install -e '.[bench]')")
    return 0


def measure(names: list[str], sizes: dict[str, int], rounds: dict[str, int],
            workers: list[Worker]) -> dict[str, dict[str, Any]]:
    """Run every round of every workload, alternating backends; show progress on stderr."""
    measured: dict[str, dict[str, Any]] = {}
    total = sum(rounds[name] for name in names) * len(workers)
    done = 0
    for name in names:
        outcomes: dict[str, Any] = {worker.backend: {"totals": []} for worker in workers}
        for round_number in range(rounds[name]):
            shift = round_number % len(workers)  # rotate who goes first, round by round
            for worker in workers[shift:] + workers[:shift]:
                outcome = outcomes[worker.backend]
                done += 1
                _progress(f"[{done:3}/{total}] {name:<12} round {round_number + 1}/"
                          f"{rounds[name]}  {worker.backend}", first=done == 1 or (
                              round_number == 0 and worker is workers[0]))
                if "totals" not in outcome:
                    continue  # skipped or failed in an earlier round: do not retry
                answer = worker.run(name, sizes[name])
                if "total" in answer:
                    outcome["totals"].append(answer["total"])
                else:
                    outcomes[worker.backend] = answer
        measured[name] = outcomes
    _progress("")
    return measured


def _progress(line: str, first: bool = False) -> None:
    """Rewrite the progress line in place; in a log (not a terminal), one line per workload."""
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K" + line)
    elif line and first:
        sys.stderr.write(line + "\n")
    sys.stderr.flush()


if __name__ == "__main__":
    sys.exit(main())
