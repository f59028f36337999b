"""Child processes through asyncio.subprocess: create_subprocess_exec and _shell, Process.

Each child is a short Python program (`sys.executable -c ...`). Where the trace depends on
when a child does something, the child waits for a line on its stdin first, so the story
decides the order and no trace depends on how fast a process starts. Every child is
reaped by the end of its scenario (conftest.py fails a scenario that leaves one behind,
running or as a zombie).
"""

import signal
import subprocess
import sys

import pytest

from compat_tests.fds import no_fd_leaks  # noqa: F401 (the fixture, used below)
from compat_tests.harness import scenario
from miniloop import versions

pytestmark = pytest.mark.usefixtures("no_fd_leaks")

PIPE, STDOUT, DEVNULL = subprocess.PIPE, subprocess.STDOUT, subprocess.DEVNULL


def python(code):
    """The arguments that run `code` in a fresh interpreter (-S: no site, a faster start)."""
    return sys.executable, "-S", "-c", code


WAIT_FOR_EOF = python("import sys; sys.stdin.read()")
SLEEP = python("import time; time.sleep(30)")


@scenario(
    "pid is an int: True",
    "line b'one\\n'",
    "line b'two\\n'",
    "line b'three'",
    "line b''",
    "wait 0",
    "returncode 0",
)
async def test_read_a_child_line_by_line(aio, log):
    proc = await aio.create_subprocess_exec(
        *python("print('one'); print('two'); print('three', end='')"), stdout=PIPE)
    log("pid is an int:", isinstance(proc.pid, int))
    while True:
        line = await proc.stdout.readline()
        log("line", line)
        if not line:
            break
    log("wait", await proc.wait())
    log("returncode", proc.returncode)


@scenario(
    "running: returncode None",
    "stdin b'bye\\n' stdout None stderr None",
    "wait 3",
    "returncode 3",
    "wait again 3",
)
async def test_returncode_is_none_until_the_child_is_waited_for(aio, log):
    proc = await aio.create_subprocess_exec(
        *python("import sys; sys.stdin.readline(); sys.exit(3)"), stdin=PIPE)
    log("running: returncode", proc.returncode)
    proc.stdin.write(b"bye\n")
    log("stdin b'bye\\n' stdout", proc.stdout, "stderr", proc.stderr)
    log("wait", await proc.wait())
    log("returncode", proc.returncode)
    log("wait again", await proc.wait())


