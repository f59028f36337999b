"""`python -m miniloop SCRIPT [ARGS...]`: run an unmodified asyncio program on miniloop.

    python -m miniloop server.py --port 8000     # like `python server.py --port 8000`
    python -m miniloop -m package.module ARGS    # like `python -m package.module ARGS`
    python -m miniloop -c "import asyncio; ..."  # like `python -c "..."`
    python -m miniloop trace [OPTIONS] prog.py   # the same, and show what the loop did

The program's `import asyncio` gets miniloop (see dropin.py); everything else is as if
Python had run it directly: it runs as `__main__`, sees its own `sys.argv`, finds the
modules next to it, has the absolute `__file__` Python gives it, and an uncaught exception
prints the traceback `python prog.py` would print (none of our frames, nor runpy's). A
missing script or module gets Python's one-line message and exit status (2 for a script,
1 for a module, as `python` itself).

`trace` records every turn of every loop the program creates (tracing.py) and, when it
ends, writes the turn-by-turn text (to stdout, or --text FILE), an HTML timeline (--html)
and a Chrome trace (--json) of it (timeline.py). Run `python -m miniloop trace --help`.
"""

from __future__ import annotations

import importlib.machinery
import io
import os
import runpy
import signal
import sys
import traceback
import types
import zipfile
from typing import Any, NoReturn

from .dropin import install

USAGE = "usage: python -m miniloop (SCRIPT | -m MODULE | -c CODE) [ARGS...]"

TRACE_USAGE = """\
usage: python -m miniloop trace [OPTIONS] (SCRIPT | -m MODULE | -c CODE) [ARGS...]

Run an asyncio program on miniloop and show what the loop did, turn by turn.

options:
  --text FILE          write the text trace to FILE (default: stdout, after the program)
  --html FILE          write a self-contained HTML timeline
  --json FILE          write a Chrome trace-event file (Perfetto, chrome://tracing)
  --turns A-B          only turns A to B in the text (A-, -B, or one turn N)
  --task NAME          only lines about this task (a shell pattern: 'worker-*'); repeatable
  --cap N              keep at most N events per loop (default 500000); the rest is counted
  --dump-on-signal SIG print every task's call graph and wait to stderr on signal SIG
                       (e.g. SIGUSR1), while the program runs
  -h, --help           show this help"""

_HERE = os.path.abspath(__file__)


def _program_name() -> str:
    """How Python names itself in its one-line errors: the interpreter as it was invoked."""
    return sys.orig_argv[0] if sys.orig_argv else sys.executable


def _fail(message: str, status: int) -> NoReturn:
    print(f"{_program_name()}: {message}", file=sys.stderr)
    sys.exit(status)


def parse_target(argv: list[str]) -> tuple[str, str, list[str]] | None:
    """(kind, what, argv for the program): ("script", path, ...), ("module", name, ...) or
    ("code", source, ...); None when there is no target."""
    if not argv or (argv[0] in ("-m", "-c") and len(argv) < 2):
        return None
    if argv[0] == "-m":
        return "module", argv[1], argv[2:]
    if argv[0] == "-c":
        return "code", argv[1], argv[2:]
    return "script", argv[0], argv[1:]


def run_target(kind: str, what: str, args: list[str]) -> None:
    """Run the program as `python` would (see the module docstring). An uncaught exception
    is printed as Python prints it, and exits with status 1 (SystemExit goes through)."""
    try:
        if kind == "module":
            sys.argv = [what, *args]  # runpy puts the module's path in argv[0]
            runpy.run_module(what, run_name="__main__", alter_sys=True)
        elif kind == "code":
            sys.argv = ["-c", *args]
            sys.path[0] = ""  # as `python -c`: the current directory
            _run_as_main(compile(what, "<string>", "exec"))
        else:
            path = os.path.abspath(what)  # what Python 3.9+ gives as __file__
            if not os.path.exists(path):
                _fail(f"can't open file {path!r}: [Errno 2] No such file or directory", 2)
            sys.argv = [what, *args]  # the script as it was named, as `python` leaves it
            # `python script.py` puts the script's directory first on the path, not ours.
            sys.path[0] = path if os.path.isdir(path) else os.path.dirname(path)
            if os.path.isdir(path) or zipfile.is_zipfile(path):
                runpy.run_path(path, run_name="__main__")  # its __main__.py (argv[0]: path)
            else:
                with io.open_code(path) as source:
                    code = compile(source.read(), path, "exec")
                _run_as_main(code, __file__=path, __cached__=None,
                             __loader__=importlib.machinery.SourceFileLoader("__main__", path))
    except SystemExit:
        raise
    except BaseException as exc:
        tb = exc.__traceback__
        # Our frames and runpy's come first; the program's traceback starts after them.
        while tb is not None and _is_ours(tb.tb_frame.f_code.co_filename):
            tb = tb.tb_next
        if tb is None and isinstance(exc, ImportError):
            _fail(str(exc), 1)  # runpy's own "No module named x", "can't find '__main__'"
        traceback.print_exception(type(exc), exc, tb)
        sys.exit(130 if isinstance(exc, KeyboardInterrupt) else 1)


