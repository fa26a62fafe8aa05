"""The PostgreSQL variant against a database reached as hosted ones are: over TLS only.

One throwaway cluster for the module serves TLS alone (pg_hba.conf has `hostssl` lines only)
with a certificate for 127.0.0.1 and localhost signed by a CA of its own, and logs each
connection it accepts, so that the tests count the connections the service opens: with kept
connections, without them, and with the connection pool that DJANGO_DB_POOL turns on.
"""

import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
import requests

from tooling.machine import require, run
from tooling.postgres import PostgresCluster, make_ca
from tooling.project import django_shell, manage, render, venv_env
from tooling.served import gunicorn

pytestmark = pytest.mark.gunicorn

TLS_IN_USE = (
    "from django.db import connection\n"
    "with connection.cursor() as cursor:\n"
    "    cursor.execute('SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()')\n"
    "    print(*cursor.fetchone())\n"
)


@pytest.fixture(scope="module")
def cluster():
    require("psql", "openssl")
    started = time.monotonic()
    cluster = PostgresCluster(tls=True, settings={"log_connections": "on"}).start()
    print(f"\n[hosted-postgres] TLS cluster up in {time.monotonic() - started:.1f} s")
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return render(tmp_path_factory.mktemp("hosted"), database="postgres")


@pytest.fixture
def database(cluster, request):
    """A database of the test's own: its connections can be told apart in the server's log."""
    name = f"{request.node.originalname[5:30]}_{uuid.uuid4().hex[:6]}"
    url = cluster.create_database(name)
    return name, url


def tls_in_use(project, env):
    """Whether the service's connection is encrypted, and with which protocol."""
    return django_shell(project, env, TLS_IN_USE).splitlines()[-1].split()


def with_query(url, **params):
    return f"{url}?{urlencode(params)}"


def test_sslmode_require_connects_over_tls_and_plain_is_refused(venv, project, database):
    _, url = database
    env = venv_env(venv, DATABASE_URL=with_query(url, sslmode="require"))
    manage(project, env, "migrate", "--noinput")
    ssl, version = tls_in_use(project, env)
    assert ssl == "True" and version.startswith("TLS"), (ssl, version)

    plain = venv_env(venv, DATABASE_URL=with_query(url, sslmode="disable"))
    refused = manage(project, plain, "migrate", "--check", check=False)
    assert refused.returncode != 0
    assert "no encryption" in refused.stderr, refused.stderr[-2000:]


def test_verify_full_accepts_the_right_ca_only(venv, project, cluster, database, tmp_path):
    _, url = database
    for host in ("127.0.0.1", "localhost"):  # the certificate names both
        verified = with_query(
            url.replace("127.0.0.1", host), sslmode="verify-full", sslrootcert=cluster.ca_file
        )
        env = venv_env(venv, DATABASE_URL=verified)
        assert tls_in_use(project, env)[0] == "True"

    other_key, other_ca = tmp_path / "other.key", tmp_path / "other.crt"
    run(make_ca(other_key, other_ca))
    wrong = with_query(url, sslmode="verify-full", sslrootcert=other_ca)
    refused = manage(project, venv_env(venv, DATABASE_URL=wrong), "migrate", "--check", check=False)
    assert refused.returncode != 0
    assert "certificate verify failed" in refused.stderr, refused.stderr[-2000:]


def test_a_transaction_pooler_setting_comes_with_the_url(venv, project, database):
    """The guide's URL for PgBouncer and the like: server-side cursors off, TLS kept."""
    _, url = database
    pooled = with_query(url, sslmode="require", disable_server_side_cursors="True")
    code = (
        "from django.db import connection\n"
        "print(connection.settings_dict['DISABLE_SERVER_SIDE_CURSORS'],"
        " connection.settings_dict['OPTIONS'])\n"
    )
    printed = django_shell(project, venv_env(venv, DATABASE_URL=pooled), code).splitlines()[-1]
    assert printed == "True {'sslmode': 'require'}", printed


