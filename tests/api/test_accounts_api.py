"""The account routes under attack, over real HTTP, on SQLite and PostgreSQL.

Sign-up, /api/me/ and the password change are where a stranger writes to the user table.
Over-long and malformed fields, look-alike Unicode usernames, privileged fields slipped into a
body, racing sign-ups of one name and a flood of sign-ups from one address must all end in a
JSON 4xx, never a 500, and leave the user table as it was.
"""

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from helpers.answers import assert_json_error
from tooling.accounts import bearer, login, temporary_users, unique
from tooling.constants import PASSWORD
from tooling.project import django_shell, read_dotenv
from tooling.served import gunicorn, relaxed_env

pytestmark = pytest.mark.gunicorn

REGISTER = "/api/register/"
ME = "/api/me/"
PASSWORD_CHANGE = "/api/password/change/"
TOO_BIG = 2_621_440 + 1  # one byte over Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)
# Sign-ups sent from one address in the flood test, and at once for one name in the race.
FLOOD = 200
RACERS = 8


def user_rows(service, *usernames):
    """Every column of these users, as the database holds them."""
    code = (
        "import json\n"
        "from django.contrib.auth import get_user_model\n"
        "rows = get_user_model().objects.filter(username__in="
        f"{list(usernames)!r}).order_by('username').values()\n"
        "print(json.dumps(list(rows), default=str))\n"
    )
    return json.loads(django_shell(service.project, service.env, code).splitlines()[-1])


def count_users(project, env, prefix):
    code = (
        "from django.contrib.auth import get_user_model\n"
        f"print(get_user_model().objects.filter(username__startswith={prefix!r}).count())\n"
    )
    return int(django_shell(project, env, code).split()[-1])


@pytest.fixture
def prefix(served_project):
    """A username prefix of the test's own; users it signed up go afterwards."""
    _, project, env = served_project
    name = unique("signup")
    yield name
    django_shell(
        project,
        env,
        "from django.contrib.auth import get_user_model\n"
        f"get_user_model().objects.filter(username__startswith={name!r}).delete()\n",
    )


@pytest.fixture
def member(service, http):
    """A user made the usual way (create_user), signed in: (username, tokens)."""
    with temporary_users(service.project, service.env, "member") as (username,):
        yield username, login(http, service.base, username)


