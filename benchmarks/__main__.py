"""python -m benchmarks: miniloop next to asyncio, uvloop and rloop, with the noise shown.

    python -m benchmarks                      # the micro-workloads (benchmarks/workloads.py)
    python -m benchmarks pyperformance        # pyperformance's asyncio benchmarks, drop-in
    python -m benchmarks servers              # real servers under wrk and an echo client
    python -m benchmarks hooks                # what the instrument checks cost, unused
    python -m benchmarks all --write-docs     # all four; rewrite the numbers in the docs
    python -m benchmarks --quick              # tiny sizes, one round, no verdicts: a smoke test
    python -m benchmarks switch spawn         # only rows whose name contains a word
    python -m benchmarks --backends miniloop,asyncio --rounds 9
    python -m benchmarks --callgrind          # instructions per operation (valgrind)

Each run prints a table: every backend's median over the rounds, miniloop's ratio to asyncio
as the median of the per-round ratios with their spread, and a verdict against the target
(met, missed by X%, within noise). It writes benchmarks/results/FAMILY.json and a chart,
benchmarks/results/benchmarks.png. How long a full run takes is measured and printed at the
end; docs/benchmarks.md quotes the last one.
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

from . import micro
from .report import load, render_markdown, render_table, save, write_chart
from .worker import BACKENDS, UNHOOKED

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
FAMILIES = ("micro", "pyperformance", "servers", "hooks")
# The hooks family: the workloads the tracer issue names, where a check per step would show.
HOOKS_WORKLOADS = ("switch", "spawn", "timers", "ping-pong")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("words", nargs="*",
                        help="a family (micro, pyperformance, servers, all), then words: "
                             "run only rows whose name contains one")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes and one round: a smoke test, no verdicts")
    parser.add_argument("--rounds", type=int, help="rounds per row (default: its own)")
    parser.add_argument("--backends",
                        help=f"comma-separated, from {', '.join((*BACKENDS, UNHOOKED))}")
    parser.add_argument("--out", type=pathlib.Path, default=RESULTS, help="where files go")
    parser.add_argument("--markdown", action="store_true",
                        help="also print the table in Markdown")
    parser.add_argument("--write-docs", action="store_true",
                        help="save the results under docs/results/ and rewrite the marked "
                             "blocks of docs/benchmarks.md and README.md from them")
    parser.add_argument("--callgrind", action="store_true",
                        help="instructions per operation under valgrind, miniloop and asyncio")
    args = parser.parse_intermixed_args(argv)
    if args.write_docs and args.quick:
        parser.error("--write-docs wants a full run: a --quick run is too small to quote")

    words = list(args.words)
    families = ["micro"]
    if words and words[0] in (*FAMILIES, "all"):
        first = words.pop(0)
        families = list(FAMILIES) if first == "all" else [first]
    backends = args.backends.split(",") if args.backends else None

    if args.callgrind:
        from . import callgrind
        data = callgrind.run(words, quick=args.quick)
        results = [finish(data, args)]
    else:
        results = [finish(measure(family, words, args.quick, args.rounds, backends), args)
                   for family in families]
    if write_chart(args.out / "benchmarks.png", [d for d in results if d["rows"]]):
        print(f"wrote {args.out / 'benchmarks.png'}")
    if args.write_docs:
        from .docs import write_docs
        for data in results:
            for path in write_docs(data):
                print(f"wrote {path}")
    return 0


def measure(family: str, words: list[str], quick: bool, rounds: int | None,
            backends: list[str] | None) -> dict[str, Any]:
    started = time.perf_counter()
    if family == "micro":
        rows, ran = micro.run(words, quick, rounds, backends or list(BACKENDS))
    elif family == "hooks":  # the instrument checks' cost: miniloop with and without them
        rows, ran = micro.run(words or list(HOOKS_WORKLOADS), quick, rounds,
                              backends or ["miniloop", UNHOOKED, "asyncio"])
    elif family == "pyperformance":
        from . import pyperformance_suite
        rows, ran = pyperformance_suite.run(words, quick, rounds, backends)
    else:
        from . import servers
        rows, ran = servers.run(words, quick, rounds, backends)
    return {"family": family, "backends": ran, "rows": rows,
            "meta": describe(quick, rounds, time.perf_counter() - started)}


def describe(quick: bool, rounds: int | None, seconds: float) -> dict[str, Any]:
    """Where and how the numbers were taken."""
    return {"python": platform.python_version(),
            "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
                       f"GC {'on' if gc.isenabled() else 'off'}",
            "scale": ("quick run: small sizes, 1 round" if quick
                      else f"{rounds} rounds" if rounds else "each row's own rounds"),
            "quick": quick, "seconds": round(seconds, 1),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "load": round(os.getloadavg()[0], 1) if hasattr(os, "getloadavg") else None}


def finish(data: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Print the table, save the JSON."""
    print(render_table(data))
    if args.markdown:
        print("\n" + render_markdown(data))
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{data['family']}.json"
    save(path, data)
    print(f"\nwrote {path}\n")
    return load(path)


if __name__ == "__main__":
    sys.exit(main())
