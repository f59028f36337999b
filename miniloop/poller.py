"""The poller: which file descriptors the loop waits on, and which of them are ready.

What you learn here: how "wait until this socket is readable" becomes a registration with
the operating system, and how one system call then answers for every socket at once. The
loop composes one `Poller` and talks to it through a narrow interface (trio's I/O manager is
the model): register a reader or a writer `Handle` for a file descriptor, unregister it,
and `poll(timeout)`, which blocks until something is ready (or the timeout passes) and
returns the handles to run. No other module touches the selector.

The poller owns three things:

* a `selectors` selector (epoll on Linux, kqueue on the BSDs and macOS, select elsewhere),
  with one key per watched fd;
* `_watched`, each fd's `[reader, writer]` slots (the selector key's data): what to queue
  when the fd becomes readable or writable. Reading and writing interest on one fd share
  its key;
* `_parked`, the sticky read registrations: sockets whose last read has finished but whose
  read interest stays registered until the next poll, in case they read again at once.
  Their reader slot holds `PARKED` instead of a handle. The Discussion at `park_reader`
  explains the trade-off.
"""

from __future__ import annotations

import selectors
from typing import TYPE_CHECKING, Any, Final

from .handles import Handle

if TYPE_CHECKING:
    from collections.abc import Callable

    from _typeshed import FileDescriptorLike

__all__ = ("PARKED", "EpollPoller", "Poller", "make_poller")


class _Parked:
    """The state of a reader slot whose read has finished but whose fd is still registered."""

    def __repr__(self) -> str:
        return "PARKED"


PARKED: Final = _Parked()

Slot = Handle | _Parked | None


