"""A pytest plugin: the suite in two halves that `make test` runs side by side.

The container tests spend their time waiting on Docker and the rest on sockets, sleeps and
subprocesses, so on two cores the halves overlap well. Under pytest-xdist (`--numprocesses 2`,
the Makefile) each half goes whole to one worker and runs there in the collection order, so
every session fixture (an image, a stack, a served project) is still built once per half. The
summary prints how long each half took.
"""

from xdist.scheduler import LoadScopeScheduling


def half(nodeid):
    """The half of a test, by its id (relative to the template's root)."""
    return "containers" if nodeid.startswith("tests/containers/") else "the rest"


class Halves(LoadScopeScheduling):
    """xdist's scheduling by scope, each half one scope. (Its `xdist_group` marks would say
    the same, but xdist 3.8 cannot tag the test ids of pytest 9.2 with them.)"""

    def _split_scope(self, nodeid):
        return half(nodeid)


def pytest_xdist_make_scheduler(config, log):
    return Halves(config, log)


# Per half: [tests, seconds in tests, first start, last stop] (reports carry wall-clock times).
TIMES = {}


def pytest_runtest_logreport(report):
    times = TIMES.setdefault(half(report.nodeid), [0, 0.0, None, None])
    times[0] += report.when == "call"
    times[1] += report.duration
    times[2] = min(filter(None, (times[2], report.start)))
    times[3] = max(filter(None, (times[3], report.stop)))


def pytest_terminal_summary(terminalreporter):
    # Only when xdist runs them side by side: one process runs the halves interleaved.
    if not TIMES or not terminalreporter.config.pluginmanager.has_plugin("dsession"):
        return
    terminalreporter.section("halves")
    for name, (tests, seconds, start, stop) in sorted(TIMES.items()):
        terminalreporter.write_line(
            f"{name}: {tests} tests, {stop - start:.0f} s from its first test to its last "
            f"({seconds:.0f} s inside tests)"
        )
