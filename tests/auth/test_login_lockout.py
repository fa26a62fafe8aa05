"""The password lockout stops the guesser and no one else, whichever worker answers.

Every path that checks a password (the token endpoint, the browsable API's and the admin's
login, the old password of a password change) shares three counts, kept in the database so
that every worker sees them: one account from one address (the tightest), one address over
any accounts (an IPv6 /64 is one address), one account over any addresses (higher still).
Each rule is a test here: the guesser is refused, the owner at another address and a
classmate behind the same address sign in, a success clears its count, every 429 says how
long, each `manage.py unlock` command lifts its lock, and no password is left in any record.

Clients at different addresses are told apart the way a proxy tells the service: through
X-Forwarded-For with DJANGO_NUM_PROXIES=1. Without proxies (DJANGO_NUM_PROXIES=0) the header
is ignored, so a made-up one does not get around the count. (The request-rate throttles are
test_throttling.py; each platform's own header is test_client_addresses.py.)

Real services: Gunicorn with 3 workers and an access log, one server per configuration,
over HTTP, on SQLite and on PostgreSQL (a throwaway cluster, read and reset with SQL).
"""

import contextlib
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from helpers.answers import assert_json_error
from tooling.accounts import post_login_form, temporary_users
from tooling.constants import PASSWORD, TOKEN
from tooling.machine import run
from tooling.processes import wait_for_workers
from tooling.served import access_log_options, answers_by_worker, gunicorn

pytestmark = pytest.mark.gunicorn

WORKERS = 3
LIMIT = 3  # wrong passwords for one account from one address (DJANGO_LOGIN_FAILURE_LIMIT)
ADDRESS_LIMIT = 5  # from one address, any accounts
ACCOUNT_LIMIT = 7  # for one account, any addresses
COOL_OFF_MINUTES = 15
AT_ONCE = 6
FORMS = ["/api-auth/login/", "/admin/login/"]
PASSWORD_CHANGE = "/api/password/change/"
FAILURES = "accounts_passwordfailure"
# Clients, as the proxy names them in X-Forwarded-For.
HOME = "198.51.100.10"
ELSEWHERE = "203.0.113.20"
# What each served configuration is: DJANGO_HTTPS, and DJANGO_NUM_PROXIES.
CONFIGURATIONS = {
    "behind one proxy": ("false", "1"),
    "no proxy, http": ("false", "0"),
    "no proxy, https": ("true", "0"),
}
BEHIND_ONE_PROXY = pytest.mark.parametrize("service", ["behind one proxy"], indirect=True)
WITHOUT_PROXIES = pytest.mark.parametrize(
    "service", ["no proxy, http", "no proxy, https"], indirect=True
)


@dataclass
class Service:
    database: str
    name: str
    project: Path
    env: dict
    base: str
    headers: dict
    access_log: Path

    def post(self, path, address=None, **kwargs):
        """A POST from the client at `address` (as the proxy names it), or from this host."""
        headers = {**self.headers, **kwargs.pop("headers", {})}
        if address is not None:
            headers["X-Forwarded-For"] = address
        return requests.post(f"{self.base}{path}", headers=headers, timeout=60, **kwargs)

    def sign_in(self, username, password="wrong-guess", address=HOME):
        body = {"username": username, "password": password}
        return self.post(TOKEN, address, json=body)

    def sql(self, statement):
        """Run SQL on the service's database: rows for a query. Straight in SQL, as a
        `manage.py shell` costs a second of Django start-up."""
        url = self.env["DATABASE_URL"]
        if url.startswith("sqlite:///"):
            with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
                rows = db.execute(statement).fetchall()
                db.commit()
                return rows
        psql = ["psql", postgres_url(url), "-At", "-F", "|", "-c", statement]
        return [tuple(line.split("|")) for line in run(psql).stdout.splitlines()]

    def everything_stored(self):
        """Every row of every table, as text: what a backup or a curious admin would see."""
        url = self.env["DATABASE_URL"]
        if url.startswith("sqlite:///"):
            with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
                return "\n".join(db.iterdump())
        return run(["pg_dump", "--data-only", postgres_url(url)]).stdout

    def forget_failures(self):
        self.sql(f"DELETE FROM {FAILURES}")

    def unlock(self, *arguments):
        run(["python", "manage.py", "unlock", *arguments], cwd=self.project, env=self.env)


