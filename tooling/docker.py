"""Docker: the engine, image builds on the local stand-in base images, compose stacks.

No image registry is reachable here, so builds start from stand-ins that
tests/standin_images/build.sh makes (run by .ci/setup-machine). Only the classic builder
is used for the main builds: DOCKER_BUILDKIT=0 works with every docker client and engine.
"""

import contextlib
import json
import os
import shutil
import subprocess
import time

import requests

from .constants import (
    LEAKY_PREFIXES,
    MIN_ENGINE,
    STANDIN_IMAGES,
    STANDIN_NGINX_IMAGE,
    STANDIN_POSTGRES_IMAGE,
    STANDIN_PYTHON_IMAGE,
    TEST_LABEL,
)
from .errors import MissingTool, NotReady
from .machine import require, run


def major_version(printed):
    """The major version in what `docker version --format` printed ("26.1.5+dfsg1"), or 0."""
    major = printed.strip().split(".", 1)[0]
    return int(major) if major.isdigit() else 0


def require_engine():
    """docker with Compose v2, a running engine (MIN_ENGINE or later) and the stand-in base
    images, which .ci/setup-machine installs, starts and builds; MissingTool otherwise."""
    require_compose()
    info = run(["docker", "version", "--format", "{{.Server.Version}}"], check=False, timeout=30)
    if info.returncode != 0:
        raise MissingTool(f"the Docker engine is not running: {info.stderr.strip()[-300:]}")
    if major_version(info.stdout) < MIN_ENGINE:
        raise MissingTool(
            f"Docker Engine {info.stdout.strip()} is older than {MIN_ENGINE}, which the rendered "
            "health checks need (start_interval): .ci/setup-machine installs a newer one"
        )
    for image in (STANDIN_PYTHON_IMAGE, STANDIN_POSTGRES_IMAGE, STANDIN_NGINX_IMAGE):
        if not image_exists(image):
            raise MissingTool(f"no image {image}: run tests/standin_images/build.sh")


def require_compose():
    """`docker compose` (v2), the Compose that users run; MissingTool otherwise."""
    require("docker")
    version = run(["docker", "compose", "version", "--short"], check=False, timeout=30)
    if version.returncode != 0 or not version.stdout.lstrip("v").startswith("2."):
        raise MissingTool(f"needs Compose v2 (.ci/setup-machine installs it): {version.stderr}")


def docker_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(LEAKY_PREFIXES)}
    env.update({key: str(value) for key, value in extra.items()})
    return env


# A newcomer's PATH: the system's tools, Docker and make, and no virtualenv.
SHELL_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def shell_env(**variables):
    """The environment of a newcomer's shell, where only Docker and make are installed.

    Nor the variables of a make that runs these tests (`make test`): with MAKELEVEL set, a
    project's make would print "Entering directory" lines before its commands.
    """
    env = {
        key: value
        for key, value in docker_env().items()
        if not key.startswith(("DEV", "MAKE", "MFLAGS")) and key != "VIRTUAL_ENV"
    }
    env["PATH"] = SHELL_PATH
    env.update({key: str(value) for key, value in variables.items()})
    return env


def image_exists(image):
    return run(["docker", "image", "inspect", image], check=False, timeout=30).returncode == 0


def inspect_image(image):
    return json.loads(run(["docker", "image", "inspect", image], timeout=30).stdout)[0]


def build_image(context, tag, client="docker", buildkit=False, target=None):
    """`docker build` of a rendered project on the stand-in base: (seconds, the build's output).
    `target` builds a stage short of the last (the project's `dev` stage).

    The tag is kept, so that the next run hits Docker's layer cache. The images it replaced
    (untagged, carrying TEST_LABEL) are removed once no container uses them; the layer cache
    itself (the build stage's untagged images) has no label and stays.
    """
    started = time.monotonic()
    result = run(
        [client, "build", "--network", "host", "--label", f"{TEST_LABEL}=true"]
        + (["--target", target] if target else [])
        + ["--build-arg", f"BASE_IMAGE={STANDIN_PYTHON_IMAGE}", "-t", tag, "."],
        cwd=context,
        env=docker_env(DOCKER_BUILDKIT="1" if buildkit else "0"),
        timeout=900,
    )
    took = time.monotonic() - started
    run(["docker", "image", "prune", "-f", "--filter", f"label={TEST_LABEL}"], timeout=120)
    return took, result.stdout + result.stderr


def in_image(image, *command, env=(), user=None, check=False):
    """Run a command in a throwaway container of the image, as its own user unless told."""
    options = [f"--env={name}={value}" for name, value in dict(env).items()]
    if user is not None:
        options.append(f"--user={user}")
    return run(["docker", "run", "--rm", *options, image, *command], check=check, timeout=120)


