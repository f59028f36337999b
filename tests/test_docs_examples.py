"""Every program the docs show (docs/**/programs/*.py, included in the pages by snippets)
runs on asyncio and on miniloop (through the drop-in), and prints on both exactly what the
page shows beside it (the .out file next to it)."""

from __future__ import annotations

import pathlib
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