def full_width(text):
    """ASCII letters, digits and signs as their full-width forms (ａｌｉｃｅ for alice)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def test_sign_up_refuses_hostile_input_and_writes_nothing(service, http, prefix):
    valid = {"username": f"{prefix}-x", "password": PASSWORD}
    json_headers = {"Content-Type": "application/json"}
    bad_bodies = {
        "username of 151 characters": {"json": {**valid, "username": "u" * 151}},
        "username of 10,000 characters": {"json": {**valid, "username": "u" * 10_000}},
        # 10 characters as sent, 180 once NFKC-normalized: longer than the column.
        "username that normalizes to 180 characters": {"json": {**valid, "username": "ﷺ" * 10}},
        "username with a space": {"json": {**valid, "username": f"{prefix} x"}},
        "username with a slash": {"json": {**valid, "username": f"{prefix}/x"}},
        "username with an emoji": {"json": {**valid, "username": f"{prefix}🦄"}},
        "NUL in the username": {"json": {**valid, "username": f"{prefix}\x00"}},
        "username as a number": {"json": {**valid, "username": 5}},
        "username as a list": {"json": {**valid, "username": [prefix]}},
        "username as an object": {"json": {**valid, "username": {"name": prefix}}},
        "username null": {"json": {**valid, "username": None}},
        "blank username": {"json": {**valid, "username": "   "}},
        "password of 129 characters": {"json": {**valid, "password": "p" * 129}},
        "password of 100,000 characters": {"json": {**valid, "password": "p" * 100_000}},
        "NUL in the password": {"json": {**valid, "password": f"{PASSWORD}\x00"}},
        "password as a number": {"json": {**valid, "password": 1234567890123}},
        "password too short": {"json": {**valid, "password": "short"}},
        "password too common": {"json": {**valid, "password": "password123"}},
        "password entirely numeric": {"json": {**valid, "password": "73819264501"}},
        "password like the username": {"json": {**valid, "password": f"{prefix}-x"}},
        "email of 255 characters": {"json": {**valid, "email": "e" * 245 + "@example.io"}},
        "email that is not one": {"json": {**valid, "email": "not-an-email"}},
        "missing username": {"json": {"password": PASSWORD}},
        "missing password": {"json": {"username": valid["username"]}},
        "empty object": {"json": {}},
        "a JSON list": {"json": [valid]},
        "JSON null": {"data": b"null", "headers": json_headers},
        "malformed JSON": {"data": b'{"username": ', "headers": json_headers},
        "not UTF-8": {"data": b'{"username": "\xff"}', "headers": json_headers},
        "form with a username of 151 characters": {"data": {**valid, "username": "u" * 151}},
    }
    expected = dict.fromkeys(bad_bodies, 400)
    bad_bodies["huge JSON body"] = {"json": {**valid, "email": "e" * TOO_BIG}}
    bad_bodies["text/plain body"] = {
        "data": b"username=x",
        "headers": {"Content-Type": "text/plain"},
    }
    expected.update({"huge JSON body": 413, "text/plain body": 415})

    statuses = Counter()
    for what, request in bad_bodies.items():
        response = http.post(service.url(REGISTER), timeout=60, **request)
        body = assert_json_error(response, expected[what], what)
        statuses[response.status_code] += 1
        print(f"[{service.database}] sign-up, {what}: {response.status_code} {str(body)[:100]}")
    print(f"[{service.database}] {sum(statuses.values())} bad sign-ups: {dict(statuses)}")
    assert count_users(service.project, service.env, prefix) == 0

    # Control: the same body without the fault is accepted.
    created = http.post(service.url(REGISTER), json=valid, timeout=60)
    assert created.status_code == 201, created.text
    assert count_users(service.project, service.env, prefix) == 1


def test_look_alike_usernames_of_an_existing_user_are_refused(service, http, prefix):
    existing = f"{prefix}-fiona.k"
    created = http.post(service.url(REGISTER), json={"username": existing, "password": PASSWORD})
    assert created.status_code == 201, created.text
    look_alikes = {
        "full-width": full_width(existing),
        "capitals": existing.upper(),
        "full-width capitals": full_width(existing.upper()),
        "fi ligature": existing.replace("fi", "\ufb01"),  # ﬁ
        "Kelvin sign": existing.replace(".k", ".\u212a"),  # K, NFKC: K, then case: k
        "surrounding spaces": f"  {existing}  ",
    }
    for what, username in look_alikes.items():
        assert username != existing
        response = http.post(
            service.url(REGISTER), json={"username": username, "password": PASSWORD}, timeout=60
        )
        body = assert_json_error(response, 400, what)
        assert body == {"username": ["A user with that username already exists."]}, what
        print(f"[{service.database}] {what} {username!r}: 400 {body}")
    assert count_users(service.project, service.env, prefix) == 1
    # Normalizing makes a look-alike of a free name that name itself.
    fresh = http.post(
        service.url(REGISTER), json={"username": full_width(f"{prefix}-new"), "password": PASSWORD}
    )
    assert fresh.status_code == 201, fresh.text
    assert fresh.json()["username"] == f"{prefix}-new"


def test_privileged_fields_cannot_be_assigned(service, http, prefix):
    privileged = {
        "is_staff": True,
        "is_superuser": True,
        "is_active": False,
        "token_version": 0,
        "id": 1,
        "date_joined": "2000-01-01T00:00:00Z",
        "last_login": "2000-01-01T00:00:00Z",
        "groups": [1],
        "user_permissions": [1],
    }
    username = f"{prefix}-mallory"
    signed_up = http.post(
        service.url(REGISTER), json={"username": username, "password": PASSWORD, **privileged}
    )
    assert signed_up.status_code == 201, signed_up.text
    assert signed_up.json()["id"] != 1
    (row,) = user_rows(service, username)
    assert (row["is_staff"], row["is_superuser"], row["is_active"]) == (False, False, True)
    assert not row["date_joined"].startswith("2000") and row["last_login"] is None
    memberships = (
        "from django.contrib.auth import get_user_model\n"
        f"user = get_user_model().objects.get(username={username!r})\n"
        "print(user.groups.count() + user.user_permissions.count())\n"
    )
    assert django_shell(service.project, service.env, memberships).split()[-1] == "0"

    auth = bearer(login(http, service.base, username)["access"])
    for field in [*privileged, "password"]:
        value = privileged.get(field, "a-password-set-around-the-rules")
        response = http.patch(
            service.url(ME), json={"first_name": "Eve", field: value}, headers=auth
        )
        if field in ("id", "date_joined"):  # read-only fields it shows: ignored, as DRF does
            assert response.status_code == 200, response.text
            assert response.json()["id"] == row["id"]
            continue
        body = assert_json_error(response, 400, f"PATCH /api/me/ with {field}")
        assert list(body) == [field]
        print(f"[{service.database}] PATCH /api/me/ with {field}: 400 {body}")
    after = user_rows(service, username)[0]
    assert {**after, "first_name": ""} == row  # the first_name of the ignored ones, only
    assert http.get(service.url(ME), headers=auth).status_code == 200  # no token was ended


def test_me_and_password_change_refuse_hostile_input(service, http, member):
    username, tokens = member
    auth = bearer(tokens["access"])
    (before,) = user_rows(service, username)
    json_headers = {**auth, "Content-Type": "application/json"}
    bad_patches = {
        "first_name of 151 characters": {"json": {"first_name": "f" * 151}},
        "last_name of 100,000 characters": {"json": {"last_name": "l" * 100_000}},
        "NUL in the first_name": {"json": {"first_name": "a\x00b"}},
        "first_name as a number": {"json": {"first_name": 5}},
        "first_name as a list": {"json": {"first_name": ["a"]}},
        "email of 255 characters": {"json": {"email": "e" * 245 + "@example.io"}},
        "email that is not one": {"json": {"email": "not an email"}},
        "a JSON list": {"json": [{"first_name": "a"}]},
        "malformed JSON": {"data": b'{"first_name": ', "headers": json_headers},
    }
    bad_changes = {
        "wrong old password": {"old_password": "not-it", "new_password": "a-new-horse-battery"},
        "new password too short": {"old_password": PASSWORD, "new_password": "short"},
        "new password too common": {"old_password": PASSWORD, "new_password": "password123"},
        "new password like the username": {"old_password": PASSWORD, "new_password": username},
        "new password of 129 characters": {"old_password": PASSWORD, "new_password": "n" * 129},
        "NUL in the new password": {"old_password": PASSWORD, "new_password": "a-new\x00horse"},
        "new password as a number": {"old_password": PASSWORD, "new_password": 1234567890123},
        "old password as a list": {"old_password": [PASSWORD], "new_password": "a-new-horse"},
        "missing new password": {"old_password": PASSWORD},
        "empty object": {},
    }
    for what, request in bad_patches.items():
        response = http.patch(service.url(ME), timeout=60, **{"headers": auth, **request})
        body = assert_json_error(response, 400, f"PATCH /api/me/, {what}")
        print(f"[{service.database}] PATCH /api/me/, {what}: 400 {str(body)[:100]}")
    for what, body in bad_changes.items():
        response = http.post(service.url(PASSWORD_CHANGE), json=body, headers=auth, timeout=60)
        answer = assert_json_error(response, 400, f"password change, {what}")
        print(f"[{service.database}] password change, {what}: 400 {str(answer)[:100]}")
    for path, method in [(ME, "GET"), (ME, "PATCH"), (PASSWORD_CHANGE, "POST")]:
        response = http.request(method, service.url(path), json={"first_name": "anonymous"})
        assert_json_error(response, 401, f"anonymous {method} {path}")
    assert_json_error(http.put(service.url(ME), json={}, headers=auth), 405, "PUT /api/me/")

    assert user_rows(service, username) == [before]  # no column changed, password included
    assert http.get(service.url(ME), headers=auth).json()["username"] == username


def test_password_change_ends_every_other_token(service, http, member):
    username, this_device = member
    other_device = login(http, service.base, username)
    change = {"old_password": PASSWORD, "new_password": "a-brand-new-horse-battery"}
    response = http.post(
        service.url(PASSWORD_CHANGE), json=change, headers=bearer(this_device["access"])
    )
    assert response.status_code == 200, response.text
    fresh = response.json()
    assert set(fresh) == {"access", "refresh"}
    for what, pair in {"this device": this_device, "another device": other_device}.items():
        old = http.get(service.url(ME), headers=bearer(pair["access"]))
        assert_json_error(old, 401, f"access token of {what} after the password change")
        refreshed = http.post(service.url("/api/token/refresh/"), json={"refresh": pair["refresh"]})
        assert_json_error(refreshed, 401, f"refresh token of {what} after the password change")
    assert http.get(service.url(ME), headers=bearer(fresh["access"])).status_code == 200
    relogin = http.post(
        service.url("/api/token/"), json={"username": username, "password": PASSWORD}
    )
    assert_json_error(relogin, 401, "login with the old password")
    print(f"[{service.database}] password change: 2 devices' tokens 401, the new pair 200")


def test_racing_sign_ups_of_one_name_make_one_user(service, prefix):
    username = f"{prefix}-racer"

    def sign_up(_):
        with requests.Session() as session:
            response = session.post(
                service.url(REGISTER), json={"username": username, "password": PASSWORD}, timeout=60
            )
            if response.status_code != 201:
                assert_json_error(response, 400, "racing sign-up")
            return response.status_code

    with ThreadPoolExecutor(RACERS) as pool:
        statuses = sorted(pool.map(sign_up, range(RACERS)))
    print(f"[{service.database}] {RACERS} sign-ups of one name at once: {statuses}")
    assert statuses == [201] + [400] * (RACERS - 1)
    assert count_users(service.project, service.env, prefix) == 1


def test_a_flood_of_sign_ups_from_one_address_is_throttled(served_project, prefix):
    database, project, env = served_project
    # The database cache that all workers share, emptied of other tests' counts; the rate
    # is the one .env gives (DJANGO_REGISTER_THROTTLE_RATE).
    clear_cache = "from django.core.cache import cache; cache.clear()"
    django_shell(project, env, clear_cache)
    rate = read_dotenv(project)["DJANGO_REGISTER_THROTTLE_RATE"]
    allowed = int(rate.split("/")[0])
    try:
        with gunicorn(project, env, "--workers", "3") as served:
            base = served.base
            statuses = Counter()
            for n in range(FLOOD):
                # A new connection each time, as separate clients would; every tenth one
                # claims another address in X-Forwarded-For, which must not help.
                headers = {"X-Forwarded-For": f"203.0.113.{n % 250}"} if n % 10 == 0 else {}
                response = requests.post(
                    f"{base}{REGISTER}",
                    json={"username": f"{prefix}-{n}", "password": PASSWORD},
                    headers=headers,
                    timeout=60,
                )
                statuses[response.status_code] += 1
                if response.status_code != 201:
                    assert_json_error(response, 429, f"sign-up {n}")
                    assert int(response.headers["Retry-After"]) > 0
    finally:
        django_shell(project, env, clear_cache)  # leave no throttle history to later tests
    print(f"\n[{database}] {FLOOD} sign-ups from one address at {rate}: {dict(statuses)}")
    assert statuses == {201: allowed, 429: FLOOD - allowed}
    assert count_users(project, env, prefix) == allowed


def test_sign_up_can_be_turned_off(served_project, prefix):
    database, project, env = served_project
    with gunicorn(project, relaxed_env(env, DJANGO_ALLOW_SIGNUP="false")) as served:
        base = served.base
        response = requests.post(
            f"{base}{REGISTER}", json={"username": prefix, "password": PASSWORD}, timeout=30
        )
        body = assert_json_error(response, 404, "sign-up turned off")
        login_still_works = requests.post(f"{base}/api/token/", json={}, timeout=30).status_code
    print(f"[{database}] DJANGO_ALLOW_SIGNUP=false: sign-up {response.status_code} {body}")
    assert login_still_works == 400
    assert count_users(project, env, prefix) == 0
