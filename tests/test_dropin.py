"""The drop-in: `python -m miniloop script.py` runs an unmodified asyncio program on miniloop.

Each test starts a fresh interpreter, because the swap must happen before anything imports
asyncio (and pytest's own process already has the real one).
"""

import subprocess
import sys
import textwrap

import pytest

# A small real program, written for asyncio and nothing else: a producer, a queue, workers in
# a TaskGroup, a timeout, to_thread, an exception group. Its output is deterministic.
PROGRAM = '''
import asyncio
import sys
from asyncio import Queue, TaskGroup


async def producer(queue, words):
    for word in words:
        await queue.put(word)
    for _ in range(2):
        await queue.put(None)  # one stop signal per worker


async def worker(name, queue, results):
    while (word := await queue.get()) is not None:
        await asyncio.sleep(0.001 * len(word))
        results.append((word, len(word), name))
        queue.task_done()
    queue.task_done()


async def fail(delay, message):
    await asyncio.sleep(delay)
    raise ValueError(message)


async def main(words):
    queue = Queue(maxsize=2)
    results = []
    async with TaskGroup() as group:
        group.create_task(producer(queue, words))
        for name in ("w1", "w2"):
            group.create_task(worker(name, queue, results))
    print("counted", sorted((word, size) for word, size, _ in results))
    print("upper", await asyncio.to_thread(str.upper, " ".join(words)))
    try:
        async with asyncio.timeout(0.01):
            await asyncio.sleep(1)
    except TimeoutError:
        print("timed out, as planned")
    try:
        async with TaskGroup() as group:
            group.create_task(fail(0.01, "first"))
            group.create_task(fail(0.05, "never raised: cancelled first"))
    except* ValueError as group_error:
        print("errors", [str(exc) for exc in group_error.exceptions])
    print("gathered", await asyncio.gather(asyncio.sleep(0.01, "a"), asyncio.sleep(0, "b")))
    raise SystemExit(3)


asyncio.run(main(sys.argv[1:]))
'''


def run_python(*args, **kwargs):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          timeout=60, **kwargs)


def run_miniloop_code(code):
    """Run `code` in a fresh interpreter after miniloop.install(); return its stdout."""
    result = run_python("-c", "import miniloop; miniloop.install()\n" + textwrap.dedent(code))
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_real_program_prints_the_same_under_python_m_miniloop(tmp_path):
    script = tmp_path / "words.py"
    script.write_text(PROGRAM)
    plain = run_python(str(script), "drop", "in", "asyncio")
    swapped = run_python("-m", "miniloop", str(script), "drop", "in", "asyncio")
    assert plain.returncode == swapped.returncode == 3
    assert plain.stderr == swapped.stderr == ""
    assert swapped.stdout == plain.stdout
    assert "errors ['first']" in swapped.stdout


def test_python_m_miniloop_really_runs_the_program_on_miniloop(tmp_path):
    (tmp_path / "helper.py").write_text("WHERE = 'next to the script'\n")
    script = tmp_path / "which.py"
    script.write_text(textwrap.dedent('''
        import asyncio, sys
        import helper  # found next to the script, as with `python which.py`

        async def main():
            print(type(asyncio.get_running_loop()).__module__, sys.argv, __name__,
                  helper.WHERE)
            print(sorted(m for m in sys.modules if "asyncio" in m and
                         type(sys.modules[m]).__name__ != "StandIn"),
                  sys.modules["_asyncio"])

        asyncio.run(main())
    '''))
    result = run_python("-m", "miniloop", str(script), "--flag")
    assert result.stdout.splitlines() == [
        f"miniloop.loop {[str(script), '--flag']} __main__ next to the script",
        "['_asyncio'] None",  # no module of the real asyncio was ever imported, and the
                              # C accelerator is blocked (None: `import _asyncio` fails)
    ]


