"""The Docker image and the docker-compose stacks of a rendered project, on SQLite and PostgreSQL.

For each database: build the image with the classic builder on the stand-in base image and
check what is in it; run it alone as a platform would (read-only, $PORT); then bring the
compose stack up once (proxy, migrate, web, and db for PostgreSQL) and test through the
proxy's published port what a deployment meets: slow clients, oversized bodies, forged
headers, several web replicas, a database outage, `stop` during writes, HTTPS. Each stack is
removed with its volumes at the end of the module. Figures and the time of each phase are
printed (`pytest -s` shows them).

The built images are kept (one tag per database), so the next run hits Docker's layer cache.
"""

import contextlib
import json
import os
import re
import secrets
import shutil
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from helpers.slow_clients import headers_only, slow_clients, still_waiting
from tooling.constants import DATABASES, STANDIN_PYTHON_IMAGE
from tooling.docker import (
    Compose,
    build_image,
    buildkit_client,
    container_logs,
    in_image,
    inspect_container,
    inspect_image,
    require_engine,
    wait_for_health,
    wait_until_healthy,
)
from tooling.errors import MissingTool
from tooling.machine import free_port, require, run
from tooling.project import render

# Image builds install every requirement inside `docker build`: longer than the default timeout
# on a busy machine.
pytestmark = [pytest.mark.containers, pytest.mark.timeout(1800)]

RESOURCES = "/api/v1/things/"  # the default resource, `thing`
USERNAME, PASSWORD = "alice", "correct-horse-battery"  # the README's walkthrough user
SECRET_NAMES = ("DJANGO_SECRET_KEY", "DJANGO_JWT_SIGNING_KEY", "POSTGRES_PASSWORD")
BOOTSTRAP_CSS = re.compile(r"/static/rest_framework/css/bootstrap\.min\.[0-9a-f]{12}\.css")
WORKERS = 3  # the template's default gunicorn_workers, with which the projects are rendered
# Django's DATA_UPLOAD_MAX_MEMORY_SIZE, which the proxy's client_max_body_size must equal.
BODY_LIMIT = 2_621_440
TOO_LARGE = {"detail": "The request body is too large.", "code": "request_too_large"}
UNAVAILABLE = "The service is unavailable, try again shortly."


@dataclass
class Built:
    """A rendered project and its image; phases collects the seconds each phase took."""

    database: str
    project: Path
    image: str
    started: float
    phases: dict = field(default_factory=dict)

    def env_file(self):
        return dict(
            line.split("=", 1)
            for line in (self.project / ".env").read_text().splitlines()
            if "=" in line and not line.startswith("#")
        )

    def secrets(self):
        """What must never reach the image: the secrets the template wrote into .env, and the
        proxy's TLS key."""
        env = self.env_file()
        key = (self.project / "proxy/certs/privkey.pem").read_text().splitlines()[1]
        return [env[name] for name in SECRET_NAMES if env.get(name)] + [key]

    @property
    def certificate(self):
        return self.project / "proxy/certs/fullchain.pem"


def make_certificate(folder):
    """A self-signed certificate for localhost and 127.0.0.1 where the proxy looks for one."""
    folder.mkdir()
    run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
        + ["-keyout", folder / "privkey.pem", "-out", folder / "fullchain.pem"]
    )


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """build(database): the project rendered and its image built, once per database."""
    require("docker", "docker-compose", "openssl")
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
            )
            # Another env file with the same secrets, as people keep them (.env.production),
            # and a TLS key in the project folder: neither may reach the image.
            shutil.copy(project / ".env", project / ".env.production")
            make_certificate(project / "proxy/certs")
            built = Built(database, project, f"drf-auth-template-test/web-{database}", began)
            built.phases["build"], _ = build_image(project, built.image)
            done[database] = built
        return done[database]

    yield build
    for built in done.values():
        report(built)
    print(f"\n[containers] all container tests: {time.monotonic() - started:.0f} s")


@pytest.fixture(params=DATABASES)
def built(request, build):
    return build(request.param)


