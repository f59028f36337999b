"""The tour's build hook: what the pages show that must not go stale is made here.

mkdocs calls these functions while it builds the site (`hooks:` in mkdocs.yml).
"""

from __future__ import annotations

import os
import shutil
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Where mermaid.js is looked for: $MINILOOP_MERMAID_JS, else npm's folder at the top of the
# repository (`npm install --prefix .docs-js mermaid@11`, as .ci/run does).
MERMAID_JS = os.environ.get("MINILOOP_MERMAID_JS") or os.path.join(
    ROOT, ".docs-js", "node_modules", "mermaid", "dist", "mermaid.min.js")


def on_post_build(config: Any, **kwargs: Any) -> None:
    """Copy mermaid.js into the site, so the pictures draw offline."""
    if os.path.exists(MERMAID_JS):
        target = os.path.join(config["site_dir"], "assets", "mermaid.min.js")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(MERMAID_JS, target)
