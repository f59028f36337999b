"""Event loop policies: the object behind get_event_loop(), and what replacing it forgets."""

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
