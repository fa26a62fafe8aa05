"""Password guessing ends in a lockout (429) on every login, whichever worker answers.

The token endpoint, the browsable API's login and the admin's login share one count of
wrong passwords per client address and per username (django-axes, in the database, so every
worker sees it). A made-up X-Forwarded-For does not get around it: with DJANGO_NUM_PROXIES=0
the header is ignored, and with a proxy count that lets a client pick its address, the
per-username count still holds. (The request-rate throttles are test_throttling.py.)

Real services: Gunicorn with 3 workers and an access log, one server per configuration
(plain HTTP, HTTPS behind no proxy, HTTPS with a proxy wrongly assumed), over HTTP, on SQLite
and on PostgreSQL (a throwaway cluster, reset with psql).
"""

import contextlib
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from helpers.answers import assert_json_error
from tooling.accounts import post_login_form, session_login, temporary_users
from tooling.constants import PASSWORD, TOKEN
from tooling.errors import UnexpectedAnswer
from tooling.machine import run
from tooling.processes import wait_for_workers
from tooling.served import access_log_options, answers_by_worker, gunicorn

pytestmark = pytest.mark.gunicorn

WORKERS = 3
LIMIT = 4  # DJANGO_LOGIN_FAILURE_LIMIT for these tests
AT_ONCE = 9
COOL_OFF_MINUTES = 15
CLEAR_FAILURES = "DELETE FROM axes_accessattempt"
FORMS = ["/api-auth/login/", "/admin/login/"]
# What each served configuration is: DJANGO_HTTPS, and DJANGO_NUM_PROXIES. The last one is
# a proxy count that is wrong for a client reaching Gunicorn directly.
CONFIGURATIONS = {
    "http": ("false", "0"),
    "https": ("true", "0"),
    "https, 1 proxy assumed": ("true", "1"),
}


@dataclass
class Service:
    database: str
    name: str
    project: Path
    env: dict
    base: str
    headers: dict
    access_log: Path

    def post(self, path, **kwargs):
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return requests.post(f"{self.base}{path}", headers=headers, timeout=30, **kwargs)

    def reset(self):
        """No failures counted: each test starts, and leaves the database, with none.

        Straight in SQL: a `manage.py shell` would cost a second of Django start-up per test.
        """
        url = self.env["DATABASE_URL"]
        if url.startswith("sqlite:///"):
            with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
                db.execute(CLEAR_FAILURES)
                db.commit()
        else:
            run(["psql", url.replace("postgres://", "postgresql://", 1), "-c", CLEAR_FAILURES])


# Each test names the configurations it runs on; one server per configuration and database.
EVERY_CONFIGURATION = pytest.mark.parametrize("service", list(CONFIGURATIONS), indirect=True)
# The forms' CSRF cookie is Secure with DJANGO_HTTPS, which a client over plain HTTP does not
# send back: the forms are driven over the http configuration. The count is the same.
HTTP_ONLY = pytest.mark.parametrize("service", ["http"], indirect=True)


@pytest.fixture(scope="module")
def service(request, rendered_project, tmp_path_factory):
    database, project, env = rendered_project
    https, proxies = CONFIGURATIONS[request.param]
    env = {
        **env,
        "DJANGO_HTTPS": https,
        "DJANGO_NUM_PROXIES": proxies,
        "DJANGO_LOGIN_FAILURE_LIMIT": str(LIMIT),
        "DJANGO_LOGIN_COOLOFF_MINUTES": str(COOL_OFF_MINUTES),
        # The per-address request rate of /api/token/ is not what these tests measure; its
        # counts stay in each worker's memory, out of the way of later tests' logins.
        "DJANGO_TOKEN_THROTTLE_RATE": "100000/minute",
        "CACHE_URL": "locmemcache://",
    }
    # With DJANGO_HTTPS the service expects the proxy's word that the client used HTTPS.
    headers = {"X-Forwarded-Proto": "https"} if https == "true" else {}
    log = tmp_path_factory.mktemp("access") / "access.log"
    with gunicorn(project, env, "--workers", str(WORKERS), *access_log_options(log)) as served:
        wait_for_workers(served.process.pid, WORKERS)
        service = Service(database, request.param, project, env, served.base, headers, log)
        service.reset()
        yield service
        service.reset()


@pytest.fixture
def users(service, module_users):
    service.reset()
    yield module_users
    service.reset()


@pytest.fixture(scope="module")
def module_users(service):
    """A user to guess the password of and one who only logs in, for every test of a server."""
    with temporary_users(service.project, service.env, "guessed", "bystander") as names:
        yield names


