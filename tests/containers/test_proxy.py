"""The nginx proxy in front of Gunicorn in the SQLite compose stack: what it is there for.

Gunicorn's sync workers are few and can be held by slow clients; the proxy buffers them. It
refuses a body over Django's limit before a worker reads it, in the API's JSON; it passes the
client's address so that a forged X-Forwarded-For cannot escape the login throttle; it adds
little latency; with docker-compose.tls.yml it serves HTTPS with a certificate and redirects
plain HTTP without a loop. A proxy that got any of these wrong would let one client stall,
flood or brute-force a deployment.

Real services: Docker and Compose v2 (the session's SQLite stack: proxy, migrate, web;
throwaway containers of the web image on the stack's network).
"""

import json
import re
import time

import pytest
import requests

from helpers.slow_clients import headers_only, slow_clients, still_waiting
from tooling.accounts import bearer
from tooling.constants import RESOURCES
from tooling.machine import free_port
from tooling.stack import Client, create_user, delete_users, python_in_network, stack_shell

pytestmark = [
    pytest.mark.containers,
    pytest.mark.timeout(1800),
    pytest.mark.parametrize("stack", ["sqlite"], indirect=True),
]

# Django's DATA_UPLOAD_MAX_MEMORY_SIZE, which the proxy's client_max_body_size must equal.
BODY_LIMIT = 2_621_440
TOO_LARGE = {"detail": "The request body is too large.", "code": "request_too_large"}


@pytest.fixture(scope="module", autouse=True)
def leaves_no_rows(sqlite_stack):
    """The users made here go afterwards, with all they wrote: the stack is shared, and the
    walkthrough expects to see its own rows only."""
    yield
    delete_users(sqlite_stack, "uploader", "reader", "secure")


def published_port(stack):
    return int(stack.base.rsplit(":", 1)[1])


def test_slow_clients_are_held_by_the_proxy(stack):
    """Twice as many slow clients as Gunicorn has workers, through the published port: nginx
    holds their partial requests itself, and /healthz/ still answers at once."""
    workers = stack.built.workers
    with slow_clients(published_port(stack), 2 * workers) as held:
        time.sleep(0.5)
        took = []
        for _ in range(3):
            started = time.monotonic()
            answer = requests.get(f"{stack.base}/healthz/", timeout=5)
            took.append(time.monotonic() - started)
            assert answer.status_code == 200
        assert sum(map(still_waiting, held)) == 2 * workers, "the proxy let go of a slow client"
    print(
        f"\n[containers/slow clients] {2 * workers} slow clients through the proxy:"
        f" /healthz/ 200 in {max(took) * 1000:.0f} ms at most"
    )
    assert max(took) < 1


def test_body_limit_agrees_with_django(stack):
    """A body of exactly Django's DATA_UPLOAD_MAX_MEMORY_SIZE passes the proxy and Django; one
    byte more is refused by the proxy, before any worker reads it, with the API's JSON 413."""
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

    headers = {"Content-Type": "application/json", "Content-Length": str(BODY_LIMIT + 1)}
    status, answer_headers, content = headers_only(
        published_port(stack), "POST", RESOURCES, headers
    )
    assert status == 413
    assert answer_headers["Content-Type"] == "application/json"
    assert json.loads(content) == TOO_LARGE


def test_forged_forwarded_for_does_not_escape_the_login_throttle(stack):
    """The proxy appends the client's address to X-Forwarded-For and web trusts that one
    entry only (DJANGO_NUM_PROXIES=1): a new forged address on every attempt still ends in
    429, while a client at another address keeps its own allowance."""
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
        elsewhere = python_in_network(
            stack,
            stack.built.image,
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
        stack_shell(
            stack,
            "from django.core.cache import cache; cache.clear()\n"
            "from django.core.management import call_command; call_command('unlock', '--all')",
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


def test_proxy_adds_little_latency(stack):
    """Median latency of /healthz/ and of a list of 20, from a container on the compose
    network, straight at Gunicorn and through the proxy, in turns in the same run."""
    create_user(stack, "reader")
    api = Client(stack.base)
    access = api.login("reader")["access"]
    for number in range(20):
        api("POST", RESOURCES, 201, access, name=f"Listed {number}")
    median = python_in_network(stack, stack.built.image, LATENCY_SCRIPT, ACCESS=access, ROUNDS=100)
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


def test_https_with_a_certificate_for_the_domain(stack):
    """docker-compose.tls.yml over the same stack, with a self-signed certificate: HTTPS
    answers, plain HTTP redirects to it, Django (DJANGO_HTTPS=true) adds HSTS, and no request
    loops between the two, even one that claims X-Forwarded-Proto: http. The stack goes back
    to plain HTTP afterwards."""
    http_port, https_port = free_port(), free_port()
    plain = dict(stack.env)
    stack.env.update(
        COMPOSE_FILE="docker-compose.yml:docker-compose.tls.yml",
        PROXY_HTTP_PORT=f"127.0.0.1:{http_port}",
        PROXY_HTTPS_PORT=f"127.0.0.1:{https_port}",
    )
    https = f"https://127.0.0.1:{https_port}"
    try:
        took = stack.up(base=https, verify=str(stack.built.certificate))
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
    finally:
        stack.env.clear()
        stack.env.update(plain)
        stack.up()
