"""Every error the service answers is JSON `{"detail", "code"}`, inside the API views or not.

Django answers some requests before any view of DRF runs: a Host header that is not allowed,
a URL that matches no route, a form posted without its CSRF token, a method a plain view does
not take, a crash. Over real HTTP against Gunicorn, each of them must come back in the same
shape as DRF's own errors, and the public schema must not be hidden by a bad bearer header.

Real services: the folder's Gunicorn (2 workers), and one whose cache table is missing (to
crash), over HTTP, on SQLite and on PostgreSQL (a throwaway cluster).
"""

import pytest
import requests

from tooling.constants import HEALTH, RESOURCES, TOKEN
from tooling.served import gunicorn, relaxed_env

pytestmark = pytest.mark.gunicorn


def send(method, url, **kwargs):
    return requests.request(method, url, timeout=30, **kwargs)


def assert_error(response, status, code, what):
    where = f"{what}: {response.request.method} {response.request.url}"
    assert response.status_code == status, (
        f"{where} -> {response.status_code} {response.text[:300]}"
    )
    assert response.headers["Content-Type"] == "application/json", where
    body = response.json()
    assert set(body) == {"detail", "code"} and body["code"] == code, f"{where} -> {body}"
    return body


def test_errors_outside_the_api_views_are_json(service):
    answers = {
        "unknown Host": (
            send("GET", service.url(HEALTH), headers={"Host": "evil.example"}),
            400,
            "bad_request",
        ),
        "no such route": (send("GET", service.url("/no/such/page/")), 404, "not_found"),
        "POST to /healthz/": (send("POST", service.url(HEALTH)), 405, "method_not_allowed"),
        "PUT to /healthz/": (send("PUT", service.url(HEALTH), data="x"), 405, "method_not_allowed"),
        "DELETE /healthz/": (send("DELETE", service.url(HEALTH)), 405, "method_not_allowed"),
        "login form without CSRF": (
            send("POST", service.url("/api-auth/login/"), data={"username": "a", "password": "b"}),
            403,
            "csrf_failed",
        ),
        "admin form without CSRF": (
            send("POST", service.url("/admin/login/"), data={"username": "a", "password": "b"}),
            403,
            "csrf_failed",
        ),
    }
    for what, (response, status, code) in answers.items():
        body = assert_error(response, status, code, what)
        print(f"\n[{service.database}] {what}: {status} {body}", end="")
    assert answers["POST to /healthz/"][0].headers["Allow"] == "GET, HEAD"
    head = send("HEAD", service.url(HEALTH))
    assert (head.status_code, head.content) == (200, b"")


def test_errors_of_the_api_views_carry_a_code(service):
    refusals = {
        "no token": (send("GET", service.url(RESOURCES)), 401, "not_authenticated"),
        "PUT to the token endpoint": (
            send("PUT", service.url(TOKEN), json={}),
            405,
            "method_not_allowed",
        ),
        "text/plain body": (
            send("POST", service.url(TOKEN), data="x", headers={"Content-Type": "text/plain"}),
            415,
            "unsupported_media_type",
        ),
        "malformed JSON": (
            send(
                "POST", service.url(TOKEN), data="{", headers={"Content-Type": "application/json"}
            ),
            400,
            "parse_error",
        ),
    }
    for what, (response, status, code) in refusals.items():
        assert_error(response, status, code, what)


def test_a_crash_is_a_json_500_without_details(rendered_project):
    database, project, env = rendered_project
    # A cache table that does not exist: the token endpoint's throttle reads the cache and
    # fails with a database error, as it would if `migrate` had not created the table.
    broken = relaxed_env(env, CACHE_URL="dbcache://no_such_cache_table")
    with gunicorn(project, broken, "--workers", "1") as served:
        crash = send("POST", served.url(TOKEN), json={"username": "a", "password": "b"})
    body = assert_error(crash, 500, "server_error", "missing cache table")
    print(f"\n[{database}] a crash: 500 {body}")
    assert "no_such_cache_table" not in crash.text


def test_the_schema_and_docs_ignore_a_bad_bearer_header(service):
    for path in ("/api/schema/", "/api/docs/"):
        response = send("GET", service.url(path), headers={"Authorization": "Bearer not-a-token"})
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:200]}"
