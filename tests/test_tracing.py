"""The tracer: the instruments' events for small programs, exactly; the text trace; the
timeline's lanes and spans; the Chrome trace's format; the cap. (miniloop only: asyncio has
no instruments.)"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

import miniloop
from miniloop import timeline
from miniloop.tracing import Recorder, recording_every_loop, render_text


def record(main: Callable[[], Coroutine[Any, Any, Any]], cap: int = 500_000) -> Recorder:
    recorder = Recorder(cap)
    with miniloop.Runner() as runner:
        runner.get_loop().add_instrument(recorder)
        runner.run(main())
    return recorder


class Renamer:
    """Task-N names are numbered across the process: "Task-A", "Task-B"... by first sight."""

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        return re.sub(r"Task-\d+", lambda m: self.seen.setdefault(
            m.group(), f"Task-{chr(ord('A') + len(self.seen))}"), text)


def story(recorder: Recorder) -> list[str]:
    """The record as lines "turn hook task details" (times left out), up to the moment the
    main task (the first) finished: what run()'s teardown does after is not the story."""
    rename = Renamer()
    lines = []
    for event in recorder.events:
        details = [str(part) for part in event.info if not isinstance(part, float)]
        who = recorder.name(event.task) if event.task else "-"
        lines.append(rename(" ".join([str(event.turn), event.what, who, *details])))
        if event.what == "finished" and event.task == 1:
            break
    return [re.sub(r"test_tracing\.py:\d+", "test_tracing.py:N", line) for line in lines]


# == The events, exactly =======================================================================

async def two_bare_yields() -> None:
    await miniloop.sleep(0)
    await miniloop.sleep(0)


def test_sleep_zero_is_a_step_queued_again_each_turn() -> None:
    assert story(record(two_bare_yields)) == [
        "0 created Task-A 0 test_tracing.py:N",
        "1 turn - 1 0 0 ready",
        "1 poll - ()",
        "1 run Task-A Task-A's step None",       # its first step: nowhere to resume yet
        "1 ran Task-A",
        "1 suspended Task-A the next turn (a bare yield)",
        "2 turn - 1 0 0 ready",
        "2 poll - ()",
        "2 run Task-A Task-A's step test_tracing.py:N",
        "2 ran Task-A",
        "2 suspended Task-A the next turn (a bare yield)",
        "3 turn - 1 0 0 ready",
        "3 poll - ()",
        "3 run Task-A Task-A's step test_tracing.py:N",
        "3 ran Task-A",
        "3 finished Task-A returned None",
    ]


async def child() -> int:
    return 1


async def parent() -> int:
    return await miniloop.create_task(child())


def test_awaiting_a_child_task_wakes_the_parent_when_it_finishes() -> None:
    assert story(record(parent)) == [
        "0 created Task-A 0 test_tracing.py:N",
        "1 turn - 1 0 0 ready",
        "1 poll - ()",
        "1 run Task-A Task-A's step None",
        "1 created Task-B 1 test_tracing.py:N",  # created by task 1, the parent
        "1 ran Task-A",
        "1 suspended Task-A Task-B",
        "2 turn - 1 0 0 ready",
        "2 poll - ()",
        "2 run Task-B Task-B's step None",
        "2 ran Task-B",
        "2 finished Task-B returned 1",
        "2 woken Task-A",                        # its done-callback queued the wake-up
        "3 turn - 1 0 0 ready",
        "3 poll - ()",
        "3 run Task-A Task-A's wake-up test_tracing.py:N",
        "3 ran Task-A",
        "3 finished Task-A returned 1",
    ]


async def cancel_a_sleeper() -> None:
    sleeper = miniloop.create_task(miniloop.sleep(3600))
    await miniloop.sleep(0)
    sleeper.cancel("enough")
    with pytest.raises(miniloop.CancelledError):
        await sleeper


def test_cancel_is_requested_in_one_turn_and_delivered_in_the_next() -> None:
    lines = story(record(cancel_a_sleeper))
    lines = [re.sub(r"loop time [\d.]+ \([\d.]+ s", "loop time T (D s", line) for line in lines]
    assert lines == [
        "0 created Task-A 0 test_tracing.py:N",
        "1 turn - 1 0 0 ready",
        "1 poll - ()",
        "1 run Task-A Task-A's step None",
        "1 created Task-B 1 test_tracing.py:N",
        "1 ran Task-A",
        "1 suspended Task-A the next turn (a bare yield)",
        "2 turn - 2 0 0 ready",
        "2 poll - ()",
        "2 run Task-B Task-B's step None",
        "2 ran Task-B",
        "2 suspended Task-B sleeping until loop time T (D s from now)",
        "2 run Task-A Task-A's step test_tracing.py:N",
        "2 cancel Task-B 1 enough",              # by task 1, with its message
        "2 ran Task-A",
        "2 suspended Task-A Task-B",
        "2 woken Task-B",                        # its sleep's future was cancelled
        "3 turn - 1 1 0 ready",
        "3 poll - ()",
        "3 delivered Task-B None",               # (sleep() itself: no line of ours)
        "3 run Task-B Task-B's wake-up None",
        "3 ran Task-B",
        "3 finished Task-B cancelled",
        "3 woken Task-A",
        "4 turn - 1 0 0 ready",
        "4 poll - ()",
        "4 delivered Task-A test_tracing.py:N",  # the CancelledError of `await sleeper`
        "4 run Task-A Task-A's wake-up test_tracing.py:N",
        "4 ran Task-A",
        "4 finished Task-A returned None",
    ]


