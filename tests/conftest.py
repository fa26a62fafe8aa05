import pytest
import requests

# The CI rule (a skip under CI fails the run; MissingTool skips off CI): a plugin's hooks.
from ci_plugin import (  # noqa: F401
    pytest_runtest_call,
    pytest_runtest_logreport,
    pytest_runtest_setup,
    pytest_sessionfinish,
)

from tooling.accounts import temporary_users
from tooling.constants import DATABASES
from tooling.machine import run
from tooling.postgres import PostgresCluster
from tooling.project import project_venv, render, venv_env
from tooling.served import gunicorn, relaxed_env


@pytest.fixture(scope="session")
def venv(tmp_path_factory):
    """A virtualenv holding the rendered projects' requirements (cached across runs)."""
    return project_venv(tmp_path_factory.mktemp("venv"))


@pytest.fixture(scope="session")
def postgres():
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def database_url(postgres):
    """DATABASE_URL for a database: a new PostgreSQL database each call, or SQLite's default."""
    created = iter(range(1000))

    def database_url(database, project):
        if database == "sqlite":
            return f"sqlite:///{project / 'db.sqlite3'}"
        return postgres.create_database(f"{project.name}_{next(created)}")

    return database_url


@pytest.fixture(scope="session", params=DATABASES)
def served_project(request, tmp_path_factory, venv):
    """A rendered, migrated project per database with the env to run its commands in."""
    database = request.param
    project = render(tmp_path_factory.mktemp(database), database=database)
    url = request.getfixturevalue("database_url")(database, project)
    env = venv_env(venv, DATABASE_URL=url)
    run(["python", "manage.py", "migrate", "--noinput"], cwd=project, env=env)
    run(["python", "manage.py", "collectstatic", "--noinput"], cwd=project, env=env)
    return database, project, env


@pytest.fixture
def username(served_project, request):
    """A user of the test's own, named after its module; it goes afterwards, with all it wrote."""
    _, project, env = served_project
    name = request.module.__name__.removeprefix("test_")
    with temporary_users(project, env, name) as (username,):
        yield username


@pytest.fixture(scope="module")
def service(served_project):
    """The served project under Gunicorn (2 workers) for one test module, throttles relaxed."""
    database, project, env = served_project
    env = relaxed_env(env)
    with gunicorn(project, env, "--workers", "2") as served:
        served.database = database
        yield served


class TimedSession(requests.Session):
    """A session whose every request has a timeout: a hung server fails a test, not the run."""

    def request(self, *args, timeout=30, **kwargs):
        return super().request(*args, timeout=timeout, **kwargs)


@pytest.fixture(scope="module")
def http():
    with TimedSession() as session:
        yield session