def test_a_script_sees_its_argv_and_file_as_with_python(tmp_path):
    (tmp_path / "where.py").write_text(
        "import sys\n"
        "print(sys.argv[0], __file__, __cached__, __spec__, type(__loader__).__name__)\n")
    plain = run_python("where.py", cwd=tmp_path)
    swapped = run_python("-m", "miniloop", "where.py", cwd=tmp_path)
    assert swapped.stdout == plain.stdout
    assert plain.stdout.split() == ["where.py", str(tmp_path / "where.py"), "None", "None",
                                    "SourceFileLoader"]


def test_an_uncaught_exception_looks_the_same_as_with_python(tmp_path):
    script = tmp_path / "crash.py"
    script.write_text(textwrap.dedent('''
        import asyncio

        async def main():
            await asyncio.sleep(0)
            raise KeyError("lost")

        asyncio.run(main())
    '''))
    plain = run_python(str(script))
    swapped = run_python("-m", "miniloop", str(script))
    assert plain.returncode == swapped.returncode == 1
    assert swapped.stderr.splitlines()[-1] == plain.stderr.splitlines()[-1] == "KeyError: 'lost'"


def test_python_m_miniloop_without_a_script_prints_the_usage():
    result = run_python("-m", "miniloop")
    assert result.returncode == 1
    assert result.stderr.startswith("usage: python -m miniloop (SCRIPT | -m MODULE | -c CODE)")


def test_python_m_miniloop_also_takes_code_and_modules(tmp_path):
    code = "import asyncio, sys; print(type(asyncio.new_event_loop()).__module__, sys.argv)"
    result = run_python("-m", "miniloop", "-c", code, "arg")
    assert result.stdout == "miniloop.loop ['-c', 'arg']\n", result.stderr
    (tmp_path / "prog.py").write_text(code + "\n")
    result = run_python("-m", "miniloop", "-m", "prog", "arg", cwd=tmp_path)
    assert result.stdout == f"miniloop.loop [{str(tmp_path / 'prog.py')!r}, 'arg']\n", (
        result.stderr)


def test_asyncio_names_resolve_to_miniloop_in_asyncio_layout():
    out = run_miniloop_code('''
        import asyncio, miniloop
        from asyncio import tasks, taskgroups, events
        import asyncio.base_events
        print(asyncio.sleep is tasks.sleep is miniloop.sleep,
              taskgroups.TaskGroup is miniloop.TaskGroup,
              events.Handle is miniloop.Handle,
              asyncio.base_events.BaseEventLoop is asyncio.SelectorEventLoop
              is miniloop.EventLoop and issubclass(miniloop.EventLoop,
                                                   asyncio.events.AbstractEventLoop),
              asyncio.log.logger.name)
    ''')
    assert out.split() == ["True", "True", "True", "True", "asyncio"]


def test_streams_in_asyncio_layout():
    """FlowControlMixin is not exported, but protocols that want drain() subclass it."""
    out = run_miniloop_code('''
        import asyncio, asyncio.streams, asyncio.exceptions, miniloop, miniloop.streams
        print(asyncio.streams.StreamReader is asyncio.StreamReader is miniloop.StreamReader,
              asyncio.streams.FlowControlMixin is miniloop.streams.FlowControlMixin,
              "FlowControlMixin" in asyncio.streams.__all__,
              asyncio.exceptions.IncompleteReadError is miniloop.IncompleteReadError)
    ''')
    assert out.split() == ["True", "True", "False", "True"]


# asyncio.trsock names the class of what server.sockets and get_extra_info("socket") hold
# (not exported: a module-only name), and code checks isinstance() against it.
WHAT_TRSOCK_HOLDS = '''
import asyncio, asyncio.trsock

async def main():
    server = await asyncio.start_server(lambda reader, writer: None, "127.0.0.1", 0)
    sock = server.sockets[0]
    print(isinstance(sock, asyncio.trsock.TransportSocket), hasattr(asyncio, "TransportSocket"),
          hasattr(sock, "close"), sock.getsockname()[0])
    try:
        sock.setblocking(True)
    except ValueError as exc:
        print("ValueError:", exc)
    server.close()
    await server.wait_closed()

asyncio.run(main())
'''


