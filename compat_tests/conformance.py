"""Conformance: CPython's own asyncio tests, run with `asyncio` swapped for miniloop.

    python -m compat_tests.conformance               # the tests, on miniloop
    python -m compat_tests.conformance --control     # the same tests on real asyncio
    python -m compat_tests.conformance -v test_locks # one module, listing every failure

The test files are the running interpreter's own (`test.test_asyncio.test_locks` and so on,
read from its installation when the runner starts; nothing is copied into this repository).
Each module runs in a fresh subprocess that calls `miniloop.install()` before anything
imports asyncio, so the tests' `import asyncio`, `from asyncio import taskgroups` and
`unittest.IsolatedAsyncioTestCase` (which imports asyncio itself) all get miniloop. The
subprocess checks, before and after the tests, that no object of the real asyncio package
is reachable; `--control` runs without the swap, on real asyncio, and must pass everything.

Some tests cannot pass on any reimplementation, because they look at CPython's internals
(private attributes, private functions replaced with mocks). conformance_expected.toml
lists them per Python version with the reason. The run fails if a test outside that list
fails, and also if a listed test passes, so the list never goes stale.

Output: per module the number of tests run, passed, failed, errors and skipped, and last
a line `N passed, M failed` (errors count as failed; skipped tests count as neither). The
modules run one subprocess per core at a time (as CPython's own `regrtest -j` runs them);
the rows come out in the list's order all the same.
"""

from __future__ import annotations

import concurrent.futures
import importlib
import importlib.util
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import tomllib
import traceback
import types
import unittest
from typing import Any, TextIO

MODULES = ("test_queues", "test_locks", "test_waitfor", "test_timeouts", "test_taskgroups",
           "test_threads", "test_futures", "test_tasks", "test_protocols",
           "test_transports", "test_streams", "test_base_events", "test_sock_lowlevel",
           "test_server", "test_eager_task_factory", "test_context", "test_pep492",
           "test_buffered_proto", "test_runners", "test_sendfile",
           "test_sslproto", "test_ssl", "test_subprocess", "test_events")
PACKAGE = "test.test_asyncio"
ROOT = pathlib.Path(__file__).resolve().parent.parent
EXPECTED = pathlib.Path(__file__).with_name("conformance_expected.toml")
TEST_TIMEOUT = 60      # seconds one test may take before it is interrupted as hung
MODULE_TIMEOUT = 600   # seconds one module's subprocess may take before it is killed
VERSION = "{}.{}".format(*sys.version_info[:2])


# == In the subprocess: one module's tests ====================================================

class TestHung(Exception):
    """Raised (by SIGALRM) into a test that ran for longer than TEST_TIMEOUT."""


class RecordingResult(unittest.TestResult):
    """Writes one JSON line per finished test to `out`, as soon as it is known, so the
    parent still has every outcome up to a hang or a crash."""

    def __init__(self, out: TextIO) -> None:
        super().__init__()
        self.out = out
        signal.signal(signal.SIGALRM, self._interrupt)  # armed by startTest

    def _interrupt(self, signum: int, frame: object) -> None:
        raise TestHung(f"test still running after {TEST_TIMEOUT} s, interrupted")

    def _write(self, record: dict[str, str]) -> None:
        self.out.write(json.dumps(record) + "\n")
        self.out.flush()

    def _record(self, test: unittest.TestCase, outcome: str, detail: str = "") -> None:
        self._write({"id": short_id(test), "outcome": outcome, "detail": detail})

    def startTest(self, test: unittest.TestCase) -> None:
        super().startTest(test)
        self._write({"started": short_id(test)})
        signal.setitimer(signal.ITIMER_REAL, TEST_TIMEOUT)

    def stopTest(self, test: unittest.TestCase) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        super().stopTest(test)

    def addSuccess(self, test: unittest.TestCase) -> None:
        super().addSuccess(test)  # not called when a subtest failed
        self._record(test, "passed")

    def addFailure(self, test: unittest.TestCase, err: Any) -> None:
        super().addFailure(test, err)
        self._record(test, "failed", self._exc_info_to_string(err, test))

    def addError(self, test: unittest.TestCase, err: Any) -> None:
        super().addError(test, err)
        # Errors in setUpModule / tearDownModule / class fixtures come with a stand-in
        # "test" whose id names the fixture; they are recorded like a test.
        self._record(test, "error", self._exc_info_to_string(err, test))

    def addSkip(self, test: unittest.TestCase, reason: str) -> None:
        super().addSkip(test, reason)
        self._record(test, "skipped", reason)

    def addExpectedFailure(self, test: unittest.TestCase, err: Any) -> None:
        super().addExpectedFailure(test, err)
        self._record(test, "passed")  # CPython marks it as failing on purpose

    def addUnexpectedSuccess(self, test: unittest.TestCase) -> None:
        super().addUnexpectedSuccess(test)
        self._record(test, "failed", "unexpected success")

    def addSubTest(self, test: unittest.TestCase, subtest: unittest.TestCase,
                   err: Any) -> None:
        super().addSubTest(test, subtest, err)
        if err is not None:  # the test has failed (a later record of it says the same)
            self._record(test, "failed", f"{subtest}: {self._exc_info_to_string(err, test)}")


