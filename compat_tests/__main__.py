"""Replay compat scenarios on asyncio and on miniloop and print the traces side by side.

    python -m compat_tests                 # a short tour
    python -m compat_tests cancel          # every scenario whose name contains "cancel"
    python -m compat_tests --all           # every scenario

Each scenario prints its docstring (if any), then the asyncio trace beside the miniloop
trace, line by line, with `=` where they agree and `!` where they do not.
"""

from __future__ import annotations

import asyncio
import importlib
import pathlib
import shutil
import sys
import textwrap
from typing import Any

import miniloop
from compat_tests.harness import run_story

TOUR = [
    "test_call_soon_runs_callbacks_in_fifo_order",
    "test_sleep_zero_interleaves_tasks_turn_by_turn",
    "test_cancel_is_delivered_at_the_await",
    "test_gather_returns_results_in_argument_order",
]


def scenarios() -> dict[str, Any]:
    found = {}
    for path in sorted(pathlib.Path(__file__).parent.glob("test_*.py")):
        module = importlib.import_module(f"compat_tests.{path.stem}")
        for name, obj in vars(module).items():
            if name.startswith("test_") and hasattr(obj, "story"):
                found[name] = obj
    return found


def show(name: str, test: Any, width: int) -> bool:
    left = _trace(test, asyncio)
    right = _trace(test, miniloop)
    column = max(20, (width - 6) // 2)
    print(f"\n== {name.removeprefix('test_').replace('_', ' ')}")
    if test.__doc__:
        print(textwrap.indent(textwrap.dedent(test.__doc__).strip(), "   "))
    print(f"   {'asyncio':<{column}} | miniloop")
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else ""
        b = right[i] if i < len(right) else ""
        mark = "=" if a == b else "!"
        print(f" {mark} {a[:column]:<{column}} | {b[:column]}")
    return left == right


def _trace(test: Any, aio: Any) -> list[str]:
    try:
        return run_story(test.story, aio, in_loop=test.in_loop)
    except BaseException as exc:  # a crash is part of what we show
        return [f"(crashed: {type(exc).__name__}: {exc})"]


def main(argv: list[str]) -> int:
    everything = scenarios()
    if "--all" in argv:
        names = list(everything)
    elif argv:
        names = [n for n in everything if any(word in n for word in argv)]
    else:
        names = [n for n in TOUR if n in everything]
    width = shutil.get_terminal_size((110, 20)).columns
    same = sum(show(name, everything[name], width) for name in names)
    print(f"\n{same} of {len(names)} scenarios produce the same trace on both loops "
          f"(Python {sys.version.split()[0]}; {len(everything)} scenarios in all).")
    return 0 if same == len(names) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
