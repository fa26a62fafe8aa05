"""The daily loop of a rendered project on a machine with only Docker and make: the Makefile's
commands run as a newcomer types them, on SQLite and PostgreSQL.

Nothing of the project is installed on this side: `make test` runs ruff, the migrations check
and pytest in the development container, against the database the service uses; `make dev`
serves the mounted folder with runserver, which reloads on an edit. The project folder belongs
to an ordinary user (uid 1000) that is neither root nor the image's `app` user (10001), as on a
laptop. The images are built once per database, with host networking as builds need here;
compose's own builds in the Makefile then come from Docker's cache.
"""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tooling.constants import DATABASES, STANDIN_IMAGES, STANDIN_PYTHON_IMAGE
from tooling.docker import Compose, build_image, docker_env, require_engine
from tooling.machine import free_port, require, run
from tooling.project import render

pytestmark = pytest.mark.containers

HOST_USER = 1000  # owns the project folder: not root, not the image's user
SHELL_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# The postgres variant gets a resource of two words, so its suite runs on a hyphenated URL.
ANSWERS = {
    "sqlite": {},
    "postgres": {"resource_name": "blog_post"},
}
SUPERUSER = {
    "DJANGO_SUPERUSER_USERNAME": "alice",
    "DJANGO_SUPERUSER_EMAIL": "alice@example.com",
    "DJANGO_SUPERUSER_PASSWORD": "correct-horse-battery",
}
FAILING_TEST = '''"""A test made to fail: the command that runs the suite must fail with it."""


def test_made_to_fail():
    assert 1 + 1 == 3
'''
UNFORMATTED = "answer   =  42\n"


@dataclass
class DevProject:
    database: str
    project: Path
    env: dict
    timings: dict = field(default_factory=dict)

    def make(self, *args, env=(), timeout=600):
        """`make` in the project folder, as typed in a shell: (exit status, everything printed)."""
        started = time.monotonic()
        result = run(
            ["make", *args],
            cwd=self.project,
            env={**self.env, **dict(env)},
            timeout=timeout,
            check=False,
        )
        self.timings[" ".join(args)] = time.monotonic() - started
        return result.returncode, result.stdout + result.stderr

    def start(self, target, log):
        """`make <target>` left running, as in a second terminal; what it prints goes to log."""
        with log.open("w") as out:
            return subprocess.Popen(
                ["make", target],
                cwd=self.project,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, for the Ctrl-C of stop()
            )

    def compose(self, *args, dev=True, check=True):
        stack = ["-p", self.env["DEV_PROJECT"], "-f", "docker-compose.dev.yml"] if dev else []
        return run(
            ["docker-compose", *stack, *args],
            cwd=self.project,
            env=self.env,
            check=check,
            timeout=300,
        )

    def report(self, name, seconds):
        print(f"\n[dev-loop/{self.database}] {name}: {seconds:.1f} s")


def shell_env(**variables):
    """A newcomer's shell: Docker, make and the system's tools on PATH, no virtualenv.

    Nor the variables of a make that runs these tests (`make test`): with MAKELEVEL set, the
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


@pytest.fixture(scope="module")
def module_clock():
    started = time.monotonic()
    yield
    print(f"\n[dev-loop] module total: {time.monotonic() - started:.1f} s")


@pytest.fixture(scope="module", params=DATABASES)
def dev(request, tmp_path_factory, module_clock):
    require("docker", "docker-compose", "make")
    require_engine()
    database = request.param
    started = time.monotonic()
    answers = {"database": database, "python_version": "3.11", **ANSWERS[database]}
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
    dev = DevProject(database, project, env)
    run(
        ["docker", "build", "--network", "host", "--target", "dev"]
        + ["--build-arg", f"BASE_IMAGE={STANDIN_PYTHON_IMAGE}", "-t", env["DEV_IMAGE"], "."],
        cwd=project,
        env=docker_env(DOCKER_BUILDKIT="0"),
        timeout=900,
    )
    dev.report("render + dev image", time.monotonic() - started)
    yield dev
    dev.compose("down", "-v", "--remove-orphans", check=False)
    dev.compose("down", "-v", "--remove-orphans", dev=False, check=False)


def owner(path):
    return path.stat().st_uid


@contextlib.contextmanager
def changed(path, text):
    """The file holds text meanwhile; afterwards it is as it was, or gone if it was new."""
    original = path.read_text() if path.exists() else None
    path.write_text(text)
    try:
        yield
    finally:
        if original is None:
            path.unlink()
        else:
            path.write_text(original)


def replaced(path, old, new):
    """changed(), with one piece of the file replaced."""
    text = path.read_text()
    assert old in text, f"{old!r} is not in {path}"
    return changed(path, text.replace(old, new))


def test_make_test_runs_checks_and_suite_in_containers(dev):
    """The one command: ruff, the migrations check and pytest, on the service's database."""
    status, output = dev.make("test")
    assert status == 0, output[-4000:]
    assert "All checks passed!" in output  # ruff check
    assert "files already formatted" in output  # ruff format --check
    assert "No changes detected" in output  # makemigrations --check
    assert "rootdir: /app" in output, output[-4000:]  # pytest ran in the container
    assert " passed" in output and "failed" not in output
    if dev.database == "postgres":
        assert dev.compose("ps", "-q", "db").stdout.strip(), "no db service for the suite"
    # What the container wrote in the folder belongs to the folder's owner, not to root or 10001.
    for cache in (".pytest_cache", ".ruff_cache"):
        assert owner(dev.project / cache) == HOST_USER, cache
    assert "PytestCacheWarning" not in output and "Permission denied" not in output
    dev.report("make test", dev.timings["test"])