def connections_opened(cluster, name):
    """Connections the server has accepted so far to the database `name`."""
    pattern = re.compile(rf"connection authorized: user=\S+ database={re.escape(name)}\b")
    return len(pattern.findall(cluster.log.read_text(errors="replace")))


def hit_healthz(base, count, clients=1):
    """`count` GET /healthz/ (each one a query), from `clients` threads; the status codes."""
    with requests.Session() as session, ThreadPoolExecutor(clients) as pool:
        answers = pool.map(lambda _: session.get(f"{base}/healthz/", timeout=10), range(count))
        return [answer.status_code for answer in answers]


def serve_verified(venv, project, url, cluster, *args, **settings):
    """Gunicorn on the TLS database, verifying its certificate as a hosted one should be."""
    verified = with_query(url, sslmode="verify-full", sslrootcert=cluster.ca_file)
    return gunicorn(project, venv_env(venv, DATABASE_URL=verified, **settings), *args)


@pytest.mark.parametrize("max_age, expected", [(600, 0), (0, 20)])
def test_conn_max_age_keeps_the_connection_between_requests(
    venv, project, cluster, database, max_age, expected
):
    """One worker, twenty requests: a kept connection serves them all; with 0, each connects."""
    name, url = database
    server = serve_verified(
        venv, project, url, cluster, WEB_CONCURRENCY=1, DJANGO_CONN_MAX_AGE=max_age
    )
    with server as served:
        base = served.base
        before = connections_opened(cluster, name)
        assert hit_healthz(base, 20) == [200] * 20
        assert connections_opened(cluster, name) - before == expected


@pytest.mark.parametrize("checks", [True, False])
def test_health_checks_spare_the_first_request_after_a_dropped_connection(
    venv, project, cluster, database, checks
):
    """The database ends the kept connection (a restart, a failover, an idle timeout).

    With health checks, the next request reconnects first and succeeds; without them it fails
    (503 from /healthz/) and only the one after it reconnects.
    """
    name, url = database
    server = serve_verified(
        venv,
        project,
        url,
        cluster,
        WEB_CONCURRENCY=1,
        DJANGO_CONN_MAX_AGE=600,
        DJANGO_CONN_HEALTH_CHECKS=str(checks).lower(),
    )
    with server as served:
        base = served.base
        assert hit_healthz(base, 1) == [200]
        ended = cluster.psql(
            f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            f"WHERE datname = '{name}'",
        )
        assert ended == "1"
        assert hit_healthz(base, 2) == ([200, 200] if checks else [503, 200])


def test_pool_caps_the_connections_of_each_worker(venv, project, cluster, database):
    """Two workers of four threads each, eight clients at once, 120 requests.

    CONN_MAX_AGE is 0, as the pool needs, which without the pool opens a connection per
    request (see above). With pools of two, the whole service opens at most two per worker
    and keeps them open for the next request.
    """
    name, url = database
    workers, threads, pool_size, requests_made = 2, 4, 2, 120
    server = serve_verified(
        venv,
        project,
        url,
        cluster,
        *("--threads", str(threads)),
        WEB_CONCURRENCY=workers,
        DJANGO_DB_POOL="true",
        DJANGO_CONN_MAX_AGE=0,
        DJANGO_DB_POOL_MAX_SIZE=pool_size,
    )
    started = time.monotonic()
    before = connections_opened(cluster, name)
    with server as served:
        base = served.base
        answers = hit_healthz(base, requests_made, clients=threads * workers)
        took = time.monotonic() - started
        opened = connections_opened(cluster, name) - before
        held = cluster.psql(f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{name}'")
    assert answers == [200] * requests_made
    # The pool is in use: the requests reused a few connections, none was closed after use.
    assert 1 <= opened <= workers * pool_size, opened
    assert 1 <= int(held) <= workers * pool_size, held
    print(
        f"\n[hosted-postgres] pool: {requests_made} requests, {workers} workers x {threads}"
        f" threads, pools of {pool_size}: {opened} connections opened, {held} held"
        f" ({took:.1f} s)"
    )
