"""The compat harness: every scenario runs on asyncio and on miniloop, against one trace.

A scenario is a short story told twice. It is an `async def` that receives the backend
module (`aio`: either `asyncio` or `miniloop`) and a `log` to record what happens, in
order. The decorator above it writes out the trace that asyncio produces, by hand, so a
reader learns the behaviour from the test itself:

    @scenario(
        "first",
        "second",
    )
    async def test_call_soon_is_fifo(aio, log):
        loop = aio.get_running_loop()
        loop.call_soon(log, "first")
        loop.call_soon(log, "second")
        await aio.sleep(0)

pytest runs it once per backend (ids `asyncio` and `miniloop`) under that backend's
`run()`, and both runs must produce exactly the written trace. Where asyncio itself changed
between Python versions, `changed={(3, 12): [...]}` gives the trace from that version on.

`@sync_scenario` is the same for plain functions, for what happens outside a running loop.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Sequence
from typing import Any

import pytest

import miniloop

BACKENDS = pytest.mark.parametrize("aio", [asyncio, miniloop], ids=["asyncio", "miniloop"])


class Log:
    """The trace of a scenario: call it with a line to record that line.

    With `turns=True` (run_story's `with_turns`), it also writes down, in `turns`, the turn
    of the loop each line was recorded in: 0 before the loop first turns (or with no loop).
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.turns: list[int] = []
        self.turn = 0  # the turn the loop is in: counted by run_story when asked to

    def __call__(self, *parts: object) -> None:
        self.lines.append(" ".join(str(part) for part in parts))
        self.turns.append(self.turn)

    def error(self, prefix: str, exc: BaseException) -> None:
        """Record an exception as `prefix TypeName: message`."""
        self(f"{prefix} {type(exc).__name__}: {exc}")

    def state(self, name: str, fut: Any) -> None:
        """Record a future's or task's state as `name pending|done|cancelled`."""
        state = "cancelled" if fut.cancelled() else "done" if fut.done() else "pending"
        self(f"{name} {state}")

    def outcome(self, name: str, fut: Any) -> None:
        """Record how a done future ended: `name result R`, `name raised E: msg` or
        `name cancelled`."""
        if fut.cancelled():
            self(f"{name} cancelled")
        elif fut.exception() is not None:
            self.error(f"{name} raised", fut.exception())
        else:
            self(f"{name} result {fut.result()!r}")


def _expected_for_this_python(expected: Sequence[str],
                              changed: dict[tuple[int, int], Sequence[str]] | None) -> list[str]:
    trace = list(expected)
    for version in sorted(changed or {}):
        if sys.version_info >= version:
            trace = list(changed[version])  # type: ignore[index]
    return trace


def run_story(story: Callable[..., Any], aio: Any, *, in_loop: bool = True) -> list[str]:
    """Tell the story once with the backend `aio` and return its trace."""
    log = Log()
    if in_loop:
        aio.run(story(aio, log))
    else:
        story(aio, log)
    return log.lines


def run_story_with_turns(story: Callable[..., Any], aio: Any, *,
                         in_loop: bool = True) -> list[tuple[int, str]]:
    """Tell the story once and return its trace as (turn, line) pairs.

    Discussion: counting turns the same way on both backends. asyncio has no turn counter,
    but both loops' run_forever() call `self._run_once()` once per turn, and an attribute set
    on the loop instance shadows the method. So the story runs in a Runner (what run() does
    inside), and before the first turn the Runner's loop gets a `_run_once` that counts, then
    calls the real one. The story itself runs unchanged: the same turns, the same order.
    """
    log = Log()
    if not in_loop:
        story(aio, log)
        return list(zip(log.turns, log.lines, strict=True))
    with aio.Runner() as runner:
        loop = runner.get_loop()
        run_once = loop._run_once

        def counted_run_once() -> None:
            log.turn += 1
            run_once()

        loop._run_once = counted_run_once  # counts the Runner's closing turns too
        runner.run(story(aio, log))
    return list(zip(log.turns, log.lines, strict=True))


def scenario(*expected: str, changed: dict[tuple[int, int], Sequence[str]] | None = None,
             ) -> Callable[[Callable[..., Any]], Callable[..., None]]:
    """Turn `async def test_x(aio, log)` into a test run under each backend's run()."""
    def decorate(story: Callable[..., Any]) -> Callable[..., None]:
        return _make_test(story, expected, changed, in_loop=True)
    return decorate


def sync_scenario(*expected: str, changed: dict[tuple[int, int], Sequence[str]] | None = None,
                  ) -> Callable[[Callable[..., Any]], Callable[..., None]]:
    """Turn `def test_x(aio, log)` (no loop running) into a test run with each backend."""
    def decorate(story: Callable[..., Any]) -> Callable[..., None]:
        return _make_test(story, expected, changed, in_loop=False)
    return decorate


def _make_test(story: Callable[..., Any], expected: Sequence[str],
               changed: dict[tuple[int, int], Sequence[str]] | None, *,
               in_loop: bool) -> Callable[..., None]:
    @BACKENDS
    def test(aio: Any) -> None:
        assert run_story(story, aio, in_loop=in_loop) == _expected_for_this_python(
            expected, changed)

    test.__name__ = test.__qualname__ = story.__name__
    test.__doc__ = story.__doc__
    # Kept for `python -m compat_tests`, which replays stories side by side.
    test.story, test.in_loop = story, in_loop  # type: ignore[attr-defined]
    test.expected = _expected_for_this_python(expected, changed)  # type: ignore[attr-defined]
    return test
