"""What counts as a coroutine: the test `create_task()` and `run()` apply to their argument.

What you learn here: a coroutine *object* (what calling an `async def` function returns) is
not a coroutine *function*, and only the object can be scheduled. `create_task(main)` without
the parentheses is the classic mistake; it fails here with asyncio's TypeError.
"""

from __future__ import annotations

import collections.abc
import inspect
import types

from . import versions

__all__ = ("iscoroutine", "iscoroutinefunction")

# 3.11 still accepts plain generators (the remains of @asyncio.coroutine); 3.12 does not.
_COROUTINE_TYPES: tuple[type, ...] = (types.CoroutineType, collections.abc.Coroutine)
if not versions.GENERATORS_ARE_NOT_COROUTINES:
    _COROUTINE_TYPES += (types.GeneratorType,)


def iscoroutine(obj: object) -> bool:
    """True for a coroutine object (anything that implements the Coroutine ABC)."""
    return isinstance(obj, _COROUTINE_TYPES)


# The mark a callable carries to pass for a coroutine function. unittest.mock's AsyncMock
# sets `_is_coroutine` to asyncio's marker object, so the marker must be compared by
# identity: a plain Mock answers every attribute, `_is_coroutine` included.
_is_coroutine = object()


def iscoroutinefunction(func: object) -> bool:
    """True for an `async def` function (or a callable marked as one, as unittest.mock does)."""
    return (inspect.iscoroutinefunction(func)
            or getattr(func, "_is_coroutine", None) is _is_coroutine)
