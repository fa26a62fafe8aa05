import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import IntegrityError, transaction
from rest_framework.exceptions import ValidationError

from accounts.serializers import SignUpSerializer

from .api import LIST_URL, PASSWORD, bearer_client, obtain_tokens

REGISTER_URL = "/api/register/"
ME_URL = "/api/me/"
PASSWORD_URL = "/api/password/change/"
NEW_PASSWORD = "a-new-correct-horse"


def sign_up(client, username="carol", password=PASSWORD, **fields):
    return client.post(REGISTER_URL, {"username": username, "password": password, **fields})


def test_sign_up_creates_a_user_who_can_log_in(anonymous):
    response = sign_up(anonymous, email="carol@example.com")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "username", "email", "date_joined"}  # no password, no token
    assert (body["username"], body["email"]) == ("carol", "carol@example.com")
    user = get_user_model().objects.get(pk=body["id"])
    assert user.check_password(PASSWORD)
    assert not (user.is_staff or user.is_superuser)
    assert bearer_client(obtain_tokens("carol")["access"]).get(LIST_URL).status_code == 200


def test_sign_up_ignores_privileged_fields(anonymous):
    response = sign_up(anonymous, is_staff=True, is_superuser=True, is_active=False)
    assert response.status_code == 201
    user = get_user_model().objects.get(username="carol")
    assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, True)


@pytest.mark.parametrize(
    ("taken", "username"),
    [
        ("alice", "alice"),
        ("alice", "Alice"),
        ("alice", "ALICE"),
        ("alice", "ａｌｉｃｅ"),
        ("alice", "Ａｌｉｃｅ"),
        ("Émile", "émile"),
        ("émile", "ÉMILE"),
    ],
)
def test_a_taken_username_gets_400(anonymous, make_user, taken, username):
    make_user(taken)
    response = sign_up(anonymous, username=username)
    assert response.status_code == 400
    assert response.json() == {"username": ["A user with that username already exists."]}
    assert get_user_model().objects.count() == 1


@pytest.mark.parametrize(("taken", "username"), [("Casey", "casey"), ("Émile", "émile")])
def test_the_database_refuses_a_username_taken_in_another_case(make_user, taken, username):
    # The unique index holds even where no check ran first (SQLite's lower() knows A-Z only).
    make_user(taken)
    with pytest.raises(IntegrityError), transaction.atomic():
        get_user_model().objects.create_user(username, password=PASSWORD)


def test_a_bulk_rename_keeps_names_unique_without_regard_to_case(make_user):
    make_user("Casey")
    renamed = make_user("alex")
    users = get_user_model().objects.filter(pk=renamed.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        users.update(username="CASEY")
    users.update(username="Alexandra")
    assert get_user_model().objects.get(username_key="alexandra") == renamed


def test_a_sign_up_that_loses_the_race_for_a_name_gets_400(make_user):
    # Two sign-ups of "Casey" and "casey" at once both pass the check before the INSERT; the
    # second INSERT fails on the unique index, and that is the same 400 as a taken name.
    make_user("Casey")
    with pytest.raises(ValidationError) as refused:
        SignUpSerializer().create({"username": "casey", "password": PASSWORD})
    assert refused.value.detail == {"username": ["A user with that username already exists."]}


def test_a_password_is_checked_exactly_as_typed(anonymous, client):
    spaced = " correct horse battery staple "
    assert sign_up(anonymous, password=spaced).status_code == 201
    token = anonymous.post("/api/token/", {"username": "carol", "password": spaced})
    assert token.status_code == 200
    trimmed = anonymous.post("/api/token/", {"username": "carol", "password": spaced.strip()})
    assert trimmed.status_code == 401
    form = client.post("/api-auth/login/", {"username": "carol", "password": spaced})
    assert form.status_code == 302  # signed in


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short", "too short"),
        ("12345678901", "entirely numeric"),
        ("password", "too common"),
        ("carol-the-user", "too similar to the username"),
    ],
)
def test_a_weak_password_gets_400(anonymous, password, reason):
    response = sign_up(anonymous, username="carol-the-user", password=password)
    assert response.status_code == 400
    assert reason in " ".join(response.json()["password"])
    assert not get_user_model().objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"username": "x" * 151},
        {"username": "ﷺ" * 10},  # 10 characters, 180 once NFKC-normalized
        {"username": "no spaces"},
        {"username": ""},
        {"password": "p" * 129},
        {"email": "not-an-email"},
        {"username": 5},
        {"password": 12345678},
    ],
)
def test_invalid_sign_up_gets_400(anonymous, fields):
    response = anonymous.post(REGISTER_URL, {"username": "carol", "password": PASSWORD, **fields})
    assert response.status_code == 400
    assert set(response.json()) <= {"username", "password", "email"}
    assert not get_user_model().objects.exists()