def new_stack(built):
    """The project's compose stack (not started), on the stand-in images."""
    port = free_port()
    stack = Compose(
        built.project,
        f"drfauthtest{built.database}{os.getpid()}",
        WEB_IMAGE=built.image,
        WEB_PORT=port,
    )
    stack.base = f"http://127.0.0.1:{port}"
    stack.built = built
    return stack


def bring_up(stack, *up_options, base=None, verify=True):
    """`up -d` until /healthz/ answers 200 through the proxy; the seconds it took."""
    started = time.monotonic()
    up = stack("up", "-d", *up_options)
    stack.up_output = up.stdout + up.stderr
    url = f"{base or stack.base}/healthz/"
    while time.monotonic() - started < 120:
        with contextlib.suppress(requests.ConnectionError, requests.Timeout):
            if requests.get(url, timeout=2, verify=verify).status_code == 200:
                return time.monotonic() - started
        time.sleep(0.3)
    pytest.fail(f"{url} did not answer 200 within 120 s:\n{stack.logs()}")


def running_stack(built, *up_options):
    """A stack for the whole module, then `down -v`: nothing of it may stay behind."""
    stack = new_stack(built)
    try:
        started = time.monotonic()
        bring_up(stack, *up_options)
        # Docker's own health check too, once per stack: it runs in the stack's settings.
        stack.wait_until_healthy("web", f"{stack.base}/healthz/")
        built.phases["up to healthy"] = time.monotonic() - started
        yield stack
    finally:
        stack.remove()
    label = f"label=com.docker.compose.project={stack.env['COMPOSE_PROJECT_NAME']}"
    assert run(["docker", "volume", "ls", "-q", "--filter", label]).stdout.strip() == ""


@pytest.fixture(scope="module")
def sqlite_stack(build):
    # With --build, as the README says: Docker's layer cache makes it quick.
    yield from running_stack(build("sqlite"), "--build")


@pytest.fixture(scope="module")
def postgres_stack(build):
    # Three web replicas from the first `up`: the scale-out test sees them migrate and start.
    yield from running_stack(build("postgres"), "--scale", "web=3")


@pytest.fixture(params=DATABASES)
def stack(request):
    return request.getfixturevalue(f"{request.param}_stack")


def fresh_keys():
    """The two secrets the settings require: 60 characters each (check --deploy wants 50)."""
    return {name: secrets.token_urlsafe(45) for name in SECRET_NAMES[:2]}


def assert_unprivileged(image):
    user = inspect_image(image)["Config"]["User"]
    assert user and user.split(":")[0] not in ("root", "0"), f"image user {user!r}"
    assert in_image(image, "id", "-u", check=True).stdout.strip() != "0"


def create_user(stack, username):
    """A user in the stack's database, made in a web container as the README says."""
    stack.exec(
        "web",
        *("python", "manage.py", "createsuperuser", "--noinput"),
        *("--username", username, "--email", f"{username}@example.com"),
        env={"DJANGO_SUPERUSER_PASSWORD": PASSWORD},
    )


def django_shell(stack, code):
    """Run Python in a web container (`manage.py shell`); returns what it printed."""
    shell = ["python", "manage.py", "shell", "--verbosity=0", "--command", code]
    return stack.exec("web", *shell).stdout


def bearer(access):
    return {"Authorization": f"Bearer {access}"}


def in_stack_network(stack, script, **env):
    """Run Python in a throwaway container of the web image on the stack's network, where
    `web` and `proxy` are reachable by name; returns what the script printed as JSON."""
    options = [f"--network={stack.network}"] + [f"--env={k}={v}" for k, v in env.items()]
    found = run(["docker", "run", "--rm", *options, stack.built.image, "python", "-c", script])
    return json.loads(found.stdout)


class Client:
    """The API through the published port, each answer checked for the status expected."""

    def __init__(self, base, verify=True):
        self.base = base
        self.verify = verify

    def __call__(self, method, path, expect, bearer=None, headers=(), **body):
        headers = dict(headers)
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        answer = requests.request(
            method,
            self.base + path,
            json=body or None,
            headers=headers,
            timeout=10,
            allow_redirects=False,
            verify=self.verify,
        )
        assert answer.status_code == expect, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer

    def json(self, *args, **kwargs):
        answer = self(*args, **kwargs)
        return answer.json() if answer.content else None

    def login(self, username=USERNAME):
        return self.json("POST", "/api/token/", 200, username=username, password=PASSWORD)

    def names(self, bearer):
        return [thing["name"] for thing in self.json("GET", RESOURCES, 200, bearer)["results"]]


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


