"""Every workload on every backend under pytest-benchmark: one group per workload.

    pytest benchmarks/                         # time them (a few minutes)
    pytest benchmarks/ --benchmark-disable     # run each once, no timing (the CI smoke test)

pytest-benchmark times a whole request to the backend's worker process (a fresh loop, the
workload, closing the loop; the same fixed overhead for every backend). The per-operation
cost the workload measured itself is kept in each result's `extra_info`, and is what
`python -m benchmarks` reports.
"""

from __future__ import annotations

import pytest

from .worker import BACKENDS, Worker
from .workloads import WORKLOADS


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(WORKLOADS))
def test_workload(benchmark, workers: dict[str, Worker], name: str, backend: str) -> None:
    worker = workers[backend]
    if worker.unavailable:
        pytest.skip(worker.unavailable)
    workload = WORKLOADS[name]
    benchmark.group = name
    answers = []

    def run_once() -> None:
        answer = worker.run(name, workload.n)
        if "skipped" in answer:
            pytest.skip(answer["skipped"])
        assert "error" not in answer, answer["error"]
        answers.append(answer["total"])

    benchmark.pedantic(run_once, rounds=workload.rounds, iterations=1)
    scale = 1e6 if workload.unit == "us" else 1.0
    benchmark.extra_info["per_op"] = min(answers) * scale / workload.ops(workload.n)
    benchmark.extra_info["unit"] = workload.unit
    benchmark.extra_info["n"] = workload.n
