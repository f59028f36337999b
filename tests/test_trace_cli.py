"""`python -m miniloop trace`, `python -m miniloop SCRIPT` as Python runs scripts, the HTML
timeline drawn by a real browser (headless Chromium), and `python -m compat_tests`."""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

from tests.test_tracing import check_trace_event_format

ROOT = pathlib.Path(__file__).resolve().parent.parent

PROGRAM = textwrap.dedent('''\
    import asyncio

    async def worker(queue):
        item = await queue.get()
        await asyncio.sleep(0.01)
        return item * 2

    async def main():
        queue = asyncio.Queue()
        task = asyncio.create_task(worker(queue), name="worker")
        await asyncio.sleep(0)
        queue.put_nowait(21)
        print("result", await task)

    asyncio.run(main())
''')


def run_python(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          timeout=120, **kwargs)  # type: ignore[call-overload]


@pytest.fixture
def program(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "prog.py"
    path.write_text(PROGRAM)
    return path


# == python -m miniloop trace ====================================================================

def test_trace_prints_the_program_s_output_then_the_turns(program: pathlib.Path) -> None:
    result = run_python("-m", "miniloop", "trace", str(program))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == ["result 42", "before the first turn:", "  [created Task-1 at prog.py:15]"]
    assert "  ran worker's step -> worker waits on Queue #1 get, queue empty" in lines
    assert any(line.startswith("  ran worker's wake-up, resumed at prog.py:4 -> worker waits "
                               "on sleeping until loop time ") for line in lines)
    assert "  ran sleep()'s timer -> worker's wake-up queued" in lines


def test_trace_filters_turns_and_tasks_and_writes_files(program: pathlib.Path,
                                                        tmp_path: pathlib.Path) -> None:
    text, page, trace = tmp_path / "t.txt", tmp_path / "t.html", tmp_path / "t.json"
    result = run_python("-m", "miniloop", "trace", "--turns", "2-3", "--task", "work*",
                        "--text", str(text), f"--html={page}", "--json", str(trace),
                        str(program))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "result 42\n"
    headers = [line.split(" at ")[0] for line in text.read_text().splitlines()
               if not line.startswith(" ")]
    assert headers == ["turn 2", "turn 3"]
    assert all("worker" in line for line in text.read_text().splitlines()
               if line.startswith(" "))
    check_trace_event_format(json.loads(trace.read_text()))
    html = page.read_text()
    assert "<script" in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html


def test_trace_takes_modules_and_code_and_keeps_the_exit_status(tmp_path: pathlib.Path) -> None:
    (tmp_path / "mod.py").write_text(PROGRAM + "raise SystemExit(3)\n")
    result = run_python("-m", "miniloop", "trace", "-m", "mod", cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert result.stdout.startswith("result 42\nbefore the first turn:\n")
    code = "import asyncio; asyncio.run(asyncio.sleep(0))"
    result = run_python("-m", "miniloop", "trace", "-c", code)
    assert result.returncode == 0 and "turn 1 at " in result.stdout, result.stderr


def test_trace_refuses_an_unknown_option_with_its_usage(program: pathlib.Path) -> None:
    result = run_python("-m", "miniloop", "trace", "--colour", str(program))
    assert result.returncode == 1
    assert result.stderr.startswith("usage: python -m miniloop trace [OPTIONS]")
    assert result.stderr.endswith("error: unknown option --colour\n")
    assert run_python("-m", "miniloop", "trace", "--help").stdout.startswith("usage: ")


def test_trace_dumps_the_tasks_on_a_signal(tmp_path: pathlib.Path) -> None:
    script = tmp_path / "stuck.py"
    script.write_text(textwrap.dedent('''\
        import asyncio, os, signal

        async def main():
            lock = asyncio.Lock()
            await lock.acquire()
            waiter = asyncio.create_task(lock.acquire(), name="waiter")
            await asyncio.sleep(0)
            os.kill(os.getpid(), signal.SIGUSR1)
            for _ in range(50):
                await asyncio.sleep(0.01)
            lock.release()
            await waiter

        asyncio.run(main())
    '''))
    result = run_python("-m", "miniloop", "trace", "--dump-on-signal", "USR1",
                        "--text", os.devnull, str(script))
    assert result.returncode == 0, result.stderr
    assert "* Task(name='waiter', id=0x" in result.stderr
    assert "  + Waits on: Lock #1 acquire, locked" in result.stderr


# == python -m miniloop SCRIPT, as `python SCRIPT` =================================================

def test_the_script_s_file_and_traceback_are_python_s(tmp_path: pathlib.Path) -> None:
    (tmp_path / "crash.py").write_text(textwrap.dedent('''\
        print(__file__)
        def fail():
            raise KeyError("lost")
        fail()
    '''))
    plain = run_python("crash.py", cwd=tmp_path)
    swapped = run_python("-m", "miniloop", "crash.py", cwd=tmp_path)
    assert swapped.stdout == plain.stdout == f"{tmp_path / 'crash.py'}\n"
    assert swapped.stderr == plain.stderr  # no frame of ours, nor of runpy
    assert swapped.returncode == plain.returncode == 1


def test_a_missing_script_or_module_gets_python_s_one_line_message(tmp_path: pathlib.Path) -> None:
    for args in (["nowhere.py"], ["-m", "nowhere"], ["trace", "nowhere.py"]):
        plain = run_python(*[arg for arg in args if arg != "trace"], cwd=tmp_path)
        swapped = run_python("-m", "miniloop", *args, cwd=tmp_path)
        assert (swapped.returncode, swapped.stderr, swapped.stdout) == (
            plain.returncode, plain.stderr, ""), args
    assert run_python("nowhere.py", cwd=tmp_path).returncode == 2  # (and 1 for a module)


# == The page, in a real browser ==================================================================

def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def run_chromium(tmp_path: pathlib.Path, *args: str) -> subprocess.CompletedProcess[str]:
    browser = chromium()
    if browser is None:
        pytest.skip("no Chromium: install Debian's `chromium` package (.ci/run does)")
    return subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True, text=True, timeout=120)


def test_the_page_draws_lanes_bars_and_turns_in_a_browser(program: pathlib.Path,
                                                          tmp_path: pathlib.Path) -> None:
    page = tmp_path / "t.html"
    traced = run_python("-m", "miniloop", "trace", "--html", str(page), "--text", os.devnull,
                        str(program))
    assert traced.returncode == 0, traced.stderr
    result = run_chromium(tmp_path, "--virtual-time-budget=3000", "--dump-dom",
                          page.as_uri())
    dom = result.stdout
    assert "data-drawn=" in dom, result.stderr[-2000:]  # the script ran to the end
    lanes = re.findall(r'<g class="lane task[^"]*" data-key="(-?\d+)"', dom)
    assert len(lanes) == 4  # main, worker, and run()'s two closing tasks
    names = re.findall(r'<text class="label" x="(\d+)" y="\d+"(?: data-tip="[^"]*")?>([^<]*)<',
                       dom)
    assert names[:3] == [("4", "the loop"), ("4", "Task-1"), ("16", "worker")]  # nested
    bars = re.findall(r'<rect class="bar (\w+)"', dom)
    assert {"running", "waiting", "queued", "poll"} <= set(bars)
    turns = re.findall(r'<line class="turn"', dom)
    assert len(turns) >= 6
    assert "waits on Queue #1 get, queue empty" in dom


# == python -m compat_tests ========================================================================

def compat(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return run_python("-m", "compat_tests", *args, **kwargs)


def test_compat_replay_shows_source_beside_both_traces_with_turns(tmp_path: pathlib.Path) -> None:
    result = compat("call_soon_runs_callbacks_in_fifo", cwd=tmp_path,  # from anywhere
                    env={**os.environ, "COLUMNS": "150"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = next(line for line in lines if "turn asyncio" in line)
    assert header.split("|")[0].strip() == "source"
    assert any(re.fullmatch(r" +@scenario\( +\| +1 sync part done +\| = \| +1 sync part done",
                            line) for line in lines)
    assert any(re.fullmatch(r' +"first", +\| +2 second +\| = \| +2 second', line)
               for line in lines)
    assert lines[-1].startswith("1 of 1 scenarios produce the same trace")


def test_compat_replay_wraps_to_the_terminal_width() -> None:
    result = compat("call_soon_runs_callbacks_in_fifo", env={**os.environ, "COLUMNS": "60"})
    assert result.returncode == 0
    assert max(len(line) for line in result.stdout.splitlines()[:-1]) <= 60
    assert "sync part done" in result.stdout  # wrapped, not cut


def test_compat_replay_usage_and_errors() -> None:
    helped = compat("--help")
    assert helped.returncode == 0 and helped.stdout.startswith("usage: python -m compat_tests")
    unknown = compat("--colour")
    assert unknown.returncode == 2 and unknown.stderr.endswith("unknown option --colour\n")
    nothing = compat("no_such_scenario_anywhere")
    assert nothing.returncode == 2
    assert nothing.stderr.startswith("error: no scenario name contains "
                                     "'no_such_scenario_anywhere'")


def test_compat_replay_keeps_the_loops_expected_noise_off_stderr() -> None:
    result = compat("system_exit_in_a_task_leaves_the_loop")
    assert result.returncode == 0, result.stdout
    assert result.stderr == ""
    assert "line(s) the loop wrote to stderr, as the story expects, not shown" in result.stdout


def test_compat_replay_ends_quietly_when_the_reader_goes_away() -> None:
    process = subprocess.Popen([sys.executable, "-m", "compat_tests", "--all"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.read(200)
    process.stdout.close()  # as `| head` does
    errors = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0
    assert errors == ""
