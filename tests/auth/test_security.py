"""The rendered service under attack, over real HTTP, on SQLite and PostgreSQL.

Each test serves the project with Gunicorn on 127.0.0.1 and sends what an attacker or a broken
client would: forged and dead tokens, malformed and oversized bodies, writes to other users'
objects, password guessing. Every refusal must be a 4xx with a JSON body, never a 500, and
must leave the database as it was.
"""

import base64
import contextlib
import json
import re
import secrets
import stat
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest
import requests

from helpers.answers import assert_json_error
from tooling.accounts import bearer, count_rows, login, temporary_users
from tooling.constants import RESOURCES, detail
from tooling.machine import run
from tooling.processes import gunicorn_master, wait_for_workers
from tooling.project import django_shell, read_dotenv
from tooling.served import gunicorn

pytestmark = pytest.mark.gunicorn

SECRET_NAMES = ("DJANGO_SECRET_KEY", "DJANGO_JWT_SIGNING_KEY", "POSTGRES_PASSWORD")
# Gunicorn refuses a header line longer than this (limit_request_field_size) before Django
# sees the request.
GUNICORN_HEADER_LIMIT = 8190
# Guesses sent at once past the login limit, each with a made-up X-Forwarded-For.
SPOOFED = 12


@pytest.fixture(scope="module")
def users(service):
    """Two users, alice and bob, with names of their own in this database."""
    with temporary_users(service.project, service.env, "alice", "bob") as names:
        yield names


@pytest.fixture
def make_users(served_project):
    """Makes users for one test; they go afterwards, with everything they own."""
    _, project, env = served_project
    with contextlib.ExitStack() as cleanup:
        yield lambda *names: cleanup.enter_context(temporary_users(project, env, *names))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(claims):
    """A JWT that names no algorithm ("alg": "none") and carries no signature."""
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{b64url(json.dumps(claims).encode())}."


