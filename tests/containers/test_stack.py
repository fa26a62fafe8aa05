"""The compose stack of a rendered project as the README runs it, on SQLite and
PostgreSQL: what a deployment meets over its life.

Only the proxy is published; the README's walkthrough works through it and its data outlives
`down` and `up`; a database outage shows in /healthz/ and in Docker's health, and both recover
without a restart; `stop` during writes loses no write that got its 2xx. These are the promises
the README makes to whoever deploys the template.

Real services: Docker and Compose v2 (the session's stack per database: proxy, migrate,
web, and db for PostgreSQL, with three web replicas there).
"""

import json
import re
import threading
import time
from collections import Counter

import pytest
import requests

from tooling.accounts import bearer
from tooling.constants import RESOURCES
from tooling.docker import container_logs, inspect_container, wait_for_health
from tooling.stack import Client, create_user, delete_users, stack_shell

pytestmark = [pytest.mark.containers, pytest.mark.timeout(1800)]

USERNAME = "alice"  # made in a web container, as the README's Docker section says
BOOTSTRAP_CSS = re.compile(r"/static/rest_framework/css/bootstrap\.min\.[0-9a-f]{12}\.css")
UNAVAILABLE = "The service is unavailable, try again shortly."


def test_only_the_proxy_is_published(stack):
    """Gunicorn is reached on the compose network alone; the proxy only on 127.0.0.1."""
    web = stack.containers("web")
    assert web
    for container in web:
        ports = inspect_container(container)["NetworkSettings"]["Ports"]
        assert all(bound is None for bound in ports.values()), ports
    published = stack("port", "proxy", "80").stdout.strip()
    assert published == stack.base.removeprefix("http://")


def test_stack_serves_the_walkthrough_and_keeps_its_data(stack):
    """`docker compose` as the README runs it, then `down` and `up` again."""
    api = Client(stack.base)
    assert stack.exec("web", "id", "-u").stdout.strip() != "0", "Gunicorn runs as root"

    # The README's walkthrough, with the Docker form of its first step.
    create_user(stack, USERNAME)
    tokens = api.login(USERNAME)
    access, refresh = tokens["access"], tokens["refresh"]
    api("GET", RESOURCES, 401)
    thing = api.json("POST", RESOURCES, 201, access, name="First thing", description="In Docker")
    assert api.names(access) == ["First thing"]
    renamed = api.json("PATCH", f"{RESOURCES}{thing['id']}/", 200, access, name="Renamed")
    assert renamed["name"] == "Renamed" and renamed["owner"] == USERNAME
    doomed = api.json("POST", RESOURCES, 201, access, name="Doomed")
    # The proxy passes the host and port the client used: Django's links point back at them.
    page = api.json("GET", f"{RESOURCES}?page_size=1", 200, access)
    assert page["next"].startswith(f"{stack.base}{RESOURCES}?"), page["next"]
    api("DELETE", f"{RESOURCES}{doomed['id']}/", 204, access)
    api("GET", f"{RESOURCES}{doomed['id']}/", 404, access)
    rotated = api.json("POST", "/api/token/refresh/", 200, refresh=refresh)
    api("POST", "/api/token/verify/", 200, token=rotated["access"])
    # A refresh token sent again after its rotation was stolen: every token of the user ends.
    api("POST", "/api/token/refresh/", 401, refresh=refresh)
    api("GET", RESOURCES, 401, rotated["access"])
    again = api.login(USERNAME)
    api("POST", "/api/token/blacklist/", 200, refresh=again["refresh"])
    api("GET", RESOURCES, 401, again["access"])  # logged out: every token of the user ends

    # Static files under hashed names, served by Whitenoise from the container.
    login_page = requests.get(f"{stack.base}/api-auth/login/", timeout=10)
    assert login_page.status_code == 200
    css = BOOTSTRAP_CSS.search(login_page.text)
    assert css, login_page.text[:2000]
    stylesheet = requests.get(stack.base + css.group(), timeout=10)
    assert stylesheet.status_code == 200 and "text/css" in stylesheet.headers["Content-Type"]

    # `down` keeps the volumes: the user, the data and the logout outlive the containers.
    stack("down")
    stack.built.phases["down + up to answering"] = stack.up()
    api("GET", RESOURCES, 401, again["access"])
    api("POST", "/api/token/refresh/", 401, refresh=again["refresh"])
    assert api.names(api.login(USERNAME)["access"]) == ["Renamed"]


