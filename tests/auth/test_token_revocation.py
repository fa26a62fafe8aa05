"""Tokens end when they should, even when requests race across workers.

A stolen token must stop working as soon as its owner acts: one refresh token buys one new
pair, however many requests race with it; a refresh token that comes back after it was used
ends every token of its user; a new password, a deactivation (and reactivation), the admin's
"end sessions" action and a logout end every token and the browser sessions; a refresh chain
ends a fixed time after the password was given, however often it is renewed.

Real services: the folder's Gunicorn (3 workers) over HTTP, on SQLite and on PostgreSQL (a
throwaway cluster).
"""

import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest
import requests

from tooling.accounts import (
    create_superuser,
    delete_users,
    login,
    post_login_form,
    session_login,
    temporary_users,
    tokens_accepted,
    unique,
)
from tooling.constants import PASSWORD, RESOURCES
from tooling.project import read_dotenv

pytestmark = pytest.mark.gunicorn

WORKERS = 3  # of the shared service (tests/conftest.py)
# The race: this many rounds, each sending one refresh token this many times at once.
ROUNDS = 20
RACERS = 3
DAY = 24 * 60 * 60
MAX_LIFETIME = 30 * DAY  # JWT_REFRESH_TOKEN_MAX_DAYS' default


@pytest.fixture
def user(service):
    with temporary_users(service.project, service.env, "revoked") as (name,):
        yield name


def accepted(service, tokens):
    return tokens_accepted(service.base, tokens)


def refresh(service, token):
    return requests.post(service.url("/api/token/refresh/"), json={"refresh": token}, timeout=30)


def token_pairs(service, usernames):
    """A login's pair for each user, made in one process instead of one password hash each."""
    code = (
        "import json\n"
        "from django.contrib.auth import get_user_model\n"
        "from accounts.tokens import TokenObtainPairSerializer\n"
        "pairs = []\n"
        f"for name in {list(usernames)!r}:\n"
        "    user = get_user_model().objects.create(username=name)\n"
        "    token = TokenObtainPairSerializer.get_token(user)\n"
        "    pairs.append({'access': str(token.access_token), 'refresh': str(token)})\n"
        "print(json.dumps(pairs))\n"
    )
    return json.loads(service.shell(code).splitlines()[-1])


def test_concurrent_refreshes_of_one_token_give_one_new_pair(service):
    names = [unique("racer") for _ in range(ROUNDS)]
    pairs = token_pairs(service, names)
    outcomes = Counter()
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(RACERS) as pool:
            for pair in pairs:
                gate = threading.Barrier(RACERS)

                def race(_, token=pair["refresh"], gate=gate):
                    gate.wait()  # every request leaves at the same moment
                    return refresh(service, token)

                answers = list(pool.map(race, range(RACERS)))
                statuses = sorted(answer.status_code for answer in answers)
                outcomes[tuple(statuses)] += 1
                assert statuses == [200] + [401] * (RACERS - 1), [a.text for a in answers]
                # The first loser finds the token spent and ends the user's tokens; a later
                # one may already find them ended.
                codes = Counter(a.json()["code"] for a in answers if a.status_code != 200)
                assert codes["token_reused"] >= 1
                assert set(codes) <= {"token_reused", "token_revoked"}
                # The losers saw the token come back after use: the winner's pair ends too.
                (won,) = (answer.json() for answer in answers if answer.status_code == 200)
                assert accepted(service, won) == (False, False)
    finally:
        delete_users(service.project, service.env, *names)
    took = time.monotonic() - started
    print(
        f"\n[{service.database}] {ROUNDS} rounds of {RACERS} simultaneous refreshes of one "
        f"token, {WORKERS} workers: {dict(outcomes)} in {took:.1f} s"
    )


def test_a_reused_refresh_token_ends_every_token_of_its_user(service, user):
    with requests.Session() as http:
        first = login(http, service.base, user)
        other_device = login(http, service.base, user)
    rotated = refresh(service, first["refresh"])
    assert rotated.status_code == 200, rotated.text
    assert accepted(service, rotated.json()) == (True, True)

    reused = refresh(service, first["refresh"])
    print(f"\n[{service.database}] a rotated refresh token sent again: {reused.json()}")
    assert reused.status_code == 401
    assert reused.json()["code"] == "token_reused"
    for pair in (rotated.json(), other_device):
        assert accepted(service, pair) == (False, False)
        assert refresh(service, pair["refresh"]).status_code == 401
    with requests.Session() as http:
        assert accepted(service, login(http, service.base, user)) == (True, True)