def test_image_alone_as_a_platform_runs_it(build):
    """`docker run` as a platform does it: a read-only root filesystem with /data and /tmp
    writable, $PORT to listen on, migrations as a release step of their own, and only the
    secrets from outside. The image's DJANGO_HTTPS=true redirects plain HTTP, but not the
    health check. Reached straight, without the proxy, Gunicorn's sync workers are held by as
    many slow clients as there are workers: the attack the proxy exists for."""
    built = build("sqlite")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    name = f"drfauthtest-alone-{os.getpid()}"
    volume = f"drfauthtest-alone-data-{os.getpid()}"
    platform = ["--read-only", "--tmpfs=/tmp", f"--volume={volume}:/data"]
    platform += [f"--env={key}={value}" for key, value in fresh_keys().items()]

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

        with slow_clients(port, 2 * WORKERS) as held:
            time.sleep(0.5)
            waited = time.monotonic()
            with pytest.raises(requests.Timeout):
                requests.get(f"{base}/healthz/", timeout=3)
            hung = time.monotonic() - waited
            assert sum(map(still_waiting, held)) == 2 * WORKERS
        recovered = time.monotonic()
        api("GET", "/healthz/", 200)
        print(
            f"\n[containers/slow clients] {2 * WORKERS} slow clients straight at Gunicorn"
            f" ({WORKERS} workers): /healthz/ no answer in {hung:.1f} s; answered"
            f" {time.monotonic() - recovered:.2f} s after they left"
        )
    finally:
        run(["docker", "rm", "-f", "-v", name], check=False)
        run(["docker", "volume", "rm", volume], check=False)


def test_only_the_proxy_is_published(stack):
    """Gunicorn is reached on the compose network alone; the proxy only on 127.0.0.1."""
    web = stack.containers("web")
    assert web
    for container in web:
        ports = inspect_container(container)["NetworkSettings"]["Ports"]
        assert all(bound is None for bound in ports.values()), ports
    published = stack("port", "proxy", "80").stdout.strip()
    assert published == stack.base.removeprefix("http://")


def test_up_build_builds_the_image_once(sqlite_stack):
    """migrate builds the image and web runs the same one: with Compose v1 the service that
    starts first must be the one that builds, or the other is pulled from a registry first
    and fails. (Compose v2 skips such a pull, and can fail when two services build one name.)"""
    assert "Building migrate" in sqlite_stack.up_output, sqlite_stack.up_output
    assert "Building web" not in sqlite_stack.up_output
    for service in ("migrate", "web"):
        (container,) = sqlite_stack.containers(service, stopped=True)
        image = inspect_container(container)["Image"]
        assert image == inspect_image(sqlite_stack.env["WEB_IMAGE"])["Id"], service


def gunicorn_lines(container, pattern):
    """The lines of a web container's access log that match a pattern."""
    return [line for line in container_logs(container).splitlines() if re.search(pattern, line)]


