"""How futures, tasks and callbacks describe themselves.

What you learn here: nothing about scheduling, only the text you see in a `repr()`, a
log record or an error message such as "Task got Future attached to a different loop".
Those strings are behaviour too (people match on them), so they follow asyncio's shapes:

    <Future pending cb=[f() at demo.py:3]>
    <Future finished result=42>
    <Task pending name='Task-2' coro=<worker() running at demo.py:8>>
    <Handle tick() at demo.py:12>
"""

from __future__ import annotations

import functools
import inspect
import reprlib
from typing import Any

from . import versions


def callback_source(fn: Any) -> tuple[str, int] | None:
    """The file and first line of a plain function (or of what a partial wraps)."""
    fn = inspect.unwrap(fn)
    if isinstance(fn, functools.partial | functools.partialmethod):
        return callback_source(fn.func)
    if inspect.isfunction(fn):
        return fn.__code__.co_filename, fn.__code__.co_firstlineno
    return None


def format_callback(fn: Any, args: tuple[Any, ...] = (), *, debug: bool = False) -> str:
    """`name(args) at file:line`, the way asyncio names a callback in reprs and logs.

    Arguments are shown only in debug mode on 3.13 (they may hold secrets); 3.11 and 3.12
    always show them.
    """
    return _format_call(fn, args, debug) + _at(callback_source(fn))


def _format_call(fn: Any, args: tuple[Any, ...], debug: bool,
                 kwargs: dict[str, Any] | None = None) -> str:
    if isinstance(fn, functools.partial):  # partial(f, 1, k=2)(3) reads as f(1, k=2)(3)
        return (_format_call(fn.func, fn.args, debug, fn.keywords)
                + _format_args(args, kwargs or {}, debug))
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)
    return name + _format_args(args, kwargs or {}, debug)


def _format_args(args: tuple[Any, ...], kwargs: dict[str, Any], debug: bool) -> str:
    if versions.REPR_HIDES_ARGS and not debug:
        return "()"
    items = [reprlib.repr(arg) for arg in args]
    items += [f"{key}={reprlib.repr(value)}" for key, value in kwargs.items()]
    return "(" + ", ".join(items) + ")"


def _at(source: tuple[str, int] | None) -> str:
    return f" at {source[0]}:{source[1]}" if source else ""


def format_coroutine(coro: Any) -> str:
    """`main() running at file:line` while it runs, `main() done, defined at file:line` after."""
    name = (getattr(coro, "__qualname__", None) or getattr(coro, "__name__", None) or
            f"<{type(coro).__name__} without __name__>") + "()"
    code = getattr(coro, "cr_code", None) or getattr(coro, "gi_code", None)
    if code is None:
        running = getattr(coro, "cr_running", getattr(coro, "gi_running", False))
        return f"{name} running" if running else name
    frame = getattr(coro, "gi_frame", None) or getattr(coro, "cr_frame", None)
    if frame is not None:
        return f"{name} running at {code.co_filename}:{frame.f_lineno}"
    return f"{name} done, defined at {code.co_filename}:{code.co_firstlineno}"


def future_info(fut: Any) -> list[str]:
    """The words inside `<Future ...>`: state, then result or exception, then callbacks."""
    info = [fut._state.lower()]
    if fut._state == "FINISHED":
        if fut._exception is not None:
            info.append(f"exception={fut._exception!r}")
        else:
            info.append(f"result={reprlib.repr(fut._result)}")
    callbacks = [fn for fn, _ in fut._callbacks]
    if callbacks:
        names = [format_callback(fn) for fn in callbacks]
        if len(names) > 2:  # asyncio keeps the first and the last
            names = [names[0], f"<{len(names) - 2} more>", names[-1]]
        info.append(f"cb=[{', '.join(names)}]")
    if fut._source_traceback:
        frame = fut._source_traceback[-1]
        info.append(f"created at {frame[0]}:{frame[1]}")
    return info


def task_info(task: Any) -> list[str]:
    """A future's words, plus the task's name, its coroutine and what it waits for."""
    info = future_info(task)
    if task.cancelling() and not task.done():
        info[0] = "cancelling"
    info.insert(1, f"name={task.get_name()!r}")
    if task._fut_waiter is not None:
        info.insert(2, f"wait_for={task._fut_waiter!r}")
    if task._coro is not None:
        info.insert(2, f"coro=<{format_coroutine(task._coro)}>")
    return info


# == asyncio's names for the loop's methods ==================================================
# Python names a function by its qualified name in some messages: "coroutine
# 'BaseEventLoop.shutdown_asyncgens' was never awaited", "BaseEventLoop.run_in_executor() got
# an unexpected keyword argument 'x'". miniloop's loop methods come from mixins (their
# qualified names say `AsyncGenMixin.shutdown_asyncgens`), so each public one takes the name
# of the class that defines it in asyncio's Unix loop: BaseEventLoop, unless listed here.
# (scenarios test_run_in_executor_takes_no_keyword_arguments, test_loop_methods_carry_
# asyncio_s_names)
_ASYNCIO_HOME = {
    **dict.fromkeys(("add_reader", "add_writer", "remove_reader", "remove_writer",
                     "sock_accept", "sock_connect", "sock_recv", "sock_recv_into",
                     "sock_recvfrom", "sock_recvfrom_into", "sock_sendall", "sock_sendto"),
                    "BaseSelectorEventLoop"),
    **dict.fromkeys(("add_signal_handler", "remove_signal_handler", "close",
                     "create_unix_connection", "create_unix_server"),
                    "_UnixSelectorEventLoop"),
}


def name_methods_as_asyncio(loop_class: type, interface: type) -> None:
    """Give each method of `loop_class` that `interface` (AbstractEventLoop) declares the
    qualified name asyncio's own has."""
    for name in vars(interface):
        if name.startswith("_"):
            continue
        function = getattr(loop_class, name)
        if getattr(function, "__module__", "").startswith("miniloop."):
            function.__qualname__ = f"{_ASYNCIO_HOME.get(name, 'BaseEventLoop')}.{name}"
