"""The map to CPython (docs/cpython-map.md) cannot go stale: every row names a `def` or
`class` that exists in miniloop's source and one that exists in this Python's Lib/asyncio
(both read with ast, so nothing is imported or run)."""

from __future__ import annotations

import ast
import asyncio
import functools
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
ASYNCIO = pathlib.Path(asyncio.__file__).parent
ROW = re.compile(r"^\| `miniloop/(\w+\.py)` `([\w.]+)` \| `asyncio/(\w+\.py)` `([\w.]+)` \|",
                 re.MULTILINE)
ROWS = ROW.findall((ROOT / "docs" / "cpython-map.md").read_text())


@functools.cache
def tree(path: pathlib.Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def defines(path: pathlib.Path, dotted: str) -> bool:
    """`dotted` (Class.method, or a top-level name) is a def or class in the file."""
    scope: ast.AST = tree(path)
    for part in dotted.split("."):
        found = [node for node in ast.iter_child_nodes(scope)
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                 and node.name == part]
        if not found:
            return False
        scope = found[0]
    return True


def test_the_map_has_rows() -> None:
    assert len(ROWS) >= 60
    # Each table row is in the strict form the pattern reads, none is skipped by a typo.
    table_rows = [line for line in (ROOT / "docs" / "cpython-map.md").read_text().splitlines()
                  if line.startswith("| `")]
    assert len(table_rows) == len(ROWS)


@pytest.mark.parametrize(("module", "name", "asyncio_file", "asyncio_name"), ROWS,
                         ids=[f"{row[0]}:{row[1]}" for row in ROWS])
def test_both_names_exist(module: str, name: str, asyncio_file: str, asyncio_name: str) -> None:
    assert defines(ROOT / "miniloop" / module, name), f"miniloop/{module} has no {name}"
    assert defines(ASYNCIO / asyncio_file, asyncio_name), (
        f"{ASYNCIO / asyncio_file} has no {asyncio_name}")
