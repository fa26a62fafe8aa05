"""The Docker image and the docker-compose stack of a rendered project, on SQLite and PostgreSQL.

For each database: build the image with the classic builder on the stand-in base image, check
what is in it, then bring the stack up, walk the README through the published port, take it
down and up again to see that the data survived, and remove it with its volumes. The image
size beyond its base and the time of each phase are printed (`pytest -s` shows them).

The built images are kept (one tag per database), so the next run hits Docker's layer cache.
"""

import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from conftest import DATABASES
from helpers.containers import (
    STANDIN_POSTGRES_IMAGE,
    STANDIN_PYTHON_IMAGE,
    Compose,
    build_image,
    buildkit_client,
    in_image,
    inspect_image,
    require_engine,
    skip_or_fail,
    wait_until_healthy,
)
from helpers.machine import free_port, require, run
from helpers.project import render

# Image builds install every requirement inside `docker build`: longer than the default timeout
# on a busy machine.
pytestmark = [pytest.mark.containers, pytest.mark.timeout(1800)]

RESOURCES = "/api/v1/things/"  # the default resource, `thing`
USERNAME, PASSWORD = "alice", "correct-horse-battery"  # the README's walkthrough user
SECRET_NAMES = ("DJANGO_SECRET_KEY", "DJANGO_JWT_SIGNING_KEY", "POSTGRES_PASSWORD")
BOOTSTRAP_CSS = re.compile(r"/static/rest_framework/css/bootstrap\.min\.[0-9a-f]{12}\.css")


@dataclass
class Built:
    """A rendered project and its image; phases collects the seconds each phase took."""

    database: str
    project: Path
    image: str
    started: float
    phases: dict = field(default_factory=dict)

    def secrets(self):
        """The values the template wrote into .env that must never reach the image."""
        env = dict(
            line.split("=", 1)
            for line in (self.project / ".env").read_text().splitlines()
            if "=" in line and not line.startswith("#")
        )
        return [env[name] for name in SECRET_NAMES if env.get(name)]


@pytest.fixture(scope="module", params=DATABASES)
def built(request, tmp_path_factory):
    require("docker", "docker-compose")
    require_engine()
    database = request.param
    started = time.monotonic()
    # Python 3.11, the version of the stand-in base image.
    project = render(
        tmp_path_factory.mktemp(f"containers-{database}"), database=database, python_version="3.11"
    )
    # Another env file with the same secrets, as people keep them (.env.local, .env.production).
    shutil.copy(project / ".env", project / ".env.production")
    built = Built(database, project, f"drf-auth-template-test/web-{database}", started)
    built.phases["build"], _ = build_image(project, built.image)
    return built


@pytest.fixture
def stack(built):
    """The project's docker-compose stack (not started), removed with its volumes afterwards."""
    port = free_port()
    compose = Compose(
        built.project,
        f"drfauthtest{built.database}{os.getpid()}",
        WEB_IMAGE=built.image,
        WEB_PORT=port,
        PYTHON_IMAGE=STANDIN_PYTHON_IMAGE,
        POSTGRES_IMAGE=STANDIN_POSTGRES_IMAGE,
    )
    compose.base = f"http://127.0.0.1:{port}"
    yield compose
    compose.remove()


def fresh_keys():
    """The two secrets the settings require: 60 characters each (check --deploy wants 50)."""
    return {name: secrets.token_urlsafe(45) for name in SECRET_NAMES[:2]}


def assert_unprivileged(image):
    user = inspect_image(image)["Config"]["User"]
    assert user and user.split(":")[0] not in ("root", "0"), f"image user {user!r}"
    assert in_image(image, "id", "-u", check=True).stdout.strip() != "0"


