"""Turning measurements into verdicts, tables and the chart.

What you learn here: how a result is judged when the machine is noisy. Every family
(micro-workloads, pyperformance, real servers) hands over *rows*: one per thing measured,
each with every backend's value round by round. Backends ran alternately, round 1 on each,
then round 2, ..., so round i of miniloop and round i of asyncio saw the same moment of the
machine, and their quotient is one honest sample of the ratio. A row's ratio is the median
of those per-round quotients, its spread their minimum and maximum. The verdict against the
target is then one of three:

    met            the whole spread is on the right side of the target
    missed by X%   the whole spread is on the wrong side; X from the median
    within noise   the spread straddles the target: this run cannot tell

A row in JSON (the files the tool writes, and what docs/benchmarks.md is rendered from):

    {"name": "switch", "what": "...", "n": 100, "unit": "us", "better": "lower",
     "target": 0.5, "group": "scheduling",
     "backends": {"miniloop": {"rounds": [0.46, ...]}, "uvloop": {"unavailable": "..."}}}

`better` is "lower" for costs (us, B, ms) and "higher" for rates (requests/s); a target is
on the ratio miniloop / asyncio: at most it for costs, at least it for rates.
"""

from __future__ import annotations

import json
import pathlib
import statistics
from typing import Any

__all__ = ("REFERENCE", "SUBJECT", "judge", "load", "ratios", "render_markdown",
           "render_table", "save", "write_chart")

REFERENCE = "asyncio"   # every ratio is to asyncio's default (C-accelerated) loop
SUBJECT = "miniloop"
PEER = "asyncio-pure"   # miniloop's apples-to-apples peer: pure Python too
UNHOOKED = "miniloop-unhooked"  # miniloop without its instrument checks (hooks family)


def ratios(row: dict[str, Any], backend: str, to: str = REFERENCE) -> list[float]:
    """The per-round quotients backend / `to` for one row (rounds paired in order)."""
    mine = row["backends"].get(backend, {}).get("rounds", [])
    theirs = row["backends"].get(to, {}).get("rounds", [])
    return [a / b for a, b in zip(mine, theirs, strict=False) if b]


def judge(samples: list[float], target: float, better: str) -> str:
    """met / missed by X% / within noise, for per-round ratios against a target."""
    low, high, middle = min(samples), max(samples), statistics.median(samples)
    if better == "lower":
        if high <= target:
            return "met"
        if low > target:
            return f"missed by {(middle / target - 1) * 100:.0f}%"
    else:
        if low >= target:
            return "met"
        if high < target:
            return f"missed by {(1 - middle / target) * 100:.0f}%"
    return "within noise"


def verdict(row: dict[str, Any]) -> str:
    """miniloop's verdict for a row: the target's, then how it stands to asyncio-pure."""
    mine = row["backends"].get(SUBJECT, {})
    if "rounds" not in mine:
        return mine.get("unavailable") and "unavailable" or "not measured"
    parts = []
    samples = ratios(row, SUBJECT)
    if row.get("target") is not None and samples:
        parts.append(judge(samples, row["target"], row["better"]))
    pure = ratios(row, SUBJECT, to=PEER)
    if pure:
        standing = judge(pure, 1.0, row["better"])
        parts.append("faster than pure" if standing == "met"
                     else "pure within noise" if standing == "within noise"
                     else f"slower than pure ({standing})")
    return "; ".join(parts)


def _value(number: float, unit: str) -> str:
    if unit == "B":
        return f"{number:.0f} B"
    if unit == "req/s" or unit == "msg/s":
        return f"{number / 1000:.1f}k/s" if number >= 1000 else f"{number:.0f}/s"
    if unit == "instr":
        return f"{number:,.0f} instr"
    if unit == "ms":
        return f"{number:.0f} ms" if number >= 100 else f"{number:.1f} ms"
    return f"{number:.2f} us"


def cell(row: dict[str, Any], backend: str) -> str:
    """One backend's median value, or why there is none."""
    result = row["backends"].get(backend, {})
    if "rounds" in result:
        text = _value(statistics.median(result["rounds"]), row["unit"])
        if "latency" in result:  # servers: p50 and p99 of each round, in ms
            p50 = statistics.median(r[0] for r in result["latency"])
            p99 = statistics.median(r[-1] for r in result["latency"])
            text += f" (p50 {p50:.2f}, p99 {p99:.2f} ms)"
        return text
    if "unavailable" in result:
        return "unavailable"
    return "error" if "error" in result else "-"


