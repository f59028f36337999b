"""`--write-docs`: the numbers in docs/benchmarks.md and the README, written by the tool.

What you learn here: how quoted numbers are kept honest. A run's results are saved as
docs/results/FAMILY-PYTHON.json, and every marked block

    <!-- benchmarks: micro-3.11 -->
    ...rendered from docs/results/micro-3.11.json...
    <!-- /benchmarks: micro-3.11 -->

in docs/benchmarks.md (the full table) and README.md (`summary` blocks: miniloop's ratios and
verdicts only) is rewritten from that file, and docs/benchmarks-PYTHON.png is redrawn from
all of that Python's timed results. Nothing between the markers is typed by hand:
benchmarks/test_docs.py renders every block again from its JSON and fails if the text
differs, so an edit by hand, or a block left behind by a format change, is caught.
"""

from __future__ import annotations

import pathlib
import re
from typing import Any

from .report import load, render_markdown, render_summary, save, write_chart

__all__ = ("BLOCK", "DOCS", "README", "RESULTS", "blocks", "render_block", "write_docs")

REPO = pathlib.Path(__file__).resolve().parent.parent
DOCS = REPO / "docs" / "benchmarks.md"
README = REPO / "README.md"
RESULTS = REPO / "docs" / "results"

# <!-- benchmarks: KEY --> or <!-- benchmarks summary: KEY -->, up to the closing marker.
BLOCK = re.compile(r"<!-- benchmarks(?P<kind> summary)?: (?P<key>[\w.-]+) -->\n"
                   r"(?P<body>.*?)"
                   r"<!-- /benchmarks(?P=kind)?: (?P=key) -->", re.DOTALL)


def key(data: dict[str, Any]) -> str:
    """micro-3.11, pyperformance-3.12, ...: one results file per family and Python."""
    return f"{data['family']}-{'.'.join(data['meta']['python'].split('.')[:2])}"


def render_block(kind: str, results_key: str) -> str:
    data = load(RESULTS / f"{results_key}.json")
    return render_summary(data) if kind else render_markdown(data)


def blocks(text: str) -> list[re.Match[str]]:
    return list(BLOCK.finditer(text))


def write_docs(data: dict[str, Any]) -> list[pathlib.Path]:
    """Save `data` and rewrite every block that quotes it; a block for a family and Python
    that the docs do not have yet is added at the end of docs/benchmarks.md."""
    RESULTS.mkdir(exist_ok=True)
    results_key = key(data)
    save(RESULTS / f"{results_key}.json", data)
    written = [RESULTS / f"{results_key}.json"]
    for path in (DOCS, README):
        text = path.read_text()
        if path is DOCS and results_key not in {m["key"] for m in blocks(text) if not m["kind"]}:
            text += (f"\n### {data['family']}, Python {data['meta']['python']}\n\n"
                     f"<!-- benchmarks: {results_key} -->\n<!-- /benchmarks: {results_key} -->\n")

        def fill(match: re.Match[str]) -> str:
            if match["key"] != results_key:
                return match[0]
            kind = match["kind"] or ""
            return (f"<!-- benchmarks{kind}: {results_key} -->\n"
                    f"{render_block(kind, results_key)}\n"
                    f"<!-- /benchmarks{kind}: {results_key} -->")

        new = BLOCK.sub(fill, text)
        if new != path.read_text():
            path.write_text(new)
            written.append(path)
    everything = [load(path) for path in sorted(RESULTS.glob("*.json"))]
    main_python = data["meta"]["python"].rsplit(".", 1)[0]
    timed = [d for d in everything if d["family"] != "callgrind"]
    chart = REPO / "docs" / f"benchmarks-{main_python}.png"  # one chart per Python
    if write_chart(chart, [d for d in timed if key(d).endswith(main_python)]):
        written.append(chart)
    return written
