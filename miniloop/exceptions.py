"""The exceptions every other module raises.

What you learn here: why `CancelledError` is a `BaseException`. Since Python 3.8 asyncio
derives it from `BaseException`, not `Exception`, so that a well-meant `except Exception:`
in user code does not swallow a cancellation by accident. A task that really wants to
survive being cancelled must say `except CancelledError:` out loud.

`TimeoutError` is the builtin one: asyncio made its own an alias of it in 3.11, so
`except TimeoutError:` catches timeouts from `wait_for`, `timeout()` and sockets alike.

The two stream errors (streamreader.py raises them) carry data, not just a message: what
was read before the end of the stream, and how far the reader got before its limit.
"""

from __future__ import annotations

__all__ = ("CancelledError", "IncompleteReadError", "InvalidStateError", "LimitOverrunError",
           "SendfileNotAvailableError", "TimeoutError")


class CancelledError(BaseException):
    """The task or future was cancelled."""


class InvalidStateError(Exception):
    """A future was asked for something its state does not allow (a result before it has one)."""


class SendfileNotAvailableError(RuntimeError):
    """os.sendfile() cannot send this file over this socket (see sendfile.py)."""


TimeoutError = TimeoutError  # the builtin, re-exported under asyncio's name


class IncompleteReadError(EOFError):
    """The stream ended before a read had what it needed.

    `partial` holds the bytes that did arrive (the reader has consumed them), `expected`
    how many were asked for (None when the read waited for a separator, not a count).
    """

    def __init__(self, partial: bytes, expected: int | None) -> None:
        wanted = "undefined" if expected is None else repr(expected)
        super().__init__(f"{len(partial)} bytes read on a total of {wanted} expected bytes")
        self.partial = partial
        self.expected = expected

    def __reduce__(self) -> tuple[type[IncompleteReadError], tuple[bytes, int | None]]:
        # Pickled by its two fields: args holds only the message, which __init__ rebuilds.
        return type(self), (self.partial, self.expected)


class LimitOverrunError(Exception):
    """A separator was not found within the reader's limit.

    `consumed` is how many bytes the read could remove from the buffer (they are left
    there: the caller decides what to do with them).
    """

    def __init__(self, message: str, consumed: int) -> None:
        super().__init__(message)
        self.consumed = consumed

    def __reduce__(self) -> tuple[type[LimitOverrunError], tuple[str, int]]:
        return type(self), (self.args[0], self.consumed)
