"""Timelines: a trace drawn as lanes, as a web page and as a Chrome trace.

What you learn here: where a concurrent program's time goes. A trace (tracing.py) is a list
of events; a timeline turns it into *spans*, one lane per task, each span a state:

    running    the task's step is executing (the loop does nothing else meanwhile)
    queued     its step is in the ready queue: runnable, waiting for its turn
    waiting    suspended on something ("Queue #1 get, queue empty", "Task-5", a timer)

and one lane for the loop itself: its turns, the time each poll blocked, the timers that
came due and the callbacks that are no task's step. Seeing the lanes side by side shows what
the text trace says in words: only one lane is ever running, and every task switch is the
loop going round.

    timeline = build(recorder)       # lanes and spans, times in seconds from the start
    write_html(timeline, "t.html")   # one self-contained page: no network, no CDN
    write_chrome(timeline, "t.json") # the trace-event format Perfetto and chrome://tracing read

Discussion: 10 000 tasks. One lane per task stops being readable (and an SVG of 10 000 lanes
stops being fast) long before that. So past `MAX_LANES` the first tasks (in the order of the
creation tree) keep their own lanes and the rest are grouped by coroutine function, one
lane per group, their spans merged; the page says how many were grouped. The Chrome trace
keeps every task: Perfetto is built for that.
"""

from __future__ import annotations

import html
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from .tracing import REASONS, Recorder

__all__ = ("Lane", "Timeline", "build", "chrome_events", "html_page", "write_chrome",
           "write_html")

MAX_LANES = 300          # task lanes drawn one per task; the rest are grouped
MERGE_RESOLUTION = 4000  # a grouped lane keeps at most about this many spans per state


@dataclass
class Lane:
    """One task's lane (or a group of tasks'): its spans are (start, end, state, detail)."""

    key: int                 # the task's number (negative: a group)
    name: str
    depth: int               # how deep in the creation tree: lanes nest under their creator
    detail: str              # for the label's hover: coroutine, creator, where, outcome
    spans: list[tuple[float, float, str, str]] = field(default_factory=list)


@dataclass
class Timeline:
    """What the renderers draw. Times are seconds since the first event."""

    lanes: list[Lane]
    turns: list[tuple[int, float]]                     # (turn, start)
    polls: list[tuple[float, float, str]]              # (start, end, detail)
    timers: list[tuple[float, str]]                    # (when it came due, what)
    callbacks: list[tuple[float, float, str]]          # the loop's plain callbacks
    end: float
    notes: list[str]                                   # what was dropped or grouped
    task_count: int


