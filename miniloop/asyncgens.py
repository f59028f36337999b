"""Async generators: making sure their `finally:` blocks run, on the loop, before it closes.

What you learn here: an async generator that is not iterated to the end is suspended at a
`yield`, possibly inside `try:`/`async with`. Its cleanup code is asynchronous (it may
`await`), so the garbage collector cannot just run it the way it closes a plain generator.
Python asks the event loop for help through two hooks (`sys.set_asyncgen_hooks`), which
the loop installs while `run_forever()` runs, as asyncio's does:

* *firstiter* is called when an async generator is first iterated: the loop remembers it
  (weakly, so remembering it does not keep it alive);
* *finalizer* is called when such a generator is garbage collected unfinished: the loop
  schedules `agen.aclose()` as a task, with `call_soon_threadsafe` because the collector
  may run in any thread.

Generators that are still alive when the program ends are closed by `shutdown_asyncgens()`,
which `run()` calls after cancelling leftover tasks and before shutting down the executor.

`AsyncGenMixin` holds these methods; `EventLoop` inherits them.
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import AsyncGenerator, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from .gather import gather

if TYPE_CHECKING:
    from .handles import Handle
    from .tasks import Task

__all__ = ("AsyncGenMixin",)


class AsyncGenMixin:
    """The loop's side of sys.set_asyncgen_hooks, and shutdown_asyncgens()."""

    if TYPE_CHECKING:  # what we use of EventLoop, for the type checker
        _asyncgens: weakref.WeakSet[AsyncGenerator[Any, Any]]  # alive, started
        _asyncgens_shutdown_called: bool
        def is_closed(self) -> bool: ...
        def create_task(self, coro: Coroutine[Any, Any, Any]) -> Task[Any]: ...
        def call_soon_threadsafe(self, callback: Callable[..., object],
                                 *args: Any) -> Handle: ...
        def call_exception_handler(self, context: dict[str, Any]) -> None: ...

    def _asyncgen_firstiter_hook(self, agen: AsyncGenerator[Any, Any]) -> None:
        if self._asyncgens_shutdown_called:
            warnings.warn(f"asynchronous generator {agen!r} was scheduled after "
                          f"loop.shutdown_asyncgens() call", ResourceWarning,
                          source=self, stacklevel=1)
        self._asyncgens.add(agen)

    def _asyncgen_finalizer_hook(self, agen: AsyncGenerator[Any, Any]) -> None:
        self._asyncgens.discard(agen)
        if not self.is_closed():
            self.call_soon_threadsafe(self.create_task, agen.aclose())

    async def shutdown_asyncgens(self) -> None:
        """Close every async generator still alive, concurrently; report their errors."""
        self._asyncgens_shutdown_called = True
        if not self._asyncgens:
            return
        closing = list(self._asyncgens)
        self._asyncgens.clear()
        results = await gather(*[agen.aclose() for agen in closing], return_exceptions=True)
        for result, agen in zip(results, closing, strict=True):
            # Only Exception: a generator that was cancelled while closing is not an error.
            if isinstance(result, Exception):
                self.call_exception_handler({
                    "message": f"an error occurred during closing of "
                               f"asynchronous generator {agen!r}",
                    "exception": result,
                    "asyncgen": agen,
                })
