"""Assertions on HTTP answers that many test modules share."""


def assert_json_error(response, status, what=""):
    """The response has this status and a JSON object for a body, as every API error should."""
    request = response.request
    where = f"{what}: {request.method} {request.url}" if what else f"{request.method} {request.url}"
    assert response.status_code == status, (
        f"{where} -> {response.status_code} {response.text[:300]}"
    )
    content_type = response.headers.get("Content-Type", "")
    assert content_type.startswith("application/json"), f"{where} -> {content_type}"
    body = response.json()
    assert isinstance(body, dict) and body, f"{where} -> {body!r}"
    return body
