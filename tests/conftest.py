"""What more than one test file uses: the guided tour's site, built once per run."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """`mkdocs build --strict` into a temporary directory: it must pass with no warning.
    (Needs the docs extra, without which the tests that use the site skip, and mermaid.js
    from npm, without which the build fails: docs/hooks/tour.py.)"""
    pytest.importorskip("material", reason="the docs extra: pip install -e '.[docs]'")
    pytest.importorskip("mkdocs_static_i18n", reason="the docs extra: pip install -e '.[docs]'")
    out = tmp_path_factory.mktemp("site")
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})  # material's notice of its end of life
    assert built.returncode == 0, built.stderr[-4000:]
    warnings = [line for line in built.stderr.splitlines() if line.startswith("WARNING")]
    assert warnings == []
    return out