def test_make_test_fails_when_a_test_fails(dev):
    with changed(dev.project / "tests" / "test_made_to_fail.py", FAILING_TEST):
        status, output = dev.make("test")
    assert status != 0, output[-4000:]
    assert "1 failed" in output and "test_made_to_fail" in output, output[-4000:]
    dev.report("make test, one test made to fail", dev.timings["test"])


@pytest.mark.parametrize("dev", ["sqlite"], indirect=True)
def test_make_lint_and_make_makemigrations(dev):
    """lint fails on unformatted code and on a model change without its migration, which
    makemigrations then writes into the folder as a file of the folder's owner."""
    status, output = dev.make("lint")
    assert status == 0, output[-4000:]

    with changed(dev.project / "config" / "unformatted.py", UNFORMATTED):
        status, output = dev.make("lint")
    assert status != 0 and "config/unformatted.py" in output, output[-4000:]
    assert "1 file would be reformatted" in output

    field = "    name = models.CharField(max_length=200)\n"
    added = field + "    rating = models.IntegerField(default=0)\n"
    with replaced(dev.project / "things" / "models.py", field, added):
        status, output = dev.make("lint")
        assert status != 0 and "Add field rating to thing" in output, output[-4000:]

        status, output = dev.make("makemigrations")
        migration = dev.project / "things" / "migrations" / "0002_thing_rating.py"
        try:
            assert status == 0 and migration.is_file(), output[-4000:]
            assert owner(migration) == HOST_USER, "the new migration is not the user's file"
            assert "migrations.AddField" in migration.read_text()
        finally:
            migration.unlink(missing_ok=True)


def web_container(dev):
    container = dev.compose("ps", "-q", "web").stdout.strip()
    assert container, "no web container"
    found = json.loads(run(["docker", "inspect", container]).stdout)[0]
    return {
        "id": found["Id"],
        "image": found["Image"],
        "started": found["State"]["StartedAt"],
        "restarts": found["RestartCount"],
        "user": found["Config"]["User"],
    }


