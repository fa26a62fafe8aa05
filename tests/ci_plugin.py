"""A pytest plugin: every test runs in CI, or the run fails.

Off CI, a test whose tool, service or image this machine lacks (the tooling raises
MissingTool) is skipped with the reason. Under CI (any CI other than false or 0) the same test
fails, and so does every other skip (a `pytest.skip` or `skipif` written later, a plugin's
own), so that a green CI run means every test ran.
"""

import pytest

from tooling.errors import MissingTool
from tooling.machine import IN_CI

SKIPPED = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    try:
        return (yield)
    except MissingTool as missing:
        skip_off_ci(missing)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    try:
        return (yield)
    except MissingTool as missing:
        skip_off_ci(missing)


def skip_off_ci(missing):
    if IN_CI:
        raise missing
    pytest.skip(str(missing))


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