def test_sign_up_normalizes_the_username(anonymous):
    assert sign_up(anonymous, username="ｃａｒｏｌ").json()["username"] == "carol"


def test_sign_up_can_be_turned_off(anonymous, settings):
    settings.ALLOW_SIGNUP = False
    response = sign_up(anonymous)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert not get_user_model().objects.exists()


def test_sign_up_is_throttled(anonymous, settings):
    allowed = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["register"].split("/")[0])
    statuses = [sign_up(anonymous, username=f"user{n}").status_code for n in range(allowed + 1)]
    assert statuses == [201] * allowed + [429]
    assert get_user_model().objects.count() == allowed


def test_sign_up_ignores_a_stale_token(anonymous):
    anonymous.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert sign_up(anonymous).status_code == 201


def test_me_shows_the_tokens_user(client_for, user):
    body = client_for(user).get(ME_URL).json()
    assert body["id"] == user.pk
    assert body["username"] == "alice"
    assert set(body) == {"id", "username", "email", "first_name", "last_name", "date_joined"}


def test_me_needs_a_token(anonymous):
    assert anonymous.get(ME_URL).status_code == 401
    assert anonymous.patch(ME_URL, {"email": "x@example.com"}).status_code == 401


def test_me_patch_changes_the_safe_fields(client_for, user):
    changes = {"email": "alice@example.org", "first_name": "Alice", "last_name": "Liddell"}
    response = client_for(user).patch(ME_URL, {**changes, "current_password": PASSWORD})
    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.email, user.first_name, user.last_name) == tuple(changes.values())


@pytest.mark.parametrize(
    ("password", "error"),
    [
        (None, "Give your current password to change the email."),
        ("not-the-password", "Wrong password."),
    ],
)
def test_the_email_changes_only_with_the_current_password(client_for, user, password, error):
    # The email is where a password reset would go: a stolen token must not make it its own.
    body = {"email": "mallory@example.com", "first_name": "Mallory"}
    if password is not None:
        body["current_password"] = password
    response = client_for(user).patch(ME_URL, body)
    assert response.status_code == 400
    assert response.json() == {"current_password": [error]}
    user.refresh_from_db()
    assert (user.email, user.first_name) == ("", "")


def test_me_ignores_read_only_fields(client_for, user):
    response = client_for(user).patch(
        ME_URL, {"id": 999, "username": "mallory", "date_joined": "2000-01-01T00:00:00Z"}
    )
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["username"]) == (user.pk, "alice")
    user.refresh_from_db()
    assert user.username == "alice"
    assert user.date_joined.year != 2000


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("is_staff", True),
        ("is_superuser", True),
        ("is_active", False),
        ("token_version", 0),
        ("password", "a-password-set-around-the-rules"),
        ("groups", [1]),
    ],
)
def test_me_refuses_privileged_fields(client_for, user, field, value):
    client = client_for(user)
    before = get_user_model().objects.values().get(pk=user.pk)
    response = client.patch(ME_URL, {"first_name": "Eve", field: value})
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert get_user_model().objects.values().get(pk=user.pk) == before
    assert client.get(ME_URL).status_code == 200  # the token still works


@pytest.mark.parametrize(
    "changes", [{"first_name": "x" * 151}, {"first_name": 5}, {"email": "not-an-email"}]
)
def test_me_refuses_invalid_input(client_for, user, changes):
    response = client_for(user).patch(ME_URL, changes)
    assert response.status_code == 400
    assert list(response.json()) == list(changes)
    user.refresh_from_db()
    assert (user.first_name, user.email) == ("", "")


def test_me_refuses_put(client_for, user):
    assert client_for(user).put(ME_URL, {"email": "a@example.com"}).status_code == 405


