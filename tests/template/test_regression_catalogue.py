"""A rendered project's own suite catches the regressions a student could make to it.

The suite is what a project's CI runs for the rest of its life: every entry of
tooling/regression_catalogue.py (a changed default, a dropped check, a permission loosened, a
"simpler" refresh...) is applied to a copy of a fresh bake, the copy's own `pytest -x` runs,
and a suite that still passes has missed it. The table of every entry, caught or MISSED and
by which test, is printed with the time the whole catalogue took.

Real services: the session's bake per database and its venv; for the entries that need
PostgreSQL, a database of their own in the session's cluster.
"""

import os
import resource
import time

import pytest

from tooling import regressions
from tooling.project import own_settings
from tooling.regression_catalogue import CATALOGUE

# Two suites at a time: each is mostly one busy process, and the machine has two cores.
PARALLEL = max(2, min(4, os.cpu_count() or 2))


def children_cpu_seconds():
    """CPU time of every finished child process of this one (the suites run), in seconds."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def test_the_catalogue_is_large_and_covers_both_databases():
    assert len(CATALOGUE) >= 25
    assert len({entry.breaks for entry in CATALOGUE}) == len(CATALOGUE), "names are unique"
    assert any("postgres" in entry.databases for entry in CATALOGUE)


def test_every_entry_applies_to_a_fresh_bake_once(rendered_project):
    """Stale entries fail here with their name and the text that moved, before any run."""
    regressions.check_applies(CATALOGUE, rendered_project.project)


def test_a_stale_entry_says_so():
    entry = regressions.Regression("a rule", "config/settings.py", "DEBUG = True", "DEBUG = 1")
    with pytest.raises(regressions.StaleRegression, match="'a rule'.* 0 times"):
        entry.applied_to("DEBUG = False\n")
    with pytest.raises(regressions.StaleRegression, match=" 2 times"):
        entry.applied_to("DEBUG = True\nDEBUG = True\n")
    assert entry.applied_to("DEBUG = True\n") == "DEBUG = 1\n"


def test_the_module_an_entry_runs_first_must_exist(tmp_path):
    (tmp_path / "tests").mkdir()
    for module in ("test_b.py", "test_a.py"):
        (tmp_path / "tests" / module).touch()
    entry = regressions.Regression("a rule", "x.py", "a", "b", run_first="tests/test_b.py")
    assert entry.suite(tmp_path) == ["tests/test_b.py", "tests/test_a.py"]
    moved = entry._replace(run_first="tests/test_c.py")
    with pytest.raises(regressions.StaleRegression, match="'a rule': no tests/test_c.py"):
        moved.suite(tmp_path)


def test_the_rendered_suite_catches_every_regression(rendered_project, database_url, tmp_path):
    database, project, env = rendered_project

    def env_for(copy):  # the project's own settings, as its CI runs the suite
        return {**own_settings(env), "DATABASE_URL": database_url(database, copy)}

    started, cpu_before = time.monotonic(), children_cpu_seconds()
    outcomes = regressions.check(CATALOGUE, project, database, tmp_path, env_for, PARALLEL)
    took, cpu = time.monotonic() - started, children_cpu_seconds() - cpu_before
    print(f"\n[{database}] regression catalogue, {PARALLEL} suites at a time:")
    print(regressions.table(outcomes))
    missed = [outcome.regression.breaks for outcome in outcomes if not outcome.caught]
    print(
        f"[{database}] {len(outcomes) - len(missed)} of {len(outcomes)} caught in {took:.0f} s "
        f"({cpu:.0f} s of CPU: the wall time on a machine that is otherwise idle is about "
        f"{cpu / PARALLEL:.0f} s)"
    )
    assert not missed, f"the rendered suite misses: {missed}"