def ratio_cell(row: dict[str, Any], backend: str = SUBJECT, to: str = REFERENCE) -> str:
    """The median ratio to asyncio (or `to`) with its spread: `0.51x (0.48-0.55)`."""
    samples = ratios(row, backend, to)
    if not samples:
        return "-"
    if len(samples) == 1:
        return f"{samples[0]:.2f}x"
    return f"{statistics.median(samples):.2f}x ({min(samples):.2f}-{max(samples):.2f})"


def _target(row: dict[str, Any]) -> str:
    if row.get("target") is None:
        return ""
    return f"{'<=' if row['better'] == 'lower' else '>='} {row['target']:.2f}"


# The hooks family's promise: with no instrument installed, the checks for one cost at most
# 2% (miniloop against the same code with the checks compiled out, round by round).
HOOKS_BUDGET = 1.02


def _hooks_columns(data: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """miniloop with its instrument checks, and without (benchmarks/worker.py, UNHOOKED)."""
    columns = ["workload", "n", *data["backends"], "miniloop / unhooked"]
    quick = data["meta"].get("quick", False)
    if not quick:
        columns += ["budget", "verdict"]
    rows = []
    for row in data["rows"]:
        samples = ratios(row, SUBJECT, to=UNHOOKED)
        line = [row["name"], f"{row['n']:,}", *(cell(row, b) for b in data["backends"]),
                ratio_cell(row, to=UNHOOKED)]
        if not quick:
            line += [f"<= {HOOKS_BUDGET:.2f}",
                     judge(samples, HOOKS_BUDGET, "lower") if samples else "not measured"]
        rows.append(line)
    return columns, rows


def _columns(data: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    if data["family"] == "hooks":
        return _hooks_columns(data)
    backends = data["backends"]
    quick = data["meta"].get("quick", False)
    columns = ["workload", "n", *backends, "miniloop / asyncio"]
    if not quick:  # a quick run is a smoke test: too small to judge anything
        columns += ["target", "verdict"]
    rows = []
    for row in data["rows"]:
        line = [row["name"], f"{row['n']:,}", *(cell(row, b) for b in backends), ratio_cell(row)]
        if not quick:
            line += [_target(row), verdict(row)]
        rows.append(line)
    return columns, rows


def notes(data: dict[str, Any]) -> list[str]:
    """Reasons for the cells without a value, and the scaling rows' growth."""
    lines = sorted({f"{backend}: {result.get('unavailable') or result.get('error')}"
                    for row in data["rows"] for backend, result in row["backends"].items()
                    if "rounds" not in result})
    by_name = {row["name"]: row for row in data["rows"]}
    for base in ("spawn", "timers"):
        small, big = by_name.get(f"{base}@1k"), by_name.get(f"{base}@100k")
        if small and big:
            growth = [f"{b} {_median(big, b) / _median(small, b):.2f}x"
                      for b in (SUBJECT, REFERENCE) if _median(small, b) and _median(big, b)]
            lines.append(f"{base}, cost per op from 1k to 100k: " + ", ".join(growth))
    return lines


def _median(row: dict[str, Any], backend: str) -> float:
    rounds = row["backends"].get(backend, {}).get("rounds")
    return statistics.median(rounds) if rounds else 0.0


def header(data: dict[str, Any]) -> str:
    meta = data["meta"]
    load = f", load average {meta['load']} at the end" if meta.get("load") is not None else ""
    return (f"{data['family']}: Python {meta['python']}, {meta['machine']}, "
            f"{meta['scale']}, took {meta['seconds']:.0f} s ({meta['date']}{load})")


def render_table(data: dict[str, Any]) -> str:
    """The plain-text table printed at the end of a run."""
    columns, rows = _columns(data)
    widths = [max(len(line[i]) for line in [columns, *rows]) for i in range(len(columns))]
    lines = [header(data), ""]
    lines.append("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
              for row in rows]
    lines += ["", LEGEND] + [f"  {note}" for note in notes(data)]
    return "\n".join(lines)


LEGEND = ("Each cell: the median over the rounds. miniloop / asyncio: the median of the "
          "per-round ratios (min-max).")


def render_markdown(data: dict[str, Any]) -> str:
    """The same table in Markdown: what `--write-docs` puts in docs/benchmarks.md."""
    columns, rows = _columns(data)
    lines = [f"`{header(data)}`", "",
             "| " + " | ".join(columns) + " |", "|---" * len(columns) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines += ["", LEGEND] + [f"- {note}" for note in notes(data)]
    return "\n".join(lines)


def render_summary(data: dict[str, Any]) -> str:
    """The short form for the README: miniloop's ratio and verdict per row."""
    lines = [f"`{header(data)}`", "", "| workload | miniloop / asyncio | target | verdict |",
             "|---|---|---|---|"]
    lines += [f"| {row['name']} | {ratio_cell(row)} | {_target(row)} | {verdict(row)} |"
              for row in data["rows"] if row.get("target") is not None]
    return "\n".join(lines)


def save(path: pathlib.Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=1) + "\n")


def load(path: pathlib.Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


# == The chart ================================================================================

PANELS = ("scheduling", "synchronisation", "I/O", "pyperformance", "real servers")
CEILING = 3.0  # the chart's ratios stop here: beyond, a bar is cut and labelled


def write_chart(path: pathlib.Path, results: list[dict[str, Any]]) -> bool:
    """One panel per family of workloads: each backend's ratio to asyncio, value on each bar,
    miniloop's target as a dashed line. False when matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")  # no display needed
        import matplotlib.pyplot as plt
        from matplotlib.lines import Line2D
    except ImportError:
        return False
    panels: dict[str, list[dict[str, Any]]] = {}
    backends: list[str] = []
    for data in results:
        if data["family"] == "hooks":  # miniloop against itself: its own table says it all
            continue
        backends += [b for b in data["backends"] if b not in backends]
        for row in data["rows"]:
            if any(ratios(row, b) for b in data["backends"]):
                panels.setdefault(row["group"], []).append(row)
    groups = [group for group in PANELS if group in panels]
    if not groups:
        return False
    colours = dict(zip(backends, plt.rcParams["axes.prop_cycle"].by_key()["color"],
                       strict=False))
    figure, axes_list = plt.subplots(len(groups), 1, squeeze=False,
                                     figsize=(12, 3.6 * len(groups)))
    width = 0.8 / len(backends)
    for axes, group in zip(axes_list[:, 0], groups, strict=True):
        rows = panels[group]
        for i, backend in enumerate(backends):
            xs = [x + (i - (len(backends) - 1) / 2) * width for x in range(len(rows))]
            values = [statistics.median(ratios(row, backend)) if ratios(row, backend) else 0.0
                      for row in rows]
            # A bar beyond CEILING (uvicorn on uvloop is 300x asyncio's) is cut at it; its
            # label still gives the true value.
            bars = axes.bar(xs, [min(v, CEILING) for v in values], width, label=backend,
                            color=colours[backend])
            axes.bar_label(bars, [f"{v:.2f}" if v else "" for v in values], fontsize=6,
                           padding=1, rotation=90)
        for x, row in enumerate(rows):
            if row.get("target") is not None:
                axes.hlines(row["target"], x - 0.45, x + 0.45, colors="black",
                            linestyles="dashed", linewidth=1.2)
        axes.axhline(1.0, color="grey", linewidth=0.6)
        axes.set_xticks(range(len(rows)), [_label(row) for row in rows], fontsize=8,
                       rotation=20, ha="right")
        top = max([1.0, *(row.get("target") or 0 for row in rows),
                   *(max(ratios(row, b) or [0]) for row in rows for b in backends)])
        axes.set_ylim(0, min(top, CEILING) * 1.3)
        axes.set_title(group, fontsize=10, loc="left")
        axes.set_xlabel("workload")
        better = {row["better"] for row in rows}
        axes.set_ylabel("ratio to asyncio (C)\n" + (
            "higher is better" if better == {"higher"} else "lower is better"), fontsize=8)
        handles, _ = axes.get_legend_handles_labels()
        target = Line2D([], [], color="black", linestyle="dashed",
                        label="miniloop's target")
        axes.legend(handles=[*handles, target], fontsize=7, ncols=len(backends) + 1,
                    loc="upper left")
    figure.suptitle("\n".join(header(data) for data in results), fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True


def _label(row: dict[str, Any]) -> str:
    name: str = row["name"]
    return name.replace("async_tree_", "tree_")