def buildkit_client():
    """A docker client that builds with BuildKit here, or None.

    Clients from 23.0 on build with BuildKit through the buildx plugin only. Older ones (such
    as Debian 12's docker.io, 20.10) use the engine's built-in BuildKit when DOCKER_BUILDKIT=1.
    """
    candidates = dict.fromkeys(filter(None, [shutil.which("docker"), "/usr/bin/docker"]))
    for client in candidates:
        if not os.path.exists(client):
            continue
        buildx = run([client, "buildx", "version"], check=False, timeout=30)
        if buildx.returncode == 0:
            return client
        version = run(
            [client, "version", "--format", "{{.Client.Version}}"], check=False, timeout=30
        )
        if 0 < major_version(version.stdout) < 23:
            return client
    return None


class Compose:
    """`docker compose` (v2) for one rendered project, under a project name of its own, on the
    stand-in images."""

    def __init__(self, project_dir, name, **variables):
        self.project_dir = project_dir
        self.env = docker_env(COMPOSE_PROJECT_NAME=name, **{**STANDIN_IMAGES, **variables})

    def __call__(self, *args, check=True, timeout=300):
        return run(
            ["docker", "compose", *args],
            cwd=self.project_dir,
            env=self.env,
            check=check,
            timeout=timeout,
        )

    def exec(self, service, *command, env=(), check=True):
        options = []
        for name, value in dict(env).items():
            options += ["-e", f"{name}={value}"]
        return self("exec", "-T", *options, service, *command, check=check)

    def container(self, service):
        return self("ps", "-q", service).stdout.strip()

    def containers(self, service, stopped=False):
        """The IDs of a service's containers (its replicas), those stopped too if asked."""
        return self("ps", "-q", *(["-a"] if stopped else []), service).stdout.split()

    @property
    def network(self):
        """The network compose made for the project, where services find each other by name
        (Compose v2 joins container names with `-`, but still this one with `_`)."""
        return f"{self.env['COMPOSE_PROJECT_NAME']}_default"

    def remove(self):
        """`down -v`: containers, network and volumes. For finalizers, so it never raises."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self("down", "-v", "--remove-orphans", check=False, timeout=120)

    def logs(self):
        return self("logs", "--no-color", "--tail=60", check=False).stdout

    def wait_until_healthy(self, service, url, timeout=180):
        """Until every replica of the service is healthy and `url` answers 200."""
        containers = self.containers(service)
        if not containers:
            raise NotReady(f"no {service} container:\n{self.logs()}")
        for container in containers:
            wait_until_healthy(container, url, self.logs, timeout)


def inspect_container(container):
    return json.loads(run(["docker", "inspect", container], timeout=30).stdout)[0]


def container_logs(container):
    found = run(["docker", "logs", container], check=False, timeout=60)
    return found.stdout + found.stderr


def health(container):
    """Docker's health status of a container: starting, healthy or unhealthy."""
    return (inspect_container(container)["State"].get("Health") or {}).get("Status")


def wait_for_health(container, status, timeout):
    """Seconds until Docker's health check reports `status`; NotReady after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if health(container) == status:
            return time.monotonic() - started
        time.sleep(0.5)
    raise NotReady(f"{container} not {status} within {timeout} s: {health(container)}")


# The Dockerfile's HEALTHCHECK, run in a web container: whether Gunicorn answers /healthz/.
ANSWERS = (
    "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz/', timeout=2)"
)


def wait_until_answering(container, timeout=120):
    """Until Gunicorn in a web container answers its health check, asked every 0.2 s (Docker
    asks every 10 s); NotReady after `timeout`."""
    started = time.monotonic()
    while run(["docker", "exec", container, "python", "-c", ANSWERS], check=False).returncode:
        if time.monotonic() - started > timeout:
            raise NotReady(f"{container} did not answer its health check within {timeout} s")
        time.sleep(0.2)


def wait_until_healthy(container, url, logs, timeout=180):
    """Until Docker's health check says healthy and `url` answers 200; NotReady on a crash.

    logs() gives what to show when it fails.
    """
    deadline = time.monotonic() + timeout
    answered = False
    while time.monotonic() < deadline:
        found = inspect_container(container)
        state, restarts = found["State"], found["RestartCount"]
        health = (state.get("Health") or {}).get("Status")
        if state["Status"] in ("exited", "dead") or health == "unhealthy" or restarts:
            raise NotReady(
                f"{found['Name']} is {state['Status']}, health {health}, restarts {restarts}:\n"
                f"{logs()}"
            )
        if not answered:
            with contextlib.suppress(requests.ConnectionError, requests.Timeout):
                answered = requests.get(url, timeout=2).status_code == 200
        if answered and health == "healthy":
            return
        time.sleep(0.5)
    raise NotReady(f"{container} not healthy within {timeout} s (answered: {answered}):\n{logs()}")
