"""The exercises (docs/exercises/exercises.toml) are honest: each one's mutation of miniloop,
applied to a copy of the package, makes exactly the scenarios it names fail, no more and
no fewer, among the compat files it names.

A mutation either deletes one line (`delete`: its text, which must occur exactly once in
the file; `pass` takes its place, in case it was alone in its block) or empties a function
(`blank`, a dotted name: its body, after the docstring, becomes the line the page shows,
docs/hooks/tour.py's STUB). The copy is a temporary directory holding miniloop/ and
compat_tests/; the named files run there on miniloop only, in a subprocess.
"""

from __future__ import annotations

import ast
import concurrent.futures
import importlib.util
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from typing import Any

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXERCISES = tomllib.loads((ROOT / "docs" / "exercises" / "exercises.toml").read_text())
PER_STORY_TIMEOUT = 20  # seconds: a mutation that makes a story hang fails that story

# The site's build hook, for the line that it tells the reader to write in place of a body.
_spec = importlib.util.spec_from_file_location("tour_hook", ROOT / "docs" / "hooks" / "tour.py")
assert _spec is not None and _spec.loader is not None
HOOK = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(HOOK)


def delete_line(code: str, text: str) -> str:
    lines = code.splitlines(keepends=True)
    found = [n for n, line in enumerate(lines) if line.strip() == text]
    assert len(found) == 1, f"{text!r} is on {len(found)} lines, not exactly one"
    line = lines[found[0]]
    # `pass` in its place: deleting the only line of a block must still leave Python.
    lines[found[0]] = line[:len(line) - len(line.lstrip())] + "pass\n"
    return "".join(lines)


def blank_function(code: str, name: str) -> str:
    scope: Any = ast.parse(code)
    for part in name.split("."):
        scope = next(node for node in ast.iter_child_nodes(scope)
                     if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                     and node.name == part)
    # The docstring stays: the exercise says to write the body back from it.
    assert ast.get_docstring(scope) is not None, f"{name} has no docstring"
    body = scope.body[1:]
    lines = code.splitlines(keepends=True)
    stub = " " * body[0].col_offset + HOOK.STUB.format(name=name) + "\n"
    return "".join(lines[:body[0].lineno - 1] + [stub] + lines[body[-1].end_lineno:])


def mutated_copy(exercise: dict[str, Any], where: pathlib.Path) -> None:
    for folder in ("miniloop", "compat_tests"):
        shutil.copytree(ROOT / folder, where / folder,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", where / "pyproject.toml")
    target = where / exercise["file"]
    code = target.read_text()
    if "delete" in exercise:
        code = delete_line(code, exercise["delete"])
    else:
        code = blank_function(code, exercise["blank"])
    target.write_text(code)


def failing_stories(where: pathlib.Path, files: list[str]) -> set[str]:
    ran = subprocess.run(
        # --tb=line: a failure's report is its one crash line. A longer one parses source
        # with ast, which on 3.11.7 can fail inside pytest (an internal error) after a story
        # the mutation sent into a RecursionError.
        [sys.executable, "-m", "pytest", "-q", "-rf", "--tb=line", "-p", "no:cacheprovider",
         f"--timeout={PER_STORY_TIMEOUT}", "-k", "miniloop", *files],
        cwd=where, capture_output=True, text=True, timeout=240)
    assert ran.returncode in (0, 1), ran.stdout[-3000:] + ran.stderr[-3000:]  # 1: some failed
    return {f"{match[0]}::{match[1]}" for match in
            re.findall(r"^FAILED compat_tests/(\S+?)::(\w+)\[miniloop\]", ran.stdout, re.M)}


@pytest.fixture(scope="module")
def caught(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           ) -> Iterator[dict[str, concurrent.futures.Future[set[str]]]]:
    """The stories each selected exercise's mutation fails, by exercise id: the mutated
    copies run side by side, one per core (independent processes; one after another, they
    were most of this file's time)."""
    selected = [item.callspec.params["exercise"] for item in request.session.items
                if item.module is request.module and hasattr(item, "callspec")]
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        runs = {}
        for exercise in selected:
            where = tmp_path_factory.mktemp(exercise["id"])
            mutated_copy(exercise, where)
            runs[exercise["id"]] = pool.submit(failing_stories, where, exercise["run"])
        yield runs


@pytest.mark.parametrize("exercise", EXERCISES["exercise"], ids=lambda e: e["id"])
def test_the_mutation_is_caught_by_exactly_the_stories_named(
        exercise: dict[str, Any],
        caught: dict[str, concurrent.futures.Future[set[str]]]) -> None:
    assert caught[exercise["id"]].result() == set(exercise["caught_by"])


def test_the_exercises_name_real_lines_and_stories() -> None:
    """Quick, always run: each mutation applies to today's source, and each story it names
    is a scenario of a file it runs."""
    assert len(EXERCISES["exercise"]) >= 4
    for exercise in EXERCISES["exercise"]:
        code = (ROOT / exercise["file"]).read_text()
        if "delete" in exercise:
            delete_line(code, exercise["delete"])
        else:
            assert "yourself" in blank_function(code, exercise["blank"])
        for story in exercise["caught_by"]:
            file, name = story.split("::")
            assert f"compat_tests/{file}" in exercise["run"], story
            assert f"def {name}(" in (ROOT / "compat_tests" / file).read_text(), story