def wait_for(condition, what, timeout, process=None, log=None):
    """Until condition() is true; fails after timeout, or at once if process has exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if process is not None and process.poll() is not None:
            break
        time.sleep(0.5)
    shown = log.read_text()[-4000:] if log else ""
    pytest.fail(f"{what}: not within {timeout} s\n{shown}")


def get(url):
    try:
        return requests.get(url, timeout=5)
    except (requests.ConnectionError, requests.Timeout):
        return None


def serves(url, text):
    answer = get(url)
    return answer is not None and answer.status_code == 200 and text in answer.text


def stop(process):
    """Ctrl-C, as a person stops `make dev` or `make logs`; the whole process group gets it."""
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def test_make_dev_serves_an_edit_without_a_rebuild(dev, tmp_path):
    """runserver on the mounted folder, DEBUG on: a saved edit is served by the same container."""
    base = f"http://127.0.0.1:{dev.env['DEV_PORT']}"
    services = dev.compose("config", "--services").stdout.split()
    assert sorted(services) == (["db", "web"] if dev.database == "postgres" else ["web"])

    log = tmp_path / "make-dev.log"
    started = time.monotonic()
    process = dev.start("dev", log)
    try:
        healthz = f"{base}/healthz/"
        wait_for(lambda: serves(healthz, '"ok"'), "make dev serving", 240, process, log)
        dev.report("make dev to serving", time.monotonic() - started)
        before = web_container(dev)
        assert before["user"] == f"{HOST_USER}:{HOST_USER}"

        # DEBUG is on: an unknown page gets Django's technical 404 page, not the JSON one.
        unknown = get(f"{base}/no-such-page/")
        assert unknown.status_code == 404 and "URLconf" in unknown.text

        # The development database, through the Makefile's DEV=1 form.
        status, output = dev.make("migrate", "DEV=1")
        assert status == 0 and "No migrations to apply." in output, output[-4000:]
        status, output = dev.make("createsuperuser", "DEV=1", env=SUPERUSER)
        assert status == 0 and "Superuser created successfully." in output, output[-4000:]
        login = {"username": "alice", "password": SUPERUSER["DJANGO_SUPERUSER_PASSWORD"]}
        assert requests.post(f"{base}/api/token/", json=login, timeout=10).status_code == 200

        health = dev.project / "config" / "health.py"
        edit = '{"status": "ok", "edited": "live"}'
        with replaced(health, '{"status": "ok"}', edit):
            saved = time.monotonic()
            wait_for(lambda: serves(healthz, edit), "the edit served", 60, process, log)
            dev.report("edit to served", time.monotonic() - saved)
        assert web_container(dev) == before, "the container was rebuilt or restarted"
        assert "config/health.py changed, reloading" in log.read_text()
    finally:
        stop(process)
    label = f"label=com.docker.compose.project={dev.env['DEV_PROJECT']}"
    running = run(["docker", "ps", "-q", "--filter", label]).stdout.strip()
    assert running == "", "Ctrl-C left the development stack running"


@pytest.mark.parametrize("dev", ["sqlite"], indirect=True)
def test_make_up_migrate_createsuperuser_logs_down(dev, tmp_path):
    """The production-shaped stack through the Makefile, then `make down` for both stacks."""
    build_image(dev.project, dev.env["WEB_IMAGE"])  # with host networking; `make up` hits cache
    variables = ("WEB_IMAGE", "WEB_PORT", "PYTHON_IMAGE", "POSTGRES_IMAGE")
    stack = Compose(
        dev.project, dev.env["COMPOSE_PROJECT_NAME"], **{name: dev.env[name] for name in variables}
    )
    base = f"http://127.0.0.1:{dev.env['WEB_PORT']}"

    status, output = dev.make("up")
    assert status == 0, output[-4000:]
    stack.wait_until_healthy("web", f"{base}/healthz/")
    dev.report("make up to healthy", dev.timings["up"])

    status, output = dev.make("migrate")
    assert status == 0 and "No migrations to apply." in output, output[-4000:]

    status, output = dev.make("createsuperuser", env=SUPERUSER)
    assert status == 0 and "Superuser created successfully." in output, output[-4000:]
    login = {"username": "alice", "password": SUPERUSER["DJANGO_SUPERUSER_PASSWORD"]}
    assert requests.post(f"{base}/api/token/", json=login, timeout=10).status_code == 200

    # Without the variables it asks; with no terminal to ask on, it stops and says so.
    status, output = dev.make("createsuperuser")
    assert "not running in a TTY" in output, output[-4000:]

    log = tmp_path / "make-logs.log"
    process = dev.start("logs", log)
    try:
        # Gunicorn's start and the request made above, from the running container.
        wait_for(
            lambda: (
                "Listening at: http://0.0.0.0:8000" in log.read_text()
                and "POST /api/token/" in log.read_text()
            ),
            "make logs showing Gunicorn and its access log",
            60,
            process,
            log,
        )
        assert process.poll() is None, "make logs did not keep following"
    finally:
        stop(process)

    status, output = dev.make("down")
    assert status == 0, output[-4000:]
    for name in (dev.env["COMPOSE_PROJECT_NAME"], dev.env["DEV_PROJECT"]):
        label = f"label=com.docker.compose.project={name}"
        left = run(["docker", "ps", "-aq", "--filter", label]).stdout.strip()
        assert left == "", f"containers of {name} left after make down"
    volumes = run(["docker", "volume", "ls", "-q"]).stdout.split()
    assert f"{dev.env['COMPOSE_PROJECT_NAME']}_data" in volumes, "make down removed the data"
    for command in ("migrate", "createsuperuser", "down"):
        dev.report(f"make {command}", dev.timings[command])


def test_make_prefers_compose_v2_and_falls_back_to_v1(tmp_path):
    """`docker compose` where the plugin answers, else `docker-compose`. A stand-in `docker` on
    PATH plays each kind of machine: its `compose` subcommand answers (v2) or is unknown (v1)."""
    require("docker", "docker-compose", "make")
    project = render(tmp_path, database="sqlite")
    docker, docker_compose = shutil.which("docker"), shutil.which("docker-compose")
    plugin = {
        "v2": f'shift; exec {docker_compose} "$@"',
        "v1": 'echo "docker: unknown command: docker compose" >&2; exit 1',
    }
    printed = {}
    for version, compose in plugin.items():
        folder = tmp_path / version
        folder.mkdir()
        (folder / "docker").write_text(
            f'#!/bin/sh\nif [ "$1" = compose ]; then {compose}; fi\nexec {docker} "$@"\n'
        )
        (folder / "docker").chmod(0o755)
        env = shell_env(PATH=f"{folder}:{SHELL_PATH}", DEV_PROJECT="dev")
        dry_run = run(["make", "--dry-run", "up", "test"], cwd=project, env=env).stdout
        printed[version] = dry_run.splitlines()
    assert printed["v2"][0] == "docker compose up --build --detach"
    assert printed["v1"][0] == "docker-compose up --build --detach"
    assert (
        "docker compose --project-name dev --file docker-compose.dev.yml build web" in printed["v2"]
    )
    assert not [line for line in printed["v1"] if "docker compose" in line]
