"""Drop-in: make `import asyncio` give miniloop, so unmodified asyncio programs run on it.

What you learn here: what `import asyncio` actually looks up. The import system first checks
`sys.modules`, a plain dict from module name to module object, and only goes looking for a
file when the name is not there. So putting a module object under the key "asyncio" before a
program imports it is all it takes to replace a whole library. Submodules work the same way:
`from asyncio import tasks` and `import asyncio.events` look for "asyncio.tasks" and
"asyncio.events" in `sys.modules` (an import of a submodule that is not there searches the
package's `__path__`, which we leave empty, so nothing is ever loaded from disk).

`install()` builds one *stand-in* module for asyncio and for each of its submodules, fills it
with miniloop's objects under asyncio's names, following asyncio's own layout (`TaskGroup` in
`asyncio.taskgroups`, `Handle` in `asyncio.events`, everything re-exported by the package),
and registers them. A name asyncio has but miniloop does not implement is not simply absent:
asking for it raises `MissingFeatureError`, which names the feature, so a program never
quietly runs half on miniloop and half on something else. The real asyncio is never
imported; `install()` refuses to run once it has been.

`python -m miniloop script.py` (see __main__.py) calls `install()` and then runs the script.
"""

from __future__ import annotations

import dis
import logging
import sys
import types
from importlib.machinery import ModuleSpec
from typing import Any

from . import (
    childwatchers,
    coroutines,
    policies,
    registry,
    reprs,
    sendfile,
    streams,
    subprocessstreams,
    versions,
)
from .abstractloop import AbstractEventLoop
from .loop import EventLoop, _stop_loop_when_done
from .subprocesstransport import ProcessTransport
from .tls import SSLProtocol
from .tlstransport import SSLTransport
from .transports import FlowControl
from .transportsocket import TransportSocket

__all__ = ("MissingFeatureError", "StandIn", "install")


class MissingFeatureError(AttributeError):
    """The program asked asyncio for something miniloop does not implement.

    An AttributeError, so that feature detection (`hasattr(asyncio, "x")`,
    `getattr(asyncio, "x", None)`) quietly answers "not here", as it would on a Python
    whose asyncio lacks the name; a program that touches the name gets this message.
    """


# asyncio's layout: the public names (`__all__`) of each of its modules. The package
# re-exports them (`asyncio.X` and `asyncio.module.X` are the same object), except those of
# NOT_REEXPORTED.
PUBLIC: dict[str, tuple[str, ...]] = {
    "base_events": ("BaseEventLoop", "Server"),
    "base_futures": (),
    "base_subprocess": (),
    "base_tasks": (),
    "constants": (),
    "coroutines": ("iscoroutinefunction", "iscoroutine"),
    "events": ("AbstractEventLoopPolicy", "AbstractEventLoop", "AbstractServer", "Handle",
               "TimerHandle", "get_event_loop_policy", "set_event_loop_policy",
               "get_event_loop", "set_event_loop", "new_event_loop", "get_child_watcher",
               "set_child_watcher", "_set_running_loop", "get_running_loop",
               "_get_running_loop"),
    "exceptions": ("BrokenBarrierError", "CancelledError", "InvalidStateError", "TimeoutError",
                   "IncompleteReadError", "LimitOverrunError", "SendfileNotAvailableError"),
    "format_helpers": (),
    "futures": ("Future", "wrap_future", "isfuture"),
    "locks": ("Lock", "Event", "Condition", "Semaphore", "BoundedSemaphore", "Barrier"),
    "log": (),
    "mixins": (),
    "proactor_events": ("BaseProactorEventLoop",),
    "protocols": ("BaseProtocol", "Protocol", "DatagramProtocol", "SubprocessProtocol",
                  "BufferedProtocol"),
    "queues": ("Queue", "PriorityQueue", "LifoQueue", "QueueFull", "QueueEmpty",
               "QueueShutDown"),
    "runners": ("Runner", "run"),
    "selector_events": ("BaseSelectorEventLoop",),
    "sslproto": (),
    "staggered": ("staggered_race",),
    "streams": ("StreamReader", "StreamWriter", "StreamReaderProtocol", "open_connection",
                "start_server", "open_unix_connection", "start_unix_server"),
    "subprocess": ("create_subprocess_exec", "create_subprocess_shell"),
    "taskgroups": ("TaskGroup",),
    "tasks": ("Task", "create_task", "FIRST_COMPLETED", "FIRST_EXCEPTION", "ALL_COMPLETED",
              "wait", "wait_for", "as_completed", "sleep", "gather", "shield", "ensure_future",
              "run_coroutine_threadsafe", "current_task", "all_tasks",
              "create_eager_task_factory", "eager_task_factory", "_register_task",
              "_unregister_task", "_enter_task", "_leave_task"),
    "threads": ("to_thread",),
    "timeouts": ("Timeout", "timeout", "timeout_at"),
    "transports": ("BaseTransport", "ReadTransport", "WriteTransport", "Transport",
                   "DatagramTransport", "SubprocessTransport"),
    "trsock": (),
    "unix_events": ("SelectorEventLoop", "AbstractChildWatcher", "SafeChildWatcher",
                    "FastChildWatcher", "PidfdChildWatcher", "MultiLoopChildWatcher",
                    "ThreadedChildWatcher", "DefaultEventLoopPolicy", "EventLoop"),
}

