"""Watching file descriptors: add_reader, add_writer and the selector's registrations.

What you learn here: how "wait until this socket is readable" becomes a registration with
the operating system. The loop owns one `selectors` selector; each watched file descriptor
has one key in it, whose data is the list `[reader, writer]` of the Handles to queue when the
fd becomes readable or writable. Reading and writing interest on the same fd share that key.
`_run_once` (loop.py) asks the selector which fds are ready and queues their handles, like
any other callback. The `sock_*` methods (sockets.py) are built on `_add_reader` and
`_add_writer`: try the system call, and only if it would block, register and wait.

Polling (`_poll_io`) talks to epoll directly on Linux, and keeps its own map from fd to the
key's `[reader, writer]` list (`_watched`), rather than going through `selector.select()`:
see the Discussion there for what that buys.
"""

from __future__ import annotations

import select
import selectors
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from .handles import Handle

if TYPE_CHECKING:
    from _typeshed import FileDescriptorLike

    from .loop import EventLoop

__all__ = ("WatchMixin",)


class WatchMixin:
    """The loop's add_reader/add_writer family (EventLoop inherits it)."""

    if TYPE_CHECKING:  # what we use of EventLoop, for the type checker
        _selector: selectors.BaseSelector
        _ready: deque[Any]
        _closed: bool
        def _check_closed(self) -> None: ...

    def _init_watching(self) -> None:
        """The selector and the fd map (called once, by EventLoop.__init__)."""
        self._selector = selectors.DefaultSelector()
        # fd -> the [reader, writer] list of its selector key: what _poll_io looks up.
        self._watched: dict[int, list[Handle | None]] = {}
        # The epoll object under the selector (Linux), which _poll_io asks directly.
        self._epoll: select.epoll | None = None
        if isinstance(self._selector, selectors.EpollSelector):
            self._epoll = self._selector._selector  # type: ignore[attr-defined]

    def _poll_io(self, timeout: float | None) -> None:
        """Wait up to `timeout` seconds (None: until something happens) for a watched fd to
        be ready, and queue the handles of the ready ones, reader before writer.

        Discussion: why not `selector.select()`. It is a Python method that rounds the
        timeout, polls, then builds a list of (key, events) pairs through a method call
        per ready fd, which we then unpack again. Asking the epoll object directly and
        finding the handles in our own fd map is the same system call with a third of the
        Python around it: 0.2 us per turn without events, about 0.5 us with one (a
        1-byte ping-pong round trip takes four turns: 16.7 -> 15.4 us). The events mean the
        same as in selectors: a hang-up or an error (EPOLLHUP, EPOLLERR) wakes the reader
        and the writer alike, and epoll rounds the timeout up to whole milliseconds itself.
        """
        watched = self._watched
        if self._epoll is not None:
            events = self._epoll.poll(timeout, len(watched) or 1)
        else:  # not Linux: the selectors module's select(), in epoll's terms
            events = [(key.fd, (_EPOLLIN if mask & selectors.EVENT_READ else 0)
                       | (_EPOLLOUT if mask & selectors.EVENT_WRITE else 0))
                      for key, mask in self._selector.select(timeout)]
        ready = self._ready
        for fd, event in events:
            handles = watched.get(fd)
            if handles is None:  # not ours any more (as selectors, skip it)
                continue
            reader, writer = handles
            if event & _READABLE and reader is not None:
                if reader._cancelled:  # a finished sock_* read (see sockets.py)
                    self._remove_reader(fd)
                else:
                    ready.append(reader)
            if event & _WRITABLE and writer is not None:
                if writer._cancelled:
                    self._remove_writer(fd)
                else:
                    ready.append(writer)

    def add_reader(self, fd: FileDescriptorLike, callback: Callable[..., object],
                   *args: Any) -> None:
        """Call `callback(*args)` every turn in which `fd` is readable, until removed."""
        _check_fileobj(fd)
        self._add_reader(fd, callback, *args)

    def add_writer(self, fd: FileDescriptorLike, callback: Callable[..., object],
                   *args: Any) -> None:
        """Call `callback(*args)` every turn in which `fd` is writable, until removed."""
        _check_fileobj(fd)
        self._add_writer(fd, callback, *args)

    def remove_reader(self, fd: FileDescriptorLike) -> bool:
        """Stop watching `fd` for reading; True if it was watched."""
        _check_fileobj(fd)
        return self._remove_reader(fd)

    def remove_writer(self, fd: FileDescriptorLike) -> bool:
        """Stop watching `fd` for writing; True if it was watched."""
        _check_fileobj(fd)
        return self._remove_writer(fd)

    def _add_reader(self, fd: FileDescriptorLike, callback: Callable[..., object],
                    *args: Any) -> Handle:
        handle = Handle(callback, args, cast("EventLoop", self), None)
        return self._watch(fd, selectors.EVENT_READ, handle)

    def _add_writer(self, fd: FileDescriptorLike, callback: Callable[..., object],
                    *args: Any) -> Handle:
        handle = Handle(callback, args, cast("EventLoop", self), None)
        return self._watch(fd, selectors.EVENT_WRITE, handle)

    def _remove_reader(self, fd: FileDescriptorLike) -> bool:
        return self._unwatch(fd, selectors.EVENT_READ)

    def _remove_writer(self, fd: FileDescriptorLike) -> bool:
        return self._unwatch(fd, selectors.EVENT_WRITE)

    def _watch(self, fd: FileDescriptorLike, event: int, handle: Handle) -> Handle:
        """Register `handle` for `event` on `fd`; it replaces (and cancels) an earlier one.

        The selector keeps one key per fd, whose data is the list [reader, writer]: reading
        and writing interest on the same fd share the registration. Replacing a handle where
        the interest is already registered is a plain list assignment, with no call into the
        selector: that is what makes sockets.py's sticky read registrations cheap.
        """
        self._check_closed()
        key = self._selector.get_map().get(fd)
        if key is not None and _closed_since_registered(key):
            # Discussion: the user closed this fd's previous socket while it was still
            # registered (sockets.py leaves a finished reader registered until the next turn,
            # and asyncio users close sockets directly). The kernel forgot the fd at close();
            # the selector's map did not, and would take the new socket that got the same
            # number for the old one: no system call, no events, a hang. Start afresh.
            for stale in key.data:
                if stale is not None:
                    stale.cancel()
            key.data[:] = [None, None]  # whoever still holds this list sees it is over
            self._selector.unregister(key.fd)
            del self._watched[key.fd]
            key = None
        if key is None:
            handles = [handle, None] if event == selectors.EVENT_READ else [None, handle]
            self._watched[self._selector.register(fd, event, handles).fd] = handles
            return handle
        slot = 0 if event == selectors.EVENT_READ else 1
        handles = key.data
        old, handles[slot] = handles[slot], handle
        if not key.events & event:
            self._selector.modify(fd, key.events | event, handles)
        if old is not None:
            old.cancel()
        return handle

    def _unwatch(self, fd: FileDescriptorLike, event: int) -> bool:
        if self._closed:
            return False
        try:
            key = self._selector.get_key(fd)
        except KeyError:
            return False
        handles = key.data
        slot = 0 if event == selectors.EVENT_READ else 1
        old, handles[slot] = handles[slot], None
        remaining = key.events & ~event
        if remaining:
            self._selector.modify(fd, remaining, handles)
        else:
            self._selector.unregister(fd)
            del self._watched[key.fd]
        if old is None or old._cancelled:  # a cancelled one is a finished sock_* wait's
            return False
        old.cancel()
        return True


