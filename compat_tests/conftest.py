import glob
import time

import pytest

# Show a full diff of the traces when a scenario fails (the assert lives in the harness).
pytest.register_assert_rewrite("compat_tests.harness")


def child_processes() -> dict[int, str]:
    """This process's children, started by any of its threads: pid -> state ("Z" for a
    zombie, a child that exited and that nobody has waited for yet).

    Read from /proc/self/task/*/children (Linux; elsewhere there are none to see). The
    check only looks: it never waits for a child itself, which would hide the zombie it
    is there to find (and steal the exit status from the watcher that should read it).
    """
    children = {}
    for path in glob.glob("/proc/self/task/*/children"):
        try:
            with open(path) as listing:
                pids = [int(pid) for pid in listing.read().split()]
        except OSError:  # the thread ended since glob() saw it
            continue
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    # "pid (command) state ...": the command may hold spaces and parentheses
                    children[pid] = stat.read().rpartition(")")[2].split()[0]
            except OSError:  # reaped meanwhile
                pass
    return children


@pytest.fixture(autouse=True)
def no_thread_or_process_left_behind():
    """Every scenario must clean up after itself: worker threads joined, child processes
    reaped (a pool shut down without waiting gets a second to let its threads exit, and a
    child a second to be reaped by whoever is reaping it)."""
    import multiprocessing
    import threading

    before = set(threading.enumerate())
    children_before = child_processes()
    yield
    leftovers = [t for t in threading.enumerate() if t not in before]
    for thread in leftovers:
        thread.join(1)
    alive = [t.name for t in leftovers if t.is_alive()]
    assert not alive, f"threads left behind: {alive}"
    assert not multiprocessing.active_children(), "child processes left behind"
    deadline = time.monotonic() + 1
    while True:
        new = {pid: state for pid, state in child_processes().items()
               if pid not in children_before}
        if not new or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert not new, f"child processes left behind (pid: state, Z for unreaped): {new}"
