"""Fixtures the API tests share."""

import pytest

from tooling.accounts import temporary_users, username_prefix


@pytest.fixture
def prefix(rendered_project):
    """A username prefix of the test's own; the users signed up with it go afterwards."""
    _, project, env = rendered_project
    with username_prefix(project, env, "signup") as name:
        yield name


@pytest.fixture(scope="module")
def users(service):
    """Two users, alice and bob, with names of their own in this database. They go after the
    module, with all they made: other modules list every object and count the rows."""
    with temporary_users(service.project, service.env, "alice", "bob") as names:
        yield names
