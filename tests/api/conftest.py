"""Fixtures the API tests share."""

import pytest

from tooling.accounts import temporary_users, username_prefix
from tooling.served import gunicorn, relaxed_env


# One server per database for every module of this folder that needs no settings of its own:
# a start costs seconds, and these tests share nothing through it but the database they would
# share anyway.
@pytest.fixture(scope="session")
def service(served_project):
    """The served project under 2 Gunicorn workers, throttles relaxed."""
    database, project, env = served_project
    with gunicorn(project, relaxed_env(env), "--workers", "2", database=database) as served:
        yield served


@pytest.fixture
def prefix(served_project):
    """A username prefix of the test's own; the users signed up with it go afterwards."""
    _, project, env = served_project
    with username_prefix(project, env, "signup") as name:
        yield name


@pytest.fixture(scope="module")
def users(service):
    """Two users, alice and bob, with names of their own in this database. They go after the
    module, with all they made: other modules list every object and count the rows."""
    with temporary_users(service.project, service.env, "alice", "bob") as names:
        yield names
