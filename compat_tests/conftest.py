import pytest

# Show a full diff of the traces when a scenario fails (the assert lives in the harness).
pytest.register_assert_rewrite("compat_tests.harness")


@pytest.fixture(autouse=True)
def no_thread_or_process_left_behind():
    """Every scenario must clean up after itself: worker threads joined, child processes
    reaped (a pool shut down without waiting gets a second to let its threads exit)."""
    import multiprocessing
    import threading

    before = set(threading.enumerate())
    yield
    leftovers = [t for t in threading.enumerate() if t not in before]
    for thread in leftovers:
        thread.join(1)
    alive = [t.name for t in leftovers if t.is_alive()]
    assert not alive, f"threads left behind: {alive}"
    assert not multiprocessing.active_children(), "child processes left behind"
