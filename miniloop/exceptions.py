"""The exceptions every other module raises.

What you learn here: why `CancelledError` is a `BaseException`. Since Python 3.8 asyncio
derives it from `BaseException`, not `Exception`, so that a well-meant `except Exception:`
in user code does not swallow a cancellation by accident. A task that really wants to
survive being cancelled must say `except CancelledError:` out loud.

`TimeoutError` is the builtin one: asyncio made its own an alias of it in 3.11, so
`except TimeoutError:` catches timeouts from `wait_for`, `timeout()` and sockets alike.
"""

__all__ = ("CancelledError", "InvalidStateError", "SendfileNotAvailableError", "TimeoutError")


class CancelledError(BaseException):
    """The task or future was cancelled."""


class InvalidStateError(Exception):
    """A future was asked for something its state does not allow (a result before it has one)."""


class SendfileNotAvailableError(RuntimeError):
    """os.sendfile() cannot send this file over this socket (see sendfile.py)."""


TimeoutError = TimeoutError  # the builtin, re-exported under asyncio's name