def test_deploy_check_is_clean_with_the_container_settings(served_project):
    database, project, env = served_project
    # The Dockerfile sets DJANGO_HTTPS=true; DJANGO_DEBUG stays unset, as in the image.
    container_env = {key: value for key, value in env.items() if key != "DJANGO_DEBUG"}
    container_env["DJANGO_HTTPS"] = "true"
    command = ["python", "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    result = run(command, cwd=project, env=container_env)
    print(f"\n[{database}] check --deploy: {result.stdout.strip()} {result.stderr.strip()}")
    assert "System check identified no issues" in result.stdout


def test_forged_expired_and_misused_tokens_get_401(service, http, users):
    alice, _ = users
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


def test_blacklisted_refresh_tokens_and_logged_out_access_tokens_get_401(service, http, users):
    alice, _ = users
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
    django_shell(
        service.project,
        service.env,
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


def test_garbage_authorization_headers_get_401(service, http, users):
    alice, _ = users
    basic = base64.b64encode(f"{alice}:correct-horse-battery-staple".encode()).decode()
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


def test_bad_requests_get_a_json_4xx_and_write_nothing(service, http, users):
    alice, _ = users
    auth = bearer(login(http, service.base, alice)["access"])
    created = http.post(
        service.url(RESOURCES), json={"name": "kept", "description": "as is"}, headers=auth
    )
    assert created.status_code == 201, created.text
    mine = detail(created.json()["id"])
    before = http.get(service.url(mine), headers=auth).json()
    rows_before = count_rows(service.project, service.env)

    too_big = 2_621_440 + 1  # one byte over Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)
    json_body = {"headers": {**auth, "Content-Type": "application/json"}}
    bad_bodies = {
        "malformed JSON": {"data": b'{"name": ', **json_body},
        "not UTF-8": {"data": b'{"name": "\xff"}', **json_body},
        "a JSON list": {"json": [{"name": "a"}]},
        "JSON null": {"data": b"null", **json_body},
        "name as a list": {"json": {"name": ["a", "b"]}},
        "name as an object": {"json": {"name": {"first": "a"}}},
        "name as a number": {"json": {"name": 5}},
        "name as true": {"json": {"name": True}},
        "name null": {"json": {"name": None}},
        "description as a number": {"json": {"name": "ok", "description": 7}},
        "missing name": {"json": {"description": "no name"}},
        "empty object": {"json": {}},
        "blank name": {"json": {"name": "   "}},
        "NUL in the name": {"json": {"name": "a\x00b"}},
        "name of 201 characters": {"json": {"name": "n" * 201}},
        "description of 5001 characters": {"json": {"name": "ok", "description": "d" * 5001}},
        "form with a name of 201 characters": {"data": {"name": "n" * 201}},
    }
    expected = {what: 400 for what in bad_bodies}
    bad_bodies["huge JSON body"] = {"json": {"name": "big", "description": "d" * too_big}}
    bad_bodies["huge form body"] = {"data": {"name": "big", "description": "d" * too_big}}
    bad_bodies["huge multipart body"] = {"files": {"description": (None, "d" * too_big)}}
    plain_text = {**auth, "Content-Type": "text/plain"}
    bad_bodies["text/plain body"] = {"data": b"name=x", "headers": plain_text}
    expected.update({"huge JSON body": 413, "huge form body": 413, "huge multipart body": 413})
    expected["text/plain body"] = 415

    statuses = Counter()
    for what, request in bad_bodies.items():
        request = {"headers": auth, **request}
        for method, path in [("POST", RESOURCES), ("PUT", mine), ("PATCH", mine)]:
            if method == "PATCH" and what in ("missing name", "empty object"):
                continue  # a partial update may leave the name out
            response = http.request(method, service.url(path), timeout=60, **request)
            body = assert_json_error(response, expected[what], f"{what} ({method})")
            statuses[response.status_code] += 1
            if method == "POST":
                print(f"[{service.database}] {what}: {response.status_code} {str(body)[:110]}")

    unknown_ids = ["999999999", "0", "-1", "abc", "1.5", "9" * 30, "%00"]
    for pk in unknown_ids:
        for method in ("GET", "PUT", "PATCH", "DELETE"):
            response = http.request(
                method, service.url(f"{RESOURCES}{pk}/"), json={"name": "x"}, headers=auth
            )
            assert_json_error(response, 404, f"id {pk!r} ({method})")
            statuses[404] += 1
    print(f"[{service.database}] unknown and non-numeric ids {unknown_ids}: 404 JSON")

    forged_cursor = base64.b64encode(b"p=abc").decode()  # was a 500: 'abc' reached the query
    bad_pages = {
        "cursor=garbage": 404,
        f"cursor={forged_cursor}": 404,
        "cursor=%FF%FE": 404,
        "page_size=-1": 400,
        "page_size=0": 400,
        "page_size=abc": 400,
        "page_size=101": 400,
        f"page_size={'9' * 40}": 400,
    }
    for query, status in bad_pages.items():
        response = http.get(service.url(f"{RESOURCES}?{query}"), headers=auth)
        body = assert_json_error(response, status, query)
        statuses[status] += 1
        print(f"[{service.database}] ?{query[:30]}: {status} {body}")

    assert http.get(service.url(mine), headers=auth).json() == before
    rows_after = count_rows(service.project, service.env)
    print(f"[{service.database}] {sum(statuses.values())} bad requests: {dict(statuses)}")
    print(f"[{service.database}] rows before {rows_before}, after {rows_after}")
    assert rows_after == rows_before


def test_nobody_changes_another_users_object(service, http, users):
    alice, bob = users
    as_alice = bearer(login(http, service.base, alice)["access"])
    as_bob = bearer(login(http, service.base, bob)["access"])
    created = http.post(
        service.url(RESOURCES), json={"name": "alice's", "description": "hers"}, headers=as_alice
    )
    assert created.status_code == 201, created.text
    original = created.json()
    url = service.url(detail(original["id"]))
    rows_before = count_rows(service.project, service.env)

    writes = [
        ("PUT", {"name": "taken", "description": "by bob"}),
        ("PUT", {"name": "taken", "owner": bob}),
        ("PATCH", {"name": "taken"}),
        ("PATCH", {"owner": bob}),
        ("PATCH", {}),
        ("DELETE", None),
    ]
    for method, body in writes:
        assert_json_error(http.request(method, url, json=body, headers=as_bob), 403, method)
    for method, body in [*writes, ("GET", None)]:
        assert_json_error(http.request(method, url, json=body), 401, f"anonymous {method}")
    anonymous_post = http.post(service.url(RESOURCES), json={"name": "anonymous"})
    assert_json_error(anonymous_post, 401, "anonymous POST")
    assert http.get(url, headers=as_alice).json() == original

    # Read-only fields in the body are ignored: even the owner cannot re-own, renumber or
    # backdate an object.
    read_only = {
        "owner": bob,
        "id": original["id"] + 1000,
        "created_at": "2000-01-01T00:00:00Z",
        "updated_at": "2000-01-01T00:00:00Z",
    }
    for method in ("PUT", "PATCH"):
        response = http.request(
            method, url, json={"name": f"renamed by {method}", **read_only}, headers=as_alice
        )
        assert response.status_code == 200, response.text
        changed = response.json()
        assert changed["name"] == f"renamed by {method}"
        assert (changed["id"], changed["owner"], changed["created_at"]) == (
            original["id"],
            alice,
            original["created_at"],
        )
    # Bob's POST naming alice as the owner makes an object of bob's, with an id of its own.
    posted = http.post(
        service.url(RESOURCES), json={"name": "bob's", **read_only, "owner": alice}, headers=as_bob
    )
    assert posted.status_code == 201, posted.text
    assert posted.json()["owner"] == bob
    assert posted.json()["id"] != read_only["id"]
    assert posted.json()["created_at"] != read_only["created_at"]

    owner_in_db = django_shell(
        service.project,
        service.env,
        "from django.apps import apps\n"
        f"print(apps.get_model('things', 'Thing').objects.get(pk={original['id']}).owner.username)",
    ).split()[-1]
    assert owner_in_db == alice
    assert count_rows(service.project, service.env) == rows_before + 1  # bob's own object only
    print(
        f"[{service.database}] {len(writes)} writes by another user: 403; "
        f"{len(writes) + 2} anonymous requests: 401; owner, id and created_at unchanged"
    )


def test_password_guessing_is_throttled_across_workers(served_project, make_users, tmp_path):
    database, project, env = served_project
    (username,) = make_users("guessed")
    # The default cache: the database, where all workers see the same counts. Throttle history
    # left by earlier tests on this database would count too, so start from an empty cache.
    clear_cache = "from django.core.cache import cache; cache.clear()"
    django_shell(project, env, clear_cache)
    access_log = tmp_path / "access.log"
    limited = {**env, "DJANGO_TOKEN_THROTTLE_RATE": "5/minute"}
    log_options = ["--access-logfile", str(access_log), "--access-logformat", "%(p)s %(s)s %(U)s"]
    login_url = "/api/token/"
    try:
        with gunicorn(project, limited, "--workers", "3", *log_options) as served:
            base = served.base
            wait_for_workers(gunicorn_master(base), 3)
            statuses = []
            for attempt in range(10):
                # A new connection each time, as separate clients would open.
                guess = {"username": username, "password": f"guess {attempt}"}
                response = requests.post(f"{base}{login_url}", json=guess, timeout=30)
                statuses.append(response.status_code)
                if response.status_code == 429:
                    assert_json_error(response, 429)
                    assert int(response.headers["Retry-After"]) > 0

            # Past the limit, neither a made-up X-Forwarded-For nor the right password helps.
            # These guesses come at once, as from a botnet, so that every worker takes some.
            def spoof(n):
                return requests.post(
                    f"{base}{login_url}",
                    json={"username": username, "password": f"guess {n}"},
                    headers={"X-Forwarded-For": f"203.0.113.{n}"},
                    timeout=30,
                ).status_code

            with ThreadPoolExecutor(SPOOFED) as pool:
                spoofed = list(pool.map(spoof, range(SPOOFED)))
            right = {"username": username, "password": "correct-horse-battery-staple"}
            right_password = requests.post(f"{base}{login_url}", json=right, timeout=30)
    finally:
        django_shell(project, env, clear_cache)  # leave no throttle history to later tests
        run(["python", "manage.py", "axes_reset"], cwd=project, env=env)  # nor failed logins

    served_by = Counter()
    for line in access_log.read_text().splitlines():
        pid, status, path = line.split()
        if path == login_url:
            served_by[pid.strip("<>"), int(status)] += 1
    workers = sorted({pid for pid, _ in served_by})
    print(f"\n[{database}] 10 wrong passwords at 5/minute, 3 workers: {statuses}")
    print(f"[{database}] with X-Forwarded-For made up: {spoofed}")
    print(f"[{database}] then the right password: {right_password.status_code}")
    print(f"[{database}] answers per (worker, status): {dict(served_by)}")
    assert statuses == [401] * 5 + [429] * 5
    assert spoofed == [429] * SPOOFED
    assert right_password.status_code == 429
    # Shared: a worker answered 429 although it had not itself let 5 attempts through.
    assert len(workers) >= 2, f"all logins went to one worker: {served_by}"
    assert any(served_by[pid, 429] and served_by[pid, 401] < 5 for pid in workers)


def test_passwords_are_stored_with_a_strong_hash(served_project, make_users):
    database, project, env = served_project
    (username,) = make_users("hashed")
    stored = django_shell(
        project,
        env,
        "from django.contrib.auth import get_user_model\n"
        f"print(get_user_model().objects.get(username={username!r}).password)",
    ).split()[-1]
    algorithm, rest = stored.split("$", 1)
    print(f"\n[{database}] stored password: {algorithm}${rest.split('$')[0]}$...")
    assert re.match(r"pbkdf2_sha256\$1000000\$|argon2", stored)


def test_secrets_stay_in_the_dotenv_file(served_project):
    database, project, env = served_project
    dotenv = project / ".env"
    assert stat.S_IMODE(dotenv.stat().st_mode) == 0o600
    for ignore_file in (".gitignore", ".dockerignore"):
        assert ".env" in (project / ignore_file).read_text().splitlines(), ignore_file

    values = read_dotenv(project)
    secret_values = {name: values[name] for name in SECRET_NAMES if values.get(name)}
    assert {"DJANGO_SECRET_KEY", "DJANGO_JWT_SIGNING_KEY"} <= set(secret_values)
    scanned = 0
    for path in project.rglob("*"):
        if path.is_file() and path != dotenv:
            content = path.read_bytes()
            scanned += 1
            for name, value in secret_values.items():
                assert value.encode() not in content, f"{name} is written in {path}"
    print(f"\n[{database}] {sorted(secret_values)} found in no other file of {scanned}")
