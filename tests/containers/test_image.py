"""The Docker image of a rendered project, on SQLite and PostgreSQL: what is in it, and how it
runs on its own.

The image runs as an unprivileged user, holds none of the secrets of the project folder it was
built from (.env files, the proxy's TLS key), and passes Django's deploy check with its own
defaults. A platform runs it alone: a read-only root filesystem, $PORT, migrations as a release
step. The README's `up --build` builds it once, and the Dockerfile builds under BuildKit too.
A leak or a root process here ships to every deployment of the template.

Real services: Docker (the session's image per database, built with the classic builder on the
stand-in base image; throwaway containers; one container run as a platform would), the SQLite
compose stack of the session (proxy, migrate, web), a BuildKit build of its own.
"""

import os
import secrets
import time

import pytest
import requests

from helpers.slow_clients import slow_clients, still_waiting
from tooling.constants import PASSWORD, RESOURCES, SECRET_NAMES
from tooling.docker import (
    build_image,
    buildkit_client,
    container_logs,
    in_image,
    inspect_container,
    inspect_image,
    require_engine,
    wait_until_healthy,
)
from tooling.errors import MissingTool
from tooling.machine import free_port, require, run
from tooling.project import render
from tooling.stack import Client

# Image builds install every requirement inside `docker build`: longer than the default timeout
# on a busy machine.
pytestmark = [pytest.mark.containers, pytest.mark.timeout(1800)]


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
    assert in_image(built.image, "test", "-e", "/app/proxy").returncode == 1, "proxy/ in image"
    values = built.secrets()
    assert len(values) == (4 if built.database == "postgres" else 3)
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
def test_image_alone_as_a_platform_runs_it(built):
    """`docker run` as a platform does it: a read-only root filesystem with /data and /tmp
    writable, $PORT to listen on, migrations as a release step of their own, and only the
    secrets from outside. The image's DJANGO_HTTPS=true redirects plain HTTP, but not the
    health check. Reached straight, without the proxy, Gunicorn's sync workers are held by as
    many slow clients as there are workers: the attack the proxy exists for."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    name = f"drfauthtest-alone-{os.getpid()}"
    volume = f"drfauthtest-alone-data-{os.getpid()}"
    platform = ["--read-only", "--tmpfs=/tmp", f"--volume={volume}:/data"]
    platform += [f"--env={key}={value}" for key, value in fresh_keys().items()]
    workers = built.workers

    def logs():
        return container_logs(name)[-4000:]

    started = time.monotonic()
    try:
        release = ["python", "manage.py", "migrate", "--noinput"]
        run(["docker", "run", "--rm", *platform, built.image, *release])
        options = ["--env=PORT=5000", f"--publish=127.0.0.1:{port}:5000"]
        run(["docker", "run", "-d", f"--name={name}", *platform, *options, built.image])
        # Docker's own health check follows $PORT too, or this never turns healthy.
        wait_until_healthy(name, f"{base}/healthz/", logs)
        built.phases["alone to healthy"] = time.monotonic() - started
        assert "Listening at: http://0.0.0.0:5000" in logs()
        assert inspect_container(name)["HostConfig"]["ReadonlyRootfs"]
        written = run(["docker", "exec", name, "touch", "/app/written"], check=False)
        assert "Read-only file system" in written.stderr

        plain = requests.get(base + RESOURCES, allow_redirects=False, timeout=10)
        assert plain.status_code == 301, plain.text
        assert plain.headers["Location"] == f"https://127.0.0.1:{port}{RESOURCES}"
        # As through the TLS-terminating proxy the image expects in front of it; the login
        # writes to SQLite in /data (the throttle's counter, the token's record).
        api = Client(base)
        https = {"X-Forwarded-Proto": "https"}
        proxied = api("GET", RESOURCES, 401, headers=https)
        assert "max-age=" in proxied.headers["Strict-Transport-Security"]
        superuser = ["python", "manage.py", "createsuperuser", "--noinput", "--username", "eve"]
        superuser += ["--email", "eve@example.com"]
        run(["docker", "exec", f"--env=DJANGO_SUPERUSER_PASSWORD={PASSWORD}", name, *superuser])
        api("POST", "/api/token/", 200, headers=https, username="eve", password=PASSWORD)

        with slow_clients(port, 2 * workers) as held:
            time.sleep(0.5)
            waited = time.monotonic()
            with pytest.raises(requests.Timeout):
                requests.get(f"{base}/healthz/", timeout=3)
            hung = time.monotonic() - waited
            assert sum(map(still_waiting, held)) == 2 * workers
        recovered = time.monotonic()
        api("GET", "/healthz/", 200)
        print(
            f"\n[containers/slow clients] {2 * workers} slow clients straight at Gunicorn"
            f" ({workers} workers): /healthz/ no answer in {hung:.1f} s; answered"
            f" {time.monotonic() - recovered:.2f} s after they left"
        )
    finally:
        run(["docker", "rm", "-f", "-v", name], check=False)
        run(["docker", "volume", "rm", volume], check=False)


@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
def test_up_build_builds_the_image_once(stack):
    """migrate builds the image and web runs the same one: with Compose v1 the service that
    starts first must be the one that builds, or the other is pulled from a registry first
    and fails. (Compose v2 skips such a pull, and can fail when two services build one name.)"""
    version = stack("version", "--short").stdout.strip()
    if version.startswith("1."):  # this machine's; the CI runner answers with v2
        assert "Building migrate" in stack.first_up, stack.first_up
        assert "Building web" not in stack.first_up
    for service in ("migrate", "web"):
        (container,) = stack.containers(service, stopped=True)
        image = inspect_container(container)["Image"]
        assert image == inspect_image(stack.env["WEB_IMAGE"])["Id"], service


@pytest.mark.parametrize("database", ["sqlite"])
def test_dockerfile_builds_with_buildkit(database, tmp_path):
    """The same Dockerfile under BuildKit, where this machine's docker client can use it."""
    require("docker")
    require_engine()
    client = buildkit_client()
    if client is None:
        raise MissingTool("no docker client here can use BuildKit: 23.0 and newer need buildx")
    project = render(tmp_path, database=database, python_version="3.11")
    image = f"drf-auth-template-test/web-{database}-buildkit"
    took, output = build_image(project, image, client=client, buildkit=True)
    assert "[internal] load build definition" in output, output[-2000:]  # BuildKit's progress
    check = in_image(image, "python", "manage.py", "check", "--deploy", env=fresh_keys())
    assert check.returncode == 0, check.stdout + check.stderr
    assert_unprivileged(image)
    print(f"\n[containers/buildkit] {client}: build {took:.1f} s")