NOT_REEXPORTED = {"proactor_events", "selector_events", "staggered"}

# Beyond this Python's asyncio: the call graph of asyncio 3.14 (graph.py), which miniloop
# offers on every Python, so `from asyncio.graph import print_call_graph` works under the
# drop-in on 3.11 too. (Not in the package's `__all__`: `import *` stays this Python's.)
EXTRAS: dict[str, tuple[str, ...]] = {
    "graph": ("capture_call_graph", "format_call_graph", "print_call_graph",
              "FrameCallGraphEntry", "FutureCallGraph"),
}

# Names a module has without exporting them, which programs and the standard library use.
MODULE_ONLY: dict[str, tuple[str, ...]] = {
    # anyio's asyncio backend (httpx's) finds the task that run_until_complete() runs by
    # this done-callback among the tasks' callbacks
    "base_events": ("_run_until_complete_cb",),
    "coroutines": ("_is_coroutine",  # unittest.mock marks AsyncMock with it
                   "_format_coroutine"),  # CPython's tests check reprs of coroutines with it
    "constants": ("SENDFILE_FALLBACK_READBUFFER_SIZE",),
    "events": ("_py__get_running_loop", "_py__set_running_loop", "_py_get_running_loop",
               "_py_get_event_loop"),
    "format_helpers": ("_get_function_source",),  # CPython's tests build reprs with it
    "futures": ("_PyFuture",),  # CPython's tests run their Python-implementation classes
    "tasks": ("_swap_current_task", "_PyTask", "_py_register_task", "_py_unregister_task",
              "_py_enter_task", "_py_leave_task", "_py_current_task",
              "_py_swap_current_task"),
    "log": ("logger",),
    "streams": ("FlowControlMixin",),  # drain()'s protocol half, which protocols subclass
    # CPython's tests subclass the subprocess transport, starting a child of their own
    "base_subprocess": ("BaseSubprocessTransport",),
    # anyio's asyncio backend subclasses SubprocessStreamProtocol when it is imported
    "subprocess": ("PIPE", "STDOUT", "DEVNULL", "Process", "SubprocessStreamProtocol"),
    "transports": ("_FlowControlMixin",),  # CPython's tests subclass it (transports.py)
    "trsock": ("TransportSocket",),  # what server.sockets holds; code checks isinstance()
    # the TLS layer (tls.py), which CPython's tests build by hand, and its transport, which
    # programs check with isinstance() or mark with attributes (aiohttp's TLS-in-TLS advice)
    "sslproto": ("SSLProtocol", "_SSLProtocolTransport"),
    "unix_events": ("can_use_pidfd",),  # CPython's tests ask it whether to test pidfds
}