def test_scale_out_migrates_once_and_spreads_requests(postgres_stack):
    """`up --scale web=3`: one migrate container applied the migrations, before any replica
    started; requests through the proxy reach all three; a token issued by one replica is
    accepted by the others, since they share nothing but the database."""
    stack = postgres_stack
    replicas = stack.containers("web")
    assert len(replicas) == 3

    migrators = stack.containers("migrate", stopped=True)
    assert len(migrators) == 1, migrators
    state = inspect_container(migrators[0])["State"]
    assert state["ExitCode"] == 0
    applied = gunicorn_lines(migrators[0], r"^  Applying ")
    assert applied, container_logs(migrators[0])
    for replica in replicas:
        assert not gunicorn_lines(replica, "Applying"), f"{replica} migrated"
        started = inspect_container(replica)["State"]["StartedAt"]
        assert started > state["FinishedAt"], "a replica started before the migrations ended"
    recorded = django_shell(
        stack,
        "from django.db.migrations.recorder import MigrationRecorder\n"
        "print(MigrationRecorder.Migration.objects.count())",
    )
    assert int(recorded) == len(applied)

    create_user(stack, "scaler")
    api = Client(stack.base)
    access = api.login("scaler")["access"]
    issued_by = [r for r in replicas if gunicorn_lines(r, r'"POST /api/token/ HTTP/1.[01]" 200')]
    assert len(issued_by) == 1, issued_by
    requests_sent = 60
    for _ in range(requests_sent):
        api("GET", f"{RESOURCES}?page_size=7", 200, access)
    served = {
        replica: len(gunicorn_lines(replica, r'"GET /api/v1/things/\?page_size=7 HTTP/1.[01]" 200'))
        for replica in replicas
    }
    print(
        f"\n[containers/scale-out] {len(applied)} migrations applied once, by one container;"
        f" {requests_sent} requests through the proxy served by the 3 replicas:"
        f" {sorted(served.values(), reverse=True)}"
    )
    assert sum(served.values()) == requests_sent
    # Every replica served some, the two that did not issue the token included.
    assert all(served.values()), served

    # A replica started later gets requests too, without the proxy being restarted: nginx
    # looks `web` up again (every 10 s).
    proxy = inspect_container(stack.containers("proxy")[0])
    stack("up", "-d", "--no-deps", "--no-recreate", "--scale", "web=4", "web")
    (added,) = set(stack.containers("web")) - set(replicas)
    started = time.monotonic()
    while not gunicorn_lines(added, r'"GET /api/v1/things/\?page_size=7 HTTP/1.[01]" 200'):
        assert time.monotonic() - started < 60, f"no request reached {added}"
        requests.get(f"{stack.base}{RESOURCES}?page_size=7", headers=bearer(access), timeout=10)
        time.sleep(0.2)
    took = time.monotonic() - started
    print(f"[containers/scale-out] a fourth replica, started later, served within {took:.0f} s")
    assert inspect_container(proxy["Id"])["State"]["StartedAt"] == proxy["State"]["StartedAt"]


def test_stack_serves_the_walkthrough_and_keeps_its_data(stack):
    """docker-compose as the README runs it, then `down` and `up` again."""
    api = Client(stack.base)
    assert stack.exec("web", "id", "-u").stdout.strip() != "0", "Gunicorn runs as root"

    # The README's walkthrough, with the Docker form of its first step.
    create_user(stack, USERNAME)
    tokens = api.login()
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
    again = api.login()
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
    stack.built.phases["down + up to answering"] = bring_up(stack)
    api("GET", RESOURCES, 401, again["access"])
    api("POST", "/api/token/refresh/", 401, refresh=again["refresh"])
    assert api.names(api.login()["access"]) == ["Renamed"]


def test_database_outage_turns_health_unhealthy_and_back(postgres_stack):
    """With the database stopped, /healthz/ answers 503 through the proxy and Docker marks
    web unhealthy; once it is started again, both recover without touching web."""
    stack = postgres_stack
    web = stack.containers("web")[0]
    wait_for_health(web, "healthy", timeout=60)
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
    assert inspect_container(web)["RestartCount"] == 0
    print(
        f"\n[containers/outage] db stopped: /healthz/ 503, web unhealthy after {unhealthy:.0f} s;"
        f" db started: healthy after {healthy:.0f} s"
    )


def test_slow_clients_are_held_by_the_proxy(sqlite_stack):
    """Twice as many slow clients as Gunicorn has workers, through the published port: nginx
    holds their partial requests itself, and /healthz/ still answers at once."""
    stack = sqlite_stack
    port = int(stack.base.rsplit(":", 1)[1])
    with slow_clients(port, 2 * WORKERS) as held:
        time.sleep(0.5)
        took = []
        for _ in range(3):
            started = time.monotonic()
            answer = requests.get(f"{stack.base}/healthz/", timeout=5)
            took.append(time.monotonic() - started)
            assert answer.status_code == 200
        assert sum(map(still_waiting, held)) == 2 * WORKERS, "the proxy let go of a slow client"
    print(
        f"\n[containers/slow clients] {2 * WORKERS} slow clients through the proxy:"
        f" /healthz/ 200 in {max(took) * 1000:.0f} ms at most"
    )
    assert max(took) < 1


