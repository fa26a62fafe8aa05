import pytest
from django.db import DatabaseError


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
    assert response.json() == {"detail": "Not found."}


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
