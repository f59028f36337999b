"""The loop's exception handler: where errors go that nobody else can catch.

What you learn here: an exception raised by a callback, or stored in a future that nobody
ever looks at, has no caller to propagate to (whoever scheduled the callback returned long
ago). So the loop hands a *context* dict, `{"message": ..., "exception": ..., "task": ...}`,
to its exception handler. The default handler logs it on the "asyncio" logger, one line per
key; `set_exception_handler` installs your own, and a handler that itself raises is logged
too, so that an error report can never take the loop down.
"""

from __future__ import annotations

import contextvars
import logging
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import versions

__all__ = ("ExceptionHandlerMixin",)

# asyncio's own logger name, so that `logging.getLogger("asyncio")` configures miniloop too
# (a program that runs on either loop should not need two logging set-ups).
logger = logging.getLogger("asyncio")

Handler = Callable[[Any, dict[str, Any]], object]


class ExceptionHandlerMixin:
    """set/get/call_exception_handler and the default handler (EventLoop inherits it)."""

    if TYPE_CHECKING:  # what we use of EventLoop, for the type checker
        _exception_handler: Handler | None
        _current_handle: Any

    def set_exception_handler(
            self, handler: Handler | None) -> None:
        """Replace the default handler, which logs; None restores it."""
        if handler is not None and not callable(handler):
            raise TypeError(f"A callable object or None is expected, got {handler!r}")
        self._exception_handler = handler

    def get_exception_handler(self) -> Handler | None:
        return self._exception_handler

    def call_exception_handler(self, context: dict[str, Any]) -> None:
        """Report an error that has no caller to propagate to (a failing callback, an
        exception nobody retrieved). The handler must not raise; if it does, we log that."""
        if self._exception_handler is None:
            try:
                self.default_exception_handler(context)
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException:
                logger.error("Exception in default exception handler", exc_info=True)
            return
        try:
            self._run_exception_handler(self._exception_handler, context)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            try:
                self.default_exception_handler({
                    "message": "Unhandled error in exception handler",
                    "exception": exc,
                    "context": context,
                })
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException:
                logger.error("Exception in default exception handler while handling an "
                             "unexpected error in custom exception handler", exc_info=True)

    def _run_exception_handler(self, handler: Handler,
                               context: dict[str, Any]) -> None:
        """3.12+ runs a custom handler in the context of the task, future or handle the
        report is about, so it sees the context variables of the code that failed."""
        if versions.HANDLER_RUNS_IN_CONTEXT:
            for key in ("task", "future", "handle"):
                thing = context.get(key)
                if thing is not None:
                    get_context = getattr(thing, "get_context", None)
                    ctx = get_context() if get_context is not None else None
                    if isinstance(ctx, contextvars.Context):
                        ctx.run(handler, self, context)
                        return
                    break
        handler(self, context)

    def default_exception_handler(self, context: dict[str, Any]) -> None:
        """Log the context: its message, then each other key sorted, then the traceback."""
        message = context.get("message") or "Unhandled exception in event loop"
        exception = context.get("exception")
        exc_info: Any = (type(exception), exception, exception.__traceback__) \
            if exception is not None else False
        # Debug mode: if the report says nothing about where its object came from, say where
        # the callback running now was created (asyncio adds this key to the caller's dict).
        handle_traceback = getattr(self._current_handle, "_source_traceback", None)
        if "source_traceback" not in context and handle_traceback:
            context["handle_traceback"] = handle_traceback
        lines = [message]
        for key in sorted(context):
            if key in ("message", "exception"):
                continue
            value = context[key]
            if key == "source_traceback":
                value = ("Object created at (most recent call last):\n" +
                         "".join(traceback.format_list(value)).rstrip())
            elif key == "handle_traceback":
                value = ("Handle created at (most recent call last):\n" +
                         "".join(traceback.format_list(value)).rstrip())
            else:
                value = repr(value)
            lines.append(f"{key}: {value}")
        logger.error("\n".join(lines), exc_info=exc_info)
