"""/healthz/ and the database connection when PostgreSQL goes away under a live Gunicorn.

The health check answers 503 while the database is down and 200 as soon as it is back, with no
restart of the service. Connections are kept between requests (DJANGO_CONN_MAX_AGE, 600 s by
default), so a database restart leaves each worker holding a dead one: with
DJANGO_CONN_HEALTH_CHECKS (the default) or DJANGO_CONN_MAX_AGE=0 no request fails; with the
checks turned off, the first request after the restart fails and the next reconnects.
"""

import pytest
import requests

from tooling.machine import run
from tooling.postgres import PostgresCluster
from tooling.project import render, venv_env
from tooling.served import gunicorn

pytestmark = pytest.mark.gunicorn


@pytest.fixture(scope="module")
def cluster():
    """A cluster of this module's own: stopping it must not break other tests' databases."""
    with PostgresCluster() as cluster:
        yield cluster


@pytest.fixture(scope="module")
def project(cluster, tmp_path_factory, venv):
    folder = render(tmp_path_factory.mktemp("outage"), database="postgres")
    env = venv_env(venv, DATABASE_URL=cluster.create_database("outage"))
    run(["python", "manage.py", "migrate", "--noinput"], cwd=folder, env=env)
    return folder, env


def health(base):
    response = requests.get(f"{base}/healthz/", timeout=30)
    return response.status_code, response.json()


def connections(cluster):
    """The connections open to the project's database (psql itself connects to another)."""
    sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = 'outage'"
    return int(cluster.psql(sql))


def test_healthz_answers_503_while_the_database_is_down_then_recovers(cluster, project):
    folder, env = project
    with gunicorn(folder, env, "--workers", "1") as served:
        base = served.base
        assert health(base) == (200, {"status": "ok"})
        cluster.halt()
        try:
            down = [health(base) for _ in range(3)]
        finally:
            cluster.resume()
        back = health(base)
    print(f"\n[outage] database down: {down}; back up: {back}")
    assert down == [(503, {"status": "database unavailable"})] * 3
    assert back == (200, {"status": "ok"})


@pytest.mark.parametrize(
    ("settings", "kept", "after_restart"),
    [
        ({}, 1, [200, 200]),
        ({"DJANGO_CONN_HEALTH_CHECKS": "false"}, 1, [503, 200]),
        ({"DJANGO_CONN_MAX_AGE": "0"}, 0, [200, 200]),
    ],
    ids=["default", "no-health-checks", "no-persistent-connections"],
)
def test_a_database_restart_between_requests(cluster, project, settings, kept, after_restart):
    """`kept`: connections the one worker holds between requests; `after_restart`: what the
    first two requests after a database restart answer."""
    folder, env = project
    with gunicorn(folder, {**env, **settings}, "--workers", "1") as served:
        base = served.base
        assert health(base)[0] == 200
        held = connections(cluster)
        cluster.halt()
        cluster.resume()
        statuses = [health(base)[0] for _ in range(2)]
    print(f"\n[restart] {settings or 'defaults'}: {held} connection(s) kept; after: {statuses}")
    assert held == kept
    assert statuses == after_restart