def test_password_change_ends_every_token_and_returns_a_new_pair(client_for, user, anonymous):
    other_device = obtain_tokens("alice")
    this_device = client_for(user)
    response = this_device.post(
        PASSWORD_URL, {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 200
    fresh = response.json()
    assert set(fresh) == {"access", "refresh"}

    assert this_device.get(LIST_URL).status_code == 401  # the access token it used has ended
    assert bearer_client(other_device["access"]).get(LIST_URL).status_code == 401
    refresh = anonymous.post("/api/token/refresh/", {"refresh": other_device["refresh"]})
    assert refresh.status_code == 401
    assert bearer_client(fresh["access"]).get(ME_URL).status_code == 200
    assert anonymous.post("/api/token/refresh/", {"refresh": fresh["refresh"]}).status_code == 200

    old_login = anonymous.post("/api/token/", {"username": "alice", "password": PASSWORD})
    assert old_login.status_code == 401
    new_login = anonymous.post("/api/token/", {"username": "alice", "password": NEW_PASSWORD})
    assert new_login.status_code == 200


def test_password_change_needs_the_old_password(client_for, user):
    client = client_for(user)
    response = client.post(
        PASSWORD_URL, {"old_password": "not-the-password", "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 400
    assert response.json() == {"old_password": ["Wrong password."]}
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert client.get(LIST_URL).status_code == 200  # nothing ended


@pytest.mark.parametrize("new_password", ["short", "12345678901", "password", "alice123"])
def test_password_change_refuses_a_weak_password(client_for, user, new_password):
    client = client_for(user)
    response = client.post(PASSWORD_URL, {"old_password": PASSWORD, "new_password": new_password})
    assert response.status_code == 400
    assert list(response.json()) == ["new_password"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert client.get(LIST_URL).status_code == 200


def test_password_change_needs_a_token(anonymous, user):
    response = anonymous.post(
        PASSWORD_URL, {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 401


def test_wrong_old_passwords_count_towards_the_login_lockout(client_for, anonymous, user, settings):
    client = client_for(user)
    limit = settings.LOGIN_FAILURE_LIMIT
    wrong = {"old_password": "wrong", "new_password": NEW_PASSWORD}
    statuses = [client.post(PASSWORD_URL, wrong).status_code for _ in range(limit + 1)]
    assert statuses == [400] * limit + [429]
    right = {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert client.post(PASSWORD_URL, right).status_code == 429
    # One count for every path that checks this user's password: the login is refused too.
    login = anonymous.post("/api/token/", {"username": "alice", "password": PASSWORD})
    assert login.status_code == 429


def test_password_change_keeps_the_browsable_api_session(client, user):
    client.force_login(user)
    changed = client.post(PASSWORD_URL, {"old_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 200
    assert client.get(ME_URL).status_code == 200


def test_cors_allows_listed_origins_only(anonymous, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    preflight = {
        "HTTP_ORIGIN": "https://app.example.com",
        "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "GET",
        "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "authorization",
    }
    allowed = anonymous.options(ME_URL, **preflight)
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "authorization" in allowed["Access-Control-Allow-Headers"]
    assert int(allowed["Access-Control-Max-Age"]) > 0
    assert "Access-Control-Allow-Credentials" not in allowed

    other = anonymous.options(ME_URL, **{**preflight, "HTTP_ORIGIN": "https://evil.example.com"})
    assert "Access-Control-Allow-Origin" not in other


def test_cors_allows_no_origin_unless_listed(anonymous, settings):
    settings.CORS_ALLOWED_ORIGINS = []
    response = anonymous.get("/api/schema/", HTTP_ORIGIN="http://localhost:5173")
    assert "Access-Control-Allow-Origin" not in response


def test_a_malformed_cors_origin_stops_the_checks(settings):
    settings.CORS_ALLOWED_ORIGINS = ["localhost:5173"]  # no scheme
    with pytest.raises(SystemCheckError, match="corsheaders.E013"):
        call_command("check")


def test_schema_documents_the_account_routes(anonymous):
    schema = anonymous.get("/api/schema/", {"format": "json"}).json()
    paths, components = schema["paths"], schema["components"]["schemas"]
    operations = {
        (REGISTER_URL, "post"): {"201", "400", "404", "413", "415", "429"},
        (ME_URL, "get"): {"200", "401"},
        (ME_URL, "patch"): {"200", "400", "401", "413", "415"},
        (PASSWORD_URL, "post"): {"200", "400", "401", "413", "415", "429"},
    }
    for (path, method), statuses in operations.items():
        assert statuses <= set(paths[path][method]["responses"]), (path, method)
    assert set(paths[ME_URL]) == {"get", "patch"}
    sign_up = components["SignUpRequest"]
    assert set(sign_up["required"]) == {"username", "password"}
    assert "password" not in components["SignUp"]["properties"]
    me_request = components["PatchedMeRequest"]["properties"]
    assert set(me_request) == {"email", "current_password", "first_name", "last_name"}
    assert "current_password" not in components["Me"]["properties"]
    assert set(components["PasswordChange"]["properties"]) == {"access", "refresh"}