async def read_a_socket() -> None:
    loop = miniloop.get_running_loop()
    a, b = socket.socketpair()
    a.setblocking(False)
    try:
        loop.call_soon(b.send, b"x")
        await loop.sock_recv(a, 1)
    finally:
        a.close()
        b.close()


def test_a_read_registers_the_fd_and_the_poll_reports_it() -> None:
    recorder = record(read_a_socket)
    fd = next(event.info[0] for event in recorder.events if event.what == "fd+")
    assert story(recorder) == [
        "0 created Task-A 0 test_tracing.py:N",
        "1 turn - 1 0 0 ready",
        "1 poll - ()",
        "1 run Task-A Task-A's step None",
        f"1 fd+ - {fd} read",
        "1 ran Task-A",
        f"1 suspended Task-A sock_recv on fd {fd}",
        "2 turn - 1 0 0 ready",
        "2 poll - ()",
        "2 run - socket.send() None",
        "2 ran -",
        "3 turn - 0 0 None idle",                # nothing ready, no timer: block for I/O
        f"3 poll - (({fd}, 'read'),)",
        "3 run - _retry() None",
        "3 ran -",
        "3 woken Task-A",
        "4 turn - 1 0 0 ready",
        "4 poll - ()",
        "4 run Task-A Task-A's wake-up test_tracing.py:N",
        "4 ran Task-A",
        "4 finished Task-A returned None",
    ]


async def due_timer() -> None:
    loop = miniloop.get_running_loop()
    fut = loop.create_future()
    loop.call_later(0, fut.set_result, 5)
    await fut


def test_a_timer_comes_due_and_runs_in_the_same_turn() -> None:
    lines = story(record(due_timer))
    assert lines[6:] == [
        "2 turn - 0 1 0 timer",                  # a timeout of 0: the timer is already due
        "2 poll - ()",
        "2 timer - Future.set_result()",
        "2 run - Future.set_result() None",
        "2 ran -",
        "2 woken Task-A",
        "3 turn - 1 0 0 ready",
        "3 poll - ()",
        "3 run Task-A Task-A's wake-up test_tracing.py:N",
        "3 ran Task-A",
        "3 finished Task-A returned None",
    ]


# == The text trace ============================================================================

async def worker(queue: miniloop.Queue[int]) -> int:
    item = await queue.get()
    return item * 2


async def producer_and_worker() -> None:
    queue: miniloop.Queue[int] = miniloop.Queue()
    task = miniloop.create_task(worker(queue), name="worker")
    await miniloop.sleep(0)
    queue.put_nowait(21)
    await task


def test_the_text_trace_reads_turn_by_turn() -> None:
    text = Renamer()(render_text(record(producer_and_worker)))
    text = re.sub(r"test_tracing\.py:\d+", "prog.py:N", text)
    text = re.sub(r" at \d+\.\d{3} s:", " at T s:", text)  # loop time: whatever the machine took
    assert text.splitlines()[:11] == [
        "before the first turn:",
        "  [created Task-A at prog.py:N]",
        "turn 1 at T s: 1 ready, 0 timers; poll without blocking (ready work) -> no fd",
        "  ran Task-A's step [created worker at prog.py:N] -> Task-A waits on the next turn "
        "(a bare yield)",
        "turn 2 at T s: 2 ready, 0 timers; poll without blocking (ready work) -> no fd",
        "  ran worker's step -> worker waits on Queue #1 get, queue empty",
        "  ran Task-A's step, resumed at prog.py:N -> Task-A waits on worker; worker's wake-up "
        "queued",
        "turn 3 at T s: 1 ready, 0 timers; poll without blocking (ready work) -> no fd",
        "  ran worker's wake-up, resumed at prog.py:N -> worker finished: returned 42; "
        "Task-A's wake-up queued",
        "turn 4 at T s: 1 ready, 0 timers; poll without blocking (ready work) -> no fd",
        "  ran Task-A's wake-up, resumed at prog.py:N -> Task-A finished: returned None",
    ]


def test_the_text_trace_keeps_a_range_of_turns_and_the_lines_of_a_task() -> None:
    recorder = record(producer_and_worker)
    assert [re.sub(r"\d+\.\d{3}", "T", line.split(":")[0])
            for line in render_text(recorder, turns=(2, 3)).splitlines()
            if not line.startswith(" ")] == ["turn 2 at T s", "turn 3 at T s"]
    only_worker = render_text(recorder, tasks=["work*"]).splitlines()
    assert all("worker" in line for line in only_worker if line.startswith("  "))
    assert len([line for line in only_worker if line.startswith("  ")]) == 4