def _run_as_main(code: types.CodeType, **attributes: Any) -> None:
    """Run `code` as the `__main__` module, a fresh one, as `python` runs a program."""
    main_module = sys.modules["__main__"] = types.ModuleType("__main__")
    vars(main_module).update(attributes)
    exec(code, vars(main_module))


def _is_ours(filename: str) -> bool:
    return filename == _HERE or os.path.basename(filename) == "runpy.py" or (
        filename.startswith("<frozen runpy"))


# == trace =====================================================================================

def _parse_trace(argv: list[str]) -> tuple[dict[str, Any], tuple[str, str, list[str]]]:
    options: dict[str, Any] = {"text": None, "html": None, "json": None, "turns": (0, None),
                               "tasks": [], "cap": 500_000, "signal": None}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-h", "--help"):
            print(TRACE_USAGE)
            sys.exit(0)
        if not arg.startswith("--"):
            break  # the target: a script, or -m / -c
        name, _, value = arg.partition("=")
        if name not in ("--text", "--html", "--json", "--turns", "--task", "--cap",
                        "--dump-on-signal"):
            sys.exit(f"{TRACE_USAGE}\nerror: unknown option {arg}")
        if not value:
            i += 1
            if i == len(argv):
                sys.exit(f"{TRACE_USAGE}\nerror: {name} needs a value")
            value = argv[i]
        try:
            if name == "--turns":
                options["turns"] = _turn_range(value)
            elif name == "--task":
                options["tasks"].append(value)
            elif name == "--cap":
                options["cap"] = int(value)
            elif name == "--dump-on-signal":
                options["signal"] = _signal_number(value)
            else:
                options[name[2:]] = value
        except ValueError as exc:
            sys.exit(f"{TRACE_USAGE}\nerror: {name} {value}: {exc}")
        i += 1
    target = parse_target(argv[i:])
    if target is None:
        sys.exit(TRACE_USAGE)
    return options, target


def _turn_range(text: str) -> tuple[int, int | None]:
    """"3-7" -> (3, 7), "3-" -> (3, None), "-7" -> (0, 7), "5" -> (5, 5)."""
    first, dash, last = text.partition("-")
    if not dash:
        return int(first), int(first)
    return int(first or 0), int(last) if last else None


def _signal_number(text: str) -> int:
    name = text.upper()
    if name.isdigit():
        return int(name)
    if not name.startswith("SIG"):
        name = "SIG" + name
    if not hasattr(signal, name):
        raise ValueError("no such signal")
    return int(getattr(signal, name))


def trace(argv: list[str]) -> None:
    """`python -m miniloop trace ...`: run the program with a Recorder on each of its loops,
    then write what they recorded."""
    from . import graph, timeline
    from .tracing import recording_every_loop, render_text

    options, (kind, what, args) = _parse_trace(argv)
    install()

    def on_new_loop(loop: Any) -> None:
        if options["signal"] is not None:
            graph.install_signal_dump(options["signal"], loop=loop)

    status: Any = 0
    with recording_every_loop(cap=options["cap"], on_new_loop=on_new_loop) as recorders:
        try:
            run_target(kind, what, args)
        except SystemExit as exc:
            status = exc.code
    sys.stdout.flush()
    several = len(recorders) > 1
    texts = []
    for number, recorder in enumerate(recorders, 1):
        heading = f"== loop {number} of {len(recorders)} ==\n" if several else ""
        texts.append(heading + render_text(recorder, turns=options["turns"],
                                           tasks=options["tasks"]))
    if options["text"] is None:
        sys.stdout.write("".join(texts))
    else:
        with open(options["text"], "w", encoding="utf-8") as out:
            out.write("".join(texts))
    if recorders and (options["html"] or options["json"]):
        busiest = max(recorders, key=lambda recorder: len(recorder.events))
        drawn = timeline.build(busiest)
        if several:
            drawn.notes.append(f"the program made {len(recorders)} event loops; this shows "
                               f"loop {recorders.index(busiest) + 1}, the busiest")
        title = f"miniloop timeline: {what if kind != 'code' else '-c'}"
        if options["html"]:
            timeline.write_html(drawn, options["html"], title=title)
        if options["json"]:
            timeline.write_chrome(drawn, busiest, options["json"])
    sys.exit(status)


def main(argv: list[str]) -> None:
    if argv[:1] == ["trace"]:
        trace(argv[1:])
    if argv[:1] and argv[0] in ("-h", "--help"):
        sys.exit(USAGE)
    target = parse_target(argv)
    if target is None:
        sys.exit(USAGE)
    install()
    run_target(*target)


if __name__ == "__main__":
    main(sys.argv[1:])
