"""File descriptors in tests: a fixture that fails a test which leaves one open (a socket it
forgot to close, a selector that was never unregistered, a loop that was not closed), and
the non-blocking socket pair most socket scenarios start from.

    pytestmark = pytest.mark.usefixtures("no_fd_leaks")

The fixture counts the entries of /proc/self/fd before and after the test (Linux only;
elsewhere it checks nothing).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

FD_DIR = "/proc/self/fd"


def open_fds() -> dict[str, str]:
    """The process's open descriptors: number -> what it points at."""
    fds = {}
    for name in os.listdir(FD_DIR):
        try:
            fds[name] = os.readlink(os.path.join(FD_DIR, name))
        except OSError:  # the descriptor listdir() itself used, closed by now
            pass
    return fds


@pytest.fixture
def no_fd_leaks() -> Iterator[None]:
    if not os.path.isdir(FD_DIR):
        yield
        return
    before = open_fds()
    yield
    after = open_fds()
    new = {fd: target for fd, target in after.items() if before.get(fd) != target}
    assert len(after) <= len(before), f"file descriptors left open: {new}"


def nonblocking_pair() -> tuple[socket.socket, socket.socket]:
    """Two connected sockets, ready for the loop's sock_* methods (which refuse blocking ones
    in debug mode)."""
    left, right = socket.socketpair()
    left.setblocking(False)
    right.setblocking(False)
    return left, right
