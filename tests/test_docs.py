"""The guided tour's site (mkdocs.yml, docs/): it builds with no warning, every page of the
tour exists in both of its languages, and what a page quotes of its trace is in that trace.

The build (tests/conftest.py's `site`) needs the docs extra (`pip install -e '.[docs]'`);
without it these tests skip, and .ci/run installs it and runs them again.
"""

from __future__ import annotations

import html
import pathlib
import re

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


# A page quotes its trace in backquotes marked `{.trace}` (`b waits on Future #1`{.trace});
# in a quote, N stands for any number and ... for any text. The trace is the code block
# titled with the tracer's command (docs/hooks/tour.py's `trace`), as the site shows it.
TRACE_QUOTE = re.compile(r'<code class="trace">(.*?)</code>', re.S)
TRACE_BLOCK = re.compile(
    r'<span class="filename">python -m miniloop trace [^<]*</span>\s*<pre>(.*?)</pre>', re.S)


def _text(html_part: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", html_part))


def _quote_pattern(quote: str) -> re.Pattern[str]:
    parts = re.split(r"(\.\.\.|\bN\b)", quote)
    return re.compile("".join({"...": ".*", "N": r"\d+"}.get(part, re.escape(part))
                              for part in parts))


def _trace_quotes(page: pathlib.Path) -> list[str]:
    return [_text(quote) for quote in TRACE_QUOTE.findall(page.read_text(encoding="utf-8"))]


def test_every_trace_quote_is_in_the_pages_trace(site: pathlib.Path) -> None:
    quoted = 0
    for page in site.rglob("*.html"):
        built = page.read_text(encoding="utf-8")
        assert "{.trace}" not in built, f"{page}: a trace mark not attached to its quote"
        quotes = _trace_quotes(page)
        if not quotes:
            continue
        blocks = TRACE_BLOCK.findall(built)
        assert len(blocks) == 1, f"{page}: quotes a trace, but shows {len(blocks)} traces"
        lines = _text(blocks[0]).splitlines()
        for quote in quotes:
            pattern = _quote_pattern(quote)
            assert any(pattern.search(line) for line in lines), (
                f"{page.relative_to(site)}: `{quote}` is not in its trace")
            quoted += 1
    assert quoted >= 10  # both languages


def test_each_language_quotes_the_same_trace_lines(site: pathlib.Path) -> None:
    for english in (site / "tour").glob("*.html"):
        chinese = site / "zh" / "tour" / english.name
        assert _trace_quotes(english) == _trace_quotes(chinese), english.name
