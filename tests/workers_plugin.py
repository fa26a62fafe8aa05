"""A pytest plugin: how `make test` shares the suite between its two pytest-xdist workers.

The container tests share one image and one stack per database, so they go whole to one
worker, first: they are the longest unit. Every other module is a unit per database it runs
on; whichever worker is free takes the next, so the container worker joins in once its tests
are done and both end within a unit of each other. The units go out SQLite first, then those
of no database, then PostgreSQL, the slowest modules (LONGEST) first within each: a worker
then never goes back to a database it has left, so it builds each session fixture it needs
(a bake, a served project) once. The summary prints what each worker did, and how long.
"""

from xdist.scheduler import LoadScopeScheduling

from tooling.constants import DATABASES

CONTAINERS = "tests/containers/"
# The slowest modules outside the containers, slowest first (30 to 45 s per database each on
# two cores; `pytest --durations=0` shows them): started early, they do not end a run alone.
LONGEST = (
    "tests/api/test_fuzz.py",
    "tests/auth/test_login_lockout.py",
    "tests/template/test_regression_catalogue.py",
    "tests/auth/test_stale_writes.py",
    "tests/auth/test_limits_lifted.py",
    "tests/template/test_locks.py",
)


def database_of(nodeid):
    """The database a test runs on, by its parameters' ids (`test_x[render-sqlite]`), or ""."""
    ids = nodeid.partition("[")[2].rstrip("]").split("-")
    return next((database for database in DATABASES if database in ids), "")


def unit(nodeid):
    """The unit of work a test belongs to, by its id (relative to the template's root)."""
    if nodeid.startswith(CONTAINERS):
        return CONTAINERS
    module, database = nodeid.split("::", 1)[0], database_of(nodeid)
    return f"{module}[{database}]" if database else module


def priority(scope):
    """Sort key: the containers; then SQLite's units, those of no database, PostgreSQL's;
    within each, LONGEST in its order, then the others as collected."""
    if scope == CONTAINERS:
        return (0, 0)
    module, _, database = scope.rstrip("]").partition("[")
    group = {"sqlite": 1, "": 2, "postgres": 3}[database]
    return (group, LONGEST.index(module) if module in LONGEST else len(LONGEST))


class Shared(LoadScopeScheduling):
    """xdist's scheduling by scope, with `unit` as the scope and `priority` as the order in
    which free workers take them. (Its `xdist_group` marks cannot say this, and xdist 3.8
    cannot tag the test ids of pytest 9.2 with them.)"""

    def _split_scope(self, nodeid):
        return unit(nodeid)

    def _assign_work_unit(self, node):
        for scope in sorted(self.workqueue, key=priority):  # a stable sort
            self.workqueue.move_to_end(scope)
        super()._assign_work_unit(node)


def pytest_xdist_make_scheduler(config, log):
    return Shared(config, log)


# Per worker: [tests, seconds in tests, first start, last stop, {unit: last stop} in the
# order begun].
TIMES = {}


def pytest_runtest_logreport(report):
    node = getattr(report, "node", None)  # the worker, on xdist's controller
    if node is None:
        return
    times = TIMES.setdefault(node.gateway.id, [0, 0.0, None, None, {}])
    times[0] += report.when == "call"
    times[1] += report.duration
    times[2] = min(filter(None, (times[2], report.start)))
    times[3] = max(filter(None, (times[3], report.stop)))
    times[4][unit(report.nodeid)] = report.stop


def pytest_terminal_summary(terminalreporter):
    if not TIMES:
        return
    terminalreporter.section("workers")
    for worker, (tests, seconds, start, stop, units) in sorted(TIMES.items()):
        first, first_stop = next(iter(units.items()))
        terminalreporter.write_line(
            f"{worker}: {tests} tests, {stop - start:.0f} s from its first test to its last "
            f"({seconds:.0f} s inside tests): {first} ({first_stop - start:.0f} s) then "
            f"{len(units) - 1} more units ({stop - first_stop:.0f} s)"
        )