# Names that appeared in a later version than the oldest one miniloop supports: on an older
# Python they do not exist in asyncio, so they do not exist in the stand-in either.
SINCE: dict[str, tuple[int, int]] = {
    "create_eager_task_factory": (3, 12),
    "eager_task_factory": (3, 12),
    "QueueShutDown": (3, 13),
    "EventLoop": (3, 13),
    "_swap_current_task": (3, 12),
    "_py_swap_current_task": (3, 12),
    "_py_current_task": (3, 12),
    "can_use_pidfd": (3, 12),
}

# Names a module exports only from a later version on (before it, they are importable by
# name but left out of `from asyncio import *`).
IN_ALL_SINCE: dict[str, tuple[int, int]] = {
    "TaskGroup": (3, 12),  # 3.11's asyncio/__init__.py forgot taskgroups.__all__
}


def _miniloop_objects() -> dict[str, Any]:
    """What miniloop offers under each of asyncio's names."""
    import miniloop  # the package, complete by the time install() is called

    objects = {name: getattr(miniloop, name) for name in miniloop.__all__}
    # asyncio splits its loop into an abstract interface (miniloop has it too), a base
    # class and the selector loop (named EventLoop since 3.13); miniloop's one loop class
    # is all of the last three.
    objects["BaseSelectorEventLoop"] = EventLoop
    objects["_swap_current_task"] = registry._swap_current_task
    # asyncio has a C and a Python implementation of Future, Task and the registry, and
    # names the Python ones _PyFuture, _PyTask, _py_register_task...: miniloop's are those.
    objects["_PyFuture"], objects["_PyTask"] = objects["Future"], objects["Task"]
    objects["_py_current_task"] = objects["current_task"]
    objects["_py_swap_current_task"] = registry._swap_current_task
    objects["_get_function_source"] = reprs.callback_source
    objects["_format_coroutine"] = reprs.format_coroutine
    objects["SENDFILE_FALLBACK_READBUFFER_SIZE"] = sendfile.FALLBACK_BLOCK_SIZE
    objects["BaseProactorEventLoop"] = BaseProactorEventLoop
    objects["SSLProtocol"] = SSLProtocol
    objects["_SSLProtocolTransport"] = SSLTransport
    for name in ("_register_task", "_unregister_task", "_enter_task", "_leave_task"):
        objects[f"_py{name}"] = getattr(registry, name)
    for name in ("_get_running_loop", "_set_running_loop", "get_running_loop",
                 "get_event_loop"):
        objects[f"_py_{name}"] = objects[name]
    objects["_is_coroutine"] = coroutines._is_coroutine
    objects["_run_until_complete_cb"] = _stop_loop_when_done
    for name in ("PIPE", "STDOUT", "DEVNULL", "Process", "SubprocessStreamProtocol"):
        objects[name] = getattr(subprocessstreams, name)  # asyncio.subprocess's own names
    objects["_FlowControlMixin"] = FlowControl  # asyncio's name for the water marks' mixin
    objects["logger"] = logging.getLogger("asyncio")  # the logger miniloop reports through
    objects["FlowControlMixin"] = streams.FlowControlMixin
    objects["TransportSocket"] = TransportSocket
    objects["BaseSubprocessTransport"] = ProcessTransport
    objects["can_use_pidfd"] = childwatchers.can_use_pidfd
    return objects


class BaseProactorEventLoop(AbstractEventLoop):
    """Windows' completion-port loop, which miniloop does not have. asyncio defines the class
    on every platform, and code asks `isinstance(loop, BaseProactorEventLoop)` to tell the
    two kinds of loop apart; here the answer is always no."""

    def __init__(self, proactor: Any) -> None:
        raise MissingFeatureError("miniloop does not implement asyncio's proactor loop "
                                  "(Windows); see miniloop/dropin.py")


