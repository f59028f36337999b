"""The pictures (docs/pictures.md and its Chinese twin, mermaid) really draw: each built
page, opened in headless Chromium, turns every diagram into an SVG, and none into mermaid's
error drawing.

mkdocs-material draws each diagram inside a closed shadow root, out of the DOM's reach; so
the test's copy of the page gets a script, first in <head>, that keeps every shadow root
made, and after the drawing writes what they hold into an attribute of <body>, which
Chromium's --dump-dom prints. Needs the site (tests/conftest.py: the docs extra, and
mermaid.js from npm, without which the strict build fails) and Chromium (.ci/run installs
all three); without Chromium the test skips and says so.
"""

from __future__ import annotations

import pathlib
import re
import shutil

import pytest

from tests.test_trace_cli import run_chromium

WATCH_SHADOWS = """<script>
window.shadows = [];
const attach = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) {
  const root = attach.call(this, init);
  window.shadows.push(root);
  return root;
};
setTimeout(() => {
  const drawn = window.shadows.filter(root => root.querySelector("svg")).length;
  const errors = window.shadows.filter(root => /Syntax error|Parse error/.test(root.innerHTML));
  document.body.setAttribute("data-diagrams", document.querySelectorAll(".mermaid").length);
  document.body.setAttribute("data-drawn", drawn);
  document.body.setAttribute("data-errors", errors.length);
}, 4000);
</script>"""


@pytest.mark.parametrize("page", ["pictures.html", "zh/pictures.html"])
def test_every_picture_draws_in_a_browser(site: pathlib.Path, page: str,
                                          tmp_path: pathlib.Path) -> None:
    if shutil.which("chromium") is None:
        pytest.skip("no Chromium: install Debian's `chromium` package (.ci/run does)")
    # A watched copy beside the page, so that its links to the site's assets still hold.
    original = site / page
    watched = original.with_name(f"watched-{tmp_path.name}.html")
    watched.write_text(original.read_text().replace("<head>", "<head>" + WATCH_SHADOWS, 1))
    result = run_chromium(tmp_path, "--virtual-time-budget=10000", "--dump-dom",
                          "--allow-file-access-from-files", watched.as_uri())
    body = re.search(r"<body[^>]*>", result.stdout)
    assert body is not None, result.stderr[-2000:]
    attributes = dict(re.findall(r'data-(diagrams|drawn|errors)="(\d+)"', body.group(0)))
    assert attributes == {"diagrams": "5", "drawn": "5", "errors": "0"}, result.stderr[-2000:]
