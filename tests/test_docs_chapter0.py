"""Chapter 0's toy loop (docs/chapter0/step1.py .. step3.py): each step runs and prints what
the chapter shows, and passes exactly the core compat scenarios the chapter says it passes.

The scoreboard (docs/chapter0/scoreboard.py) tells each core scenario with a step as its
backend; the chapter's table is generated from it when the site is built. The lists below
are the same facts written by hand, so that a change to a step (or to a scenario) that moves
a story from one column to the other is seen, and the chapter's prose checked against it.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "docs" / "chapter0"
sys.path.insert(0, str(CHAPTER))

import scoreboard  # noqa: E402

CALLBACKS_AND_TASKS = {
    "test_callbacks::test_call_soon_runs_callbacks_in_fifo_order",
    "test_callbacks::test_callback_scheduled_by_a_callback_waits_for_the_next_turn",
    "test_callbacks::test_call_soon_passes_positional_arguments",
    "test_futures::test_done_callbacks_run_later_in_registration_order",
    "test_futures::test_callback_added_to_a_done_future_is_scheduled",
    "test_tasks::test_create_task_schedules_but_does_not_run",
    "test_tasks::test_awaiting_a_task_twice_gives_the_same_result",
    "test_tasks::test_awaiting_a_non_awaitable",
}
TIMERS_AND_CANCELLATION = {
    "test_callbacks::test_timers_fire_in_deadline_order_not_creation_order",
    "test_callbacks::test_call_later_zero_runs_after_call_soon_of_the_same_turn",
    "test_futures::test_cancelling_a_future_runs_its_callbacks",
    "test_futures::test_await_suspends_until_the_future_is_done",
    "test_tasks::test_exceptions_propagate_through_awaits",
    "test_cancellation::test_cancel_before_the_task_starts",
    "test_cancellation::test_cancel_is_delivered_at_the_await",
    "test_cancellation::test_cancel_after_the_task_is_done",
    "test_cancellation::test_a_task_can_be_cancelled_again_after_surviving",
}
PASSES = {
    "step1": set(),  # a loop of callbacks has no run(): it cannot drive a coroutine
    "step2": CALLBACKS_AND_TASKS,
    "step3": CALLBACKS_AND_TASKS | TIMERS_AND_CANCELLATION,
}


@pytest.fixture(scope="module")
def results() -> dict[str, list[scoreboard.Outcome]]:
    return scoreboard.score()


@pytest.mark.parametrize("step", scoreboard.STEPS)
def test_each_step_passes_exactly_the_scenarios_the_chapter_names(
        results: dict[str, list[scoreboard.Outcome]], step: str) -> None:
    column = scoreboard.STEPS.index(step)
    passed = {name for name, outcomes in results.items() if outcomes[column].passed}
    assert passed == PASSES[step]


def test_every_story_a_step_cannot_tell_says_why(
        results: dict[str, list[scoreboard.Outcome]]) -> None:
    assert len(results) >= 50  # the four core files, every scenario
    for outcomes in results.values():
        assert all(outcome.passed or outcome.why for outcome in outcomes)
    # Chapter 0 says why step 1 has no column: it lacks `run` (or, sooner, `Future`).
    step1 = {outcome.why for outcomes in results.values() for outcome in outcomes[:1]}
    assert step1 <= {("missing", "run"), ("missing", "Future")}
    for language in scoreboard.WHY:  # every reason has its sentence in both languages
        assert scoreboard.table(results, language).count("\n") == len(results) + 2


@pytest.mark.parametrize("step", scoreboard.STEPS)
def test_each_step_runs_and_prints_what_the_chapter_shows(step: str) -> None:
    ran = subprocess.run([sys.executable, str(CHAPTER / f"{step}.py")], capture_output=True,
                         text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == (CHAPTER / f"{step}.out").read_text()