def test_trsock_names_the_class_of_server_sockets():
    plain = run_python("-c", WHAT_TRSOCK_HOLDS)
    swapped = run_python("-m", "miniloop", "-c", WHAT_TRSOCK_HOLDS)
    assert plain.stderr == swapped.stderr == ""
    assert swapped.stdout == plain.stdout
    assert swapped.stdout.splitlines() == [
        "True False False 127.0.0.1",
        "ValueError: setblocking(): transport sockets cannot be blocking"]


# asyncio.sslproto.SSLProtocol names the TLS layer (not exported), which CPython's
# test_sslproto builds by hand with asyncio's arguments; a TLS transport holds it. Its class,
# _SSLProtocolTransport, is what programs check with isinstance() or mark with an attribute
# (aiohttp's advice for TLS inside TLS), and its name says "ssl" (CPython's test_events).
WHAT_SSLPROTO_HOLDS = '''
import asyncio, asyncio.sslproto, ssl

async def main():
    loop = asyncio.get_running_loop()
    waiter = loop.create_future()
    layer = asyncio.sslproto.SSLProtocol(loop, asyncio.Protocol(), ssl.create_default_context(),
                                         waiter, ssl_handshake_timeout=1.0)
    transport = layer._app_transport
    print(isinstance(layer, asyncio.BufferedProtocol), hasattr(asyncio, "SSLProtocol"),
          transport._ssl_protocol is layer, transport.get_write_buffer_limits())
    setattr(asyncio.sslproto._SSLProtocolTransport, "_start_tls_compatible", True)
    print(isinstance(transport, asyncio.sslproto._SSLProtocolTransport),
          "ssl" in type(transport).__name__.lower(), transport._start_tls_compatible)
    transport.close()
    try:
        asyncio.sslproto.SSLProtocol(loop, asyncio.Protocol(), ssl.create_default_context(),
                                     waiter, ssl_shutdown_timeout=0)
    except ValueError as exc:
        print("ValueError:", exc)

asyncio.run(main())
'''


def test_sslproto_names_the_tls_layer():
    plain = run_python("-c", WHAT_SSLPROTO_HOLDS)
    swapped = run_python("-m", "miniloop", "-c", WHAT_SSLPROTO_HOLDS)
    assert plain.stderr == swapped.stderr == ""
    assert swapped.stdout == plain.stdout
    assert swapped.stdout.splitlines() == [
        "True False True (131072, 524288)",
        "True True True",
        "ValueError: ssl_shutdown_timeout should be a positive number, got 0"]


# CPython's tests format coroutine-like objects (Cython's have no cr_code) with this helper.
FORMAT_COROUTINE = '''
import collections.abc
from asyncio.coroutines import _format_coroutine

class CoroLike:
    def send(self, value): pass
    def throw(self, *exc): pass
    def close(self): pass
    def __await__(self): pass

collections.abc.Coroutine.register(CoroLike)
coro = CoroLike()
print(repr(_format_coroutine(coro)))
coro.__qualname__, coro.cr_running = "Named", True
print(repr(_format_coroutine(coro)))
'''


def test_format_coroutine_is_there_and_formats_the_same():
    plain = run_python("-c", FORMAT_COROUTINE)
    swapped = run_python("-m", "miniloop", "-c", FORMAT_COROUTINE)
    assert plain.stderr == swapped.stderr == ""
    assert swapped.stdout == plain.stdout == "'<CoroLike without __name__>()'\n'Named() running'\n"


