"""Every program the docs show (docs/**/programs/*.py, included in the pages by snippets)
runs on asyncio and on miniloop (through the drop-in), and prints on both exactly what the
page shows beside it (the .out file next to it); no other Python is written in a page, and
every scenario a page shows is a compat scenario (run on both loops by the compat suite)."""

from __future__ import annotations

import importlib
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROGRAMS = sorted((ROOT / "docs").glob("**/programs/*.py"))
LOOPS = {"asyncio": [], "miniloop": ["-m", "miniloop"]}


@pytest.mark.parametrize("loop", LOOPS)
@pytest.mark.parametrize("program", PROGRAMS, ids=lambda path: path.stem)
def test_the_program_prints_what_the_page_shows(program: pathlib.Path, loop: str) -> None:
    ran = subprocess.run([sys.executable, *LOOPS[loop], str(program)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == program.with_suffix(".out").read_text()


def test_there_are_programs() -> None:
    assert len(PROGRAMS) >= 5


def _pages() -> list[pathlib.Path]:
    return [page for page in (ROOT / "docs").rglob("*.md")
            if page.relative_to(ROOT / "docs").parts[0] not in ("source", "hooks")]


def test_no_code_example_is_written_inline() -> None:
    """Every Python block of the docs includes a file that a test runs and checks: a program
    above (its .out beside it) or a step of chapter 0 (tests/test_docs_chapter0.py). Nothing
    a reader could copy is left unchecked."""
    blocks = 0
    for page in _pages():
        for body in re.findall(r"^```python[^\n]*\n(.*?)^```", page.read_text(), re.M | re.S):
            include = re.fullmatch(r'--8<-- "([\w/.]+\.py)"\n', body)
            assert include, f"{page.name}: a Python block written inline:\n{body}"
            program = ROOT / "docs" / include.group(1)
            assert program in PROGRAMS or program.parent.name == "chapter0", program
            assert program.with_suffix(".out").exists(), program
            blocks += 1
    assert blocks >= 10


def test_every_scenario_the_docs_show_is_a_scenario() -> None:
    """The misconceptions show scenarios (`<!-- tour: scenario FILE::NAME -->`): each is a
    compat scenario, so the compat suite runs it on both loops and checks its trace."""
    shown = set()
    for page in _pages():
        shown.update(re.findall(r"<!-- tour: scenario (\w+)\.py::(\w+) -->", page.read_text()))
    assert len(shown) >= 12
    for module, name in shown:
        test = getattr(importlib.import_module(f"compat_tests.{module}"), name)
        assert hasattr(test, "story"), f"{module}::{name} is not a @scenario"