def build(recorder: Recorder, *, max_lanes: int = MAX_LANES) -> Timeline:
    """Turn the record into lanes and spans (see the module docstring)."""
    events = recorder.events
    start = events[0].now if events else 0.0
    end = (events[-1].now - start) if events else 0.0
    spans: dict[int, list[tuple[float, float, str, str]]] = defaultdict(list)
    state: dict[int, tuple[float, str, str]] = {}  # task -> (since, state, detail) now open
    outcome: dict[int, str] = {}
    turns, polls, timers, callbacks = [], [], [], []
    turn_start = 0.0
    running_callback: tuple[float, str] | None = None

    def enter(task: int, t: float, new: str, detail: str = "") -> None:
        if task in state:
            since, old, old_detail = state.pop(task)
            spans[task].append((since, t, old, old_detail))
        if new:
            state[task] = (t, new, detail)

    for event in events:
        t = event.now - start
        what, task, info = event.what, event.task, event.info
        if what == "turn":
            turns.append((event.turn, t))
            turn_start = t
        elif what == "poll":
            blocked, fds = info
            found = ", ".join(f"fd {fd} {kind}" for fd, kind in fds) or "no fd"
            polls.append((turn_start, t, f"turn {event.turn}: poll blocked {blocked:.6f} s "
                                         f"-> {found}"))
        elif what == "timer":
            timers.append((t, f"turn {event.turn}: {info[0]} due"))
        elif what == "created":
            enter(task, t, "queued", "its first step is queued")
        elif what == "run":
            if task:
                enter(task, t, "running", f"turn {event.turn}: {info[0]}"
                      + (f", resumed at {info[1]}" if info[1] else ""))
            else:
                running_callback = (t, f"turn {event.turn}: ran {info[0]}")
        elif what == "ran":
            if task:
                enter(task, t, "queued", "")  # corrected by what follows: suspended or done
            elif running_callback is not None:
                callbacks.append((running_callback[0], t, running_callback[1]))
                running_callback = None
        elif what == "suspended":
            queued_again = info[0].startswith("the next turn")
            if task in state:
                since = state.pop(task)[0]
                state[task] = (since, "queued" if queued_again else "waiting",
                               "queued again (a bare yield)" if queued_again
                               else f"waits on {info[0]}")
        elif what == "woken":
            enter(task, t, "queued", "woken: its wake-up is queued")
        elif what == "finished":
            state.pop(task, None)
            outcome[task] = info[0]
    for task in list(state):
        enter(task, end, "")

    order = _creation_order(recorder)
    notes = [recorder.drop_note()] if recorder.dropped else []
    lanes: list[Lane] = []
    for number, depth in order[:max_lanes]:
        info = recorder.tasks[number]
        parent = recorder.name(info.parent) if info.parent else "no task"
        detail = (f"{info.name}: {info.coroutine}, created by {parent}"
                  + (f" at {info.where}" if info.where else "")
                  + (f"; {outcome[number]}" if number in outcome else "; still pending"))
        lanes.append(Lane(number, info.name, depth, detail, spans.get(number, [])))
    rest = order[max_lanes:]
    if rest:
        groups: dict[str, list[int]] = defaultdict(list)
        for number, _depth in rest:
            groups[recorder.tasks[number].coroutine].append(number)
        biggest_first = sorted(groups.items(), key=lambda group: (-len(group[1]), group[0]))
        for index, (coroutine, members) in enumerate(biggest_first):
            merged = _merge([span for n in members for span in spans.get(n, [])], end)
            lanes.append(Lane(-1 - index, f"{len(members)} x {coroutine}", 0,
                              f"{len(members)} task(s) running {coroutine}, drawn as one lane",
                              merged))
        notes.append(f"{len(order)} tasks: the first {max_lanes} have a lane each, the other "
                     f"{len(rest)} are grouped by coroutine into {len(groups)} lane(s)")
    return Timeline(lanes, turns, polls, timers, callbacks, end, notes, len(order))


def _creation_order(recorder: Recorder) -> list[tuple[int, int]]:
    """(task, depth) in depth-first order of the creation tree, children in creation order."""
    children: dict[int, list[int]] = defaultdict(list)
    for number, info in recorder.tasks.items():
        parent = info.parent if info.parent in recorder.tasks and info.parent != number else 0
        children[parent].append(number)
    order: list[tuple[int, int]] = []
    stack = [(number, 0) for number in reversed(children[0])]
    while stack:
        number, depth = stack.pop()
        order.append((number, depth))
        stack.extend((child, depth + 1) for child in reversed(children[number]))
    return order


def _merge(spans: list[tuple[float, float, str, str]],
           end: float) -> list[tuple[float, float, str, str]]:
    """A group's spans, merged per state where they overlap or nearly touch."""
    gap = end / MERGE_RESOLUTION if end > 0 else 0.0
    merged: list[tuple[float, float, str, str]] = []
    for state in ("waiting", "queued", "running"):  # running drawn last, on top
        current: list[float] | None = None
        count = 0
        for t0, t1, _state, _detail in sorted(s for s in spans if s[2] == state):
            if current is not None and t0 <= current[1] + gap:
                current[1] = max(current[1], t1)
                count += 1
                continue
            if current is not None:
                merged.append((current[0], current[1], state, f"{count} spans {state}"))
            current, count = [t0, t1], 1
        if current is not None:
            merged.append((current[0], current[1], state, f"{count} spans {state}"))
    return merged


# == Chrome's trace-event format ===============================================================

