"""The numbers quoted in docs/benchmarks.md and README.md are the tool's, not typed by hand.

Every marked block is rendered again from the results file it names (docs/results/), with
the same code `python -m benchmarks --write-docs` used, and must match the text exactly.
"""

from __future__ import annotations

import pytest

from .docs import DOCS, README, RESULTS, blocks, render_block


def test_docs_and_readme_quote_the_tool() -> None:
    assert blocks(DOCS.read_text()), "docs/benchmarks.md has no generated block"
    assert any(m["kind"] for m in blocks(README.read_text())), "README has no summary block"


@pytest.mark.parametrize("path", [DOCS, README], ids=["docs", "README"])
def test_every_block_is_rendered_from_its_results(path) -> None:
    for match in blocks(path.read_text()):
        assert (RESULTS / f"{match['key']}.json").exists(), match["key"]
        assert match["body"] == render_block(match["kind"] or "", match["key"]) + "\n", (
            f"{path.name}: block {match['key']} differs from what the tool renders; "
            f"regenerate it with python -m benchmarks --write-docs")


def test_the_verdict_says_within_noise_when_the_spread_straddles_the_target() -> None:
    from .report import judge
    assert judge([0.44, 0.48, 0.49], 0.5, "lower") == "met"
    assert judge([0.48, 0.51, 0.54], 0.5, "lower") == "within noise"
    assert judge([0.88, 0.90, 1.04], 0.8, "lower") == "missed by 12%"
    assert judge([1.02, 1.10], 1.0, "higher") == "met"
    assert judge([0.89, 0.90, 0.92], 1.0, "higher") == "missed by 10%"
