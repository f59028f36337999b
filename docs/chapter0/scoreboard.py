"""Chapter 0's scoreboard: the core compat scenarios, told with each toy step as `aio`.

A scenario receives its backend as a module (harness.py): asyncio or miniloop, and here a
step of the toy loop, which has `run`, `sleep`, `get_running_loop`, ... up to where it got.
What a step lacks shows up as the error the story meets, or as a trace that differs from
asyncio's: the reason printed beside the scenario's name.

    python docs/chapter0/scoreboard.py      # the table, as chapter 0 shows it
"""

from __future__ import annotations

import gc
import importlib
import os
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Iterator
from types import ModuleType
from typing import Any, NamedTuple

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

CORE = ("test_callbacks", "test_futures", "test_tasks", "test_cancellation")
STEPS = ("step1", "step2", "step3")
PATIENCE = 5.0  # seconds one story may take on a toy loop before it counts as stuck


class Outcome(NamedTuple):
    passed: bool
    why: str  # "" when passed: else the first thing that went differently


def steps() -> list[ModuleType]:
    if HERE not in sys.path:
        sys.path.insert(0, HERE)  # the steps import each other as step1, step2
    return [importlib.import_module(name) for name in STEPS]


def core_scenarios() -> Iterator[tuple[str, Any]]:
    """(file::name, test) for every scenario of the core files, in file order."""
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    for file in CORE:
        module = importlib.import_module(f"compat_tests.{file}")
        for name, test in list(vars(module).items()):
            if hasattr(test, "story"):
                yield f"{file}::{name}", test


class _Stuck(Exception):
    pass


def _on_alarm(signum: int, frame: Any) -> None:
    raise _Stuck(f"still running after {PATIENCE:g} s")


def tell(test: Any, step: ModuleType) -> Outcome:
    """Tell one scenario with `step` as its backend."""
    from compat_tests.harness import Log

    log = Log()
    alarm = threading.current_thread() is threading.main_thread()  # else no signals
    previous = signal.signal(signal.SIGALRM, _on_alarm) if alarm else None
    caught = warnings.catch_warnings()
    caught.__enter__()
    warnings.simplefilter("ignore")  # a story cut short leaves coroutines never awaited
    if alarm:
        signal.setitimer(signal.ITIMER_REAL, PATIENCE)
    try:
        if test.in_loop:
            story = test.story(step, log)
            try:
                step.run(story)
            finally:
                story.close()  # never awaited when the step has no run(): no warning
        else:
            test.story(step, log)
    except AttributeError as exc:
        owner = getattr(exc, "obj", None)
        if owner is step:
            return Outcome(False, f"no `{exc.name}`")
        return Outcome(False, f"no `{type(owner).__name__}.{exc.name}`")
    except (Exception, _Stuck) as exc:
        return Outcome(False, f"{type(exc).__name__}: {exc}".rstrip(": ") + _where(exc))
    except BaseException as exc:  # a toy CancelledError that escaped run()
        return Outcome(False, f"{type(exc).__name__} escaped")
    finally:
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        gc.collect()  # while the warnings are off
        caught.__exit__(None, None, None)
    for number, (want, got) in enumerate(zip(test.expected, log.lines, strict=False), 1):
        if want != got:
            return Outcome(False, f"line {number}: {got!r}, asyncio says {want!r}")
    if len(log.lines) != len(test.expected):
        return Outcome(False, f"{len(log.lines)} lines, asyncio says {len(test.expected)}")
    return Outcome(True, "")


def _where(exc: BaseException) -> str:
    """" (at test_x.py:12)": the story's line the error came out of."""
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__)
              if os.path.basename(frame.filename).startswith("test_")]
    if not frames:
        return ""
    return f" (at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno})"


def score() -> dict[str, list[Outcome]]:
    """file::name -> one outcome per step."""
    toys = steps()
    # Each story ends with gc.collect(); freezing what exists now (a test session's whole
    # heap, say) keeps those collections down to the stories' own garbage.
    gc.freeze()
    try:
        return {name: [tell(test, step) for step in toys] for name, test in core_scenarios()}
    finally:
        gc.unfreeze()


def table(results: dict[str, list[Outcome]]) -> str:
    """The scoreboard as a markdown table: a scenario a line, a column a step."""
    lines = ["| scenario | step 1 | step 2 | step 3 |", "|---|---|---|---|"]
    for name, outcomes in results.items():
        cells = ["passes" if o.passed else o.why.replace("|", "\\|") for o in outcomes]
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    totals = [sum(o.passed for o in column) for column in zip(*results.values(), strict=True)]
    lines.append(f"| **{len(results)} scenarios** | " +
                 " | ".join(f"**{n} pass**" for n in totals) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(score()))