# What anyio's asyncio backend (httpx's) reads of asyncio beyond its public names: the
# done-callback by which it finds the task run_until_complete() runs, task internals, the
# eager factory's code and closure (to build tasks with a custom task class, 3.12+), and a
# protocol class it subclasses at import. tests/test_interop.py runs anyio itself.
WHAT_ANYIO_READS = '''
import asyncio, sys
from asyncio.base_events import _run_until_complete_cb
from asyncio.subprocess import SubprocessStreamProtocol

class MyTask(asyncio.Task):
    pass

async def main():
    task = asyncio.current_task()
    print("root task found:", [cb is _run_until_complete_cb for cb, _ in task._callbacks])
    print("internals:", task._must_cancel, task._fut_waiter)
    print("protocol:", [cls.__name__ for cls in SubprocessStreamProtocol.__mro__[1:4]])
    if sys.version_info >= (3, 12):
        factory = asyncio.create_eager_task_factory(MyTask)
        print("eager factory:", factory.__code__ is asyncio.eager_task_factory.__code__,
              factory.__closure__[0].cell_contents is MyTask)

asyncio.run(main())
'''


def test_what_anyio_reads_of_asyncio_is_there_and_means_the_same():
    plain = run_python("-c", WHAT_ANYIO_READS)
    swapped = run_python("-m", "miniloop", "-c", WHAT_ANYIO_READS)
    assert plain.stderr == swapped.stderr == ""
    assert swapped.stdout == plain.stdout
    assert swapped.stdout.splitlines()[:3] == [
        "root task found: [True]", "internals: False None",
        "protocol: ['FlowControlMixin', 'Protocol', 'SubprocessProtocol']"]


@pytest.mark.parametrize("code, error", [
    ("from asyncio.staggered import staggered_race",
     "ImportError: miniloop does not implement "
     "asyncio.staggered.staggered_race"),
    ("import asyncio; asyncio.staggered.staggered_race",
     "miniloop.dropin.MissingFeatureError: miniloop does not implement "
     "asyncio.staggered.staggered_race"),
    ("import asyncio.windows_events",  # not there on Linux with the real asyncio either
     "ModuleNotFoundError: No module named 'asyncio.windows_events'"),
    ("import asyncio; asyncio.no_such_thing",
     "AttributeError: module 'asyncio' has no attribute 'no_such_thing'"),
])
def test_what_miniloop_does_not_implement_fails_loudly(code, error):
    result = run_python("-c", f"import miniloop; miniloop.install(); {code}")
    assert result.returncode == 1
    last = result.stderr.splitlines()[-1]
    assert last.startswith(error) and last.removeprefix(error) in (
        "", "; this program's asyncio is miniloop, see miniloop/dropin.py"), last


def test_names_follow_the_running_python():
    out = run_miniloop_code('''
        import asyncio
        from miniloop.dropin import MissingFeatureError
        try:
            asyncio.QueueShutDown
        except MissingFeatureError:
            print("QueueShutDown: missing in miniloop")
        except AttributeError:
            print("QueueShutDown: not in this Python's asyncio either")
        else:
            print("QueueShutDown: there")
        print(hasattr(asyncio, "eager_task_factory"), "Lock" in asyncio.__all__)
    ''')
    assert out.splitlines() == [
        "QueueShutDown: there" if sys.version_info >= (3, 13) else
        "QueueShutDown: not in this Python's asyncio either",
        f"{sys.version_info >= (3, 12)} True",
    ]


def test_install_refuses_once_the_real_asyncio_is_imported():
    result = run_python("-c", "import asyncio, miniloop; miniloop.install()")
    last = result.stderr.splitlines()[-1]
    assert last.startswith("RuntimeError: miniloop.install() must run before asyncio is "
                           "imported, but _asyncio, asyncio, asyncio.base_events, "), last


def test_install_twice_is_harmless():
    assert run_miniloop_code('''
        import asyncio
        miniloop.install()
        import asyncio as again
        print(again is asyncio)
    ''').strip() == "True"