def short_id(test: unittest.TestCase) -> str:
    """`test_locks.LockTests.test_repr`, without the package prefix."""
    return test.id().removeprefix(PACKAGE + ".")


def all_tests(suite: unittest.TestSuite | unittest.TestCase) -> list[str]:
    if isinstance(suite, unittest.TestSuite):
        return [name for child in suite for name in all_tests(child)]
    return [short_id(suite)]


def check_no_real_asyncio(watched: list[types.ModuleType]) -> None:
    """Fail unless every asyncio module the process knows is a miniloop stand-in, and no
    module the tests use holds an object that the real asyncio package defined."""
    from miniloop.dropin import StandIn

    real = sorted(name for name, module in sys.modules.items()
                  if (name == "_asyncio" or name == "asyncio" or name.startswith("asyncio."))
                  and module is not None  # (install() blocks _asyncio with None)
                  and not isinstance(module, StandIn))
    for module in watched:
        for name, value in vars(module).items():
            origin = value.__name__ if isinstance(value, types.ModuleType) else getattr(
                value, "__module__", None)
            if (isinstance(origin, str) and origin.split(".")[0] in ("asyncio", "_asyncio")
                    and not isinstance(value, StandIn)):
                real.append(f"{module.__name__}.{name}")
    if real:
        raise AssertionError(f"the real asyncio is reachable: {', '.join(real)}")


def run_module(module_name: str, results: TextIO, *, control: bool) -> None:
    """Import one test module of the running Python and run its tests into `results`."""
    if not control:
        from miniloop.dropin import install
        install()  # before anything (unittest.async_case, unittest.mock) imports asyncio
    try:
        module = importlib.import_module(f"{PACKAGE}.{module_name}")
    except BaseException as exc:
        if isinstance(exc, ModuleNotFoundError) and exc.name == f"{PACKAGE}.{module_name}":
            outcome, detail = "skipped", f"not in Python {VERSION}'s test suite"
        elif isinstance(exc, unittest.SkipTest):  # the whole module does not apply here
            outcome, detail = "skipped", str(exc)
        else:  # e.g. a MissingFeatureError at import time
            outcome, detail = "error", traceback.format_exc()
        results.write(json.dumps({"id": f"{module_name} (import)", "outcome": outcome,
                                  "detail": detail}) + "\n")
        return
    suite = unittest.defaultTestLoader.loadTestsFromModule(module)
    results.write(json.dumps({"tests": all_tests(suite)}) + "\n")
    # The modules that hold the tests' asyncio: the test module, CPython's test helpers,
    # and the parts of unittest that import asyncio themselves.
    watched = [sys.modules[name] for name in (
        f"{PACKAGE}.{module_name}", f"{PACKAGE}.utils", "unittest.async_case", "unittest.mock")
        if name in sys.modules]
    if not control:
        check_no_real_asyncio(watched)
    suite.run(RecordingResult(results))
    if not control:
        check_no_real_asyncio(watched)


# == In the parent: every module, then the verdict ============================================

