"""Every token the service must refuse is refused: a JSON 401, on each database.

A bearer token is the whole of a client's identity, so a token that is forged (no algorithm,
a tampered signature or claim, another key), expired, of the wrong kind, dead (rotated away,
logged out, of a deleted or deactivated user) or not a token at all must be refused by every
route that reads one: the API, /api/token/verify/ and /api/token/refresh/. Each refusal is
checked against a control that is accepted, so it is refused for the one thing that differs.

Real services: the folder's Gunicorn (3 workers) over HTTP, on SQLite and on PostgreSQL (a
throwaway cluster).
"""

import base64
import json
import secrets
import time

import jwt
import pytest

from helpers.answers import assert_json_error
from tooling.accounts import bearer, login, temporary_users
from tooling.constants import PASSWORD, RESOURCES
from tooling.project import read_dotenv

pytestmark = pytest.mark.gunicorn

# Gunicorn refuses a header line longer than this (limit_request_field_size) before Django
# sees the request.
GUNICORN_HEADER_LIMIT = 8190


@pytest.fixture(scope="module")
def alice(service):
    with temporary_users(service.project, service.env, "alice") as (name,):
        yield name


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(claims):
    """A JWT that names no algorithm ("alg": "none") and carries no signature."""
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{b64url(json.dumps(claims).encode())}."


def test_forged_expired_and_misused_tokens_get_401(service, http, alice):
    tokens = login(http, service.base, alice)
    claims = jwt.decode(tokens["access"], options={"verify_signature": False})
    signing_key = read_dotenv(service.project)["DJANGO_JWT_SIGNING_KEY"]
    header, payload, signature = tokens["access"].split(".")
    # The same token, claiming to be the next user.
    next_user = {**claims, "user_id": str(int(claims["user_id"]) + 1)}
    other_claims = b64url(json.dumps(next_user).encode())
    now = int(time.time())
    refused = {
        "alg none": unsigned(claims),
        "tampered signature": f"{header}.{payload}.{signature[::-1]}",
        "tampered claims": f"{header}.{other_claims}.{signature}",
        "signed with another key": jwt.encode(claims, secrets.token_urlsafe(50), "HS256"),
        "expired": jwt.encode({**claims, "iat": now - 600, "exp": now - 60}, signing_key, "HS256"),
        "refresh token as access token": tokens["refresh"],
        "not a JWT": "not-a-token",
    }
    # Control: the same claims signed with the project's key and a later exp are accepted, so
    # each token above is refused for the one thing that differs.
    control = jwt.encode({**claims, "exp": now + 60}, signing_key, "HS256")
    assert http.get(service.url(RESOURCES), headers=bearer(control)).status_code == 200

    for what, token in refused.items():
        body = assert_json_error(http.get(service.url(RESOURCES), headers=bearer(token)), 401, what)
        print(f"[{service.database}] {what}: 401 {body}")
        if what != "refresh token as access token":  # a refresh token is a valid token
            verify = http.post(service.url("/api/token/verify/"), json={"token": token})
            assert_json_error(verify, 401, f"{what} on /api/token/verify/")
    for what in ("alg none", "signed with another key", "expired", "not a JWT"):
        refresh = http.post(service.url("/api/token/refresh/"), json={"refresh": refused[what]})
        assert_json_error(refresh, 401, f"{what} on /api/token/refresh/")


def test_blacklisted_refresh_tokens_and_logged_out_access_tokens_get_401(service, http, alice):
    first = login(http, service.base, alice)
    rotated = http.post(service.url("/api/token/refresh/"), json={"refresh": first["refresh"]})
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()

    def assert_refresh_token_is_dead(refresh, what):
        for path, field in [
            ("/api/token/refresh/", "refresh"),
            ("/api/token/verify/", "token"),
            ("/api/token/blacklist/", "refresh"),
        ]:
            response = http.post(service.url(path), json={field: refresh})
            body = assert_json_error(response, 401, f"{what} on {path}")
            print(f"[{service.database}] {what} on {path}: 401 {body}")

    # Rotation blacklisted the first refresh token. Sending it again is the sign of a stolen
    # token: it ends every token of the user, the new pair too; a new login works.
    assert_refresh_token_is_dead(first["refresh"], "rotated-away refresh token")
    reuse_ended = http.get(service.url(RESOURCES), headers=bearer(second["access"]))
    assert_json_error(reuse_ended, 401, "access token after its refresh token was reused")
    first = second
    second = login(http, service.base, alice)
    assert http.get(service.url(RESOURCES), headers=bearer(second["access"])).status_code == 200

    # Logout blacklists the refresh token sent and ends every access token of the user.
    logout = http.post(service.url("/api/token/blacklist/"), json={"refresh": second["refresh"]})
    assert logout.status_code == 200, logout.text
    assert_refresh_token_is_dead(second["refresh"], "logged-out refresh token")
    for access in (first["access"], second["access"]):
        response = http.get(service.url(RESOURCES), headers=bearer(access))
        assert_json_error(response, 401, "access token after logout")
        verify = http.post(service.url("/api/token/verify/"), json={"token": access})
        assert_json_error(verify, 401, "access token after logout on /api/token/verify/")


def test_tokens_of_deleted_and_deactivated_users_get_401(service, http, make_users):
    deleted, deactivated = make_users("deleted", "deactivated")
    tokens = {name: login(http, service.base, name) for name in (deleted, deactivated)}
    service.shell(
        "from django.contrib.auth import get_user_model\n"
        "users = get_user_model().objects\n"
        f"users.filter(username={deleted!r}).delete()\n"
        f"users.filter(username={deactivated!r}).update(is_active=False)\n",
    )
    for name, pair in tokens.items():
        what = "deleted user" if name == deleted else "deactivated user"
        body = assert_json_error(
            http.get(service.url(RESOURCES), headers=bearer(pair["access"])), 401, what
        )
        print(f"[{service.database}] access token of a {what}: 401 {body}")
        verify = http.post(service.url("/api/token/verify/"), json={"token": pair["access"]})
        assert_json_error(verify, 401, f"{what} on /api/token/verify/")
        refresh = http.post(service.url("/api/token/refresh/"), json={"refresh": pair["refresh"]})
        assert_json_error(refresh, 401, f"{what} on /api/token/refresh/")


def test_garbage_authorization_headers_get_401(service, http, alice):
    basic = base64.b64encode(f"{alice}:{PASSWORD}".encode()).decode()
    garbage = {
        "Bearer and no token": "Bearer",
        "two tokens": "Bearer a b",
        "non-ASCII token": "Bearer jéton✓…".encode(),
        "8 kB token": "Bearer " + "a" * 8000,
        "HTTP Basic with the right password": f"Basic {basic}",
        "unknown scheme": "Token abc",
    }
    for what, value in garbage.items():
        response = http.get(service.url(RESOURCES), headers={"Authorization": value})
        body = assert_json_error(response, 401, what)
        print(f"[{service.database}] Authorization {what}: 401 {body}")

    # A 10 kB header line is over Gunicorn's limit: Gunicorn answers 431 Request Header Fields
    # Too Large itself, before Django, so that refusal is Gunicorn's HTML page, not JSON.
    huge = "Bearer " + secrets.token_urlsafe(7500)[:10_000]
    assert len(huge) > GUNICORN_HEADER_LIMIT
    response = http.get(service.url(RESOURCES), headers={"Authorization": huge})
    print(f"[{service.database}] Authorization with a 10 kB token: {response.status_code}")
    assert response.status_code == 431