def postgres_url(url):
    return url.replace("postgres://", "postgresql://", 1)


@pytest.fixture(scope="module")
def service(request, rendered_project, tmp_path_factory):
    database, project, env = rendered_project
    https, proxies = CONFIGURATIONS[request.param]
    env = {
        **env,
        "DJANGO_HTTPS": https,
        "DJANGO_NUM_PROXIES": proxies,
        "DJANGO_LOGIN_FAILURE_LIMIT": str(LIMIT),
        "DJANGO_LOGIN_ADDRESS_FAILURE_LIMIT": str(ADDRESS_LIMIT),
        "DJANGO_LOGIN_ACCOUNT_FAILURE_LIMIT": str(ACCOUNT_LIMIT),
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
        service.forget_failures()
        yield service
        service.forget_failures()


@pytest.fixture
def users(service, module_users):
    """Each test starts, and leaves the database, with no failure counted."""
    service.forget_failures()
    yield module_users
    service.forget_failures()


@pytest.fixture(scope="module")
def module_users(service):
    """A user to guess the password of and one who only signs in, for every test of a server."""
    with temporary_users(service.project, service.env, "guessed", "classmate") as names:
        yield names


def print_statuses(service, what, statuses):
    print(f"\n[{service.database}, {service.name}] {what}: {statuses}")


@BEHIND_ONE_PROXY
def test_wrong_passwords_lock_that_account_at_that_address(service, users):
    guessed, _ = users
    since = len(service.access_log.read_text().splitlines())
    wrong = [service.sign_in(guessed).status_code for _ in range(LIMIT + 1)]
    # Then guesses at once, as from several clients, so that every worker takes some.
    with ThreadPoolExecutor(AT_ONCE) as pool:
        at_once = [r.status_code for r in pool.map(lambda _: service.sign_in(guessed), wrong)]
    right = service.sign_in(guessed, PASSWORD)
    print_statuses(service, f"{LIMIT + 1} wrong, {AT_ONCE} at once, right", (wrong, at_once))
    assert wrong == [401] * LIMIT + [429]
    assert at_once == [429] * len(wrong)
    body = assert_json_error(right, 429, "right password while locked out")
    assert body["code"] == "too_many_password_attempts"
    # The count is shared: some worker refused although it had not seen LIMIT failures.
    served_by = answers_by_worker(service.access_log, TOKEN, since)
    assert len({pid for pid, _ in served_by}) >= 2, served_by
    assert any(served_by[pid, 429] and served_by[pid, 401] < LIMIT for pid, _ in served_by)


@BEHIND_ONE_PROXY
def test_every_429_says_how_long(service, users):
    guessed, _ = users
    for _ in range(LIMIT):
        service.sign_in(guessed)
    refused = service.sign_in(guessed, PASSWORD)
    wait = int(refused.headers["Retry-After"])
    assert COOL_OFF_MINUTES * 60 - 120 < wait <= COOL_OFF_MINUTES * 60
    assert refused.json()["detail"].endswith(f"Try again in {wait} seconds.")
    for form in FORMS:
        page = login_form(service, form)(guessed, PASSWORD)
        assert page.status_code == 429 and not page.history  # no redirect: not signed in
        assert page.headers["Content-Type"].startswith("text/html")
        assert f"Try again in {COOL_OFF_MINUTES} minutes." in page.text
        assert int(page.headers["Retry-After"]) <= wait


@BEHIND_ONE_PROXY
def test_the_owner_signs_in_from_another_address(service, users):
    guessed, _ = users
    wrong = [service.sign_in(guessed).status_code for _ in range(LIMIT + 1)]
    elsewhere = service.sign_in(guessed, PASSWORD, address=ELSEWHERE).status_code
    print_statuses(service, "guessed at home, then the owner elsewhere", (wrong, elsewhere))
    assert (wrong, elsewhere) == ([401] * LIMIT + [429], 200)


@BEHIND_ONE_PROXY
def test_a_classmate_behind_the_same_address_signs_in(service, users):
    guessed, classmate = users
    typos = [service.sign_in(guessed).status_code for _ in range(LIMIT + 1)]
    signs_in = service.sign_in(classmate, PASSWORD).status_code
    print_statuses(service, "one student's typos, then a classmate", (typos, signs_in))
    assert (typos, signs_in) == ([401] * LIMIT + [429], 200)


@BEHIND_ONE_PROXY
@pytest.mark.parametrize(
    "addresses, elsewhere",
    [
        ([HOME] * (ADDRESS_LIMIT + 1), ELSEWHERE),
        # A new address each time, all in one IPv6 /64: one address.
        ([f"2001:db8:5:6::{n + 1:x}" for n in range(ADDRESS_LIMIT + 1)], "2001:db8:5:7::1"),
    ],
    ids=["one address", "one IPv6 /64"],
)
def test_many_accounts_from_one_address_stop_at_the_address_limit(
    service, users, addresses, elsewhere
):
    _, classmate = users
    guesses = [
        service.sign_in(f"nobody-{n}", address=address).status_code
        for n, address in enumerate(addresses)
    ]
    same_address = service.sign_in(classmate, PASSWORD, address=addresses[0]).status_code
    other_address = service.sign_in(classmate, PASSWORD, address=elsewhere).status_code
    print_statuses(service, "a new account each guess", (guesses, same_address, other_address))
    assert guesses == [401] * ADDRESS_LIMIT + [429]
    assert (same_address, other_address) == (429, 200)


@BEHIND_ONE_PROXY
def test_one_account_from_many_addresses_stops_at_the_account_limit(service, users):
    guessed, _ = users
    # Also what a client that reaches Gunicorn directly gets with a proxy count that is too
    # high: it picks a new address for each guess, and the account's ceiling still holds.
    guesses = [
        service.sign_in(guessed, address=f"192.0.2.{n}").status_code
        for n in range(ACCOUNT_LIMIT + 1)
    ]
    owner = service.sign_in(guessed, PASSWORD, address=ELSEWHERE).status_code
    print_statuses(service, "one account, a new address each guess", (guesses, owner))
    assert guesses == [401] * ACCOUNT_LIMIT + [429]
    assert owner == 429


@BEHIND_ONE_PROXY
def test_a_success_clears_that_accounts_count_at_that_address(service, users):
    guessed, _ = users
    statuses = [service.sign_in(guessed).status_code for _ in range(LIMIT - 1)]
    statuses.append(service.sign_in(guessed, PASSWORD).status_code)
    statuses.append(service.sign_in(guessed).status_code)  # without the clearing: the limit
    statuses.append(service.sign_in(guessed, PASSWORD).status_code)
    print_statuses(service, "typos, success, a typo, success", statuses)
    assert statuses == [401] * (LIMIT - 1) + [200, 401, 200]


def login_form(service, form, address=HOME):
    """A browser session on one of the login forms: it posts (username, password) there."""
    browser = requests.Session()
    browser.headers.update({**service.headers, "X-Forwarded-For": address})
    url = f"{service.base}{form}"
    browser.get(url, timeout=60).raise_for_status()
    return lambda username, password: post_login_form(browser, url, username, password)


@BEHIND_ONE_PROXY
def test_the_four_password_checks_share_one_count(service, users):
    guessed, _ = users
    token = service.sign_in(guessed, PASSWORD).json()["access"]
    bearer = {"Authorization": f"Bearer {token}"}
    wrong_old = {"old_password": "wrong-guess", "new_password": "a-new-password-42"}
    statuses = [
        service.sign_in(guessed).status_code,
        login_form(service, FORMS[0])(guessed, "wrong-guess").status_code,
        service.post(PASSWORD_CHANGE, HOME, json=wrong_old, headers=bearer).status_code,
        login_form(service, FORMS[1])(guessed, PASSWORD).status_code,
    ]
    print_statuses(service, "token, browsable API, password change, admin", statuses)
    assert statuses == [401, 200, 400, 429]  # a login form shows itself again on a failure


@BEHIND_ONE_PROXY
@pytest.mark.parametrize(
    "lock, command",
    [
        ("account at address", ["--username", "{guessed}", "--address", HOME]),
        ("account at address", ["--username", "{guessed}"]),
        ("address", ["--address", HOME]),
        ("account", ["--username", "{guessed}"]),
        ("account", ["--all"]),
    ],
)
def test_each_unlock_command_lifts_its_lock(service, users, lock, command):
    guessed, _ = users
    if lock == "account at address":
        guesses = [service.sign_in(guessed).status_code for _ in range(LIMIT)]
    elif lock == "address":
        guesses = [service.sign_in(f"nobody-{n}").status_code for n in range(ADDRESS_LIMIT)]
    else:
        guesses = [
            service.sign_in(guessed, address=f"192.0.2.{n}").status_code
            for n in range(ACCOUNT_LIMIT)
        ]
    assert set(guesses) == {401}
    assert service.sign_in(guessed, PASSWORD).status_code == 429
    service.unlock(*(part.format(guessed=guessed) for part in command))
    assert service.sign_in(guessed, PASSWORD).status_code == 200, (lock, command)


@BEHIND_ONE_PROXY
@pytest.mark.parametrize("encoding", ["form", "json"])
def test_no_password_is_kept_in_any_record(service, users, encoding):
    guessed, _ = users
    wrong_old, new, wrong_login = "0ld-guess-x7Qz", "n3w-choice-p9Wk", "login-guess-m4Tr"
    token = service.sign_in(guessed, PASSWORD).json()["access"]
    change = {"old_password": wrong_old, "new_password": new}
    body = {"data": change} if encoding == "form" else {"json": change}
    bearer = {"Authorization": f"Bearer {token}"}
    assert service.post(PASSWORD_CHANGE, HOME, headers=bearer, **body).status_code == 400
    login = {"username": guessed, "password": wrong_login}
    body = {"data": login} if encoding == "form" else {"json": login}
    assert service.post(TOKEN, HOME, **body).status_code == 401
    assert login_form(service, FORMS[0])(guessed, wrong_login).status_code == 200

    assert len(service.sql(f"SELECT * FROM {FAILURES}")) == 3  # the attempts are recorded
    stored = service.everything_stored()
    for password in (wrong_old, new, wrong_login, PASSWORD):
        assert password not in stored


@WITHOUT_PROXIES
def test_a_forged_forwarded_for_does_not_evade_the_count(service, users):
    guessed, classmate = users
    # Ignored without proxies: every guess comes from 127.0.0.1, whatever it claims.
    forged = [
        service.sign_in(guessed, address=f"203.0.113.{n}").status_code for n in range(LIMIT + 1)
    ]
    right = service.sign_in(guessed, PASSWORD, address="203.0.113.200")
    print_statuses(service, "one account, forged addresses", forged)
    assert forged == [401] * LIMIT + [429]
    assert right.status_code == 429
    # Garbage in the header is no address at all, never a 500; the classmate signs in.
    garbage = service.sign_in(classmate, PASSWORD, address="not-an-address, <script>")
    assert garbage.status_code == 200
