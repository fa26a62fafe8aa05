"""Container start to the first healthy /healthz/ through the published port.

`start_to_healthy` times any compose stack: `docker-compose up -d` of images already built, on
fresh volumes (the first start, migrations included), until `url` answers 200. `rendered_stack`
builds the rendered SQLite project's stack on the local stand-in base image (no registry is
reachable here); point `start_to_healthy` at another folder and URL to time another stack.
"""

import http.client
import os
import shutil
import statistics
import subprocess
import time
import urllib.request

from cookiecutter.main import cookiecutter
from support import BenchError, free_port, log, run

STANDIN_PYTHON_IMAGE = os.environ.get("STANDIN_PYTHON_IMAGE", "drf-auth-template/python:3.11-slim")
STANDIN_NGINX_IMAGE = os.environ.get("STANDIN_NGINX_IMAGE", "drf-auth-template/nginx:1.22")
TAG_PREFIX = "drf-auth-template-test/perf-"
# Variables of this machine that would leak into the compose file's ${...} substitutions.
LEAKY_PREFIXES = (
    "DJANGO_", "POSTGRES_", "COMPOSE_", "WEB_", "DATABASE_URL", "PYTHON_IMAGE", "PROXY_",
)  # fmt: skip


def docker_missing():
    """Why containers cannot be timed here, or None."""
    if not (shutil.which("docker") and shutil.which("docker-compose")):
        return "docker or docker-compose is not installed"
    if subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        return "the Docker engine is not running"
    for image in (STANDIN_PYTHON_IMAGE, STANDIN_NGINX_IMAGE):
        inspect = ["docker", "image", "inspect", image]
        if subprocess.run(inspect, capture_output=True).returncode != 0:
            return f"no image {image}: run tests/standin_images/build.sh"
    return None


def compose_env(**variables):
    env = {key: value for key, value in os.environ.items() if not key.startswith(LEAKY_PREFIXES)}
    return {**env, **{key: str(value) for key, value in variables.items()}}


def rendered_stack(template, folder):
    """(compose folder, its env, health URL) of the rendered SQLite project, image built."""
    project = cookiecutter(str(template), no_input=True, output_dir=str(folder / "container"))
    tag = f"{TAG_PREFIX}web-sqlite"
    log(f"building {tag} on {STANDIN_PYTHON_IMAGE}")
    build = ["docker", "build", "--network", "host", "--build-arg"]
    build += [f"BASE_IMAGE={STANDIN_PYTHON_IMAGE}", "-t", tag, "."]
    run(build, cwd=project, env=compose_env(DOCKER_BUILDKIT="0"), timeout=900)
    port = free_port()
    env = compose_env(
        COMPOSE_PROJECT_NAME=f"perfbench{os.getpid()}",
        WEB_IMAGE=tag,
        PYTHON_IMAGE=STANDIN_PYTHON_IMAGE,
        PROXY_IMAGE=STANDIN_NGINX_IMAGE,
        WEB_PORT=port,
    )
    return project, env, f"http://127.0.0.1:{port}/healthz/"


def start_to_healthy(project, env, url, rounds=3):
    """Seconds from `docker-compose up -d` to the first 200 from url, and to the return of
    `docker-compose up -d` itself (containers created and started), once per round, each
    round on fresh volumes; the stack is removed after each round."""
    timings = []
    for _ in range(rounds):
        try:
            started = time.monotonic()
            run(["docker-compose", "up", "-d", "--no-build"], cwd=project, env=env, timeout=300)
            up = time.monotonic() - started
            timings.append((first_answer(url, started) - started, up))
        finally:
            down = ["docker-compose", "down", "-v", "--remove-orphans"]
            subprocess.run(down, cwd=project, env=env, capture_output=True, timeout=300)
    return timings


def first_answer(url, started, timeout=120):
    while time.monotonic() < started + timeout:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.monotonic()
        except (OSError, http.client.HTTPException):
            pass  # the port is published before Gunicorn listens behind it
        time.sleep(0.02)
    raise BenchError(f"{url} did not answer 200 within {timeout} s")


def container_start(template, folder):
    """(median seconds, every round as (healthy, up returned)) for the rendered stack, or
    (None, why not)."""
    missing = docker_missing()
    if missing:
        return None, missing
    timings = start_to_healthy(*rendered_stack(template, folder))
    return statistics.median(healthy for healthy, _ in timings), timings
