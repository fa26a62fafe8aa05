"""A pytest plugin: under CI, a skipped test fails the session.

`require` already fails a test whose tool is missing when CI is set; this catches every other
skip (a `pytest.skip` or `skipif` written later, a plugin's own skip), so that a green CI run
means every test ran.
"""

import pytest

from .machine import IN_CI

SKIPPED = []


def pytest_runtest_logreport(report):
    if report.skipped and IN_CI and not hasattr(report, "wasxfail"):
        SKIPPED.append(report.nodeid)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    skipped = list(dict.fromkeys(SKIPPED))
    if skipped:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line(
                f"ERROR: CI is set and {len(skipped)} test(s) skipped: " + ", ".join(skipped),
                red=True,
            )
