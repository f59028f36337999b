"""Benchmarks: miniloop next to asyncio (C and pure Python) and uvloop, workload by workload.

    python -m benchmarks          # the table, benchmarks/results/benchmarks.{json,png}
    pytest benchmarks/            # the same workloads under pytest-benchmark

Reading order: workloads.py (what is measured), worker.py (the backends, one process each),
__main__.py (the run), report.py (ratios, targets, table, chart). See docs/benchmarks.md.
"""