def test_a_new_password_and_a_deactivation_end_every_token(service, user):
    with requests.Session() as http:
        before_password = login(http, service.base, user)
        service.shell(
            "from django.contrib.auth import get_user_model\n"
            f"user = get_user_model().objects.get(username={user!r})\n"
            "user.set_password('a-new-horse-battery-staple')\n"
            "user.save()\n"
        )
        assert accepted(service, before_password) == (False, False)
        assert refresh(service, before_password["refresh"]).status_code == 401

        before_deactivation = login(http, service.base, user, "a-new-horse-battery-staple")
        assert accepted(service, before_deactivation) == (True, True)
        for active in (False, True):
            service.shell(
                "from django.contrib.auth import get_user_model\n"
                f"user = get_user_model().objects.get(username={user!r})\n"
                f"user.is_active = {active}\n"
                "user.save()\n"
            )
        # Active again, and still none of the old tokens works.
        assert accepted(service, before_deactivation) == (False, False)
        assert refresh(service, before_deactivation["refresh"]).status_code == 401
        after = login(http, service.base, user, "a-new-horse-battery-staple")
        assert accepted(service, after) == (True, True)
    print(f"\n[{service.database}] new password, deactivation + reactivation: old tokens 401")


def test_the_admin_action_ends_every_token_and_session(service, user):
    admin_name = unique("admin")
    admin_password = create_superuser(service.project, service.env, admin_name)
    try:
        with requests.Session() as http:
            tokens = login(http, service.base, user)
        browser = session_login(service.base, user, PASSWORD)
        assert browser.get(service.url(RESOURCES), timeout=30).status_code == 200

        admin = requests.Session()
        login_url = service.url("/admin/login/")
        admin.get(login_url, timeout=30)
        signed_in = post_login_form(admin, login_url, admin_name, admin_password, next="/admin/")
        assert signed_in.history and signed_in.history[0].status_code == 302, signed_in.text[-500:]
        user_id = service.shell(
            "from django.contrib.auth import get_user_model\n"
            f"print(get_user_model().objects.get(username={user!r}).pk)"
        ).split()[-1]
        changelist = service.url("/admin/accounts/user/")
        done = admin.post(
            changelist,
            data={
                "action": "end_sessions",
                "_selected_action": user_id,
                "csrfmiddlewaretoken": admin.cookies["csrftoken"],
            },
            headers={"Referer": changelist},
            timeout=30,
        )
        assert done.status_code == 200 and "Ended every token and session" in done.text
        assert accepted(service, tokens) == (False, False)
        assert browser.get(service.url(RESOURCES), timeout=30).status_code == 401
        print(f"\n[{service.database}] admin action: the user's tokens and session ended")
    finally:
        delete_users(service.project, service.env, admin_name)


def test_logout_ends_the_tokens_and_the_browsable_api_session(service, user):
    browser = session_login(service.base, user, PASSWORD)
    with requests.Session() as http:
        tokens = login(http, service.base, user)
    logout = requests.post(
        service.url("/api/token/blacklist/"), json={"refresh": tokens["refresh"]}, timeout=30
    )
    assert (logout.status_code, logout.json()) == (200, {})
    assert accepted(service, tokens) == (False, False)
    assert browser.get(service.url(RESOURCES), timeout=30).status_code == 401


def test_refresh_chains_end_at_their_absolute_lifetime(service, user):
    with requests.Session() as http:
        tokens = login(http, service.base, user)
    claims = jwt.decode(tokens["refresh"], options={"verify_signature": False})
    assert claims["auth_time"] == claims["iat"]
    key = read_dotenv(service.project)["DJANGO_JWT_SIGNING_KEY"]
    now = int(time.time())

    def signed(**changes):
        return jwt.encode({**claims, **changes}, key, "HS256")

    # Signed with the project's key, as though the password had been given long ago.
    began = now - MAX_LIFETIME + DAY // 2
    still_in = refresh(service, signed(auth_time=began, exp=now + 3600, jti=unique("in")))
    assert still_in.status_code == 200, still_in.text
    renewed = jwt.decode(still_in.json()["refresh"], options={"verify_signature": False})
    # A day more would pass the end of the chain: the new token ends with it instead.
    assert (renewed["auth_time"], renewed["exp"]) == (began, began + MAX_LIFETIME)

    # Past the end of the chain, a refresh token is refused even while its exp is ahead.
    too_old = signed(auth_time=now - MAX_LIFETIME - 60, exp=now + 3600, jti=unique("out"))
    refused = refresh(service, too_old)
    print(
        f"\n[{service.database}] refresh {MAX_LIFETIME // DAY} days after the password, "
        f"its exp still ahead: {refused.status_code} {refused.json()}"
    )
    assert refused.status_code == 401
    assert refused.json()["code"] == "token_not_valid"
