"""Fixtures the authentication tests share."""

import contextlib

import pytest

from tooling.accounts import temporary_users
from tooling.served import gunicorn, relaxed_env


@pytest.fixture(scope="session")
def service(served_project):
    """The served project under 3 Gunicorn workers, throttles relaxed: one server per database
    for the modules of this folder that ask for it (a start costs seconds). Three workers, so
    that racing requests land in different processes."""
    database, project, env = served_project
    with gunicorn(project, relaxed_env(env), "--workers", "3", database=database) as served:
        yield served


@pytest.fixture
def make_users(served_project):
    """Makes users for one test; they go afterwards, with everything they own."""
    _, project, env = served_project
    with contextlib.ExitStack() as cleanup:
        yield lambda *names: cleanup.enter_context(temporary_users(project, env, *names))