@scenario(
    "stdout 10485760 bytes, the same: True",
    "stderr b'done'",
    "returncode 0",
)
async def test_communicate_10_mib_each_way(aio, log):
    """More than any pipe holds, both ways at once: communicate() writes and reads
    together, so neither side waits for the other."""
    data = bytes(range(256)) * (10 * 2**20 // 256)
    proc = await aio.create_subprocess_exec(
        *python("import shutil, sys; shutil.copyfileobj(sys.stdin.buffer, sys.stdout.buffer);"
                " sys.stderr.write('done')"), stdin=PIPE, stdout=PIPE, stderr=PIPE)
    out, err = await proc.communicate(data)
    log(f"stdout {len(out)} bytes, the same:", out == data)
    log("stderr", err)
    log("returncode", proc.returncode)


@scenario(
    "stdout b'out\\nerr\\n' stderr None",
    "returncode 0",
)
async def test_communicate_with_stderr_into_stdout(aio, log):
    proc = await aio.create_subprocess_exec(
        *python("import sys; print('out', flush=True); print('err', file=sys.stderr)"),
        stdout=PIPE, stderr=STDOUT)
    out, err = await proc.communicate()
    log("stdout", out, "stderr", err)
    log("returncode", proc.returncode)


@scenario(
    "stdin None stdout None stderr None",
    "communicate (None, None)",
    "returncode 0",
    "read from DEVNULL b''",
)
async def test_devnull(aio, log):
    proc = await aio.create_subprocess_exec(
        *python("print('lost')"), stdin=DEVNULL, stdout=DEVNULL, stderr=DEVNULL)
    log("stdin", proc.stdin, "stdout", proc.stdout, "stderr", proc.stderr)
    log("communicate", await proc.communicate())
    log("returncode", proc.returncode)
    proc = await aio.create_subprocess_exec(
        *python("import sys; print(sys.stdin.buffer.read())"), stdin=DEVNULL, stdout=PIPE)
    out, _ = await proc.communicate()
    log("read from DEVNULL", out.decode().strip())


@scenario(
    f"stdin closing: {versions.COMMUNICATE_CLOSES_STDIN}",
    "communicate (b'eof\\n', None)",
)
async def test_communicate_without_input_closes_stdin(aio, log):
    """3.12: communicate() closes a piped stdin even when it has no input to write; 3.11
    leaves it open, and a child that reads to the end waits until the story closes it."""
    proc = await aio.create_subprocess_exec(
        *python("import sys; sys.stdin.read(); print('eof')"), stdin=PIPE, stdout=PIPE)
    communicating = aio.create_task(proc.communicate())
    await aio.sleep(0.1)
    log("stdin closing:", proc.stdin.is_closing())
    proc.stdin.close()
    log("communicate", await communicating)


@scenario(
    *(["communicate returned (b'nothing to read\\n', None)"] if versions.COMMUNICATE_CLOSES_STDIN
      else ["communicate raised AttributeError: 'NoneType' object has no attribute 'write'"]),
    "wait 0",
)
async def test_communicate_input_without_a_stdin_pipe(aio, log):
    """Input for a child whose stdin is not a pipe: 3.12 feeds stdin only when it is piped,
    so the input is dropped without a word; 3.11 tries to write it to no pipe at all."""
    proc = await aio.create_subprocess_exec(
        *python("print('nothing to read')"), stdin=DEVNULL, stdout=PIPE)
    try:
        log("communicate returned", await proc.communicate(b"input for nobody"))
    except AttributeError as exc:
        log.error("communicate raised", exc)
    log("wait", await proc.wait())


@scenario(
    "child ready b'ready\\n'",
    "kill: returncode -9",
    "terminate: returncode -15",
    "SIGTERM: returncode -15",
    "SIGUSR1: b'got 10\\n' returncode 7",
)
async def test_kill_terminate_and_send_signal(aio, log):
    """A child killed by signal N has returncode -N; a child that handles the signal runs
    its handler (here it prints and exits with 7)."""
    program = python(
        "import signal, sys, time\n"
        "def handler(signum, frame):\n"
        "    print('got', signum, flush=True); sys.exit(7)\n"
        "signal.signal(signal.SIGUSR1, handler)\n"
        "print('ready', flush=True)\n"
        "time.sleep(30)\n")
    for name, stop in (("kill", lambda proc: proc.kill()),
                       ("terminate", lambda proc: proc.terminate()),
                       ("SIGTERM", lambda proc: proc.send_signal(signal.SIGTERM)),
                       ("SIGUSR1", lambda proc: proc.send_signal(signal.SIGUSR1))):
        proc = await aio.create_subprocess_exec(*program, stdout=PIPE)
        ready = await proc.stdout.readline()  # the handler is in place
        if name == "kill":
            log("child ready", ready)
        stop(proc)
        rest = await proc.stdout.read()
        await proc.wait()
        log(f"{name}:", *([rest] if rest else []), "returncode", proc.returncode)


@scenario(
    "wait 0",
    "kill raised ProcessLookupError: ",
    "terminate raised ProcessLookupError: ",
    "send_signal raised ProcessLookupError: ",
)
async def test_signalling_a_waited_for_child(aio, log):
    """Once wait() has returned, the process is gone from the transport: every signal
    raises ProcessLookupError (with no message), on every version."""
    proc = await aio.create_subprocess_exec(*python("pass"))
    log("wait", await proc.wait())
    for name, send in (("kill", proc.kill), ("terminate", proc.terminate),
                       ("send_signal", lambda: proc.send_signal(signal.SIGUSR1))):
        try:
            send()
        except ProcessLookupError as exc:
            log.error(f"{name} raised", exc)


@scenario(
    "wait cancelled",
    "still running: returncode None",
    "killed: wait -9",
)
async def test_a_cancelled_wait_leaves_the_child_running(aio, log):
    proc = await aio.create_subprocess_exec(*SLEEP)
    waiting = aio.create_task(proc.wait())
    await aio.sleep(0.1)
    waiting.cancel()
    try:
        await waiting
    except aio.CancelledError:
        log("wait cancelled")
    log("still running: returncode", proc.returncode)
    proc.kill()
    log("killed: wait", await proc.wait())


@scenario(
    "wait_for raised TimeoutError: ",
    "still running: returncode None",
    "killed: wait -9",
)
async def test_wait_for_a_wait_that_times_out(aio, log):
    proc = await aio.create_subprocess_exec(*SLEEP)
    try:
        await aio.wait_for(proc.wait(), 0.01)
    except TimeoutError as exc:
        log.error("wait_for raised", exc)
    log("still running: returncode", proc.returncode)
    proc.kill()
    log("killed: wait", await proc.wait())


@scenario(
    "communicate cancelled",
    "still running: returncode None",
    "killed: wait -9",
)
async def test_a_cancelled_communicate_leaves_no_zombie(aio, log):
    """Cancelling communicate() stops the reading, not the child: the program still has
    to end it, and then wait() reaps it."""
    proc = await aio.create_subprocess_exec(*SLEEP, stdin=PIPE, stdout=PIPE, stderr=PIPE)
    communicating = aio.create_task(proc.communicate(b"ignored"))
    await aio.sleep(0.1)
    communicating.cancel()
    try:
        await communicating
    except aio.CancelledError:
        log("communicate cancelled")
    log("still running: returncode", proc.returncode)
    proc.kill()
    log("killed: wait", await proc.wait())


@scenario(
    "results in order: True",
    "b'0 0\\n' 0, b'1 1\\n' 1, b'2 4\\n' 2, b'19 361\\n' 3",
)
async def test_twenty_children_at_once(aio, log):
    async def square(n):
        proc = await aio.create_subprocess_exec(
            *python(f"import sys; print({n}, {n} * {n}); sys.exit({n} % 4)"), stdout=PIPE)
        out, _ = await proc.communicate()
        return out, proc.returncode

    results = await aio.gather(*(square(n) for n in range(20)))
    log("results in order:",
        results == [(f"{n} {n * n}\n".encode(), n % 4) for n in range(20)])
    log(", ".join(f"{out} {code}" for out, code in (results[0], results[1], results[2],
                                                   results[19])))


@scenario(
    "stdout b'hello from a shell\\n'",
    "returncode 4",
)
async def test_create_subprocess_shell(aio, log):
    proc = await aio.create_subprocess_shell("echo hello from a shell; exit 4", stdout=PIPE)
    out, _ = await proc.communicate()
    log("stdout", out)
    log("returncode", proc.returncode)


@scenario(
    "shell with a list: ValueError: cmd must be a string",
    "shell with shell=False: ValueError: shell must be True",
    "exec with shell=True: ValueError: shell must be False",
    "exec with universal_newlines=True: ValueError: universal_newlines must be False",
    "exec with bufsize=1: ValueError: bufsize must be 0",
    "exec with text=True: ValueError: text must be False",
    "exec with encoding='utf-8': ValueError: encoding must be None",
    "exec with errors='strict': ValueError: errors must be None",
    "a missing program: FileNotFoundError: "
    "[Errno 2] No such file or directory: '/nonexistent/program'",
    "a file that is not a program: PermissionError: "
    "[Errno 13] Permission denied: '/dev/null'",
)
async def test_arguments_that_are_refused(aio, log):
    """Streams carry bytes: every text-mode and buffering option is refused before a
    process starts; a program that cannot run fails as subprocess.Popen fails."""
    attempts = [
        ("shell with a list", aio.create_subprocess_shell, ["echo", "hi"], {}),
        ("shell with shell=False", aio.create_subprocess_shell, "echo hi", {"shell": False}),
    ]
    for option, value in (("shell", True), ("universal_newlines", True), ("bufsize", 1),
                          ("text", True), ("encoding", "utf-8"), ("errors", "strict")):
        attempts.append((f"exec with {option}={value!r}", aio.create_subprocess_exec,
                         sys.executable, {option: value}))
    attempts.append(("a missing program", aio.create_subprocess_exec,
                     "/nonexistent/program", {}))
    attempts.append(("a file that is not a program", aio.create_subprocess_exec,
                     "/dev/null", {}))
    for name, create, program, options in attempts:
        try:
            await create(program, **options)
        except (ValueError, OSError) as exc:
            log.error(f"{name}:", exc)


@scenario(
    "repr: <Process PID>",
    "environment b'from the parent'",
    "cwd b'/'",
    "a session of its own: True",
    "returncodes [0, 0, 0]",
)
async def test_popen_options_reach_the_child(aio, log):
    """Keyword arguments asyncio does not know go to subprocess.Popen as they are."""
    proc = await aio.create_subprocess_exec(
        *python("import os; print(os.environ['STORY'])"), stdout=PIPE,
        env={"STORY": "from the parent"})
    log("repr:", repr(proc).replace(str(proc.pid), "PID"))
    log("environment", (await proc.stdout.read()).strip())
    codes = [await proc.wait()]
    proc = await aio.create_subprocess_exec(*python("import os; print(os.getcwd())"),
                                            stdout=PIPE, cwd="/")
    log("cwd", (await proc.communicate())[0].strip())
    codes.append(proc.returncode)
    proc = await aio.create_subprocess_exec(
        *python("import os; print(os.getsid(0) == os.getpid())"), stdout=PIPE,
        start_new_session=True)
    log("a session of its own:", (await proc.communicate())[0].strip().decode())
    codes.append(proc.returncode)
    log("returncodes", codes)


@scenario(
    "readline raised ValueError: Separator is not found, and chunk exceed the limit",
    "next line b'\\n'",
    "next line b'bbbbbbbbbbbbbbbbbbbb\\n'",
)
async def test_the_limit_of_the_output_streams(aio, log):
    """limit= is the stdout and stderr readers' limit: more than that without a newline
    fails readline(), which drops what the reader held."""
    proc = await aio.create_subprocess_exec(
        *python("import sys; print('a' * 100, end='', flush=True); sys.stdin.readline();"
                " print(); print('b' * 20)"), stdin=PIPE, stdout=PIPE, limit=50)
    try:
        await proc.stdout.readline()
    except ValueError as exc:
        log.error("readline raised", exc)
    proc.stdin.write(b"go\n")
    log("next line", await proc.stdout.readline())
    log("next line", await proc.stdout.readline())
    await proc.communicate()


@scenario(
    "communicate (b'', None)",
    "returncode 0",
)
async def test_communicate_ignores_a_child_that_does_not_read(aio, log):
    """The child exits without reading its input: the broken pipe is not an error for
    communicate(), which still reads the output and waits."""
    proc = await aio.create_subprocess_exec(*python("pass"), stdin=PIPE, stdout=PIPE)
    log("communicate", await proc.communicate(b"x" * 2**20))
    log("returncode", proc.returncode)


@scenario(
    "waits [6, 6, 6]",
)
async def test_waiting_three_times_at_once(aio, log):
    proc = await aio.create_subprocess_exec(*python("raise SystemExit(6)"))
    log("waits", await aio.gather(proc.wait(), proc.wait(), proc.wait()))


@scenario(
    "create_subprocess_exec cancelled",
)
async def test_a_cancelled_create_kills_and_reaps_its_child(aio, log):
    """Cancelled while it connects the pipes (the process has started by then), the
    creation closes the transport, which kills the child, and waits for it before it lets
    the cancellation out: nothing is left behind (conftest.py checks)."""
    creating = aio.create_task(aio.create_subprocess_exec(
        *python("import time; time.sleep(30)"), stdin=PIPE, stdout=PIPE, stderr=PIPE))
    await aio.sleep(0)  # its first step started the process
    creating.cancel()
    try:
        await creating
    except aio.CancelledError:
        log("create_subprocess_exec cancelled")
