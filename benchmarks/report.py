"""Turning measurements into the table, the JSON file and the bar chart.

What you learn here: how a result is judged. Every cost is per operation (microseconds,
or bytes per task for `memory`), the best of the rounds, and every ratio is
`backend / asyncio` measured in the same run, so a loaded machine slows both sides of a
ratio alike. A workload's target is met when miniloop's ratio is at most the target; on
top of that, miniloop should beat asyncio-pure everywhere, and the scaling rows should stay
flat (the cost per operation at 100k within FLAT of the cost at 1k).
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

from .workloads import WORKLOADS

__all__ = ("render_markdown", "render_table", "summarize", "write_chart", "write_json")

REFERENCE = "asyncio"   # every ratio is to asyncio's default (C-accelerated) loop
SUBJECT = "miniloop"
PEER = "asyncio-pure"
FLAT = 1.5              # "flat scaling": per-op cost at 100k at most 1.5x the cost at 1k


def summarize(measured: dict[str, dict[str, Any]], sizes: dict[str, int]) -> dict[str, Any]:
    """Per workload: each backend's best cost per op, its ratio, and the verdict."""
    summary: dict[str, Any] = {}
    for name, by_backend in measured.items():
        workload = WORKLOADS[name]
        n = sizes[name]
        scale = 1e6 if workload.unit == "us" else 1.0
        backends: dict[str, Any] = {}
        for backend, outcome in by_backend.items():
            if "totals" in outcome:
                costs = [total * scale / workload.ops(n) for total in outcome["totals"]]
                backends[backend] = {"per_op": min(costs), "rounds": costs}
            else:
                backends[backend] = {key: outcome[key] for key in ("skipped", "error")
                                     if key in outcome}
        reference = backends.get(REFERENCE, {}).get("per_op")
        for result in backends.values():
            if "per_op" in result and reference:
                result["ratio"] = result["per_op"] / reference
        summary[name] = {"what": workload.what, "n": n, "ops": workload.ops(n),
                         "unit": workload.unit, "target": workload.target,
                         "backends": backends}
    for name, row in summary.items():
        row["verdict"] = _verdict(name, row, summary)
    return summary


def _verdict(name: str, row: dict[str, Any], summary: dict[str, Any]) -> str:
    mine = row["backends"].get(SUBJECT, {})
    if "per_op" not in mine:
        return "not measured"
    parts = []
    target, ratio = row["target"], mine.get("ratio")
    if target is not None and ratio is not None:
        relation = "<=" if ratio <= target else ">"
        parts.append(f"{'met' if ratio <= target else 'MISSED'} "
                     f"({ratio:.3f}x {relation} {target:.2f}x)")
    peer = row["backends"].get(PEER, {}).get("per_op")
    if peer:
        parts.append("beats pure" if mine["per_op"] < peer else "SLOWER than pure")
    base = WORKLOADS[name].scaling_of
    if base and name.endswith("@100k") and f"{base}@1k" in summary:
        growth = _growth(name, f"{base}@1k", SUBJECT, summary)
        if growth is not None:
            verdict = f"{'flat' if growth <= FLAT else 'NOT FLAT'} ({growth:.2f}x of @1k"
            reference = _growth(name, f"{base}@1k", REFERENCE, summary)
            if reference is not None:  # the garbage collector makes every loop's cost grow
                verdict += f"; asyncio {reference:.2f}x"
            parts.append(verdict + ")")
    return "; ".join(parts)


def _growth(big: str, small: str, backend: str, summary: dict[str, Any]) -> float | None:
    """How much `backend`'s cost per op grew from workload `small` to `big`."""
    costs = [summary[name]["backends"].get(backend, {}).get("per_op") for name in (big, small)]
    return costs[0] / costs[1] if costs[0] and costs[1] else None


def _cell(result: dict[str, Any], unit: str) -> str:
    if "per_op" not in result:
        return "skipped" if "skipped" in result else "error" if "error" in result else "-"
    cost = f"{result['per_op']:.0f} B" if unit == "B" else f"{result['per_op']:.2f} us"
    ratio = result.get("ratio")
    return cost if ratio is None else f"{cost} {ratio:.2f}x"


def render_table(summary: dict[str, Any], backends: list[str], header: str) -> str:
    """The table printed at the end of a run, plus the reasons for any skipped cell."""
    columns = ["workload", "n", *backends, "miniloop's verdict"]
    rows = [[name, f"{row['n']:,}", *(_cell(row["backends"].get(b, {}), row["unit"])
                                      for b in backends), row["verdict"]]
            for name, row in summary.items()]
    widths = [max(len(line[i]) for line in [columns, *rows]) for i in range(len(columns))]
    lines = [header, ""]
    lines.append("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
              for row in rows]
    notes = sorted({f"{b}: {r.get('skipped') or r.get('error')}"
                    for row in summary.values() for b, r in row["backends"].items()
                    if "per_op" not in r})
    if "echo" in summary and "per_op" in summary["echo"]["backends"].get(SUBJECT, {}):
        rates = {b: f"{1e6 / r['per_op'] / 1000:.1f}k" for b, r in
                 summary["echo"]["backends"].items() if "per_op" in r}
        notes.append("echo in messages/s: " + ", ".join(f"{b} {v}" for b, v in rates.items()))
    lines += ["", "Costs are per operation (us) or per task (B), the best of the rounds; "
              "Nx = ratio to asyncio (C) in this run, lower is better."]
    lines += [f"  {note}" for note in notes]
    return "\n".join(lines)


def render_markdown(summary: dict[str, Any], backends: list[str]) -> str:
    """The same table in Markdown, for docs/benchmarks.md."""
    lines = ["| workload | n | " + " | ".join(backends) + " | miniloop's verdict |",
             "|---" * (len(backends) + 3) + "|"]
    for name, row in summary.items():
        cells = [_cell(row["backends"].get(b, {}), row["unit"]) for b in backends]
        lines.append(f"| {name} | {row['n']:,} | " + " | ".join(cells) + f" | {row['verdict']} |")
    return "\n".join(lines)


def write_json(path: pathlib.Path, summary: dict[str, Any], meta: dict[str, Any]) -> None:
    path.write_text(json.dumps({**meta, "workloads": summary}, indent=2) + "\n")


def write_chart(path: pathlib.Path, summary: dict[str, Any], backends: list[str],
                title: str) -> bool:
    """A grouped bar chart of each backend's ratio to asyncio; False without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")  # no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    names = list(summary)
    width = 0.8 / len(backends)
    figure, axes = plt.subplots(figsize=(max(8, 1.1 * len(names)), 5))
    for i, backend in enumerate(backends):
        ratios = [summary[name]["backends"].get(backend, {}).get("ratio", 0.0)
                  for name in names]
        axes.bar([x + (i - (len(backends) - 1) / 2) * width for x in range(len(names))],
                 ratios, width, label=backend)
    for x, name in enumerate(names):
        target = summary[name]["target"]
        if target is not None:
            axes.hlines(target, x - 0.45, x + 0.45, colors="black", linestyles="dotted")
    axes.axhline(1.0, color="grey", linewidth=0.8)
    axes.set_xticks(range(len(names)), names, rotation=30, ha="right")
    axes.set_ylabel("cost / asyncio (C), lower is better  (dotted: miniloop's target)")
    axes.set_title(title, fontsize=9)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True
