"""Fixtures the authentication tests share."""

import contextlib

import pytest

from tooling.accounts import temporary_users


@pytest.fixture
def make_users(rendered_project):
    """Makes users for one test; they go afterwards, with everything they own."""
    _, project, env = rendered_project
    with contextlib.ExitStack() as cleanup:
        yield lambda *names: cleanup.enter_context(temporary_users(project, env, *names))
