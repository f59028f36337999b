"""The tour's build hook: what the pages show that must not go stale is made here.

mkdocs calls these functions while it builds the site (`hooks:` in mkdocs.yml). A page asks
for generated text with a marker line, `<!-- tour: NAME ARGS -->`, replaced by what NAME
makes of ARGS:

    scoreboard             chapter 0's table: the core scenarios told with each toy step
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Callable
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# Where mermaid.js is looked for: $MINILOOP_MERMAID_JS, else npm's folder at the top of the
# repository (`npm install --prefix .docs-js mermaid@11`, as .ci/run does).
MERMAID_JS = os.environ.get("MINILOOP_MERMAID_JS") or os.path.join(
    ROOT, ".docs-js", "node_modules", "mermaid", "dist", "mermaid.min.js")

MARKER = re.compile(r"^<!-- tour: (\w+)(?: (.*?))? -->$", re.MULTILINE)


def scoreboard(args: str) -> str:
    sys.path.insert(0, os.path.join(ROOT, "docs", "chapter0"))
    import scoreboard as board
    return board.table(board.score())


MAKERS: dict[str, Callable[[str], str]] = {"scoreboard": scoreboard}
_made: dict[tuple[str, str], str] = {}  # one build makes each thing once, for both languages


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    def replace(match: re.Match[str]) -> str:
        key = (match.group(1), match.group(2) or "")
        if key not in _made:
            _made[key] = MAKERS[key[0]](key[1])
        return _made[key]

    return MARKER.sub(replace, markdown)


def on_startup(**kwargs: Any) -> None:
    _made.clear()


def on_post_build(config: Any, **kwargs: Any) -> None:
    """Copy mermaid.js into the site, so the pictures draw offline."""
    _made.clear()
    if os.path.exists(MERMAID_JS):
        target = os.path.join(config["site_dir"], "assets", "mermaid.min.js")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(MERMAID_JS, target)
