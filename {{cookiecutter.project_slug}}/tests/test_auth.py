from .api import LIST_URL, PASSWORD, bearer_client


def test_token_pair_for_valid_credentials(anonymous, user):
    response = anonymous.post("/api/token/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


def test_wrong_password_gets_401(anonymous, user):
    response = anonymous.post("/api/token/", {"username": "alice", "password": "wrong-password"})
    assert response.status_code == 401


def test_refresh_rotates_and_blacklists_the_old_token(anonymous, tokens):
    response = anonymous.post("/api/token/refresh/", {"refresh": tokens["refresh"]})
    assert response.status_code == 200
    assert response.json()["refresh"] != tokens["refresh"]
    assert bearer_client(response.json()["access"]).get(LIST_URL).status_code == 200

    reused = anonymous.post("/api/token/refresh/", {"refresh": tokens["refresh"]})
    assert reused.status_code == 401


def test_verify(anonymous, tokens):
    assert anonymous.post("/api/token/verify/", {"token": tokens["access"]}).status_code == 200
    assert anonymous.post("/api/token/verify/", {"token": "not-a-token"}).status_code == 401


def test_verify_refuses_a_rotated_refresh_token_with_401(anonymous, tokens):
    assert anonymous.post("/api/token/refresh/", {"refresh": tokens["refresh"]}).status_code == 200
    response = anonymous.post("/api/token/verify/", {"token": tokens["refresh"]})
    assert response.status_code == 401


def test_logout_ends_refresh_and_access_tokens(anonymous, tokens):
    client = bearer_client(tokens["access"])
    assert client.get(LIST_URL).status_code == 200

    response = anonymous.post("/api/token/blacklist/", {"refresh": tokens["refresh"]})
    assert response.status_code == 200

    assert client.get(LIST_URL).status_code == 401
    assert anonymous.post("/api/token/refresh/", {"refresh": tokens["refresh"]}).status_code == 401
    assert anonymous.post("/api/token/verify/", {"token": tokens["access"]}).status_code == 401


def test_logging_in_again_after_logout_works(anonymous, user, tokens):
    logout = anonymous.post("/api/token/blacklist/", {"refresh": tokens["refresh"]})
    assert logout.status_code == 200
    response = anonymous.post("/api/token/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    access = response.json()["access"]
    assert bearer_client(access).get(LIST_URL).status_code == 200


def test_refresh_token_is_not_an_access_token(tokens):
    response = bearer_client(tokens["refresh"]).get(LIST_URL)
    assert response.status_code == 401


def test_deactivated_user_is_refused(user, tokens):
    user.is_active = False
    user.save()
    response = bearer_client(tokens["access"]).get(LIST_URL)
    assert response.status_code == 401


def test_token_endpoint_is_throttled(anonymous, user, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    allowed = int(rates["token"].split("/")[0])
    statuses = [
        anonymous.post("/api/token/", {"username": "alice", "password": "wrong"}).status_code
        for _ in range(allowed + 1)
    ]
    assert statuses[:allowed] == [401] * allowed
    assert statuses[-1] == 429


def test_token_throttle_ignores_a_made_up_forwarded_for(anonymous, user, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    allowed = int(rates["token"].split("/")[0])
    statuses = [
        anonymous.post(
            "/api/token/",
            {"username": "alice", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}",
        ).status_code
        for attempt in range(allowed + 1)
    ]
    assert statuses[-1] == 429


def test_session_login_keeps_the_browsable_api_usable(client, user):
    assert client.login(username="alice", password=PASSWORD)
    response = client.get(LIST_URL, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"<html" in response.content


def test_a_bad_bearer_token_is_refused_even_with_a_session(client, user):
    """JWT comes first: a request that carries a token is judged by it, and a broken token is
    not rescued by a session cookie of the same browser."""
    assert client.login(username="alice", password=PASSWORD)
    assert client.get(LIST_URL).status_code == 200
    response = client.get(LIST_URL, HTTP_AUTHORIZATION="Bearer not-a-token")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"
    assert response["WWW-Authenticate"].startswith("Bearer")