def test_the_cap_keeps_a_prefix_and_says_what_it_dropped() -> None:
    recorder = record(producer_and_worker, cap=10)
    assert len(recorder.events) == 10
    assert sum(recorder.dropped.values()) > 0
    note = recorder.drop_note()
    assert note.startswith("the record is capped at 10 events: ")
    assert render_text(recorder).splitlines()[-1] == f"({note})"
    drawn = timeline.build(recorder)
    assert note in drawn.notes
    assert note in timeline.html_page(drawn)
    assert timeline.chrome_events(drawn, recorder)["otherData"]["dropped"] == note


def test_every_loop_made_in_the_block_gets_a_recorder_and_the_class_is_restored() -> None:
    plain_init = miniloop.EventLoop.__init__
    with recording_every_loop() as recorders:
        miniloop.run(two_bare_yields())
        miniloop.run(child())
    assert len(recorders) == 2
    assert all(recorder.events for recorder in recorders)
    assert miniloop.EventLoop.__init__ is plain_init


# == The timeline ==============================================================================

def test_lanes_nest_under_their_creator_and_spans_follow_the_task_states() -> None:
    recorder = record(producer_and_worker)
    drawn = timeline.build(recorder)
    main, work = drawn.lanes[0], drawn.lanes[1]
    assert (work.name, work.depth, main.depth) == ("worker", 1, 0)
    assert [state for _, _, state, _ in work.spans] == ["queued", "running", "waiting",
                                                        "queued", "running"]
    assert work.spans[2][3] == "waits on Queue #1 get, queue empty"
    assert "returned 42" in work.detail
    # Spans follow each other without gaps or overlaps.
    assert all(a[1] == b[0] for a, b in zip(work.spans, work.spans[1:], strict=False))
    assert [turn for turn, _ in drawn.turns] == list(range(1, len(drawn.turns) + 1))


async def many(count: int) -> None:
    async def short(i: int) -> None:
        await miniloop.sleep(0)

    await miniloop.gather(*(short(i) for i in range(count)))


def test_ten_thousand_tasks_are_grouped_and_the_page_says_so() -> None:
    recorder = record(lambda: many(10_000))
    drawn = timeline.build(recorder)
    assert drawn.task_count >= 10_001
    assert len(drawn.lanes) <= timeline.MAX_LANES + 3
    grouped = [lane for lane in drawn.lanes if lane.key < 0]
    assert grouped and grouped[0].name.endswith("many.<locals>.short()")
    note = next(note for note in drawn.notes if "grouped" in note)
    assert f"the first {timeline.MAX_LANES} have a lane each" in note
    assert note in timeline.html_page(drawn)
    assert sum(len(lane.spans) for lane in grouped) < 5 * timeline.MERGE_RESOLUTION


# == The Chrome trace ==========================================================================

def check_trace_event_format(document: dict[str, Any]) -> None:
    """The trace-event format's rules that Perfetto and chrome://tracing rely on."""
    assert isinstance(document["traceEvents"], list)
    open_spans: dict[tuple[int, int], list[str]] = {}
    last_end: dict[tuple[int, int], float] = {}
    for event in document["traceEvents"]:
        for key in ("name", "ph", "pid", "tid", "ts"):
            assert key in event, (key, event)
        assert isinstance(event["ts"], (int, float)) and event["ts"] >= 0
        thread = (event["pid"], event["tid"])
        if event["ph"] == "X":
            assert event["dur"] >= 0
            if event["cat"] in ("running", "queued", "waiting"):  # one state at a time
                assert event["ts"] >= last_end.get(thread, 0) - 0.001, event
                last_end[thread] = event["ts"] + event["dur"]
        elif event["ph"] == "B":
            open_spans.setdefault(thread, []).append(event["name"])
        elif event["ph"] == "E":
            assert open_spans.get(thread), event
            open_spans[thread].pop()
        elif event["ph"] == "i":
            assert event["s"] in ("g", "p", "t")
        elif event["ph"] == "M":
            assert event["name"] in ("process_name", "thread_name", "thread_sort_index")
            assert "args" in event
        else:
            raise AssertionError(f"unexpected phase {event['ph']}")
    assert not any(open_spans.values())


def test_the_chrome_trace_follows_the_trace_event_format(tmp_path: Any) -> None:
    recorder = record(producer_and_worker)
    drawn = timeline.build(recorder)
    path = tmp_path / "trace.json"
    timeline.write_chrome(drawn, recorder, str(path))
    document = json.loads(path.read_text())
    check_trace_event_format(document)
    names = {event["args"]["name"] for event in document["traceEvents"]
             if event["name"] == "thread_name"}
    assert {"the loop", "  worker"} <= names
    assert any(event["name"] == "poll" for event in document["traceEvents"])
    assert sum(event["name"].startswith("turn ") for event in document["traceEvents"]) == len(
        drawn.turns)


def test_the_chrome_trace_keeps_every_task_when_the_page_groups_them() -> None:
    recorder = record(lambda: many(400))
    drawn = timeline.build(recorder)
    document = timeline.chrome_events(drawn, recorder)
    check_trace_event_format(document)
    threads = {event["tid"] for event in document["traceEvents"] if event["ph"] == "X"}
    assert len(threads) == drawn.task_count + 1  # every task, and the loop
