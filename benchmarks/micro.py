"""The micro-workloads family (the default run): workloads.py on every backend, in rounds.

What you learn here: how the rounds are laid out so that noise shows up as noise. Round 1 of
a workload runs on every backend, then round 2 in a rotated order (who goes first changes
every round), and so on: a burst of load on a shared machine lands inside one round and hits
the backends of that round, and the per-round ratios (report.py) move together instead of
one backend looking slow.
"""

from __future__ import annotations

from typing import Any

from .progress import Progress
from .worker import Worker
from .workloads import WORKLOADS

__all__ = ("QUICK_DIVISOR", "plan", "run")

QUICK_DIVISOR = 10  # --quick: every size / 10, one round


def plan(words: list[str], quick: bool, rounds: int | None) -> list[tuple[str, str, int, int]]:
    """(workload, label, n, rounds) for each workload picked by `words`.

    The label is what was really run: a quick run of `spawn@100k` is labelled `spawn@10k`.
    """
    picked = []
    for name, workload in WORKLOADS.items():
        if words and not any(word in name for word in words):
            continue
        n = max(1, workload.n // QUICK_DIVISOR) if quick else workload.n
        label = name
        if workload.scaling_of and quick:
            label = f"{workload.scaling_of}@{_short(n)}"
        picked.append((name, label, n, rounds or (1 if quick else workload.rounds)))
    return picked


def _short(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def run(words: list[str], quick: bool, rounds: int | None,
        backends: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Measure; return (rows, the backends that ran)."""
    picked = plan(words, quick, rounds)
    workers = [Worker(backend) for backend in backends]
    try:
        live = [worker for worker in workers if not worker.unavailable]
        progress = Progress(sum(r for *_, r in picked) * len(live))
        rows = []
        for name, label, n, count in picked:
            workload = WORKLOADS[name]
            scale = 1e6 if workload.unit == "us" else 1.0
            outcomes: dict[str, dict[str, Any]] = {
                worker.backend: {"rounds": []} for worker in live}
            for worker in workers:
                if worker.unavailable:
                    outcomes[worker.backend] = {"unavailable": worker.unavailable}
            for round_number in range(count):
                shift = round_number % len(live)  # rotate who goes first, round by round
                for worker in live[shift:] + live[:shift]:
                    progress.step(f"{label}  round {round_number + 1}/{count}  {worker.backend}")
                    outcome = outcomes[worker.backend]
                    if "rounds" not in outcome:
                        continue  # skipped or failed in an earlier round: do not retry
                    answer = worker.run(name, n)
                    if "total" in answer:
                        outcome["rounds"].append(answer["total"] * scale / workload.ops(n))
                    else:
                        outcomes[worker.backend] = (
                            {"unavailable": answer["skipped"]} if "skipped" in answer else answer)
            rows.append({"name": label, "what": workload.what, "n": n, "unit": workload.unit,
                         "better": "lower", "target": workload.target,
                         "group": workload.group, "backends": outcomes})
        progress.close()
    finally:
        for worker in workers:
            worker.close()
    return rows, [worker.backend for worker in workers]
