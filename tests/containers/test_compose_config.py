"""What Compose v2 makes of a rendered project's compose files and its .env, on each database.

The stack is chosen once, in .env: COMPOSE_FILE names its files, WEB_REPLICAS (PostgreSQL) its
web containers, and DJANGO_NUM_PROXIES counts a CDN in front of the proxy. A value there that
the compose files ignored would leave a server running other than its owner wrote down. The
built image is named after the Compose project, so that two stacks of one project on a host
(staging and production) never run each other's image.

Real services: none; `docker compose config`, which reads the files and .env as `up` does.
"""

import json

import pytest

from tooling.constants import DATABASES
from tooling.docker import Compose, require_compose
from tooling.project import render

pytestmark = pytest.mark.containers


@pytest.fixture(scope="module", params=DATABASES)
def project(request, tmp_path_factory):
    require_compose()
    database = request.param
    return database, render(tmp_path_factory.mktemp(f"config-{database}"), database=database)


def config(project, name, **env_lines):
    """The stack as Compose reads it, under the project name `name`, with these lines appended
    to .env (the machine's own COMPOSE_ and DJANGO_ variables are left out)."""
    env_file = project / ".env"
    kept = env_file.read_text()
    try:
        env_file.write_text(kept + "".join(f"{key}={value}\n" for key, value in env_lines.items()))
        compose = Compose(project, name)
        return json.loads(compose("config", "--format", "json").stdout)["services"]
    finally:
        env_file.write_text(kept)


def test_web_image_is_named_after_the_compose_project(project):
    database, folder = project
    for name in ("staging", "production"):
        services = config(folder, name)
        assert services["web"]["image"] == services["migrate"]["image"] == f"{name}-web", database


def test_num_proxies_defaults_to_the_one_proxy_and_follows_env(project):
    database, folder = project
    assert config(folder, "plain")["web"]["environment"]["DJANGO_NUM_PROXIES"] == "1", database
    behind_cdn = config(folder, "cdn", DJANGO_NUM_PROXIES=2)
    for service in ("web", "migrate"):
        assert behind_cdn[service]["environment"]["DJANGO_NUM_PROXIES"] == "2", database


def test_compose_file_in_env_chooses_the_tls_stack(project):
    """COMPOSE_FILE in .env adds the HTTPS override to every command: the proxy publishes 443
    and its health check wants that listener too."""
    database, folder = project
    plain = config(folder, "plain")["proxy"]
    assert [port["target"] for port in plain["ports"]] == [80], database
    assert plain["environment"]["DJANGO_HTTPS"] == "false"
    assert "/dev/tcp/127.0.0.1/443" in " ".join(plain["healthcheck"]["test"])

    tls = config(folder, "tls", COMPOSE_FILE="docker-compose.yml:docker-compose.tls.yml")
    assert {port["target"] for port in tls["proxy"]["ports"]} == {80, 443}
    assert tls["proxy"]["environment"]["DJANGO_HTTPS"] == "true"
    assert tls["web"]["environment"]["DJANGO_HTTPS"] == "true"


def test_web_replicas_in_env_is_the_replica_count(project):
    database, folder = project
    if database == "sqlite":
        # One SQLite file, one web container: the variable is not there to set.
        assert "WEB_REPLICAS" not in (folder / ".env").read_text()
        assert "deploy" not in config(folder, "one")["web"]
        return
    assert config(folder, "default")["web"]["deploy"]["replicas"] == 1
    assert config(folder, "three", WEB_REPLICAS=3)["web"]["deploy"]["replicas"] == 3