def test_image_runs_unprivileged_and_holds_no_secrets(built):
    assert_unprivileged(built.image)
    config = inspect_image(built.image)["Config"]
    assert "/healthz/" in " ".join(config["Healthcheck"]["Test"])
    assert "DJANGO_HTTPS=true" in config["Env"]

    # As root, so that no file is skipped for being unreadable by the service's user.
    env_files = in_image(built.image, "find", "/app", "-name", ".env*", user=0).stdout
    assert env_files.split() == ["/app/.env.example"]
    values = built.secrets()
    assert len(values) == (3 if built.database == "postgres" else 2)
    patterns = [f"--regexp={value}" for value in values]
    found = in_image(built.image, "grep", "-rlF", *patterns, "/app", "/opt", "/data", user=0)
    assert found.returncode == 1, f"secrets of .env in the image:\n{found.stdout}{found.stderr}"
    history = run(["docker", "history", "--no-trunc", built.image]).stdout
    assert not [value for value in values if value in history + str(config)]

    # Collected at build time, so the container needs no writable /app.
    static = in_image(built.image, "test", "-s", "/app/staticfiles/staticfiles.json")
    assert static.returncode == 0, "no /app/staticfiles/staticfiles.json"


def test_deploy_check_passes_with_the_image_defaults(built):
    """Only the secrets come from outside; DJANGO_HTTPS=true comes from the Dockerfile."""
    check = ["python", "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    result = in_image(built.image, *check, env=fresh_keys())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("built", ["sqlite"], indirect=True)
def test_image_alone_is_healthy_with_its_https_default(built):
    """`docker run` with only the secrets: DJANGO_HTTPS=true redirects plain HTTP to HTTPS,
    but not the health check, and SQLite finds a folder it may write in (/data)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    name = f"drfauthtest-alone-{os.getpid()}"
    options = [f"--publish=127.0.0.1:{port}:8000"]
    options += [f"--env={key}={value}" for key, value in fresh_keys().items()]

    def logs():
        found = run(["docker", "logs", "--tail=60", name], check=False)
        return found.stdout + found.stderr

    started = time.monotonic()
    try:
        run(["docker", "run", "-d", f"--name={name}", *options, built.image])
        wait_until_healthy(name, f"{base}/healthz/", logs)
        built.phases["alone to healthy"] = time.monotonic() - started
        plain = requests.get(base + RESOURCES, allow_redirects=False, timeout=10)
        assert plain.status_code == 301, plain.text
        assert plain.headers["Location"] == f"https://127.0.0.1:{port}{RESOURCES}"
        # As through the TLS-terminating proxy the image expects in front of it.
        proxied = requests.get(base + RESOURCES, headers={"X-Forwarded-Proto": "https"}, timeout=10)
        assert proxied.status_code == 401, proxied.text
        assert "max-age=" in proxied.headers["Strict-Transport-Security"]
    finally:
        run(["docker", "rm", "-f", "-v", name], check=False)


class Client:
    """The API through the published port, each answer checked for the status expected."""

    def __init__(self, base):
        self.base = base

    def __call__(self, method, path, expect, bearer=None, **body):
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        answer = requests.request(
            method, self.base + path, json=body or None, headers=headers, timeout=10
        )
        assert answer.status_code == expect, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json() if answer.content else None

    def login(self):
        return self("POST", "/api/token/", 200, username=USERNAME, password=PASSWORD)

    def names(self, bearer):
        return [thing["name"] for thing in self("GET", RESOURCES, 200, bearer)["results"]]


def test_stack_serves_the_walkthrough_and_keeps_its_data(built, stack):
    """docker-compose as the README runs it, then `down` and `up` again; the last test of each
    database, so it prints the figures."""
    api = Client(stack.base)

    started = time.monotonic()
    stack("up", "-d")
    stack.wait_until_healthy("web", f"{stack.base}/healthz/")
    built.phases["up to healthy"] = time.monotonic() - started
    assert stack.exec("web", "id", "-u").stdout.strip() != "0", "Gunicorn runs as root"

    # The README's walkthrough, with the Docker form of its first step.
    stack.exec(
        "web",
        *("python", "manage.py", "createsuperuser", "--noinput"),
        *("--username", USERNAME, "--email", f"{USERNAME}@example.com"),
        env={"DJANGO_SUPERUSER_PASSWORD": PASSWORD},
    )
    tokens = api.login()
    access, refresh = tokens["access"], tokens["refresh"]
    api("GET", RESOURCES, 401)
    thing = api("POST", RESOURCES, 201, access, name="First thing", description="In Docker")
    assert api.names(access) == ["First thing"]
    renamed = api("PATCH", f"{RESOURCES}{thing['id']}/", 200, access, name="Renamed")
    assert renamed["name"] == "Renamed" and renamed["owner"] == USERNAME
    doomed = api("POST", RESOURCES, 201, access, name="Doomed")
    api("DELETE", f"{RESOURCES}{doomed['id']}/", 204, access)
    api("GET", f"{RESOURCES}{doomed['id']}/", 404, access)
    rotated = api("POST", "/api/token/refresh/", 200, refresh=refresh)
    api("POST", "/api/token/refresh/", 401, refresh=refresh)  # used once, then blacklisted
    api("POST", "/api/token/verify/", 200, token=rotated["access"])
    api("POST", "/api/token/blacklist/", 200, refresh=rotated["refresh"])
    api("GET", RESOURCES, 401, rotated["access"])  # logged out: every token of the user ends

    # Static files under hashed names, served by Whitenoise from the container.
    login_page = requests.get(f"{stack.base}/api-auth/login/", timeout=10)
    assert login_page.status_code == 200
    css = BOOTSTRAP_CSS.search(login_page.text)
    assert css, login_page.text[:2000]
    stylesheet = requests.get(stack.base + css.group(), timeout=10)
    assert stylesheet.status_code == 200 and "text/css" in stylesheet.headers["Content-Type"]

    # `down` keeps the volumes: the user, the data and the logout outlive the containers.
    started = time.monotonic()
    stack("down")
    stack("up", "-d")
    stack.wait_until_healthy("web", f"{stack.base}/healthz/")
    built.phases["down + up to healthy"] = time.monotonic() - started
    api("GET", RESOURCES, 401, rotated["access"])
    api("POST", "/api/token/refresh/", 401, refresh=refresh)
    assert api.names(api.login()["access"]) == ["Renamed"]

    stack("down", "-v")
    label = f"label=com.docker.compose.project={stack.env['COMPOSE_PROJECT_NAME']}"
    assert run(["docker", "volume", "ls", "-q", "--filter", label]).stdout.strip() == ""

    report(built)


def report(built):
    size = inspect_image(built.image)["Size"]
    base = inspect_image(STANDIN_PYTHON_IMAGE)["Size"]
    phases = [f"{name} {seconds:.1f} s" for name, seconds in built.phases.items()]
    phases.append(f"total {time.monotonic() - built.started:.1f} s")
    print(
        f"\n[containers/{built.database}] {built.image}: {(size - base) / 1e6:.1f} MB beyond"
        f" {STANDIN_PYTHON_IMAGE} ({size / 1e6:.1f} MB in all)"
        f"\n[containers/{built.database}] {', '.join(phases)}"
    )


def test_dockerfile_builds_with_buildkit(tmp_path):
    """The same Dockerfile under BuildKit, where this machine's docker client can use it."""
    require("docker")
    require_engine()
    client = buildkit_client()
    if client is None:
        skip_or_fail("no docker client here can use BuildKit: 23.0 and newer need buildx")
    project = render(tmp_path, database="sqlite", python_version="3.11")
    image = "drf-auth-template-test/web-sqlite-buildkit"
    took, output = build_image(project, image, client=client, buildkit=True)
    assert "[internal] load build definition" in output, output[-2000:]  # BuildKit's progress
    check = in_image(image, "python", "manage.py", "check", "--deploy", env=fresh_keys())
    assert check.returncode == 0, check.stdout + check.stderr
    assert_unprivileged(image)
    print(f"\n[containers/buildkit] {client}: build {took:.1f} s")