# epoll's event bits (fixed by Linux's ABI; spelled out because select.EPOLLIN exists on
# Linux only, and the fallback in _poll_io speaks epoll's terms everywhere).
_EPOLLIN = 0x001
_EPOLLOUT = 0x004
# What wakes a reader or a writer: anything but "writable" (EPOLLIN, and EPOLLHUP or
# EPOLLERR) for a reader, anything but "readable" for a writer, as in selectors.
_READABLE = ~_EPOLLOUT
_WRITABLE = ~_EPOLLIN


def _check_fileobj(fd: FileDescriptorLike) -> None:
    """Reject an object without a usable fileno() before anything else, even on a closed
    loop, as asyncio does (a negative or closed fd is left to the selector, whose error for
    it asyncio's users see too: "Invalid file descriptor: -1", or EBADF)."""
    if not isinstance(fd, int):
        try:
            int(fd.fileno())
        except (AttributeError, TypeError, ValueError):
            raise ValueError(f"Invalid file object: {fd!r}") from None


def _closed_since_registered(key: selectors.SelectorKey) -> bool:
    """True if the socket (or file) registered under `key` has been closed since."""
    if isinstance(key.fileobj, int):
        return False
    try:
        return key.fileobj.fileno() != key.fd  # a closed socket says -1
    except ValueError:  # a closed file object refuses to answer
        return True