@pytest.mark.parametrize("stack", ["postgres"], indirect=True)
def test_database_outage_turns_health_unhealthy_and_back(stack):
    """With the database stopped, /healthz/ answers 503 through the proxy and Docker marks
    web unhealthy; once it is started again, both recover without touching web."""
    web = stack.containers("web")[0]
    wait_for_health(web, "healthy", timeout=60)
    # A test before this one on the session stack may have crashed it (the soak does).
    restarts = inspect_container(web)["RestartCount"]
    stack("stop", "db")
    try:
        answer = requests.get(f"{stack.base}/healthz/", timeout=10)
        assert answer.status_code == 503, answer.text
        assert answer.json() == {"status": "database unavailable"}
        # Three failed checks, 10 s apart (the Dockerfile's HEALTHCHECK).
        unhealthy = wait_for_health(web, "unhealthy", timeout=60)
    finally:
        stack("start", "db")
    healthy = wait_for_health(web, "healthy", timeout=60)
    answer = requests.get(f"{stack.base}/healthz/", timeout=10)
    assert answer.status_code == 200, answer.text
    assert inspect_container(web)["RestartCount"] == restarts, "web restarted during the outage"
    print(
        f"\n[containers/outage] db stopped: /healthz/ 503, web unhealthy after {unhealthy:.0f} s;"
        f" db started: healthy after {healthy:.0f} s"
    )


def write_until_refused(base, access, prefix, outcomes, stopped):
    """POST new rows one after the other until the proxy refuses connections or the stack is
    stopped; outcomes gets (status, id) per answer and ("no answer", None) at the end."""
    for number in range(10_000):
        try:
            answer = requests.post(
                base + RESOURCES,
                json={"name": f"{prefix} {number}"},
                headers=bearer(access),
                timeout=30,
            )
        except requests.RequestException:
            outcomes.append(("no answer", None))
            return
        created = answer.status_code == 201
        outcomes.append((answer.status_code, answer.json()["id"] if created else None))
        if stopped.is_set():
            return


@pytest.fixture
def writer(stack):
    """The stop test's user. It goes afterwards with its rows, on a stack brought back up:
    the walkthrough, in any order after it, counts the rows it sees."""
    create_user(stack, "writer")
    yield "writer"
    stack.up()
    delete_users(stack, "writer")


@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
def test_stop_during_writes_loses_no_acknowledged_write(stack, writer):
    """`docker compose stop` while four clients write: the proxy stops taking requests first,
    Gunicorn finishes those in flight within its graceful timeout, and every write that got a
    2xx is in the database afterwards. While web is down, the proxy answers a JSON 503."""
    access = Client(stack.base).login(writer)["access"]
    outcomes, stopped = [], threading.Event()
    writers = [
        threading.Thread(
            target=write_until_refused, args=(stack.base, access, f"w{n}", outcomes, stopped)
        )
        for n in range(4)
    ]
    for writer in writers:
        writer.start()
    try:
        deadline = time.monotonic() + 30
        while sum(status == 201 for status, _ in outcomes) < 40 and time.monotonic() < deadline:
            time.sleep(0.1)
        web, proxy = stack.containers("web")[0], stack.containers("proxy")[0]
        started = time.monotonic()
        stack("stop")
        took = time.monotonic() - started
    finally:
        stopped.set()
        for writer in writers:
            writer.join(timeout=60)

    # Each stopped on its signal (SIGQUIT for nginx, SIGTERM for Gunicorn), not killed.
    for container in (web, proxy):
        assert inspect_container(container)["State"]["ExitCode"] == 0, container_logs(container)
    assert inspect_container(web)["Config"]["StopTimeout"] > 30  # graceful_timeout
    statuses = Counter(status for status, _ in outcomes)
    acknowledged = {pk for status, pk in outcomes if status == 201}
    assert statuses["no answer"] == len(writers), statuses  # each ran until the proxy was gone
    assert set(statuses) <= {201, 503, "no answer"}, statuses

    # The proxy alone, with web stopped: its own error, in the API's JSON shape. (Compose v2's
    # `start proxy` would start web too.) nginx listens once its health check says so.
    stack("up", "-d", "--no-deps", "proxy")
    wait_for_health(stack.container("proxy"), "healthy", timeout=60)
    assert stack.containers("web") == [], "starting the proxy started web too"
    down = requests.get(stack.base + RESOURCES, timeout=10)
    assert down.status_code == 503
    assert down.json() == {"detail": UNAVAILABLE, "code": "unavailable"}

    stack.up()
    stored = stack_shell(
        stack,
        "import json; from things.models import Thing\n"
        "print(json.dumps(list(Thing.objects.filter(owner__username='writer')"
        ".values_list('id', flat=True))))",
    )
    rows = set(json.loads(stored))
    print(
        f"\n[containers/stop] stop took {took:.1f} s during 4 streams of writes: answers"
        f" {dict(statuses)}; {len(acknowledged)} acknowledged, {len(rows)} rows afterwards"
    )
    assert acknowledged <= rows, f"acknowledged but lost: {sorted(acknowledged - rows)}"
    # A row without a 2xx can only come from a request that never got its answer.
    assert len(rows - acknowledged) <= statuses["no answer"]
