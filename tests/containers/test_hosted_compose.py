"""The PostgreSQL variant's compose stack without its `db` service, on a database elsewhere.

As docs/deploy.md tells: the URL goes in .env as HOSTED_DATABASE_URL, the guide's override
file hands it to the services that connect and puts `db` in a profile nothing asks for, and
COMPOSE_FILE in .env names it, so that a plain `up` runs the stack without `db`. The "hosted"
database is a throwaway cluster on this machine that serves TLS only, on the address of
Docker's bridge, so that containers reach it as they would reach a provider's. A guide that
left a service on the bundled database, or a connection in the clear, would fail here.

Real services: a PostgreSQL cluster (TLS only), Docker and Compose v2 (a stack of its own
on the session's PostgreSQL image: proxy, migrate, web, without db; removed afterwards).
"""

import re
import time

import pytest

from tooling.machine import require, run
from tooling.postgres import PostgresCluster
from tooling.project import read_dotenv, render, write_dotenv
from tooling.stack import Client, create_user, published_base, stack_on_image

# The session's image may be built in this module's test.
pytestmark = [pytest.mark.containers, pytest.mark.timeout(1800)]

OVERRIDE = "docker-compose.hosted-db.yml"


def bridge_address():
    """This machine's address on Docker's default bridge (docker0), which containers reach."""
    shown = run(["ip", "-4", "-o", "addr", "show", "docker0"], timeout=30).stdout
    found = re.search(r"inet (\d+\.\d+\.\d+\.\d+)/", shown)
    assert found, f"docker0 has no IPv4 address: {shown}"
    return found.group(1)


def guide_section(project):
    guide = (project / "docs/deploy.md").read_text()
    [section] = re.findall(r"### With a hosted database.*?\n### ", guide, re.S)
    return section


def guide_override(section):
    """The override file of docs/deploy.md, as written (its `!reset` and `!override` tags are
    Compose's own)."""
    [block] = re.findall(rf"```yaml\n# {re.escape(OVERRIDE)}\n(.*?)```", section, re.S)
    return block


def guide_compose_files(section):
    """The guide's COMPOSE_FILE line, without docker-compose.tls.yml: HTTPS is the subject of
    the deploy guide's own test, the database is this one's."""
    [files] = re.findall(r"^COMPOSE_FILE=(\S+)$", section, re.M)
    assert files.endswith(f":{OVERRIDE}"), files
    return files.replace("docker-compose.tls.yml:", "")


@pytest.fixture(scope="module")
def hosted(tmp_path_factory):
    require("psql", "openssl", "ip")
    gateway = bridge_address()
    cluster = PostgresCluster(
        tls=True, listen_also=gateway, client_networks=["172.16.0.0/12", "192.168.0.0/16"]
    ).start()
    yield cluster, gateway
    cluster.stop()


@pytest.mark.parametrize("built", ["postgres"], indirect=True)
def test_stack_runs_on_a_hosted_database_without_its_db_service(built, hosted, tmp_path):
    cluster, gateway = hosted
    started = time.monotonic()
    project = render(tmp_path, database="postgres", python_version="3.11")
    name = f"hosted_{int(time.time())}"
    url = cluster.create_database(name).replace("127.0.0.1", gateway) + "?sslmode=require"
    section = guide_section(project)
    (project / OVERRIDE).write_text(guide_override(section))
    assert "COMPOSE_FILE" in read_dotenv(project), "the rendered .env has no COMPOSE_FILE line"
    write_dotenv(project, HOSTED_DATABASE_URL=url, COMPOSE_FILE=guide_compose_files(section))
    compose = stack_on_image(project, f"drfauthdbopshosted{name[-6:]}", built.image)
    try:
        # As step 3 of the guide, on the session's image instead of a build of its own.
        compose("up", "--detach", "--wait", timeout=600)
        # Asked of Docker, since `compose ps` leaves out the services of an inactive profile.
        project_label = f"com.docker.compose.project={compose.env['COMPOSE_PROJECT_NAME']}"
        service = '{{.Label "com.docker.compose.service"}}'
        made = run(
            ["docker", "ps", "-a", "--filter", f"label={project_label}", "--format", service]
        ).stdout.split()
        assert sorted(made) == ["migrate", "proxy", "web"], made
        assert compose("ps", "-q", "-a", "--status", "exited", "migrate").stdout.strip()
        base = published_base(compose)
        compose.wait_until_healthy("web", f"{base}/healthz/")

        create_user(compose, "keeper")
        api = Client(base)
        access = api.login("keeper")["access"]
        api.create(access, "kept elsewhere")
        assert api.names(access) == ["kept elsewhere"]

        # The row is in the hosted database, and every connection of the stack uses TLS.
        query = "SELECT name FROM things_thing"
        assert cluster.psql(query, database=name).split() == ["kept", "elsewhere"]
        encrypted = cluster.psql(
            "SELECT DISTINCT ssl FROM pg_stat_ssl JOIN pg_stat_activity USING (pid)"
            f" WHERE datname = '{name}' AND client_addr <> '127.0.0.1'",
            database=name,
        ).split()
        assert encrypted == ["t"], encrypted
    finally:
        compose.remove()
    took = time.monotonic() - started
    print(f"\n[hosted-compose] stack on a TLS-only database elsewhere: {took:.1f} s")
