"""A pytest plugin: every test runs in CI, or the run fails.

Off CI, a test whose tool, service or image this machine lacks (the tooling raises
MissingTool) is skipped with the reason. Under CI (any CI other than false or 0) the same test
fails, and so does every other skip (a `pytest.skip` or `skipif` written later, a whole module
skipped with `allow_module_level=True`, a plugin's own) and every xfail, failing or passing,
so that a green CI run means every test ran and passed.
"""

import pytest

from tooling.errors import MissingTool
from tooling.machine import IN_CI

NOT_RUN = []  # what CI must not see: "node id (skipped)" or "node id (xfail)"


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
    # An xfail that fails is reported as skipped, one that passes as passed: both carry wasxfail.
    if IN_CI and hasattr(report, "wasxfail"):
        NOT_RUN.append(f"{report.nodeid} (xfail)")
    elif IN_CI and report.skipped:
        NOT_RUN.append(f"{report.nodeid} (skipped)")


def pytest_collectreport(report):
    """A module that skips itself while it is collected runs none of its tests."""
    if IN_CI and report.skipped:
        NOT_RUN.append(f"{report.nodeid} (skipped)")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    not_run = list(dict.fromkeys(NOT_RUN))
    if not_run:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line(
                f"ERROR: CI is set and {len(not_run)} test(s) skipped or marked xfail: "
                + ", ".join(not_run),
                red=True,
            )