def chrome_events(timeline: Timeline, recorder: Recorder) -> dict[str, Any]:
    """The timeline in the trace-event format: complete ("X") events with microsecond
    times, one thread per task (tid = its number), the loop as thread 0."""
    pid = 1
    events: list[dict[str, Any]] = [
        {"name": "process_name", "ph": "M", "pid": pid, "tid": 0, "ts": 0,
         "args": {"name": "miniloop"}},
        {"name": "thread_name", "ph": "M", "pid": pid, "tid": 0, "ts": 0,
         "args": {"name": "the loop"}},
        {"name": "thread_sort_index", "ph": "M", "pid": pid, "tid": 0, "ts": 0,
         "args": {"sort_index": 0}},
    ]
    for index, (number, depth) in enumerate(_creation_order(recorder), 1):
        events.append({"name": "thread_name", "ph": "M", "pid": pid, "tid": number, "ts": 0,
                       "args": {"name": "  " * depth + recorder.tasks[number].name}})
        events.append({"name": "thread_sort_index", "ph": "M", "pid": pid, "tid": number,
                       "ts": 0, "args": {"sort_index": index}})

    def complete(name: str, cat: str, tid: int, t0: float, t1: float, **args: Any) -> None:
        events.append({"name": name, "cat": cat, "ph": "X", "pid": pid, "tid": tid,
                       "ts": round(t0 * 1e6, 3), "dur": round(max(0.0, t1 - t0) * 1e6, 3),
                       "args": args})

    for number, spans in _all_task_spans(timeline, recorder).items():
        for t0, t1, state, detail in spans:
            complete(state, state, number, t0, t1, detail=detail)
    for t0, t1, detail in timeline.polls:
        complete("poll", "loop", 0, t0, t1, detail=detail)
    for t0, t1, detail in timeline.callbacks:
        complete("callback", "loop", 0, t0, t1, detail=detail)
    for turn, t in timeline.turns:
        events.append({"name": f"turn {turn}", "cat": "turn", "ph": "i", "s": "t", "pid": pid,
                       "tid": 0, "ts": round(t * 1e6, 3)})
    for t, detail in timeline.timers:
        events.append({"name": "timer due", "cat": "timer", "ph": "i", "s": "t", "pid": pid,
                       "tid": 0, "ts": round(t * 1e6, 3), "args": {"detail": detail}})
    return {"traceEvents": events, "displayTimeUnit": "ms",
            "otherData": {"source": "python -m miniloop trace",
                          "dropped": recorder.drop_note() or "nothing"}}


def _all_task_spans(timeline: Timeline,
                    recorder: Recorder) -> dict[int, list[tuple[float, float, str, str]]]:
    """Every task's spans, grouped lanes included (the JSON keeps each task apart)."""
    if all(lane.key > 0 for lane in timeline.lanes):
        return {lane.key: lane.spans for lane in timeline.lanes}
    full = build(recorder, max_lanes=len(recorder.tasks))
    return {lane.key: lane.spans for lane in full.lanes}


def write_chrome(timeline: Timeline, recorder: Recorder, path: str) -> None:
    with open(path, "w", encoding="utf-8") as out:
        json.dump(chrome_events(timeline, recorder), out)


# == The page ==================================================================================

def html_page(timeline: Timeline, *, title: str = "miniloop timeline") -> str:
    """One self-contained HTML page: the data inline as JSON, the drawing done by inline JS."""
    data = {
        "lanes": [{"key": lane.key, "name": lane.name, "depth": lane.depth,
                   "detail": lane.detail, "spans": lane.spans} for lane in timeline.lanes],
        "turns": timeline.turns, "polls": timeline.polls, "timers": timeline.timers,
        "callbacks": timeline.callbacks, "end": timeline.end, "notes": timeline.notes,
        "tasks": timeline.task_count, "reasons": REASONS,
    }
    # "</" cannot appear inside the <script> element, or the browser would end it there.
    payload = json.dumps(data).replace("</", "<\\/")
    notes = "".join(f"<p class=note>{html.escape(note)}</p>" for note in timeline.notes)
    return (_PAGE.replace("__TITLE__", html.escape(title)).replace("__NOTES__", notes)
            .replace("__DATA__", payload))


