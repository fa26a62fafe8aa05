"""Fixtures the authentication tests share."""

import contextlib

import pytest

from tooling.accounts import temporary_users
from tooling.processes import gunicorn_master, wait_for_workers
from tooling.served import gunicorn, relaxed_env

# One server per database for the modules of this folder that ask for it (a start costs
# seconds); three workers, all up before the first test, so that racing requests land in
# different processes.
WORKERS = 3


@pytest.fixture(scope="session")
def service(served_project):
    """The served project under 3 Gunicorn workers, throttles relaxed."""
    database, project, env = served_project
    workers = ["--workers", str(WORKERS)]
    with gunicorn(project, relaxed_env(env), *workers, database=database) as served:
        wait_for_workers(gunicorn_master(served.base), WORKERS)
        yield served


@pytest.fixture
def make_users(served_project):
    """Makes users for one test; they go afterwards, with everything they own."""
    _, project, env = served_project
    with contextlib.ExitStack() as cleanup:
        yield lambda *names: cleanup.enter_context(temporary_users(project, env, *names))