class ModuleReport:
    """The outcome of every test of one module (read back from its subprocess)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.outcomes: dict[str, tuple[str, str]] = {}  # test id -> (outcome, detail)

    def count(self, outcome: str) -> int:
        return sum(1 for result, _ in self.outcomes.values() if result == outcome)


def run_in_subprocess(module_name: str, *, control: bool, verbose: bool) -> ModuleReport:
    report = ModuleReport(module_name)
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl") as results:
        command = [sys.executable, "-m", "compat_tests.conformance", "--child", module_name,
                   results.name] + (["--control"] if control else [])
        try:
            child = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                                   timeout=MODULE_TIMEOUT)
            trouble = "" if child.returncode == 0 else (
                f"the test process exited with status {child.returncode}")
            output = child.stdout + child.stderr
        except subprocess.TimeoutExpired as expired:
            trouble = f"the test process was killed after {MODULE_TIMEOUT} s"
            output = _text(expired.stdout) + _text(expired.stderr)
        planned: list[str] = []
        last_started = ""
        for line in results.read().splitlines():
            record = json.loads(line)
            if "tests" in record:
                planned = record["tests"]
            elif "started" in record:
                last_started = record["started"]
            else:
                report.outcomes[record["id"]] = (record["outcome"], record["detail"])
    if verbose and output.strip():
        print(f"-- output of {module_name}:\n{output}")
    if trouble:
        detail = f"{trouble}\n{output[-3000:]}"
        if last_started and last_started not in report.outcomes:
            report.outcomes[last_started] = ("error", f"{trouble} while this test ran")
        for test in planned:
            report.outcomes.setdefault(test, ("error", detail))
        if not planned:
            report.outcomes[f"{module_name} (process)"] = ("error", detail)
    return report


def _text(output: str | bytes | None) -> str:
    return output.decode(errors="replace") if isinstance(output, bytes) else output or ""


def expected_failures() -> dict[str, str]:
    """This Python's list of tests that cannot pass on miniloop: test id -> reason."""
    with EXPECTED.open("rb") as file:
        return dict(tomllib.load(file).get(VERSION, {}))


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        with open(argv[2], "w") as results:
            run_module(argv[1], results, control="--control" in argv)
        return 0
    control = "--control" in argv
    verbose = "-v" in argv or "--verbose" in argv
    modules = [name for name in argv if not name.startswith("-")] or list(MODULES)
    unknown = sorted(set(modules) - set(MODULES))
    if unknown:
        print(f"unknown module(s) {', '.join(unknown)}; choose from {', '.join(MODULES)}")
        return 2
    if importlib.util.find_spec(PACKAGE) is None:
        print(f"{sys.executable} has no {PACKAGE}: this Python was installed without its "
              f"test suite (on Debian, install the libpython3.X-testsuite package)")
        return 2
    backend = "real asyncio (control)" if control else "miniloop"
    print(f"CPython {sys.version.split()[0]}'s asyncio tests on {backend}")
    print(f"{'module':<18}{'run':>6}{'passed':>8}{'failed':>8}{'errors':>8}{'skipped':>9}")
    reports = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for report in pool.map(lambda name: run_in_subprocess(
                name, control=control, verbose=verbose), modules):
            reports.append(report)
            run = len(report.outcomes) - report.count("skipped")
            print(f"{report.name:<18}{run:>6}{report.count('passed'):>8}"
                  f"{report.count('failed'):>8}{report.count('error'):>8}"
                  f"{report.count('skipped'):>9}", flush=True)

    outcomes = {test: result for report in reports for test, result in report.outcomes.items()}
    listed = {} if control else {
        test: reason for test, reason in expected_failures().items()
        if test.split(".")[0] in modules}
    not_passing, unexpected, now_passing, missing = verdict(outcomes, listed)
    for test, detail in sorted(unexpected.items()):
        print(f"\nFAILED (not in {EXPECTED.name}): {test}")
        if verbose:
            print(detail.rstrip())
        else:
            print("    " + _last_line(detail))
    for test in now_passing:
        print(f"\nPASSED but listed in {EXPECTED.name} as failing: {test}")
    for test in missing:
        print(f"\nLISTED in {EXPECTED.name} but no such test ran: {test}")
    passed = sum(1 for outcome, _ in outcomes.values() if outcome == "passed")
    total = passed + len(not_passing)
    if total:
        print(f"\n{passed / total:.1%} of {total} tests pass" + ("" if control else (
            f"; {len(not_passing) - len(unexpected)} listed as unable to pass on {VERSION}")))
    print(f"{passed} passed, {len(not_passing)} failed")
    return 1 if unexpected or now_passing or missing else 0


def verdict(outcomes: dict[str, tuple[str, str]], listed: dict[str, str],
            ) -> tuple[dict[str, str], dict[str, str], list[str], list[str]]:
    """Hold the outcomes against the list of tests that cannot pass. Returns the tests that
    did not pass (with their error), those of them that are not listed, the listed tests
    that passed after all, and the listed tests that did not run."""
    not_passing = {test: detail for test, (outcome, detail) in outcomes.items()
                   if outcome in ("failed", "error")}
    unexpected = {test: detail for test, detail in not_passing.items() if test not in listed}
    now_passing = sorted(test for test in listed if outcomes.get(test, ("",))[0] == "passed")
    missing = sorted(test for test in listed if test not in outcomes)
    return not_passing, unexpected, now_passing, missing


def _last_line(detail: str) -> str:
    lines = [line for line in detail.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "(no detail)"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
