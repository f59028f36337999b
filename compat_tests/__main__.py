"""Replay compat scenarios on asyncio and on miniloop and show them side by side.

    python -m compat_tests                 # a short tour
    python -m compat_tests cancel          # every scenario whose name contains "cancel"
    python -m compat_tests --all           # every scenario
    python -m compat_tests --list          # the names only

Each scenario prints its docstring (if any), then its source (the story, with the trace
asyncio gives written above it) beside the two traces it produced, on asyncio and on
miniloop, each line with the turn of the loop it was recorded in (harness.py,
`run_story_with_turns`). The mark between them is `=` where both loops agree, `~` where the
line is the same but recorded in another turn, `!` where the lines differ. Long lines wrap
to the terminal's width; nothing is cut.

What the loops write to stderr while a story runs ("Task exception was never retrieved",
when that is the story) is not shown: the trace records what matters. `--stderr` shows it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import inspect
import io
import itertools
import os
import pathlib
import shutil
import sys
import textwrap
from typing import Any

import miniloop
from compat_tests.harness import run_story_with_turns

TOUR = [
    "test_call_soon_runs_callbacks_in_fifo_order",
    "test_sleep_zero_interleaves_tasks_turn_by_turn",
    "test_cancel_is_delivered_at_the_await",
    "test_gather_returns_results_in_argument_order",
]

USAGE = """\
usage: python -m compat_tests [--all | --list] [--stderr] [WORD ...]

Replay compat scenarios on asyncio and on miniloop: each story's source beside its two
traces, with the turn of the loop each line was recorded in.

  WORD       the scenarios whose name contains WORD (any of the words given)
  --all      every scenario
  --list     print the names of the scenarios that would be shown, and stop
  --stderr   also show what the loops wrote to stderr while a story ran
  -h, --help show this help
With no WORD and no --all: a short tour."""

Trace = list[tuple[int, str]]


def scenarios() -> dict[str, Any]:
    found = {}
    for path in sorted(pathlib.Path(__file__).parent.glob("test_*.py")):
        module = importlib.import_module(f"compat_tests.{path.stem}")
        for name, obj in vars(module).items():
            if name.startswith("test_") and hasattr(obj, "story"):
                found[name] = obj
    return found


def _trace(test: Any, aio: Any, show_stderr: bool) -> tuple[Trace, str]:
    """Run the story on `aio`: its (turn, line) trace, and what it wrote to stderr."""
    caught = io.StringIO()
    with contextlib.redirect_stderr(sys.stderr if show_stderr else caught):
        try:
            trace = run_story_with_turns(test.story, aio, in_loop=test.in_loop)
        except BaseException as exc:  # a crash is part of what we show
            trace = [(0, f"(crashed: {type(exc).__name__}: {exc})")]
        # A task dropped in a reference cycle reports "exception was never retrieved" when
        # the collector frees it: collect now, while its report is still the story's.
        gc.collect()
    return trace, caught.getvalue()


def _wrap(text: str, width: int) -> list[str]:
    """`text` cut into lines of at most `width` characters, indentation kept, nothing lost."""
    if len(text) <= width:
        return [text]
    indent = len(text) - len(text.lstrip())
    return textwrap.wrap(text, width, subsequent_indent=" " * min(indent + 4, width // 2),
                         drop_whitespace=False, replace_whitespace=False,
                         break_on_hyphens=False) or [""]


def _rows(columns: list[tuple[list[str], int]]) -> list[str]:
    """Lay out cells side by side: each column is (cells, width); a row is as tall as its
    most wrapped cell. Columns are joined with " | "."""
    out = []
    for cells in itertools.zip_longest(*(cells for cells, _ in columns), fillvalue=""):
        wrapped = [_wrap(cell, width) for cell, (_, width) in zip(cells, columns, strict=True)]
        for parts in itertools.zip_longest(*wrapped, fillvalue=""):
            out.append(" | ".join(part.ljust(width)
                                  for part, (_, width) in zip(parts, columns, strict=True))
                       .rstrip())
    return out


def show(name: str, test: Any, width: int, show_stderr: bool) -> bool:
    left, _ = _trace(test, asyncio, show_stderr)
    right, noise = _trace(test, miniloop, show_stderr)
    where = os.path.relpath(inspect.getsourcefile(test.story) or "?")
    line = inspect.getsourcelines(test.story)[1]
    title = f"== {name.removeprefix('test_').replace('_', ' ')}  ({where}:{line})"
    print("\n" + "\n".join(_wrap(title, width)))
    if test.__doc__:
        for text in textwrap.dedent(test.__doc__).strip().splitlines():
            print("\n".join("   " + part for part in _wrap(text, max(20, width - 3))))
    source = textwrap.dedent(inspect.getsource(test.story)).rstrip().splitlines()
    trace = ["turn asyncio"], [" "], ["turn miniloop"]
    for (turn_a, a), (turn_b, b) in itertools.zip_longest(left, right, fillvalue=(0, "")):
        trace[0].append(f"{turn_a:>4} {a}")
        trace[1].append("=" if (turn_a, a) == (turn_b, b) else "~" if a == b else "!")
        trace[2].append(f"{turn_b:>4} {b}")
    source_width = min(max(len(text) for text in source), width // 2 - 2)
    beside = width >= 100
    trace_width = max(16, ((width - source_width - 3 if beside else width) - 10) // 2)
    trace_columns = [(trace[0], trace_width), (trace[1], 1),
                     (trace[2], trace_width)]
    if beside:
        body = _rows([(["source"] + source, source_width), *trace_columns])
    else:  # too narrow for three columns: the source first, then the two traces
        body = _rows([(source, width - 3)]) + [""] + _rows(trace_columns)
    print("\n".join("   " + text for text in body))
    if noise and not show_stderr:
        count = len(noise.splitlines())
        print("\n".join(textwrap.wrap(
            f"({count} line(s) the loop wrote to stderr, as the story expects, not shown: "
            f"--stderr shows them)", width, initial_indent="   ", subsequent_indent="   ")))
    return [a for _, a in left] == [b for _, b in right]


def main(argv: list[str]) -> int:
    options = {arg for arg in argv if arg.startswith("-")}
    words = [arg for arg in argv if not arg.startswith("-")]
    if options & {"-h", "--help"}:
        print(USAGE)
        return 0
    unknown = options - {"--all", "--list", "--stderr"}
    if unknown:
        print(f"{USAGE}\n\nerror: unknown option {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    everything = scenarios()
    if "--all" in options:
        names = [n for n in everything if not words or any(word in n for word in words)]
    elif words:
        names = [n for n in everything if any(word in n for word in words)]
    else:
        names = [n for n in TOUR if n in everything]
    if not names:
        print(f"error: no scenario name contains {' or '.join(map(repr, words))} "
              f"({len(everything)} scenarios; `--list` prints their names)", file=sys.stderr)
        return 2
    if "--list" in options:
        print("\n".join(names))
        return 0
    width = shutil.get_terminal_size((120, 20)).columns
    same = sum(show(name, everything[name], width, "--stderr" in options) for name in names)
    summary = (f"{same} of {len(names)} scenarios produce the same trace on both loops "
               f"(Python {sys.version.split()[0]}; {len(everything)} scenarios in all).")
    print("\n" + "\n".join(textwrap.wrap(summary, width)))
    return 0 if same == len(names) else 1


if __name__ == "__main__":
    try:
        status = main(sys.argv[1:])
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly. Point stdout at /dev/null so that
        # the interpreter's own flush at exit does not complain a second time.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = 0
    sys.exit(status)