def write_html(timeline: Timeline, path: str, *, title: str = "miniloop timeline") -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write(html_page(timeline, title=title))


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>__TITLE__</title>
<style>
body { font: 13px system-ui, sans-serif; margin: 12px; color: #222; }
h1 { font-size: 16px; margin: 0 0 6px; }
.note { margin: 2px 0; color: #a33; }
#legend span { display: inline-block; margin-right: 14px; }
#legend i { display: inline-block; width: 22px; height: 10px; margin-right: 4px;
            vertical-align: middle; }
#view { border: 1px solid #ccc; overflow-y: auto; max-height: 80vh; cursor: grab;
        user-select: none; }
#tip { position: fixed; pointer-events: none; background: #ffe; border: 1px solid #999;
       padding: 3px 6px; font-size: 12px; display: none; max-width: 520px; }
svg text { font-size: 11px; }
.running { fill: #2a7; } .queued { fill: #fc6; } .waiting { fill: #fff; stroke: #69c; }
.poll { fill: #bcd; } .callback { fill: #a6c; } .turn { stroke: #999; stroke-width: 1; }
.timer { fill: #d33; } .lanebg { fill: #f7f7f7; } .label { fill: #222; }
.group .label { fill: #a33; }
</style></head><body>
<h1>__TITLE__</h1>
<div id="summary"></div>
__NOTES__
<div id="legend">
<span><i class="swatch" style="background:#2a7"></i>running (its step executes)</span>
<span><i style="background:#fc6"></i>suspended, queued to run</span>
<span><i style="background:#fff;border:1px solid #69c"></i>waiting (hover: on what)</span>
<span><i style="background:#bcd"></i>loop: poll blocking</span>
<span><i style="background:#a6c"></i>loop: a plain callback</span>
<span><i style="background:#d33"></i>timer due</span>
<span>| grey ticks: turns. Wheel: zoom, drag: pan, double-click: reset.</span>
</div>
<div id="view"><svg id="chart" xmlns="http://www.w3.org/2000/svg"></svg></div>
<div id="tip"></div>
<script type="application/json" id="data">__DATA__</script>
<script>
"use strict";
const D = JSON.parse(document.getElementById("data").textContent);
const LABEL = 220, ROW = 18, TOP = 24, MAX_MARKS = 3000;
const svg = document.getElementById("chart"), tip = document.getElementById("tip");
const end = D.end > 0 ? D.end : 1e-6;
let t0 = 0, t1 = end;
document.getElementById("summary").textContent =
  D.tasks + " task(s), " + D.turns.length + " turn(s), " + (D.end * 1000).toFixed(3) +
  " ms of loop time; " + D.lanes.length + " task lane(s).";
function esc(s) { return String(s).replace(/[&<>"]/g,
  c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\\"": "&quot;"}[c])); }
function draw() {
  const width = Math.max(600, document.getElementById("view").clientWidth - 4);
  const plot = width - LABEL, scale = plot / (t1 - t0);
  const x = t => LABEL + (t - t0) * scale;
  const visible = (a, b) => b >= t0 && a <= t1;
  const bar = (a, b, y, h, cls, text) => {
    const xa = Math.max(LABEL, x(a)), xb = Math.min(width, x(b));
    return '<rect class="bar ' + cls + '" x="' + xa.toFixed(1) + '" y="' + y + '" width="' +
      Math.max(1, xb - xa).toFixed(1) + '" height="' + h + '" data-tip="' + esc(text) + '"/>';
  };
  const out = [];
  const height = TOP + ROW * (D.lanes.length + 1) + 4;
  svg.setAttribute("width", width); svg.setAttribute("height", height);
  // The time axis.
  for (let i = 0; i <= 8; i++) {
    const t = t0 + (t1 - t0) * i / 8;
    out.push('<text x="' + (LABEL + plot * i / 8 - (i === 8 ? 40 : 0)) + '" y="12">' +
             (t * 1000).toFixed(3) + ' ms</text>');
  }
  // The loop's lane: polls, plain callbacks, timers, turns.
  let y = TOP;
  out.push('<g class="lane loop"><rect class="lanebg" x="0" y="' + y + '" width="' + width +
           '" height="' + (ROW - 2) + '"/><text class="label" x="4" y="' + (y + 12) +
           '">the loop</text>');
  for (const [a, b, d] of D.polls) if (visible(a, b)) out.push(bar(a, b, y, ROW - 2, "poll", d));
  for (const [a, b, d] of D.callbacks)
    if (visible(a, b)) out.push(bar(a, b, y + 3, ROW - 8, "callback", d));
  for (const [t, d] of D.timers) if (visible(t, t))
    out.push('<circle class="timer" cx="' + x(t).toFixed(1) + '" cy="' + (y + ROW / 2) +
             '" r="3" data-tip="' + esc(d) + '"/>');
  out.push('</g>');
  const shown = D.turns.filter(([n, t]) => visible(t, t));
  const step = Math.max(1, Math.ceil(shown.length / MAX_MARKS));
  for (let i = 0; i < shown.length; i += step) {
    const [n, t] = shown[i], xt = x(t).toFixed(1);
    out.push('<line class="turn" x1="' + xt + '" x2="' + xt + '" y1="' + (TOP - 6) +
             '" y2="' + height + '" data-tip="turn ' + n + (step > 1 ? " (one in " + step +
             " turns drawn at this zoom)" : "") + '"/>');
  }
  // One lane per task, nested under its creator.
  D.lanes.forEach((lane, i) => {
    y = TOP + ROW * (i + 1);
    out.push('<g class="lane task' + (lane.key < 0 ? ' group' : '') + '" data-key="' +
             lane.key + '"><rect class="lanebg" x="0" y="' + y + '" width="' + LABEL +
             '" height="' + (ROW - 2) + '" data-tip="' + esc(lane.detail) + '"/>' +
             '<text class="label" x="' + (4 + 12 * Math.min(lane.depth, 12)) + '" y="' +
             (y + 12) + '" data-tip="' + esc(lane.detail) + '">' + esc(lane.name) + '</text>');
    for (const [a, b, state, d] of lane.spans) if (visible(a, b))
      out.push(bar(a, b, y + (state === "running" ? 1 : 4), state === "running" ? ROW - 4 :
                   ROW - 10, state, lane.name + ": " + state + (d ? " - " + d : "") +
                   " (" + ((b - a) * 1e6).toFixed(1) + " us)"));
    out.push('</g>');
  });
  svg.innerHTML = out.join("");
  svg.dataset.drawn = String(Date.now());
}
const view = document.getElementById("view");
view.addEventListener("wheel", ev => {
  ev.preventDefault();
  const rect = svg.getBoundingClientRect();
  const plot = rect.width - LABEL;
  const at = t0 + Math.max(0, ev.clientX - rect.left - LABEL) / plot * (t1 - t0);
  const factor = ev.deltaY < 0 ? 0.8 : 1.25;
  t0 = Math.max(0, at - (at - t0) * factor); t1 = Math.min(end, at + (t1 - at) * factor);
  if (t1 - t0 < 1e-7) t1 = t0 + 1e-7;
  draw();
}, {passive: false});
let dragging = null;
view.addEventListener("mousedown", ev => { dragging = [ev.clientX, t0, t1]; });
window.addEventListener("mouseup", () => { dragging = null; });
window.addEventListener("mousemove", ev => {
  if (dragging) {
    const plot = svg.getBoundingClientRect().width - LABEL;
    let shift = (dragging[0] - ev.clientX) / plot * (dragging[2] - dragging[1]);
    shift = Math.max(-dragging[1], Math.min(end - dragging[2], shift));
    t0 = dragging[1] + shift; t1 = dragging[2] + shift; draw(); return;
  }
  const text = ev.target.getAttribute && ev.target.getAttribute("data-tip");
  if (text) {
    tip.textContent = text; tip.style.display = "block";
    tip.style.left = (ev.clientX + 12) + "px"; tip.style.top = (ev.clientY + 12) + "px";
  } else tip.style.display = "none";
});
view.addEventListener("dblclick", () => { t0 = 0; t1 = end; draw(); });
window.addEventListener("resize", draw);
draw();
</script></body></html>
"""
