"""The stacks a rendered project's Makefile runs on a machine with only Docker and make:
`make dev` for development, on SQLite and PostgreSQL, and the production-shaped stack of
`make up`, `migrate`, `createsuperuser`, `logs` and `down`, on SQLite.

`make dev` serves the mounted folder with runserver, DEBUG on, and reloads a saved edit in the
same container; Ctrl-C leaves nothing running. `make up` serves through the proxy, and
`make down` stops both stacks but keeps the data. These are the first commands a newcomer types:
one that hangs, rebuilds on every edit or loses the data costs them their first day.

Real services: Docker and Compose v2 (the session's development image per database; the
development stack: web, and db for PostgreSQL; the production stack: proxy, migrate, web).
"""

import json
import time

import pytest
import requests

from tooling.docker import Compose, build_image
from tooling.machine import run
from tooling.served import wait_until_answers

pytestmark = [pytest.mark.containers, pytest.mark.usefixtures("dev_clock")]

SUPERUSER = {
    "DJANGO_SUPERUSER_USERNAME": "alice",
    "DJANGO_SUPERUSER_EMAIL": "alice@example.com",
    "DJANGO_SUPERUSER_PASSWORD": "correct-horse-battery",
}
LOGIN = {"username": "alice", "password": SUPERUSER["DJANGO_SUPERUSER_PASSWORD"]}


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


def get(url):
    try:
        return requests.get(url, timeout=5)
    except (requests.ConnectionError, requests.Timeout):
        return None


def serves(url, text):
    answer = get(url)
    return answer is not None and answer.status_code == 200 and text in answer.text


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
        running = lambda: process.poll() is None  # noqa: E731
        wait_until_answers(healthz, 240, running, log.read_text)
        assert serves(healthz, '"ok"'), "make dev serving"
        dev.report("make dev to serving", time.monotonic() - started)
        before = web_container(dev)
        assert before["user"] == f"{dev.host_user}:{dev.host_user}"

        # DEBUG is on: an unknown page gets Django's technical 404 page, not the JSON one.
        unknown = get(f"{base}/no-such-page/")
        assert unknown.status_code == 404 and "URLconf" in unknown.text

        # The development database, through the Makefile's DEV=1 form.
        status, output = dev.make("migrate", "DEV=1")
        assert status == 0 and "No migrations to apply." in output, output[-4000:]
        status, output = dev.make("createsuperuser", "DEV=1", env=SUPERUSER)
        assert status == 0 and "Superuser created successfully." in output, output[-4000:]
        assert requests.post(f"{base}/api/token/", json=LOGIN, timeout=10).status_code == 200

        health = dev.project / "config" / "health.py"
        edit = '{"status": "ok", "edited": "live"}'
        with dev.replaced(health, '{"status": "ok"}', edit):
            saved = time.monotonic()
            dev.wait_for(lambda: serves(healthz, edit), "the edit served", 60, process, log)
            dev.report("edit to served", time.monotonic() - saved)
        assert web_container(dev) == before, "the container was rebuilt or restarted"
        assert "config/health.py changed, reloading" in log.read_text()
    finally:
        dev.interrupt(process)
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
    assert requests.post(f"{base}/api/token/", json=LOGIN, timeout=10).status_code == 200

    # Without the variables it asks; with no terminal to ask on, it stops and says so.
    status, output = dev.make("createsuperuser")
    assert "not running in a TTY" in output, output[-4000:]

    log = tmp_path / "make-logs.log"
    process = dev.start("logs", log)
    try:
        # Gunicorn's start and the request made above, from the running container.
        dev.wait_for(
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
        dev.interrupt(process)

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
