"""Event loop policies: the object behind get_event_loop(), and what replacing it forgets."""

import os
import warnings

from compat_tests.harness import scenario, sync_scenario


@sync_scenario(
    "the same policy twice: True",
    "a DefaultEventLoopPolicy: True",
    "an AbstractEventLoopPolicy: True",
)
def test_the_policy_is_made_once_on_demand(aio, log):
    policy = aio.get_event_loop_policy()
    log("the same policy twice:", policy is aio.get_event_loop_policy())
    log("a DefaultEventLoopPolicy:", isinstance(policy, aio.DefaultEventLoopPolicy))
    log("an AbstractEventLoopPolicy:", isinstance(policy, aio.AbstractEventLoopPolicy))


@sync_scenario(
    "policy.get_event_loop() is the set loop: True",
    "policy.new_event_loop() is a new loop: True",
    "after policy.set_event_loop(other), get_event_loop() is other: True",
)
def test_the_policy_methods_are_the_module_functions(aio, log):
    policy = aio.get_event_loop_policy()
    loop, other = aio.new_event_loop(), aio.new_event_loop()
    try:
        aio.set_event_loop(loop)
        log("policy.get_event_loop() is the set loop:", policy.get_event_loop() is loop)
        made = policy.new_event_loop()
        log("policy.new_event_loop() is a new loop:",
            made is not loop and aio.get_event_loop() is loop)
        made.close()
        policy.set_event_loop(other)
        log("after policy.set_event_loop(other), get_event_loop() is other:",
            aio.get_event_loop() is other)
    finally:
        aio.set_event_loop(None)
        loop.close()
        other.close()


@sync_scenario(
    "a new policy: True",
    "get_event_loop() made a fresh loop: True",
    "warnings: []",
    changed={(3, 12): [
        "a new policy: True",
        "get_event_loop() made a fresh loop: True",
        "warnings: ['There is no current event loop']",
    ]},
)
def test_resetting_the_policy_forgets_the_set_loop(aio, log):
    # Every CPython asyncio test module ends with set_event_loop_policy(None): the loop set
    # for the main thread belonged to the old policy, so the next get_event_loop() starts
    # from scratch and (in the main thread) makes a loop, as if nothing had ever been set.
    old_policy = aio.get_event_loop_policy()
    loop = aio.new_event_loop()
    aio.set_event_loop(loop)
    aio.set_event_loop_policy(None)
    log("a new policy:", aio.get_event_loop_policy() is not old_policy)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fresh = aio.get_event_loop()
    log("get_event_loop() made a fresh loop:", fresh is not loop)
    log("warnings:", [str(warning.message) for warning in caught])
    aio.set_event_loop(None)
    fresh.close()
    loop.close()


@sync_scenario(
    "still the set loop: True",
)
def test_setting_the_policy_in_use_again_keeps_the_set_loop(aio, log):
    policy = aio.get_event_loop_policy()
    loop = aio.new_event_loop()
    aio.set_event_loop(loop)
    aio.set_event_loop_policy(policy)
    log("still the set loop:", aio.get_event_loop() is loop)
    aio.set_event_loop(None)
    loop.close()


@sync_scenario(
    "raised TypeError: policy must be an instance of AbstractEventLoopPolicy or None, not 'str'",
)
def test_a_policy_must_be_a_policy(aio, log):
    try:
        aio.set_event_loop_policy("uvloop")
    except TypeError as exc:
        log.error("raised", exc)


@scenario(
    "the running loop, whatever the policy: True",
)
async def test_the_running_loop_does_not_belong_to_the_policy(aio, log):
    running = aio.get_running_loop()
    aio.set_event_loop_policy(None)  # the loop set by run() is forgotten, not the running one
    log("the running loop, whatever the policy:", aio.get_event_loop() is running)


@sync_scenario(
    "first policy: its own loop: True",
    "second policy: raised RuntimeError: There is no current event loop in thread 'MainThread'.",
)
def test_each_policy_object_has_its_own_set_loops(aio, log):
    # The set loops live in the policy object, not in one global: two policies never see
    # each other's loops.
    first, second = aio.DefaultEventLoopPolicy(), aio.DefaultEventLoopPolicy()
    loop = aio.new_event_loop()
    first.set_event_loop(loop)
    second.set_event_loop(None)  # and never make one either
    log("first policy: its own loop:", first.get_event_loop() is loop)
    try:
        second.get_event_loop()
    except RuntimeError as exc:
        log.error("second policy: raised", exc)
    first.set_event_loop(None)
    loop.close()


