"""Each variant's own test suite (pytest-django) passes on the database it was rendered for,
with a multi-word plural, so that a rendered project starts its life green.

Real services: a throwaway PostgreSQL cluster (the session's `postgres` fixture) for the
PostgreSQL variant; SQLite in the project folder for the other.
"""

import pytest

from tooling.constants import DATABASES
from tooling.machine import run
from tooling.project import render, venv_env


@pytest.mark.parametrize("database", DATABASES)
def test_rendered_suite_passes(database, tmp_path, venv, database_url):
    project = render(
        tmp_path, database=database, resource_name="category", resource_plural="categories"
    )
    env = venv_env(venv, DATABASE_URL=database_url(database, project))
    result = run(["pytest", "-q", "-p", "no:cacheprovider"], cwd=project, env=env)
    assert " passed" in result.stdout
    assert "failed" not in result.stdout and "skipped" not in result.stdout
