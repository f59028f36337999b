"""Chapter 0's scoreboard: the core compat scenarios, told with each toy step as `aio`.

A scenario receives its backend as a module (harness.py): asyncio or miniloop, and here a
step of the toy loop, which has `run`, `sleep`, `get_running_loop`, ... up to where it got.
What a step lacks shows up as the error the story meets, or as a trace that differs from
asyncio's: the reason, a sentence in the table beside the scenario's name.

    python docs/chapter0/scoreboard.py      # the table, as chapter 0 shows it (zh: in Chinese)
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
    # () when passed, else the first thing that went differently: its kind (a key of WHY),
    # then the facts WHY's sentence is made of.
    why: tuple[Any, ...]


# The reasons, as sentences in each language the chapter is in.
WHY = {
    "en": {
        "missing": "no `{0}`",
        "raised": "raised `{0}` at {1}",
        "stuck": "still running after {0:g} s",
        "escaped": "`{0}` escaped `run()`",
        "line": "trace line {0} is `{1}`; asyncio's is `{2}`",
        "count": "the trace has {0} lines; asyncio's has {1}",
    },
    "zh": {
        "missing": "没有 `{0}`",
        "raised": "在 {1} 抛出 `{0}`",
        "stuck": "{0:g} 秒后仍在运行",
        "escaped": "`{0}` 逃出了 `run()`",
        "line": "追踪第 {0} 行是 `{1}`，asyncio 的是 `{2}`",
        "count": "追踪有 {0} 行，asyncio 的有 {1} 行",
    },
}
TABLE_WORDS = {  # the header, a cell that passes, the totals
    "en": ("scenario", "step {0}", "passes", "{0} scenarios", "{0} pass"),
    "zh": ("场景", "第 {0} 步", "通过", "{0} 个场景", "通过 {0} 个"),
}


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
    raise _Stuck()


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
            return Outcome(False, ("missing", exc.name))
        return Outcome(False, ("missing", f"{type(owner).__name__}.{exc.name}"))
    except _Stuck:
        return Outcome(False, ("stuck", PATIENCE))
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}".rstrip(": ")
        return Outcome(False, ("raised", error, _where(exc)))
    except BaseException as exc:  # a toy CancelledError that escaped run()
        return Outcome(False, ("escaped", type(exc).__name__))
    finally:
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        gc.collect()  # while the warnings are off
        caught.__exit__(None, None, None)
    for number, (want, got) in enumerate(zip(test.expected, log.lines, strict=False), 1):
        if want != got:
            return Outcome(False, ("line", number, got, want))
    if len(log.lines) != len(test.expected):
        return Outcome(False, ("count", len(log.lines), len(test.expected)))
    return Outcome(True, ())


def _where(exc: BaseException) -> str:
    """"test_x.py:12": the story's line the error came out of (else the last line it
    passed)."""
    frames = traceback.extract_tb(exc.__traceback__)
    story = [frame for frame in frames if os.path.basename(frame.filename).startswith("test_")]
    frame = (story or frames)[-1]
    return f"{os.path.basename(frame.filename)}:{frame.lineno}"


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


def describe(why: tuple[Any, ...], language: str = "en") -> str:
    """A reason as a sentence of the table, in `language` (a key of WHY)."""
    kind, *facts = why
    return WHY[language][kind].format(*facts)


def table(results: dict[str, list[Outcome]], language: str = "en") -> str:
    """The scoreboard as a markdown table: a scenario a line, a column a step from step 2
    on (step 1 has no `run`: it tells none of them, and chapter 0 says so)."""
    scenario, step, passes, scenarios, passed = TABLE_WORDS[language]
    shown = range(1, len(STEPS))
    lines = [f"| {scenario} | " + " | ".join(step.format(n + 1) for n in shown) + " |",
             "|---" * (len(shown) + 1) + "|"]
    for name, outcomes in results.items():
        cells = [passes if outcomes[n].passed else
                 describe(outcomes[n].why, language).replace("|", "\\|") for n in shown]
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    totals = [sum(outcomes[n].passed for outcomes in results.values()) for n in shown]
    lines.append(f"| **{scenarios.format(len(results))}** | " +
                 " | ".join(f"**{passed.format(total)}**" for total in totals) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(score(), *sys.argv[1:]))