def guess_token(service, username, password="wrong-guess", forwarded_for=None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    body = {"username": username, "password": password}
    return service.post(TOKEN, json=body, headers=headers)


def login_form(service, form):
    """A browser session on one of the login forms: it posts (username, password) there."""
    browser = requests.Session()
    url = f"{service.base}{form}"
    browser.get(url, timeout=30).raise_for_status()
    return lambda username, password: post_login_form(browser, url, username, password)


@EVERY_CONFIGURATION
def test_wrong_passwords_on_the_token_endpoint_end_in_429(service, users):
    guessed, _ = users
    since = len(service.access_log.read_text().splitlines())
    statuses = [guess_token(service, guessed).status_code for _ in range(LIMIT + 1)]
    # Then guesses at once, as from several clients, so that every worker takes some.
    with ThreadPoolExecutor(AT_ONCE) as pool:
        at_once = [
            r.status_code for r in pool.map(lambda _: guess_token(service, guessed), range(AT_ONCE))
        ]
    right = guess_token(service, guessed, PASSWORD)
    print(f"\n[{service.database}, {service.name}] {LIMIT + 1} wrong passwords: {statuses}")
    print(f"[{service.database}, {service.name}] {AT_ONCE} more at once: {at_once}")
    print(f"[{service.database}, {service.name}] then the right one: {right.status_code}")
    assert statuses == [401] * (LIMIT - 1) + [429] * 2
    assert at_once == [429] * AT_ONCE
    body = assert_json_error(right, 429, "right password while locked out")
    assert body["code"] == "too_many_password_attempts"
    assert int(right.headers["Retry-After"]) == COOL_OFF_MINUTES * 60
    # The count is shared: some worker refused although it had not seen LIMIT failures.
    served_by = answers_by_worker(service.access_log, TOKEN, since)
    print(f"[{service.database}, {service.name}] answers per (worker, status): {dict(served_by)}")
    assert len({pid for pid, _ in served_by}) >= 2, served_by
    assert any(served_by[pid, 429] and served_by[pid, 401] < LIMIT - 1 for pid, _ in served_by)


@HTTP_ONLY
@pytest.mark.parametrize("form", FORMS)
def test_wrong_passwords_on_the_login_forms_end_in_a_429_page(service, users, form):
    guessed, _ = users
    attempt = login_form(service, form)
    statuses = [attempt(guessed, "wrong-guess").status_code for _ in range(LIMIT)]
    right = attempt(guessed, PASSWORD)
    print(
        f"\n[{service.database}] {form}: {LIMIT} wrong, then right: {statuses} {right.status_code}"
    )
    assert statuses == [200] * (LIMIT - 1) + [429]  # a wrong password shows the form again
    assert right.status_code == 429 and not right.history  # no redirect: not signed in
    assert right.headers["Content-Type"].startswith("text/html")
    assert "Too many sign-in attempts" in right.text
    # The same count locks the API out too, for this username.
    assert guess_token(service, guessed, PASSWORD).status_code == 429


@HTTP_ONLY
def test_the_three_login_paths_share_one_count(service, users):
    guessed, _ = users
    for _ in range(LIMIT - 1):
        assert guess_token(service, guessed).status_code == 401
    # The next wrong password, through a form, is the one that locks.
    locked = login_form(service, FORMS[1])(guessed, "wrong-guess")
    assert locked.status_code == 429
    with pytest.raises(UnexpectedAnswer):  # a right password through the other form fails too
        session_login(service.base, guessed, PASSWORD)


@EVERY_CONFIGURATION
def test_a_forged_forwarded_for_does_not_evade_the_count(service, users):
    guessed, bystander = users
    # One username, a new made-up address each time: the per-username count locks.
    forged = [
        guess_token(service, guessed, forwarded_for=f"203.0.113.{n}").status_code
        for n in range(LIMIT + 1)
    ]
    right = guess_token(service, guessed, PASSWORD, forwarded_for="203.0.113.200")
    print(f"\n[{service.database}, {service.name}] one username, forged addresses: {forged}")
    assert forged == [401] * (LIMIT - 1) + [429] * 2
    assert right.status_code == 429
    # Garbage in the header is no address at all: counted as the connection's, never a 500.
    garbage = guess_token(service, bystander, forwarded_for="not-an-address, <script>")
    assert_json_error(garbage, 429 if CONFIGURATIONS[service.name][1] == "0" else 401)


@EVERY_CONFIGURATION
def test_many_usernames_from_one_address_are_locked_out_per_address(service, users):
    _, bystander = users
    proxies = CONFIGURATIONS[service.name][1]
    # Each guess names another user and claims another address.
    statuses = [
        guess_token(service, f"nobody-{n}", forwarded_for=f"198.51.100.{n}").status_code
        for n in range(LIMIT + 1)
    ]
    print(f"\n[{service.database}, {service.name}] new username and address each: {statuses}")
    if proxies == "0":
        # The header is ignored: every guess came from 127.0.0.1, which is locked out.
        assert statuses == [401] * (LIMIT - 1) + [429] * 2
        assert guess_token(service, bystander, PASSWORD).status_code == 429
    else:
        # Told that a proxy appends the client's address, the service believes the header:
        # a client that reaches Gunicorn directly picks its own. This is why
        # DJANGO_NUM_PROXIES must match the proxies really in front, and why usernames count.
        assert statuses == [401] * (LIMIT + 1)
        right = guess_token(service, bystander, PASSWORD, forwarded_for="198.51.100.250")
        assert right.status_code == 200
