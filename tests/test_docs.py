"""The guided tour's site (mkdocs.yml, docs/): it builds with no warning, and every page of
the tour exists in both of its languages.

The build (tests/conftest.py's `site`) needs the docs extra (`pip install -e '.[docs]'`);
without it these tests skip, and .ci/run installs it and runs them again.
"""

from __future__ import annotations

import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def test_the_site_builds_strictly_with_every_page(site: pathlib.Path) -> None:
    for page in DOCS.rglob("*.md"):
        relative = page.relative_to(DOCS)
        if relative.parts[0] in ("hooks", "results"):
            continue
        if page.name.endswith(".zh.md"):
            html = site / "zh" / relative.with_name(page.name[:-len(".zh.md")] + ".html")
        else:
            html = site / relative.with_suffix(".html")
        assert html.exists(), relative


# The pages that exist in both languages: the tour, chapter 0, the pictures, the
# misconceptions, the glossary, the exercises and the home page (the reference pages are
# English only, shown as such in zh).
BILINGUAL = ["index*.md", "glossary*.md", "pictures*.md", "chapter0/*.md", "tour/*.md",
             "misconceptions/*.md", "exercises/*.md"]


def test_every_bilingual_page_exists_in_both_languages() -> None:
    english, chinese = set(), set()
    for pattern in BILINGUAL:
        for page in DOCS.glob(pattern):
            relative = page.relative_to(DOCS).as_posix()
            if relative.endswith(".zh.md"):
                chinese.add(relative[:-len(".zh.md")] + ".md")
            else:
                english.add(relative)
    assert len(english) >= 10
    assert english - chinese == set(), "no Chinese page for these"
    assert chinese - english == set(), "a Chinese page with no English one"