class Poller:
    """The loop's I/O registrations, on top of one `selectors` selector."""

    def __init__(self, selector: selectors.BaseSelector | None = None,
                 notify: Callable[..., None] | None = None) -> None:
        self._selector = selector if selector is not None else selectors.DefaultSelector()
        self._watched: dict[int, list[Slot]] = {}  # fd -> [reader, writer], the key's data
        self._parked: dict[int, Any] = {}  # fd -> the socket whose finished read is parked
        self._notify = notify  # the loop's instrument hook: registrations the kernel sees

    @property
    def name(self) -> str:
        """The selector's class name, for the loop's debug log ("Using selector: ...")."""
        return type(self._selector).__name__

    # == Registering ===========================================================================

    def add_reader(self, fileobj: FileDescriptorLike, handle: Handle) -> None:
        """Queue `handle` each time `fileobj` is readable; it replaces an earlier reader.

        A parked registration of the same socket is taken back with no system call and no
        selector look-up: the new handle simply goes into the slot (see `park_reader`).
        """
        fd = fileobj if isinstance(fileobj, int) else fileobj.fileno()
        slots = self._watched.get(fd)
        if slots is not None and slots[0] is PARKED and self._parked.get(fd) is fileobj:
            del self._parked[fd]
            slots[0] = handle
            return
        self._watch(fileobj, selectors.EVENT_READ, handle)

    def add_writer(self, fileobj: FileDescriptorLike, handle: Handle) -> None:
        """Queue `handle` each time `fileobj` is writable; it replaces an earlier writer."""
        self._watch(fileobj, selectors.EVENT_WRITE, handle)

    def remove_reader(self, fileobj: FileDescriptorLike) -> bool:
        """Stop watching `fileobj` for reading; True if a reader was registered."""
        return self._unwatch(fileobj, selectors.EVENT_READ)

    def remove_writer(self, fileobj: FileDescriptorLike) -> bool:
        """Stop watching `fileobj` for writing; True if a writer was registered."""
        return self._unwatch(fileobj, selectors.EVENT_WRITE)

    def is_watching(self, fd: int, event: int) -> bool:
        """Does a handle wait for `event` (EVENT_READ or EVENT_WRITE) on `fd`? A parked read
        has none: its read has finished."""
        slots = self._watched.get(fd)
        if slots is None:
            return False
        reader, writer = slots
        return isinstance(writer if event == selectors.EVENT_WRITE else reader, Handle)

    # FAST PATH [parked-reads]: docs/fast-paths.md
    def park_reader(self, sock: Any, fd: int) -> None:
        """`sock`'s read has finished: leave its read interest registered until the next poll.

        Discussion: sticky read registrations. asyncio registers the fd before each wait
        and unregisters it after: two system calls (epoll_ctl) and a dozen Python calls in
        `selectors`, per wait. A connection that answers requests waits on every read and
        reads again right after, so instead the finished reader's slot is marked `PARKED`.
        The next read on the same socket finds the interest in place and just puts its
        handle in the slot, with no system call at all (`add_reader`). curio keeps
        registrations across waits in the same way; docs/fast-paths.md has the numbers.

        The price, and how it is paid:
        * A socket that stops reading would stay registered, and its readable fd would wake
          the poll with nothing to run. So `poll` first unregisters every parked fd that no
          new read took back: a registration outlives its read by one turn at most.
        * Users close sockets directly (asyncio has no hook for it). The kernel forgets a
          closed fd; the selector's map does not, and a new socket can get the same number
          in the same turn. So the socket object is registered, not its number: `_watch`
          sees that the registered socket was closed and starts afresh, and a parked slot
          is only taken back by the very socket that parked it.
        * Errors and cancellation still unregister at once, as in asyncio (sockets.py).
        """
        slots = self._watched.get(fd)
        if slots is not None:
            slots[0] = PARKED
            self._parked[fd] = sock

    def _watch(self, fileobj: FileDescriptorLike, event: int, handle: Handle) -> None:
        """Put `handle` in `fileobj`'s slot for `event`, registering or extending its key.

        An earlier handle in that slot is cancelled, as asyncio cancels a replaced reader:
        whoever was waiting through it learns that the fd is no longer theirs.
        """
        key = self._selector.get_map().get(fileobj)
        if key is not None and _closed_since_registered(key):
            # Discussion: the user closed this fd's previous socket while it was still
            # registered (parked, or registered through add_reader). The kernel forgot the
            # fd at close(); the selector's map did not, and would take the new socket that
            # got the same number for the old one: no system call, no events, a hang.
            # Forget the old key and start afresh.
            for stale in key.data:
                if isinstance(stale, Handle):
                    stale.cancel()
            key.data[:] = [None, None]
            self._selector.unregister(key.fd)
            del self._watched[key.fd]
            self._parked.pop(key.fd, None)
            key = None
        if key is None:
            slots: list[Slot] = [handle, None] if event == selectors.EVENT_READ else [None, handle]
            fd = self._selector.register(fileobj, event, slots).fd
            self._watched[fd] = slots
            self._notify_change("fd_registered", fd, event)
            return
        slot = 0 if event == selectors.EVENT_READ else 1
        slots = key.data
        old, slots[slot] = slots[slot], handle
        if not key.events & event:
            self._selector.modify(fileobj, key.events | event, slots)
            self._notify_change("fd_registered", key.fd, event)
        if isinstance(old, Handle):
            old.cancel()

    def _unwatch(self, fileobj: FileDescriptorLike, event: int) -> bool:
        try:
            key = self._selector.get_key(fileobj)
        except KeyError:
            return False
        slots = key.data
        slot = 0 if event == selectors.EVENT_READ else 1
        old, slots[slot] = slots[slot], None
        remaining = key.events & ~event
        if remaining:
            self._selector.modify(fileobj, remaining, slots)
        else:
            self._selector.unregister(fileobj)
            del self._watched[key.fd]
        if key.events & event:
            self._notify_change("fd_unregistered", key.fd, event)
        if not isinstance(old, Handle):  # nothing, or a parked read: nobody was waiting
            return False
        old.cancel()
        return True

    def _notify_change(self, hook: str, fd: int, event: int) -> None:
        if self._notify is not None:
            self._notify(hook, fd=fd, event="read" if event == selectors.EVENT_READ else "write")

    # == Polling ===============================================================================

    def poll(self, timeout: float | None) -> list[tuple[int, str, Handle]]:
        """Block up to `timeout` seconds (None: until something happens) for a watched fd
        to be ready; return `(fd, "read" | "write", handle)` for each handle to run, a
        reader before the writer of the same fd, in the order the selector reports them.

        A hang-up or an error on an fd wakes its reader and its writer alike (selectors
        reports it as both readable and writable), so that whoever waits sees the error.
        """
        if self._parked:
            self._drop_parked()  # so from here on, a slot holds a Handle or None
        ready = []
        for key, mask in self._selector.select(timeout):
            reader, writer = key.data
            if mask & selectors.EVENT_READ and reader is not None:
                ready.append((key.fd, "read", reader))
            if mask & selectors.EVENT_WRITE and writer is not None:
                ready.append((key.fd, "write", writer))
        return ready

    def _drop_parked(self) -> None:
        """Unregister the parked reads that no new read took back (see `park_reader`)."""
        parked, self._parked = self._parked, {}
        for fd, sock in parked.items():
            slots = self._watched.get(fd)
            if slots is not None and slots[0] is PARKED:
                self._unwatch(sock if sock.fileno() == fd else fd, selectors.EVENT_READ)

    def close(self) -> None:
        self._selector.close()
        self._watched.clear()
        self._parked.clear()
        self._notify = None  # the loop's bound method: a reference cycle through the loop