def test_unittest_async_tests_and_mock_patch_run_on_miniloop():
    out = run_miniloop_code('''
        import asyncio, io, unittest
        from unittest import mock

        class Example(unittest.IsolatedAsyncioTestCase):
            def setUp(self):
                self.loop = asyncio.get_event_loop()  # the runner's loop, before the test

            async def test_loop_and_mock(self):
                self.assertIs(asyncio.get_running_loop(), self.loop)
                self.assertEqual(type(self.loop).__module__, "miniloop.loop")
                with mock.patch("asyncio.sleep", mock.AsyncMock(return_value=7)):
                    self.assertEqual(await asyncio.sleep(100), 7)
                self.assertTrue(asyncio.iscoroutinefunction(mock.AsyncMock()))
                self.assertFalse(asyncio.iscoroutinefunction(mock.Mock()))

        stream = io.StringIO()
        result = unittest.TextTestRunner(stream=stream).run(
            unittest.defaultTestLoader.loadTestsFromTestCase(Example))
        print(result.testsRun, result.wasSuccessful(), stream.getvalue())
    ''')
    assert out.startswith("1 True"), out


def test_feature_detection_answers_quietly():
    out = run_miniloop_code('''
        import asyncio
        print(hasattr(asyncio.staggered, "staggered_race"),
              getattr(asyncio.staggered, "staggered_race", None))
        try:
            asyncio.staggered.staggered_race
        except AttributeError as exc:
            print(type(exc).__name__, exc)
    ''')
    assert out.splitlines() == [
        "False None",
        "MissingFeatureError miniloop does not implement asyncio.staggered.staggered_race; "
        "this program's asyncio is miniloop, see miniloop/dropin.py",
    ]


def test_a_custom_policy_is_honoured_under_the_drop_in():
    out = run_miniloop_code('''
        import asyncio

        class Custom(asyncio.DefaultEventLoopPolicy):
            def new_event_loop(self):
                print("Custom.new_event_loop")
                return super().new_event_loop()

        asyncio.set_event_loop_policy(Custom())
        async def main():
            return "done"
        print(asyncio.run(main()))
    ''')
    assert out.splitlines() == ["Custom.new_event_loop", "done"]


def test_the_layout_table_is_asyncio_s_own():
    """dropin.PUBLIC says which names each asyncio module has; check it against the real
    asyncio of this Python, so the stand-ins cannot drift from it."""
    import asyncio
    import importlib

    from miniloop import dropin

    def on_this_python(names):
        return sorted(n for n in names if sys.version_info >= dropin.SINCE.get(n, (0, 0)))

    reexported = set()
    for home, public in dropin.PUBLIC.items():
        real = importlib.import_module(f"asyncio.{home}")
        assert sorted(getattr(real, "__all__", ())) == on_this_python(public), home
        for name in on_this_python(dropin.MODULE_ONLY.get(home, ())):
            assert hasattr(real, name), f"asyncio.{home}.{name}"
        if home not in dropin.NOT_REEXPORTED:
            reexported.update(on_this_python(public))
    assert all(hasattr(asyncio, name) for name in reexported)
    # (3.11's asyncio.__all__ forgets TaskGroup, which asyncio.TaskGroup has all the same.)
    in_all = {n for n in reexported if sys.version_info >= dropin.IN_ALL_SINCE.get(n, (0, 0))}
    assert set(asyncio.__all__) == in_all


def test_the_abstract_loop_has_asyncio_s_methods_and_signatures():
    """miniloop.AbstractEventLoop offers every public method of this Python's asyncio
    AbstractEventLoop, with the same parameters (3.13's keep_alive= aside)."""
    import asyncio
    import inspect

    import miniloop

    def methods(cls):
        return {name: inspect.signature(member) for name, member in vars(cls).items()
                if not name.startswith("_") and callable(member)}

    real, ours = methods(asyncio.AbstractEventLoop), methods(miniloop.AbstractEventLoop)
    assert sorted(real) == sorted(ours)
    for name, signature in real.items():
        parameters = [p for p in signature.parameters.values() if p.name != "keep_alive"]
        assert str(signature.replace(parameters=parameters)) == str(ours[name]), name
