"""The conformance runner itself: what it records, and when it calls a run a failure."""

import io
import json
import subprocess
import sys
import time
import unittest

from compat_tests import conformance


class Sample(unittest.TestCase):
    __test__ = False  # run by the test below, not by pytest

    def test_passes(self):
        pass

    def test_fails(self):
        self.assertEqual(1, 2)

    def test_errors(self):
        raise KeyError("boom")

    @unittest.skip("not here")
    def test_skipped(self):
        pass

    def test_subtest_fails(self):
        for n in (1, 2):
            with self.subTest(n=n):
                self.assertEqual(n, 1)

    @unittest.expectedFailure
    def test_known_bad(self):
        self.fail("on purpose")


def test_every_outcome_is_recorded_as_soon_as_the_test_ends():
    out = io.StringIO()
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(Sample)
    suite.run(conformance.RecordingResult(out))
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    outcomes = {r["id"].rsplit(".", 1)[1]: r["outcome"] for r in records if "id" in r}
    assert outcomes == {
        "test_passes": "passed", "test_fails": "failed", "test_errors": "error",
        "test_skipped": "skipped", "test_subtest_fails": "failed", "test_known_bad": "passed",
    }
    # A "started" record comes first, so that a hang can be pinned on the running test.
    started = {r["started"] for r in records if "started" in r}
    assert started >= {r["id"] for r in records if r.get("outcome") not in (None, "skipped")}


class Hangs(unittest.TestCase):
    __test__ = False

    def test_hangs(self):
        time.sleep(5)


def test_a_hung_test_is_interrupted_and_recorded_as_an_error(monkeypatch):
    monkeypatch.setattr(conformance, "TEST_TIMEOUT", 0.1)
    out = io.StringIO()
    started = time.monotonic()
    unittest.defaultTestLoader.loadTestsFromTestCase(Hangs).run(conformance.RecordingResult(out))
    assert time.monotonic() - started < 2
    record = json.loads(out.getvalue().splitlines()[-1])
    assert record["outcome"] == "error"
    assert "TestHung: test still running after 0.1 s, interrupted" in record["detail"]


def test_the_verdict_holds_outcomes_against_the_list():
    outcomes = {
        "m.A.test_ok": ("passed", ""),
        "m.A.test_listed_fails": ("failed", "AssertionError"),
        "m.A.test_new_failure": ("error", "KeyError"),
        "m.A.test_listed_now_passes": ("passed", ""),
        "m.A.test_skipped": ("skipped", "why"),
    }
    listed = {"m.A.test_listed_fails": "private attribute",
              "m.A.test_listed_now_passes": "mocks a private function",
              "m.A.test_gone": "renamed upstream"}
    not_passing, unexpected, now_passing, missing = conformance.verdict(outcomes, listed)
    assert sorted(not_passing) == ["m.A.test_listed_fails", "m.A.test_new_failure"]
    assert unexpected == {"m.A.test_new_failure": "KeyError"}
    assert now_passing == ["m.A.test_listed_now_passes"]
    assert missing == ["m.A.test_gone"]


def test_the_runner_notices_an_object_of_the_real_asyncio():
    code = """if True:
        import miniloop, types
        miniloop.install()
        from compat_tests.conformance import check_no_real_asyncio
        fine = types.ModuleType("fine")
        import asyncio
        fine.asyncio, fine.Lock = asyncio, asyncio.Lock
        check_no_real_asyncio([fine])
        print("stand-ins pass")
        leaky = types.ModuleType("leaky")
        leaky.Lock = type("Lock", (), {"__module__": "asyncio.locks"})
        try:
            check_no_real_asyncio([leaky])
        except AssertionError as exc:
            print(exc)
    """
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.splitlines() == [
        "stand-ins pass", "the real asyncio is reachable: leaky.Lock"]


def test_a_small_module_runs_on_miniloop_and_on_real_asyncio():
    for flags in ([], ["--control"]):
        result = subprocess.run(
            [sys.executable, "-m", "compat_tests.conformance", "test_threads", *flags],
            capture_output=True, text=True, timeout=120, cwd=conformance.ROOT)
        lines = result.stdout.splitlines()
        assert result.returncode == 0, result.stdout
        assert lines[2].split() == ["test_threads", "6", "6", "0", "0", "0"]
        assert lines[-1] == "6 passed, 0 failed"
