"""The skip policy for the whole suite (tests/ and the package's doctests).

Under ``CI=true`` every skip fails the run unless its test is marked
``@pytest.mark.optional("why")`` (a dependency no extra installs, or a facility the host
may lack on purpose), so a skip cannot hide a missing daemon, library or task. A doctest
whose examples are all ``+SKIP`` (they need a daemon or a model server) is skipped on
purpose and passes the policy.
"""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
_DOCTEST_ALL_SKIPPED = "all tests skipped by +SKIP option"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not (IN_CI and report.skipped) or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if item.get_closest_marker("optional") is not None or _DOCTEST_ALL_SKIPPED in reason:
        return
    report.outcome = "failed"
    report.longrepr = (
        f"CI=true: unexpected skip ({reason}); install what it needs, "
        "or mark the test @pytest.mark.optional('why') if it may skip"
    )
