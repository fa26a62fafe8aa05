import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import DatabaseError, OperationalError
from django.test import Client

from .api import LIST_URL, PASSWORD


def test_healthz(anonymous):
    response = anonymous.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_reports_a_database_failure(anonymous, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise DatabaseError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr("config.health.connection.cursor", broken_cursor)
        assert anonymous.get("/healthz/").status_code == 503


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/", "/admin/login/", "/api-auth/login/"])
def test_public_pages(anonymous, url):
    assert anonymous.get(url).status_code == 200


def test_docs_load_nothing_from_a_cdn(anonymous):
    page = anonymous.get("/api/docs/").content.decode()
    assert "swagger-ui" in page
    assert "cdn" not in page.lower()
    assert "https://" not in page


def test_unknown_url_gets_a_json_404(anonymous):
    response = anonymous.get("/api/v1/no-such-route/1.5/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_errors_outside_the_api_are_json(settings, monkeypatch):
    settings.ALLOWED_HOSTS = ["testserver"]
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    errors = {
        "bad Host": (client.get("/healthz/", HTTP_HOST="evil.example"), 400, "bad_request"),
        "CSRF": (client.post("/api-auth/login/", {"username": "a"}), 403, "csrf_failed"),
        "POST /healthz/": (client.post("/healthz/"), 405, "method_not_allowed"),
        "DELETE /healthz/": (client.delete("/healthz/"), 405, "method_not_allowed"),
    }

    def crash(*args, **kwargs):
        raise RuntimeError("a bug")

    with monkeypatch.context() as patch:
        patch.setattr("config.health.connection.cursor", crash)
        errors["crash"] = (client.get("/healthz/"), 500, "server_error")
    for what, (response, status, code) in errors.items():
        assert (response.status_code, response.json()["code"]) == (status, code), what
        assert set(response.json()) == {"detail", "code"}, what
    assert errors["POST /healthz/"][0]["Allow"] == "GET, HEAD"


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_lost_database_answers_503_with_retry_after(client_for, user, monkeypatch, method):
    """Every query failing, as while the database restarts: 503 and when to try again, in the
    API's error shape, never a 500."""
    client = client_for(user)
    client.raise_request_exception = False

    def lost_connection(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    with monkeypatch.context() as patch:
        patch.setattr("django.db.backends.utils.CursorWrapper.execute", lost_connection)
        response = getattr(client, method)(LIST_URL, {"name": "Kept for later"})
    assert response.status_code == 503
    assert response.json() == {
        "detail": "The database is unavailable, try again shortly.",
        "code": "database_unavailable",
    }
    assert response["Retry-After"] == "2"


def test_api_errors_carry_a_code(anonymous, user):
    assert anonymous.get(LIST_URL).json()["code"] == "not_authenticated"
    assert anonymous.put("/api/token/").json()["code"] == "method_not_allowed"


def test_healthz_answers_head(anonymous):
    assert anonymous.head("/healthz/").status_code == 200


def test_schema_ignores_a_bad_bearer_header(anonymous):
    response = anonymous.get("/api/schema/", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert response.status_code == 200


def test_schema_says_verify_and_logout_answer_an_empty_object(anonymous, tokens):
    schema = anonymous.get("/api/schema/", {"format": "json"}).json()
    for path, body in [
        ("/api/token/verify/", {"token": tokens["access"]}),
        ("/api/token/blacklist/", {"refresh": tokens["refresh"]}),
    ]:
        documented = schema["paths"][path]["post"]["responses"]["200"]
        assert documented["content"]["application/json"]["schema"] == {
            "type": "object",
            "properties": {},
            "additionalProperties": False,
        }
        assert anonymous.post(path, body).json() == {}


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("DJANGO_SECRET_KEY", "", "DJANGO_SECRET_KEY is empty"),
        ("DJANGO_JWT_SIGNING_KEY", "short", "DJANGO_JWT_SIGNING_KEY is 5 bytes long"),
    ],
)
def test_startup_refuses_weak_keys(name, value, message):
    environment = {**os.environ, name: value}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {message}" in result.stderr


def test_schema_documents_tokens_and_errors(anonymous):
    schema = anonymous.get("/api/schema/", {"format": "json"}).json()
    login = schema["paths"]["/api/token/"]["post"]["responses"]
    assert set(login) == {"200", "400", "401", "413", "415", "429"}
    assert login["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TokenObtainPair"
    }
    assert schema["components"]["securitySchemes"]["jwtAuth"]["scheme"] == "bearer"


def test_root_redirects_to_the_docs(anonymous):
    response = anonymous.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/api/docs/"


def test_own_forms_behind_the_https_proxy_need_no_trusted_origins(settings, make_user):
    """The admin's login form posted from its own page, over HTTPS behind the proxy: Django
    compares the browser's Origin with the Host and the scheme (X-Forwarded-Proto) that the
    proxy passes on, so DJANGO_CSRF_TRUSTED_ORIGINS is only for other origins."""
    settings.ALLOWED_HOSTS = ["api.example.com"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.CSRF_TRUSTED_ORIGINS = []
    make_user("admin", is_staff=True)
    proxied = {"HTTP_HOST": "api.example.com", "HTTP_X_FORWARDED_PROTO": "https"}
    form = {"username": "admin", "password": PASSWORD, "next": "/admin/"}

    def post_login(origin):
        browser = Client(enforce_csrf_checks=True, **proxied)
        browser.get("/admin/login/")
        token = browser.cookies["csrftoken"].value
        posted = {**form, "csrfmiddlewaretoken": token}
        return browser.post("/admin/login/", posted, HTTP_ORIGIN=origin)

    accepted = post_login("https://api.example.com")
    assert accepted.status_code == 302 and accepted["Location"] == "/admin/"
    assert post_login("https://elsewhere.example").status_code == 403
