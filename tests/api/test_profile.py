"""A user's own account: /api/me/ and the password change, under hostile input.

These are the routes where a signed-in user writes to their own row of the user table, so
they must not let anyone grant themselves privileges (is_staff, is_superuser, groups,
permissions, token_version...) at sign-up or later, nor change a column with an over-long,
malformed or mistyped field: each such request is a JSON 4xx and leaves the row as it was. The
email, where a password reset would go, changes only with the current password. A password
change ends the tokens of every device, this one included, and hands back a new pair.

Real services: the folder's Gunicorn (2 workers) over HTTP, on SQLite and on PostgreSQL (a
throwaway cluster).
"""

import pytest

from helpers.answers import assert_json_error
from tooling.accounts import bearer, login, temporary_users, user_rows
from tooling.constants import PASSWORD, REGISTER, TOKEN

pytestmark = pytest.mark.gunicorn

ME = "/api/me/"
PASSWORD_CHANGE = "/api/password/change/"


@pytest.fixture
def member(service, http):
    """A user made the usual way (create_user), signed in: (username, tokens)."""
    with temporary_users(service.project, service.env, "member") as (username,):
        yield username, login(http, service.base, username)


def test_privileged_fields_cannot_be_assigned(service, http, prefix, member):
    (other,) = user_rows(service.project, service.env, member[0])
    privileged = {
        "is_staff": True,
        "is_superuser": True,
        "is_active": False,
        "token_version": 0,
        "id": other["id"],  # another user's
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
    assert signed_up.json()["id"] != other["id"]
    (row,) = user_rows(service.project, service.env, username)
    assert (row["is_staff"], row["is_superuser"], row["is_active"]) == (False, False, True)
    assert not row["date_joined"].startswith("2000") and row["last_login"] is None
    memberships = (
        "from django.contrib.auth import get_user_model\n"
        f"user = get_user_model().objects.get(username={username!r})\n"
        "print(user.groups.count() + user.user_permissions.count())\n"
    )
    assert service.shell(memberships).split()[-1] == "0"

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
    after = user_rows(service.project, service.env, username)[0]
    assert {**after, "first_name": ""} == row  # the first_name of the ignored ones, only
    assert http.get(service.url(ME), headers=auth).status_code == 200  # no token was ended
    # The user whose id was claimed is as it was.
    assert user_rows(service.project, service.env, member[0]) == [other]


def test_me_and_password_change_refuse_hostile_input(service, http, member):
    username, tokens = member
    auth = bearer(tokens["access"])
    (before,) = user_rows(service.project, service.env, username)
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

    # No column changed, the password included.
    assert user_rows(service.project, service.env, username) == [before]
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
    relogin = http.post(service.url(TOKEN), json={"username": username, "password": PASSWORD})
    assert_json_error(relogin, 401, "login with the old password")
    print(f"[{service.database}] password change: 2 devices' tokens 401, the new pair 200")


def test_the_email_changes_only_with_the_current_password(service, http, member):
    username, tokens = member
    auth = bearer(tokens["access"])
    (before,) = user_rows(service.project, service.env, username)
    change = {"email": "mallory@example.com", "first_name": "Mallory"}
    for what, extra in {"no password": {}, "a wrong one": {"current_password": "guess"}}.items():
        response = http.patch(service.url(ME), json={**change, **extra}, headers=auth)
        body = assert_json_error(response, 400, f"email change with {what}")
        assert list(body) == ["current_password"], body
        print(f"[{service.database}] email change with {what}: 400 {body}")
    assert user_rows(service.project, service.env, username) == [before]

    right = {**change, "current_password": PASSWORD}
    changed = http.patch(service.url(ME), json=right, headers=auth)
    assert changed.status_code == 200, changed.text
    assert changed.json()["email"] == "mallory@example.com"
    assert "current_password" not in changed.json()