class StandIn(types.ModuleType):
    """A module object that answers for one of asyncio's modules with miniloop's objects."""

    __all__: list[str]

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.__spec__ = ModuleSpec(name, None, origin="miniloop stand-in",
                                   is_package=name == "asyncio")
        self._missing: dict[str, str] = {}  # asyncio name -> the asyncio module it is from

    def _offer(self, names: tuple[str, ...], objects: dict[str, Any], home: str) -> None:
        """Give the module each of `names` that this Python's asyncio has: miniloop's
        object, or else a MissingFeatureError when the program asks for it."""
        for name in names:
            if not versions.at_least(SINCE.get(name, (0, 0))):
                continue
            if name in objects:
                setattr(self, name, objects[name])
            else:
                self._missing[name] = home

    def __getattr__(self, name: str) -> Any:
        # Only reached for names the module does not have (see the ModuleType docs).
        if self.__name__ == "asyncio.events" and name == "_event_loop_policy":
            # asyncio's global policy, read live (test.support looks at it): None until a
            # policy is made or set, as in asyncio.
            return policies._policy
        if name in self._missing:
            where = f"asyncio.{self._missing[name]}"
            what = f"asyncio.{name} (from {where})" if self.__name__ == "asyncio" else (
                f"{where}.{name}")
            message = (f"miniloop does not implement {what}; this program's asyncio is "
                       f"miniloop, see miniloop/dropin.py")
            if _asked_by_from_import(sys._getframe(1)):
                raise ImportError(message, name=self.__name__)
            raise MissingFeatureError(message, name=name, obj=self)
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")

    def __repr__(self) -> str:
        return f"<module {self.__name__!r} (miniloop stand-in)>"


def _asked_by_from_import(frame: types.FrameType) -> bool:
    """Is `frame` executing `from asyncio import x` right now?

    Discussion: `from module import x` looks `x` up as an attribute, and when that raises
    an AttributeError (MissingFeatureError is one) Python drops it and raises a bare
    "ImportError: cannot import name 'x' from 'asyncio' (unknown location)": the
    explanation is lost (scenario test_from_import_of_a_missing_name_says_what_is_missing).
    Any other exception passes through unchanged, so for that one statement the stand-in
    raises an ImportError carrying the message. The statement is recognised by the
    instruction the importing frame is executing: IMPORT_FROM.
    """
    code = frame.f_code.co_code
    return 0 <= frame.f_lasti < len(code) and code[frame.f_lasti] == _IMPORT_FROM


_IMPORT_FROM = dis.opmap["IMPORT_FROM"]


def install() -> None:
    """Make `import asyncio` (and every `asyncio.*` module) resolve to miniloop. Idempotent."""
    if isinstance(sys.modules.get("asyncio"), StandIn):
        return
    already = sorted(name for name in sys.modules
                     if name in ("asyncio", "_asyncio") or name.startswith("asyncio."))
    if already:
        # Modules that imported it hold the real thing; swapping now would mix two loops.
        raise RuntimeError(f"miniloop.install() must run before asyncio is imported, "
                           f"but {', '.join(already)} already is")
    objects = _miniloop_objects()
    package = StandIn("asyncio")
    package.__path__ = []  # a package, so `import asyncio.x` looks in sys.modules only
    modules = [package]
    for home, public in {**PUBLIC, **EXTRAS}.items():
        module = StandIn(f"asyncio.{home}")
        module._offer(public + MODULE_ONLY.get(home, ()), objects, home)
        module.__all__ = [name for name in public if name in vars(module)]
        if home not in NOT_REEXPORTED:
            package._offer(public, objects, home)
        setattr(package, home, module)
        modules.append(module)
    # `from asyncio import *` brings what exists (the rest fails when it is used by name).
    package.__all__ = [name for home, public in PUBLIC.items() for name in public
                       if name in vars(package) and home not in NOT_REEXPORTED
                       and versions.at_least(IN_ALL_SINCE.get(name, (0, 0)))]
    sys.modules.update((module.__name__, module) for module in modules)
    # asyncio's C accelerator would load the real asyncio's modules behind the stand-ins;
    # None in sys.modules makes `import _asyncio` raise ImportError, as where it is absent.
    sys.modules["_asyncio"] = None  # type: ignore[assignment]
