"""Benchmarks: miniloop next to asyncio (C and pure Python), uvloop and rloop.

    python -m benchmarks                  # micro-workloads: the table, benchmarks/results/
    python -m benchmarks pyperformance    # pyperformance's asyncio benchmarks, drop-in
    python -m benchmarks servers          # real servers under load
    pytest benchmarks/                    # the micro-workloads under pytest-benchmark

Reading order: workloads.py (what is measured), worker.py (the backends, one process each),
micro.py (rounds that alternate backends), report.py (per-round ratios, spread, verdicts,
tables, chart), launch.py (a whole program on one backend), pyperformance_suite.py,
servers.py, callgrind.py (instruction counts), docs.py (the numbers the docs quote),
__main__.py (the command line). See docs/benchmarks.md.
"""