@sync_scenario(
    "run(): policy.new_event_loop()",
    "main() on the policy's loop: True",
    "Runner(): policy.new_event_loop()",
    "main() on the policy's loop: True",
    "new_event_loop(): policy.new_event_loop()",
    "get_event_loop(): policy.get_event_loop()",
    "Runner(loop_factory=...) does not ask the policy",
)
def test_a_custom_policy_makes_the_loops(aio, log):
    # How pytest-asyncio and uvloop plug in: a subclass of the default policy that makes
    # loops its own way. run(), Runner, new_event_loop() and get_event_loop() all ask it.
    made = []

    class Logging(aio.DefaultEventLoopPolicy):
        def new_event_loop(self):
            log(f"{asking}: policy.new_event_loop()")
            made.append(super().new_event_loop())
            return made[-1]

        def get_event_loop(self):
            log(f"{asking}: policy.get_event_loop()")
            return super().get_event_loop()

    async def main():
        log("main() on the policy's loop:", aio.get_running_loop() is made[-1])

    old = aio.get_event_loop_policy()
    aio.set_event_loop_policy(Logging())
    try:
        asking = "run()"
        aio.run(main())
        asking = "Runner()"
        with aio.Runner() as runner:
            runner.run(main())
        asking = "new_event_loop()"
        loop = aio.new_event_loop()
        aio.set_event_loop(loop)
        asking = "get_event_loop()"
        aio.get_event_loop()
        aio.set_event_loop(None)
        loop.close()
        asking = "Runner(loop_factory=...)"
        with aio.Runner(loop_factory=aio.EventLoop if hasattr(aio, "EventLoop")
                        else aio.SelectorEventLoop) as runner:
            runner.run(aio.sleep(0))
        log("Runner(loop_factory=...) does not ask the policy")
    finally:
        aio.set_event_loop_policy(old)


@sync_scenario(
    "a loop is an AbstractEventLoop: True",
    "run_forever() raised NotImplementedError",
    "call_soon() raised NotImplementedError",
    "create_connection() raised NotImplementedError",
    "a subclass keeps what it writes: 42.0",
    "and inherits the rest: create_future() raised NotImplementedError",
)
def test_the_abstract_loop_is_an_interface(aio, log):
    loop = aio.new_event_loop()
    log("a loop is an AbstractEventLoop:", isinstance(loop, aio.AbstractEventLoop))
    loop.close()
    abstract = aio.AbstractEventLoop()
    for name, call in [("run_forever", abstract.run_forever),
                       ("call_soon", lambda: abstract.call_soon(print)),
                       ("create_connection",
                        lambda: abstract.create_connection(object).send(None))]:
        try:
            call()
        except NotImplementedError as exc:
            log(f"{name}() raised", type(exc).__name__, *exc.args)

    class Clock(aio.AbstractEventLoop):
        def time(self):
            return 42.0

    clock = Clock()
    log("a subclass keeps what it writes:", clock.time())
    try:
        clock.create_future()
    except NotImplementedError as exc:
        log("and inherits the rest: create_future() raised", type(exc).__name__)


@scenario(
    "child: no running loop: True",
    "child: still the parent's set loop: True",
    "child: ran a loop of its own: done",
    "child exited with 0",
    changed={(3, 12): [
        "child: no running loop: True",
        "child: still the parent's set loop: False",
        "child: ran a loop of its own: done",
        "child exited with 0",
    ]},
)
async def test_a_forked_child_can_run_its_own_loop(aio, log):
    # os.fork() from inside a coroutine: the child starts as a copy of this process,
    # mid-step in a running loop that is not its own. asyncio never shows the child that
    # loop as running (3.11 checks the process id), and since 3.12 it forgets the set loops
    # in the child too.
    async def child():
        return "done"

    parent_loop = aio.get_running_loop()
    readable, writable = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12: fork with threads
        pid = os.fork()
    if pid == 0:  # the child: report through the pipe, and leave without any cleanup
        try:
            lines = [f"no running loop: {aio._get_running_loop() is None}"]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # 3.12: a loop made here
                set_loop = aio.get_event_loop()
            lines.append(f"still the parent's set loop: {set_loop is parent_loop}")
            lines.append(f"ran a loop of its own: {aio.run(child())}")
        except BaseException as exc:  # (never run the rest of the test suite in the child)
            lines.append(f"{type(exc).__name__}: {exc}")
        finally:
            os.write(writable, "\n".join(lines).encode())
            os._exit(0)
    os.close(writable)
    _, status = os.waitpid(pid, 0)  # the child is quick: blocking the loop here is harmless
    with open(readable, "rb") as pipe:
        for line in pipe.read().decode().splitlines():
            log("child:", line)
    log("child exited with", os.waitstatus_to_exitcode(status))
