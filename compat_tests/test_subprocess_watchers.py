"""Child watchers: what tells the loop that a child has exited, through the event loop
policy (get_child_watcher, set_child_watcher), and 3.12's deprecation of all of it.

Scenarios that replace the policy's watcher put the old one back before they end: the
policy is the whole process's.
"""

import signal
import subprocess
import sys
import threading
import warnings

import pytest

from compat_tests.fds import no_fd_leaks  # noqa: F401 (the fixture, used below)
from compat_tests.harness import scenario
from miniloop import versions

pytestmark = pytest.mark.usefixtures("no_fd_leaks")

DEFAULT_WATCHER = "PidfdChildWatcher" if versions.PIDFD_WATCHER_BY_DEFAULT else (
    "ThreadedChildWatcher")


def python(code):
    """The arguments that run `code` in a fresh interpreter (-S: no site, a faster start)."""
    return sys.executable, "-S", "-c", code


def quietly(call, *args):
    """call(*args) without 3.12's DeprecationWarning (other scenarios look at it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return call(*args)


@scenario(
    f"a new policy's watcher: {DEFAULT_WATCHER}",
    "the same one each time: True",
    "is_active True",
    f"threads waiting for the child: {0 if versions.PIDFD_WATCHER_BY_DEFAULT else 1}",
    "wait 0",
)
async def test_the_default_child_watcher(aio, log):
    """3.11 makes a ThreadedChildWatcher (a thread per child, blocked in waitpid); 3.12
    a PidfdChildWatcher where the kernel has pidfds (Linux 5.3+: a file descriptor that
    the loop watches like a socket, no thread)."""
    policy = aio.DefaultEventLoopPolicy()
    watcher = quietly(policy.get_child_watcher)
    log("a new policy's watcher:", type(watcher).__name__)
    log("the same one each time:", quietly(policy.get_child_watcher) is watcher)
    log("is_active", watcher.is_active())
    before = threading.active_count()
    proc = await aio.create_subprocess_exec(*python("import sys; sys.stdin.read()"),
                                            stdin=subprocess.PIPE)
    log("threads waiting for the child:", threading.active_count() - before)
    proc.stdin.close()
    log("wait", await proc.wait())


def _deprecation(name):
    return (f"DeprecationWarning: {name!r} is deprecated as of Python 3.12 and will be "
            f"removed in Python 3.14.")


@scenario(
    *[f"{name}: {_deprecation(name) if versions.CHILD_WATCHERS_DEPRECATED else 'no warning'}"
      f"{where if versions.CHILD_WATCHERS_DEPRECATED else ''}"
      for name, where in (("get_child_watcher", ", from the library"),
                          ("get_child_watcher", ", from here"),
                          ("set_child_watcher", ", from here"),
                          ("SafeChildWatcher", ", from here"),
                          ("FastChildWatcher", ", from here"),
                          ("MultiLoopChildWatcher", ", from here"),
                          ("AbstractChildWatcher", ", from here"))],
    "ThreadedChildWatcher: no warning",
    "PidfdChildWatcher: no warning",
)
async def test_child_watchers_warn_as_deprecated(aio, log):
    """3.12 deprecates the whole API (3.14 removes it): the policy's getter and setter,
    the SIGCHLD watchers' constructors, and a watcher class of one's own; not the two
    watchers that 3.12's loop itself still uses. The warning points at the caller's line,
    except for asyncio.get_child_watcher(), whose warning points into asyncio itself (its
    stacklevel counts one frame short)."""
    policy = aio.DefaultEventLoopPolicy()

    def define_a_watcher():
        class Mine(aio.AbstractChildWatcher):
            pass

    steps = [("get_child_watcher", aio.get_child_watcher),
             ("get_child_watcher", policy.get_child_watcher),
             ("set_child_watcher", lambda: policy.set_child_watcher(aio.ThreadedChildWatcher())),
             ("SafeChildWatcher", aio.SafeChildWatcher),
             ("FastChildWatcher", aio.FastChildWatcher),
             ("MultiLoopChildWatcher", aio.MultiLoopChildWatcher),
             ("AbstractChildWatcher", define_a_watcher),
             ("ThreadedChildWatcher", aio.ThreadedChildWatcher),
             ("PidfdChildWatcher", aio.PidfdChildWatcher)]
    for name, step in steps:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            step()
        if not caught:
            log(f"{name}: no warning")
        for warning in caught:
            where = "here" if warning.filename == __file__ else "the library"
            log(f"{name}: {warning.category.__name__}: {warning.message}, from {where}")


@scenario(
    f"a new PidfdChildWatcher: is_active {versions.PIDFD_WATCHER_USES_RUNNING_LOOP}",
    *(["started: wait 0"] if versions.PIDFD_WATCHER_USES_RUNNING_LOOP else [
        "create_subprocess_exec raised RuntimeError: asyncio.get_child_watcher() is not "
        "activated, subprocess support is not installed."]),
    "attached to the running loop: is_active True",
    "started: wait 5",
    "detached: is_active " + str(versions.PIDFD_WATCHER_USES_RUNNING_LOOP),
)
async def test_a_pidfd_watcher_on_3_11_needs_its_loop(aio, log):
    """3.11's PidfdChildWatcher belongs to the loop it is attached to (the policy attaches
    it on set_event_loop, from the main thread) and is active only while that loop runs;
    until then no child may start. 3.12's uses whichever loop is running, and is always
    active."""
    policy = aio.get_event_loop_policy()
    previous = quietly(policy.get_child_watcher)
    watcher = aio.PidfdChildWatcher()
    log("a new PidfdChildWatcher: is_active", watcher.is_active())
    quietly(policy.set_child_watcher, watcher)
    try:
        for code in (0, 5):
            try:
                proc = await aio.create_subprocess_exec(*python(f"raise SystemExit({code})"))
                log("started: wait", await proc.wait())
            except RuntimeError as exc:
                log.error("create_subprocess_exec raised", exc)
            if code == 0:
                watcher.attach_loop(aio.get_running_loop())
                log("attached to the running loop: is_active", watcher.is_active())
        watcher.attach_loop(None)
        log("detached: is_active", watcher.is_active())
    finally:
        quietly(policy.set_child_watcher, previous)  # (closes ours)


@scenario(
    "threads waiting for the child: 1",
    "wait 0",
)
async def test_a_threaded_child_watcher_set_on_the_policy(aio, log):
    """Whatever the default, a watcher set on the policy is the one the loop uses."""
    policy = aio.get_event_loop_policy()
    previous = quietly(policy.get_child_watcher)
    quietly(policy.set_child_watcher, aio.ThreadedChildWatcher())
    try:
        before = threading.active_count()
        proc = await aio.create_subprocess_exec(*python("import sys; sys.stdin.read()"),
                                                stdin=subprocess.PIPE)
        log("threads waiting for the child:", threading.active_count() - before)
        proc.stdin.close()
        log("wait", await proc.wait())
    finally:
        quietly(policy.set_child_watcher, previous)


@scenario(
    "SafeChildWatcher: is_active False, attached: True, wait 4",
    "FastChildWatcher: is_active False, attached: True, wait 4",
    "MultiLoopChildWatcher: is_active False, attached: True, wait 4",
    "the SIGCHLD handler is back as it was: True",
)
async def test_the_sigchld_watchers(aio, log):
    """The SIGCHLD watchers wait for children when the kernel signals that one changed
    state: Safe and Fast through the loop's signal handler, MultiLoop with a process-wide
    signal.signal(); each is active once attached (and its loop runs). Deprecated in 3.12,
    they still work until 3.14."""
    loop = aio.get_running_loop()
    policy = aio.get_event_loop_policy()
    previous = quietly(policy.get_child_watcher)
    handler = signal.getsignal(signal.SIGCHLD)
    for kind in (aio.SafeChildWatcher, aio.FastChildWatcher, aio.MultiLoopChildWatcher):
        watcher = quietly(kind)
        quietly(policy.set_child_watcher, watcher)
        try:
            active = watcher.is_active()
            watcher.attach_loop(loop)
            proc = await aio.create_subprocess_exec(*python("raise SystemExit(4)"))
            log(f"{kind.__name__}: is_active {active}, attached: {watcher.is_active()}, "
                f"wait {await proc.wait()}")
        finally:
            quietly(policy.set_child_watcher, previous)  # (closes this one)
    log("the SIGCHLD handler is back as it was:", signal.getsignal(signal.SIGCHLD) == handler)
