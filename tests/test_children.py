"""miniloop only: no child process is left a zombie, even when its loop closes first.

asyncio's pidfd watchers (the default from 3.12) watch a child's exit through the loop, and
stop watching when the loop closes or lets go of the watcher: a child still running then
is never waited for, and stays a zombie once it ends (its pidfd stays open too, from 3.12).
miniloop hands such a child to a thread that waits for it (childwatchers.reap_in_threads).
The compat scenario `test_a_child_outlives_its_loop` holds what the two loops share.
"""

import gc
import os
import signal
import sys
import time
import warnings

import pytest

import miniloop
from compat_tests.fds import open_fds
from compat_tests.test_subprocess_transport import process_state
from miniloop import versions

SLEEPER = (sys.executable, "-c", "import time; time.sleep(30)")


def reaped(pid, within=10.0):
    """Has someone waited for `pid` (within a generous bound)? Only looks, never waits."""
    deadline = time.monotonic() + within
    while process_state(pid) is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    return process_state(pid) is None


def pidfds():
    return [fd for fd, target in open_fds().items() if target == "anon_inode:[pidfd]"]


def test_a_child_still_running_when_its_loop_closes_is_reaped_when_it_ends():
    async def main():
        return await miniloop.create_subprocess_exec(*SLEEPER)

    proc = miniloop.run(main())
    assert process_state(proc.pid) not in (None, "Z")  # it outlived the loop
    assert pidfds() == []                       # the loop closed the one it watched
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # 3.11 logs; the transport warns
        os.kill(proc.pid, signal.SIGKILL)
        assert reaped(proc.pid)
        del proc
        gc.collect()


def test_a_program_that_fails_with_a_child_running_leaves_no_zombie():
    """The program ends with an error while its child runs: run() cancels nothing of the
    child's, and the child runs on after the loop is gone, until it is killed."""
    pids = []

    async def main():
        proc = await miniloop.create_subprocess_exec(*SLEEPER)
        pids.append(proc.pid)
        raise KeyError("the program fails")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # the unclosed transport
        with pytest.raises(KeyError):
            miniloop.run(main())
        gc.collect()
        if process_state(pids[0]) not in (None, "Z"):  # the traceback still holds the transport
            os.kill(pids[0], signal.SIGKILL)
    assert reaped(pids[0])
    assert pidfds() == []


def test_a_program_cancelled_while_it_waits_for_a_child_leaves_no_zombie():
    """The program is cancelled (as Ctrl-C cancels run()'s main task) in wait(): the child
    runs on after the loop is gone, and is reaped once it is killed."""
    pids = []

    async def main():
        proc = await miniloop.create_subprocess_exec(*SLEEPER)
        pids.append(proc.pid)
        miniloop.get_running_loop().call_later(0.05, miniloop.current_task().cancel)
        await proc.wait()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        with pytest.raises(miniloop.CancelledError):
            miniloop.run(main())
        if process_state(pids[0]) not in (None, "Z"):  # still running: the program ends it
            os.kill(pids[0], signal.SIGKILL)
        gc.collect()
    assert reaped(pids[0])
    assert pidfds() == []


@pytest.mark.skipif(versions.PIDFD_WATCHER_USES_RUNNING_LOOP,
                    reason="3.11's PidfdChildWatcher: attached to one loop")
def test_a_pidfd_watcher_detached_with_a_child_running_leaves_no_zombie():
    """3.11's PidfdChildWatcher, detached while it still watches a child: asyncio warns,
    closes the pidfd and forgets the child; miniloop also has it reaped."""
    watcher = miniloop.PidfdChildWatcher()

    async def main():
        watcher.attach_loop(miniloop.get_running_loop())
        proc = await miniloop.create_subprocess_exec(*SLEEPER)
        with pytest.warns(RuntimeWarning, match="A loop is being detached"):
            watcher.attach_loop(None)
        return proc

    miniloop.set_child_watcher(watcher)
    try:
        proc = miniloop.run(main())
        assert pidfds() == []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)  # the unclosed transport
            os.kill(proc.pid, signal.SIGKILL)
            assert reaped(proc.pid)
            del proc
            gc.collect()
    finally:
        miniloop.set_child_watcher(None)