# FAST PATH [epoll-poll]: docs/fast-paths.md
class EpollPoller(Poller):
    """The same poller, asking Linux's epoll object directly instead of `selector.select()`
    (fast path: epoll-poll, docs/fast-paths.md). The loop chooses it once, when the default
    selector is an `EpollSelector`; everything but `poll` is inherited unchanged.

    Discussion: `selector.select()` is a Python method that rounds the timeout, polls, then
    builds a list of (key, events) pairs through a method call per ready fd, which `poll`
    above unpacks again. Asking the epoll object directly and finding the slots in our own
    fd map is the same system call with a third of the Python around it: about 0.7 us less
    on every turn, which is most of a turn for a loop busy handing a lock or a socket
    between tasks. The events mean what they mean in `selectors`: a hang-up or an error
    (EPOLLHUP, EPOLLERR) wakes the reader and the writer alike, and epoll rounds the
    timeout up to whole milliseconds itself.
    """

    def __init__(self, selector: selectors.EpollSelector,
                 notify: Callable[..., None] | None = None) -> None:
        super().__init__(selector, notify)
        self._epoll = selector._selector  # type: ignore[attr-defined]  # the epoll object

    def poll(self, timeout: float | None) -> list[tuple[int, str, Handle]]:
        if timeout is not None and timeout != timeout:  # NaN: fail as selectors fails
            return super().poll(timeout)
        if self._parked:
            self._drop_parked()
        watched = self._watched
        ready = []
        for fd, event in self._epoll.poll(timeout, len(watched) or 1):
            slots = watched.get(fd)
            if slots is None:  # not ours any more (selectors skips it too)
                continue
            reader, writer = slots
            if event & _READABLE and reader is not None:
                ready.append((fd, "read", reader))
            if event & _WRITABLE and writer is not None:
                ready.append((fd, "write", writer))
        return ready  # type: ignore[return-value]  # (after _drop_parked, no slot is PARKED)


def make_poller(selector: selectors.BaseSelector | None,
                notify: Callable[..., None] | None) -> Poller:
    """The loop's poller: the epoll fast path for the default selector on Linux, else the
    plain one (a selector the user passed in is always used through its own select())."""
    if selector is None:
        selector = selectors.DefaultSelector()
        if isinstance(selector, selectors.EpollSelector):
            return EpollPoller(selector, notify)
    return Poller(selector, notify)


# epoll's event bits (fixed by Linux's ABI; select.EPOLLIN exists on Linux only).
_EPOLLIN = 0x001
_EPOLLOUT = 0x004
# What wakes a reader or a writer: anything but "writable" (EPOLLIN, and EPOLLHUP or
# EPOLLERR) for a reader, anything but "readable" for a writer, as in selectors.
_READABLE = ~_EPOLLOUT
_WRITABLE = ~_EPOLLIN


def _closed_since_registered(key: selectors.SelectorKey) -> bool:
    """True if the socket (or file) registered under `key` has been closed since."""
    if isinstance(key.fileobj, int):
        return False
    try:
        return key.fileobj.fileno() != key.fd  # a closed socket says -1
    except ValueError:  # a closed file object refuses to answer
        return True
