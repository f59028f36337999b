"""Watching file descriptors: add_reader, add_writer, and their private twins.

What you learn here: the loop's side of "call me when this fd is readable". A watch is a
`Handle` (handles.py) that the poller (poller.py) queues each turn in which the fd is ready,
like any other callback. The public methods check their argument and return nothing, as
asyncio's do; the private ones (`_add_reader`, ...) return the handle, so that the
`sock_*` methods (sockets.py) can tell later whether their registration is still theirs.
They are built on these: try the system call, and only if it would block, register and wait.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from .handles import Handle
from .poller import make_poller

if TYPE_CHECKING:
    import selectors

    from _typeshed import FileDescriptorLike

    from .loop import EventLoop
    from .poller import Poller

__all__ = ("WatchMixin",)


class WatchMixin:
    """The loop's add_reader/add_writer family (EventLoop inherits it)."""

    if TYPE_CHECKING:  # what we use of EventLoop, for the type checker
        _poller: Poller
        _closed: bool
        _notify: Callable[..., None]
        def _check_closed(self) -> None: ...

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
        self._check_closed()
        handle = Handle(callback, args, cast("EventLoop", self), None)
        self._poller.add_reader(fd, handle)
        return handle

    def _add_writer(self, fd: FileDescriptorLike, callback: Callable[..., object],
                    *args: Any) -> Handle:
        self._check_closed()
        handle = Handle(callback, args, cast("EventLoop", self), None)
        self._poller.add_writer(fd, handle)
        return handle

    def _remove_reader(self, fd: FileDescriptorLike) -> bool:
        if self._closed:
            return False
        return self._poller.remove_reader(fd)

    def _remove_writer(self, fd: FileDescriptorLike) -> bool:
        if self._closed:
            return False
        return self._poller.remove_writer(fd)

    def _is_watching(self, fd: int, event: int) -> bool:
        """Is `fd` watched for `event` right now? Transports' reprs say "polling" or "idle"
        from this, as asyncio's ask its selector."""
        return not self._closed and self._poller.is_watching(fd, event)

    @property
    def _selector(self) -> selectors.BaseSelector:
        """asyncio's name for the selector loop's selector, which some code reads."""
        return self._poller._selector

    @_selector.setter
    def _selector(self, selector: selectors.BaseSelector) -> None:
        # Code that swaps the selector (CPython's test loop puts a fake one in, whose
        # select() returns at once for its virtual clock) gets a fresh poller on it; the
        # registrations made on the old one, the self-pipe's included, stay behind.
        self._poller = make_poller(selector, self._notify)


def _check_fileobj(fd: FileDescriptorLike) -> None:
    """Reject an object without a usable fileno() before anything else, even on a closed
    loop, as asyncio does (a negative or closed fd is left to the selector, whose error for
    it asyncio's users see too: "Invalid file descriptor: -1", or EBADF)."""
    if not isinstance(fd, int):
        try:
            int(fd.fileno())
        except (AttributeError, TypeError, ValueError):
            raise ValueError(f"Invalid file object: {fd!r}") from None
