"""What the container tests share, built or started once per session: each database's image
(and the project it was built from), each database's compose stack, and the development image
and project folder of the Makefile's daily loop.

The images keep their tags (one per database), so the next run hits Docker's layer cache.
Every stack is removed with its volumes at the end of the session. CI runs this folder once per
database (`pytest tests/containers -k "$DATABASE"`), so every test here names the database it
runs on: parametrize `built`, `stack` or `dev` to one with indirect=True, or `database`.
"""

import os
import shutil
import time
from pathlib import Path

import pytest

from tooling.constants import DATABASES, STANDIN_IMAGES
from tooling.dev_project import DevProject
from tooling.docker import build_image, require_engine, shell_env
from tooling.machine import free_port, require, run
from tooling.project import render
from tooling.stack import Built, RunningStack, make_certificate

WORKERS = 3  # Gunicorn workers of the rendered projects: the template's default
HOST_USER = 1000  # owns the daily loop's project folder: not root, not the image's user (10001)
# The daily loop's postgres variant has a resource of two words: its suite runs on a hyphenated URL.
DEV_ANSWERS = {"sqlite": {}, "postgres": {"resource_name": "blog_post"}}


def pytest_collection_modifyitems(items):
    """Refuse a test here whose name does not say its one database: CI would never run it."""
    here = Path(__file__).parent
    unnamed = [
        item.nodeid
        for item in items
        if item.path.is_relative_to(here)
        and sum(database in item.name for database in DATABASES) != 1
    ]
    if unnamed:
        raise pytest.UsageError(
            "container tests must name their one database, for CI's -k: " + ", ".join(unnamed)
        )


@pytest.fixture(scope="session")
def build(tmp_path_factory):
    """build(database): the project rendered and its image built, once per database and session."""
    require("openssl")
    require_engine()
    started = time.monotonic()
    done = {}

    def build(database):
        if database not in done:
            began = time.monotonic()
            # Python 3.11, the version of the stand-in base image.
            project = render(
                tmp_path_factory.mktemp(f"containers-{database}"),
                database=database,
                python_version="3.11",
                gunicorn_workers=str(WORKERS),
            )
            # Another env file with the same secrets, as people keep them (.env.production),
            # and a TLS key in the project folder: neither may reach the image.
            shutil.copy(project / ".env", project / ".env.production")
            make_certificate(project / "proxy/certs")
            image = f"drf-auth-template-test/web-{database}"
            built = Built(database, project, image, began, WORKERS)
            built.phases["build"], _ = build_image(project, built.image)
            done[database] = built
        return done[database]

    yield build
    for built in done.values():
        print("\n" + built.report())
    print(f"\n[containers] all container tests: {time.monotonic() - started:.0f} s")


@pytest.fixture(params=DATABASES)
def built(request, build):
    """The image of each database (or of one, parametrized with indirect=True)."""
    return build(request.param)


def running_stack(built, *up_options, replicas=1):
    """The stack brought up until Docker calls web healthy, for the session; then `down -v`:
    nothing of it may stay behind."""
    stack = RunningStack(built, f"drfauthtest{built.database}{os.getpid()}", replicas)
    try:
        started = time.monotonic()
        stack.up(*up_options)
        # Docker's own health check too, once per stack: it runs in the stack's settings.
        stack.wait_until_healthy("web", f"{stack.base}/healthz/")
        built.phases["up to healthy"] = time.monotonic() - started
        yield stack
    finally:
        stack.remove()
    label = f"label=com.docker.compose.project={stack.env['COMPOSE_PROJECT_NAME']}"
    assert run(["docker", "volume", "ls", "-q", "--filter", label]).stdout.strip() == ""


@pytest.fixture(scope="session")
def sqlite_stack(build):
    # With --build, as the README says: Docker's layer cache makes it quick.
    yield from running_stack(build("sqlite"), "--build")


@pytest.fixture(scope="session")
def postgres_stack(build):
    # Three web replicas from the first `up`: the scale-out test sees them migrate and start.
    yield from running_stack(build("postgres"), replicas=3)


@pytest.fixture(params=DATABASES)
def stack(request):
    """The running stack of each database (or of one, parametrized with indirect=True). A test
    that stops or changes it leaves it running as it found it (`stack.up()`); the users that
    tests before the walkthrough write rows with are deleted, as it counts the rows it sees."""
    return request.getfixturevalue(f"{request.param}_stack")


@pytest.fixture(scope="session", params=DATABASES)
def dev(request, tmp_path_factory):
    """A project of an ordinary user (uid 1000) and its development image, built with host
    networking as builds need here: compose's own builds in the Makefile come from the cache."""
    require("make")
    require_engine()
    database = request.param
    started = time.monotonic()
    answers = {"database": database, "python_version": "3.11", **DEV_ANSWERS[database]}
    project = render(tmp_path_factory.mktemp(f"dev-loop-{database}"), **answers)
    run(["chown", "-R", f"{HOST_USER}:{HOST_USER}", project])
    name = f"drfauthdev{database}{os.getpid()}"
    env = shell_env(
        DEV_PROJECT=name,
        DEV_IMAGE=f"drf-auth-template-test/dev-{database}",
        DEV_PORT=free_port(),
        DEV_UID=HOST_USER,
        DEV_GID=HOST_USER,
        COMPOSE_PROJECT_NAME=f"{name}stack",
        WEB_IMAGE=f"drf-auth-template-test/dev-web-{database}",
        WEB_PORT=free_port(),
        **STANDIN_IMAGES,
    )
    dev = DevProject(database, project, env, HOST_USER)
    build_image(project, env["DEV_IMAGE"], target="dev")
    dev.report("render + dev image", time.monotonic() - started)
    yield dev
    dev.compose("down", "-v", "--remove-orphans", check=False)
    dev.compose("down", "-v", "--remove-orphans", dev=False, check=False)


@pytest.fixture(scope="module")
def dev_clock(request):
    """The time a module of the daily loop took, printed at its end."""
    started = time.monotonic()
    yield
    name = request.module.__name__.removeprefix("test_")
    print(f"\n[dev-loop] {name} total: {time.monotonic() - started:.1f} s")
