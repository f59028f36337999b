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
