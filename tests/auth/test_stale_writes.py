"""What ends a user's tokens stays done, whatever a request that loaded the user earlier writes.

A request loads its user when it is authenticated and may write it much later: a slow client
sends its body seconds after its headers. A profile change that saved the whole user it had
loaded would write back the password, token version, is_active and is_staff of that moment,
undoing a password change, a logout, or an admin's deactivation and demotion that came in
between, and bring stolen tokens back to life. A version increased in memory does the same
to a password change racing a logout and a new sign-in. Each race is set up here for real: a
body held back on a raw socket, or threads sending PATCHes while the owner logs out.

Real services: the folder's Gunicorn (3 workers) over HTTP, on SQLite and on PostgreSQL (a
throwaway cluster).
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import requests

from helpers.slow_clients import held_body
from tooling.accounts import bearer, login, temporary_users, tokens_accepted, user_rows
from tooling.constants import PASSWORD, TOKEN

pytestmark = pytest.mark.gunicorn

ME = "/api/me/"
PASSWORD_CHANGE = "/api/password/change/"
LOGOUT = "/api/token/blacklist/"
NEW_PASSWORD = "a-brand-new-horse-battery"  # noqa: S105 (a throwaway user's)
# After Gunicorn's "100 Continue", time for Django to authenticate the held request. Each
# test checks that it did (the request succeeds although its token ends meanwhile).
AUTHENTICATED = 1.0
# The PATCH loop: this many rounds of a logout while this many threads send PATCHes.
ROUNDS = 8
LOOPERS = 2


@pytest.fixture
def user(service):
    with temporary_users(service.project, service.env, "stale") as (name,):
        yield name


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session


def held_as(service, tokens, method, path, body):
    """`held_body` on the service, authenticated with the access token of `tokens`."""
    port = urlsplit(service.base).port
    return held_body(port, method, path, bearer(tokens["access"]), body)


def signs_in(service, username, password):
    answer = requests.post(
        service.url(TOKEN), json={"username": username, "password": password}, timeout=30
    )
    return answer.status_code == 200


def log_out(http, service, tokens):
    answer = http.post(service.url(LOGOUT), json={"refresh": tokens["refresh"]}, timeout=30)
    assert answer.status_code == 200, answer.text


def set_flags(username, **flags):
    """Django code that loads the user, sets these fields and saves it, as a form does."""
    assignments = "".join(f"user.{name} = {value!r}\n" for name, value in flags.items())
    return (
        "from django.contrib.auth import get_user_model\n"
        f"user = get_user_model().objects.get(username={username!r})\n"
        f"{assignments}"
        "user.save()\n"
    )


def assert_raced(status, answer, what):
    # 200, not 401: the request was authenticated before its token ended, so it held the
    # user as it was then. That is the race under test.
    assert status == 200, f"{what} was not authenticated before the change: {status} {answer}"


def test_a_held_profile_change_keeps_a_password_change(service, http, user):
    stolen, victim = login(http, service.base, user), login(http, service.base, user)
    with held_as(service, stolen, "PATCH", ME, {"first_name": "Mallory"}) as release:
        time.sleep(AUTHENTICATED)
        change = {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
        changed = http.post(
            service.url(PASSWORD_CHANGE), json=change, headers=bearer(victim["access"])
        )
        assert changed.status_code == 200, changed.text
        status, answer = release()
    assert_raced(status, answer, "the held PATCH")

    outcome = {
        "stolen tokens": tokens_accepted(service.base, stolen),
        "old password": signs_in(service, user, PASSWORD),
        "new password": signs_in(service, user, NEW_PASSWORD),
    }
    print(f"\n[{service.database}] PATCH held across a password change: {outcome}")
    assert outcome == {
        "stolen tokens": (False, False),
        "old password": False,
        "new password": True,
    }
    assert tokens_accepted(service.base, changed.json()) == (True, True)


def test_a_held_profile_change_keeps_a_logout(service, http, user):
    stolen, victim = login(http, service.base, user), login(http, service.base, user)
    with held_as(service, stolen, "PATCH", ME, {"first_name": "Mallory"}) as release:
        time.sleep(AUTHENTICATED)
        log_out(http, service, victim)
        status, answer = release()
    assert_raced(status, answer, "the held PATCH")

    accepted = tokens_accepted(service.base, stolen)
    refreshed = http.post(service.url("/api/token/refresh/"), json={"refresh": stolen["refresh"]})
    print(
        f"\n[{service.database}] PATCH held across a logout: stolen pair accepted {accepted}, "
        f"refresh {refreshed.status_code}"
    )
    assert accepted == (False, False)
    assert refreshed.status_code == 401


def test_a_held_profile_change_keeps_a_deactivation_and_a_demotion(service, http, user):
    service.shell(set_flags(user, is_staff=True))
    stolen = login(http, service.base, user)
    with held_as(service, stolen, "PATCH", ME, {"first_name": "Mallory"}) as release:
        time.sleep(AUTHENTICATED)
        service.shell(set_flags(user, is_active=False, is_staff=False))  # as the admin's form
        status, answer = release()
    assert_raced(status, answer, "the held PATCH")

    (row,) = user_rows(service.project, service.env, user)
    flags = {name: row[name] for name in ("is_active", "is_staff", "first_name")}
    print(f"\n[{service.database}] PATCH held across a deactivation and demotion: {flags}")
    assert flags == {"is_active": False, "is_staff": False, "first_name": "Mallory"}
    # Active again, and still none of the tokens from before works.
    service.shell(set_flags(user, is_active=True))
    assert tokens_accepted(service.base, stolen) == (False, False)


def test_a_patch_loop_does_not_undo_a_logout(service, http, user):
    survived = []
    for _ in range(ROUNDS):
        stolen, victim = login(http, service.base, user), login(http, service.base, user)
        stop = threading.Event()

        def patch_until_stopped(_, access=stolen["access"], stop=stop):
            sent = 0
            with requests.Session() as session:
                while not stop.is_set():
                    session.patch(
                        service.url(ME), json={"first_name": f"loop{sent}"}, headers=bearer(access)
                    )
                    sent += 1
            return sent

        with ThreadPoolExecutor(LOOPERS) as pool:
            loops = [pool.submit(patch_until_stopped, n) for n in range(LOOPERS)]
            time.sleep(0.5)  # the loops are under way
            log_out(http, service, victim)
            time.sleep(0.5)  # and go on after the logout
            stop.set()
            sent = sum(loop.result() for loop in loops)
        survived.append(tokens_accepted(service.base, stolen) != (False, False))
        print(f"[{service.database}] {sent} PATCHes around a logout: stolen pair {survived[-1]}")
    assert not any(survived), f"a stolen pair survived the logout in {sum(survived)} of {ROUNDS}"


def test_a_password_change_ends_a_sign_in_made_while_it_was_on_the_way(service, http, user):
    victim = login(http, service.base, user)
    change = {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
    with held_as(service, victim, "POST", PASSWORD_CHANGE, change) as release:
        time.sleep(AUTHENTICATED)
        log_out(http, service, victim)  # the version goes up ...
        thief = login(http, service.base, user)  # ... and a new pair carries it
        status, fresh = release()
    assert_raced(status, fresh, "the held password change")

    outcome = {
        "thief's pair": tokens_accepted(service.base, thief),
        "the change's new pair": tokens_accepted(service.base, fresh),
        "old password": signs_in(service, user, PASSWORD),
    }
    print(f"\n[{service.database}] password change held across logout + sign-in: {outcome}")
    assert outcome == {
        "thief's pair": (False, False),
        "the change's new pair": (True, True),
        "old password": False,
    }
