"""The soak scenarios reuse the Fund suites' helpers (tests/fund: fault_harness, the recovery
test's FundRun); pytest puts a test folder on sys.path only while it collects that folder. A soak
test that fails is written into the run's summary (soak_harness.record_failure), so
docs/RELIABILITY.md shows it."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fund"))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed and report.nodeid.startswith("tests/soak/"):
        from soak_harness import record_failure

        crash = getattr(report.longrepr, "reprcrash", None)
        message = crash.message if crash is not None else str(report.longrepr)
        record_failure(report.nodeid, f"{report.when}: {message.splitlines()[0] if message else ''}"[:500])
