"""Fixtures the test folders share: the rendered projects' venv, one PostgreSQL cluster, a
rendered and migrated project per database, and that project under Gunicorn for a module.

Everything they call is in tooling/, free of pytest; ci_plugin decides what a missing tool means.
"""

import pytest
import requests
import workers_plugin

# The CI rule (a skip under CI fails the run; MissingTool skips off CI): a plugin's hooks.
from ci_plugin import (  # noqa: F401
    pytest_collectreport,
    pytest_runtest_call,
    pytest_runtest_logreport,
    pytest_runtest_setup,
    pytest_sessionfinish,
)
from tooling.accounts import temporary_users
from tooling.constants import DATABASES, sqlite_url
from tooling.postgres import PostgresCluster
from tooling.processes import wait_for_workers
from tooling.project import RenderedProject, project_venv, quick_hashing, render, venv_env
from tooling.served import gunicorn, relaxed_env


def pytest_configure(config):
    # How `make test` shares the suite between its two workers (tests/workers_plugin.py).
    config.pluginmanager.register(workers_plugin, "workers")


@pytest.fixture(scope="session")
def venv(tmp_path_factory):
    """A virtualenv holding the rendered projects' requirements (cached across runs)."""
    return project_venv(tmp_path_factory.mktemp("venv"))


@pytest.fixture(scope="session")
def postgres():
    """One throwaway PostgreSQL cluster for the session; each project gets a database in it."""
    with PostgresCluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def database_url(postgres):
    """DATABASE_URL for a database: a new PostgreSQL database each call, or SQLite's default."""
    created = iter(range(1000))

    def database_url(database, project):
        if database == "sqlite":
            return sqlite_url(project / "db.sqlite3")
        return postgres.create_database(f"{project.name}_{next(created)}")

    return database_url


@pytest.fixture(scope="session", params=DATABASES)
def rendered_project(request, tmp_path_factory, venv):
    """A rendered, migrated project per database with the env to run its commands in, its
    settings behind a quick password hash."""
    database = request.param
    project = render(tmp_path_factory.mktemp(database), database=database)
    url = request.getfixturevalue("database_url")(database, project)
    # Its tests sign in thousands of times: the quick hash (tests/auth/test_secrets.py checks
    # the project's own).
    rendered = RenderedProject(database, project, quick_hashing(venv_env(venv, DATABASE_URL=url)))
    rendered.manage("migrate", "--noinput")
    rendered.manage("collectstatic", "--noinput")
    return rendered


@pytest.fixture
def username(rendered_project, request):
    """A user of the test's own, named after its module; it goes afterwards, with all it wrote."""
    name = request.module.__name__.removeprefix("test_")
    with temporary_users(rendered_project.project, rendered_project.env, name) as (username,):
        yield username


@pytest.fixture(scope="session")
def service(rendered_project):
    """The project under Gunicorn with 3 workers, throttles relaxed: one server per database
    for every module that needs no settings of its own (a start costs seconds; the modules
    share nothing through it but the database they share anyway). All 3 workers are up before
    the first test, so that racing requests land in different processes."""
    database, project, env = rendered_project
    with gunicorn(project, relaxed_env(env), "--workers", "3", database=database) as served:
        wait_for_workers(served.process.pid, 3)
        yield served


class TimedSession(requests.Session):
    """A session whose every request has a timeout: a hung server fails a test, not the run."""

    def request(self, *args, timeout=30, **kwargs):
        return super().request(*args, timeout=timeout, **kwargs)


@pytest.fixture(scope="module")
def http():
    with TimedSession() as session:
        yield session