def test_body_limit_agrees_with_django(sqlite_stack):
    """A body of exactly Django's DATA_UPLOAD_MAX_MEMORY_SIZE passes the proxy and Django; one
    byte more is refused by the proxy, before any worker reads it, with the API's JSON 413."""
    stack = sqlite_stack
    create_user(stack, "uploader")
    api = Client(stack.base)
    access = api.login("uploader")["access"]
    # Valid JSON of exactly the limit: the padding is whitespace inside the object.
    start, end = b'{"name": "At the limit"', b"}"
    body = start + b" " * (BODY_LIMIT - len(start) - len(end)) + end
    answer = requests.post(
        stack.base + RESOURCES,
        data=body,
        headers={**bearer(access), "Content-Type": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text

    port = int(stack.base.rsplit(":", 1)[1])
    headers = {"Content-Type": "application/json", "Content-Length": str(BODY_LIMIT + 1)}
    status, answer_headers, content = headers_only(port, "POST", RESOURCES, headers)
    assert status == 413
    assert answer_headers["Content-Type"] == "application/json"
    assert json.loads(content) == TOO_LARGE


def test_forged_forwarded_for_does_not_escape_the_login_throttle(sqlite_stack):
    """The proxy appends the client's address to X-Forwarded-For and web trusts that one
    entry only (DJANGO_NUM_PROXIES=1): a new forged address on every attempt still ends in
    429, while a client at another address keeps its own allowance."""
    stack = sqlite_stack
    rate = int(stack.built.env_file().get("DJANGO_TOKEN_THROTTLE_RATE", "20/m").split("/")[0])
    statuses = []
    try:
        for attempt in range(rate + 1):
            answer = requests.post(
                f"{stack.base}/api/token/",
                json={"username": f"nobody{attempt}", "password": "wrong-password"},
                headers={"X-Forwarded-For": f"203.0.113.{attempt}"},
                timeout=30,
            )
            statuses.append(answer.status_code)
            if answer.status_code == 429:
                break
        assert statuses[-1] == 429, statuses
        assert set(statuses[:-1]) <= {401}, statuses
        assert answer.json()["detail"]

        # Another container on the stack's network: another address, not throttled.
        elsewhere = in_stack_network(
            stack,
            "import json, urllib.error, urllib.request\n"
            "request = urllib.request.Request('http://proxy/api/token/',"
            ' data=b\'{"username": "nobody", "password": "wrong-password"}\','
            " headers={'Content-Type': 'application/json', 'Host': 'localhost'})\n"
            "try:\n"
            "    print(urllib.request.urlopen(request, timeout=30).status)\n"
            "except urllib.error.HTTPError as error:\n"
            "    print(error.code)\n",
        )
        assert elsewhere == 401
    finally:
        # The throttle's counters and the failed passwords the lockout counted (per address:
        # this one), so that later tests may log in from this address again.
        django_shell(
            stack,
            "from django.core.cache import cache; cache.clear()\n"
            "from django.core.management import call_command; call_command('axes_reset')",
        )


LATENCY_SCRIPT = """
import json, os, statistics, time, urllib.request

headers = {"Host": "localhost", "Authorization": "Bearer " + os.environ["ACCESS"]}
targets = {"gunicorn": "http://web:8000", "proxy": "http://proxy"}
paths = {"/healthz/": "/healthz/", "list": "/api/v1/things/?page_size=20"}
took = {(target, path): [] for target in targets for path in paths}
for _ in range(int(os.environ["ROUNDS"])):
    for (target, path), times in took.items():
        request = urllib.request.Request(targets[target] + paths[path], headers=headers)
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()
        times.append(time.perf_counter() - started)
print(json.dumps({f"{t} {p}": statistics.median(times) for (t, p), times in took.items()}))
"""


def test_proxy_adds_little_latency(sqlite_stack):
    """Median latency of /healthz/ and of a list of 20, from a container on the compose
    network, straight at Gunicorn and through the proxy, in turns in the same run."""
    stack = sqlite_stack
    create_user(stack, "reader")
    api = Client(stack.base)
    access = api.login("reader")["access"]
    for number in range(20):
        api("POST", RESOURCES, 201, access, name=f"Listed {number}")
    median = in_stack_network(stack, LATENCY_SCRIPT, ACCESS=access, ROUNDS=100)
    lines = []
    for path in ("/healthz/", "list"):
        direct, proxied = median[f"gunicorn {path}"], median[f"proxy {path}"]
        lines.append(
            f"{path}: {direct * 1000:.2f} ms straight, {proxied * 1000:.2f} ms through the"
            f" proxy (+{(proxied - direct) * 1000:.2f} ms, x{proxied / direct:.2f})"
        )
        # A proxy that looked up names or opened files on each request would add far more.
        assert proxied - direct < 0.05, lines[-1]
    print("\n[containers/latency] median of 100 each: " + "; ".join(lines))


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


def test_stop_during_writes_loses_no_acknowledged_write(sqlite_stack):
    """`docker-compose stop` while four clients write: the proxy stops taking requests first,
    Gunicorn finishes those in flight within its graceful timeout, and every write that got a
    2xx is in the database afterwards. While web is down, the proxy answers a JSON 503."""
    stack = sqlite_stack
    create_user(stack, "writer")
    access = Client(stack.base).login("writer")["access"]
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

    # The proxy alone, with web stopped: its own error, in the API's JSON shape.
    stack("start", "proxy")
    down = requests.get(stack.base + RESOURCES, timeout=10)
    assert down.status_code == 503
    assert down.json() == {"detail": UNAVAILABLE, "code": "unavailable"}

    bring_up(stack)
    stored = django_shell(
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


def test_https_with_a_certificate_for_the_domain(sqlite_stack):
    """docker-compose.tls.yml over the same stack, with a self-signed certificate: HTTPS
    answers, plain HTTP redirects to it, Django (DJANGO_HTTPS=true) adds HSTS, and no request
    loops between the two, even one that claims X-Forwarded-Proto: http."""
    stack = sqlite_stack
    http_port, https_port = free_port(), free_port()
    stack.env.update(
        COMPOSE_FILE="docker-compose.yml:docker-compose.tls.yml",
        PROXY_HTTP_PORT=f"127.0.0.1:{http_port}",
        PROXY_HTTPS_PORT=f"127.0.0.1:{https_port}",
    )
    https = f"https://127.0.0.1:{https_port}"
    took = bring_up(stack, base=https, verify=str(stack.built.certificate))
    print(f"\n[containers/https] up with docker-compose.tls.yml to answering: {took:.1f} s")

    redirect = requests.get(
        f"http://127.0.0.1:{http_port}{RESOURCES}?page_size=5",
        headers={"Host": "api.example.test"},
        allow_redirects=False,
        timeout=10,
    )
    assert redirect.status_code == 301
    assert redirect.headers["Location"] == f"https://api.example.test{RESOURCES}?page_size=5"

    api = Client(https, verify=str(stack.built.certificate))
    health = api("GET", "/healthz/", 200)
    assert health.json() == {"status": "ok"}
    create_user(stack, "secure")
    access = api.login("secure")["access"]
    listed = api("GET", RESOURCES, 200, access)
    hsts = listed.headers["Strict-Transport-Security"]
    assert re.match(r"max-age=[1-9]", hsts), hsts
    # The proxy overwrites X-Forwarded-Proto: a client's own value cannot start a loop.
    api("GET", RESOURCES, 200, access, headers={"X-Forwarded-Proto": "http"})


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
        raise MissingTool("no docker client here can use BuildKit: 23.0 and newer need buildx")
    project = render(tmp_path, database="sqlite", python_version="3.11")
    image = "drf-auth-template-test/web-sqlite-buildkit"
    took, output = build_image(project, image, client=client, buildkit=True)
    assert "[internal] load build definition" in output, output[-2000:]  # BuildKit's progress
    check = in_image(image, "python", "manage.py", "check", "--deploy", env=fresh_keys())
    assert check.returncode == 0, check.stdout + check.stderr
    assert_unprivileged(image)
    print(f"\n[containers/buildkit] {client}: build {took:.1f} s")
