"""The request-rate throttles hold across Gunicorn workers: password guessing and sign-up floods.

DRF's throttles count requests per client address in the database cache (the default), which
every worker of every server on that database shares. A client that spreads its requests over
workers, claims other addresses in X-Forwarded-For, or sends the right password once over the
limit still gets a JSON 429 with Retry-After; a flood of sign-ups makes no more users than the
rate allows. (The lockout after wrong passwords is test_login_lockout.py.)

Real services: Gunicorn with 3 workers and an access log (which worker answered what), over
HTTP, on SQLite and on PostgreSQL (a throwaway cluster).
"""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from helpers.answers import assert_json_error
from tooling.accounts import count_users, username_prefix
from tooling.constants import PASSWORD, REGISTER, TOKEN
from tooling.processes import wait_for_workers
from tooling.project import read_dotenv
from tooling.served import access_log_options, answers_by_worker, gunicorn

pytestmark = pytest.mark.gunicorn

WORKERS = 3
TOKEN_RATE = 5  # DJANGO_TOKEN_THROTTLE_RATE per minute, for these tests
# Guesses sent at once past the login limit, each with a made-up X-Forwarded-For.
SPOOFED = 12
# Sign-ups sent from one address; the rate is the one .env gives (DJANGO_REGISTER_THROTTLE_RATE).
FLOOD = 200
CLEAR_CACHE = "from django.core.cache import cache; cache.clear()"


@pytest.fixture(scope="module")
def access_log(tmp_path_factory):
    return tmp_path_factory.mktemp("access") / "access.log"


@pytest.fixture(scope="module")
def limited(rendered_project, access_log):
    """The project under 3 workers with the throttles of .env, but 5 logins a minute."""
    database, project, env = rendered_project
    env = {**env, "DJANGO_TOKEN_THROTTLE_RATE": f"{TOKEN_RATE}/minute"}
    options = ["--workers", str(WORKERS), *access_log_options(access_log)]
    with gunicorn(project, env, *options, database=database) as served:
        wait_for_workers(served.process.pid, WORKERS)
        yield served


@pytest.fixture
def empty_cache(limited):
    """Throttle history left by earlier tests on this database would count too: each test
    starts from an empty cache, and leaves one to later tests."""
    limited.shell(CLEAR_CACHE)
    yield
    limited.shell(CLEAR_CACHE)


def test_password_guessing_is_throttled_across_workers(
    limited, empty_cache, make_users, access_log
):
    (username,) = make_users("guessed")
    since = len(access_log.read_text().splitlines())
    try:
        statuses = []
        for attempt in range(10):
            # A new connection each time, as separate clients would open.
            guess = {"username": username, "password": f"guess {attempt}"}
            response = requests.post(limited.url(TOKEN), json=guess, timeout=30)
            statuses.append(response.status_code)
            if response.status_code == 429:
                assert_json_error(response, 429)
                assert int(response.headers["Retry-After"]) > 0

        # Past the limit, neither a made-up X-Forwarded-For nor the right password helps.
        # These guesses come at once, as from a botnet, so that every worker takes some.
        def spoof(n):
            return requests.post(
                limited.url(TOKEN),
                json={"username": username, "password": f"guess {n}"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
                timeout=30,
            ).status_code

        with ThreadPoolExecutor(SPOOFED) as pool:
            spoofed = list(pool.map(spoof, range(SPOOFED)))
        right = {"username": username, "password": PASSWORD}
        right_password = requests.post(limited.url(TOKEN), json=right, timeout=30)
    finally:
        limited.manage("unlock", "--all")  # leave no failed logins to later tests

    served_by = answers_by_worker(access_log, TOKEN, since)
    workers = sorted({pid for pid, _ in served_by})
    database = limited.database
    print(f"\n[{database}] 10 wrong passwords at {TOKEN_RATE}/minute, 3 workers: {statuses}")
    print(f"[{database}] with X-Forwarded-For made up: {spoofed}")
    print(f"[{database}] then the right password: {right_password.status_code}")
    print(f"[{database}] answers per (worker, status): {dict(served_by)}")
    assert statuses == [401] * 5 + [429] * 5
    assert spoofed == [429] * SPOOFED
    assert right_password.status_code == 429
    # Shared: a worker answered 429 although it had not itself let 5 attempts through.
    assert len(workers) >= 2, f"all logins went to one worker: {served_by}"
    assert any(served_by[pid, 429] and served_by[pid, 401] < 5 for pid in workers)


def test_a_flood_of_sign_ups_from_one_address_is_throttled(limited, empty_cache):
    rate = read_dotenv(limited.project)["DJANGO_REGISTER_THROTTLE_RATE"]
    allowed = int(rate.split("/")[0])
    with username_prefix(limited.project, limited.env, "signup") as prefix:
        statuses = Counter()
        for n in range(FLOOD):
            # A new connection each time, as separate clients would; every tenth one
            # claims another address in X-Forwarded-For, which must not help.
            headers = {"X-Forwarded-For": f"203.0.113.{n % 250}"} if n % 10 == 0 else {}
            response = requests.post(
                limited.url(REGISTER),
                json={"username": f"{prefix}-{n}", "password": PASSWORD},
                headers=headers,
                timeout=60,
            )
            statuses[response.status_code] += 1
            if response.status_code != 201:
                assert_json_error(response, 429, f"sign-up {n}")
                assert int(response.headers["Retry-After"]) > 0
        print(
            f"\n[{limited.database}] {FLOOD} sign-ups from one address at {rate}: {dict(statuses)}"
        )
        assert statuses == {201: allowed, 429: FLOOD - allowed}
        assert count_users(limited.project, limited.env, prefix) == allowed
