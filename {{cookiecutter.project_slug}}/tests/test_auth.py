import base64
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from rest_framework.test import APIClient

from accounts.tokens import RefreshToken, TokenObtainPairSerializer

from .api import LIST_URL, PASSWORD, bearer_client, obtain_tokens

REFRESH_URL = "/api/token/refresh/"


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


def test_session_login_keeps_the_browsable_api_usable(client, user):
    login = client.post("/api-auth/login/", {"username": "alice", "password": PASSWORD})
    assert login.status_code == 302
    assert login["Location"] == LIST_URL  # LOGIN_REDIRECT_URL: a page that exists
    response = client.get(LIST_URL, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"<html" in response.content


def test_a_bad_bearer_token_is_refused_even_with_a_session(client, user):
    """JWT comes first: a request that carries a token is judged by it, and a broken token is
    not rescued by a session cookie of the same browser."""
    client.force_login(user)
    assert client.get(LIST_URL).status_code == 200
    response = client.get(LIST_URL, HTTP_AUTHORIZATION="Bearer not-a-token")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_reused_refresh_token_ends_every_token_of_its_user(anonymous, user, tokens):
    rotated = anonymous.post("/api/token/refresh/", {"refresh": tokens["refresh"]}).json()
    other_device = obtain_tokens("alice")

    reused = anonymous.post("/api/token/refresh/", {"refresh": tokens["refresh"]})
    assert reused.status_code == 401
    assert reused.json()["code"] == "token_reused"
    for pair in (rotated, other_device):
        assert bearer_client(pair["access"]).get(LIST_URL).status_code == 401
        refresh = anonymous.post("/api/token/refresh/", {"refresh": pair["refresh"]})
        assert refresh.status_code == 401


def test_logout_ends_the_browsable_api_session_too(client, anonymous, user, tokens):
    client.post("/api-auth/login/", {"username": "alice", "password": PASSWORD})
    assert client.get(LIST_URL).status_code == 200
    anonymous.post("/api/token/blacklist/", {"refresh": tokens["refresh"]})
    assert client.get(LIST_URL).status_code == 401  # the session no longer holds a user


def test_a_new_password_ends_every_token(anonymous, user, tokens):
    user.set_password("another-horse-battery")
    user.save()
    assert bearer_client(tokens["access"]).get(LIST_URL).status_code == 401
    assert anonymous.post("/api/token/refresh/", {"refresh": tokens["refresh"]}).status_code == 401


class QuickPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    iterations = 1


def test_a_password_hash_upgrade_keeps_new_tokens_working(user, settings):
    # On login Django re-hashes a password stored with an older hasher and saves only the
    # password; the token version that set_password() raised must be saved with it.
    settings.PASSWORD_HASHERS = [
        f"{__name__}.QuickPBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    tokens = obtain_tokens("alice")
    assert bearer_client(tokens["access"]).get(LIST_URL).status_code == 200
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sha256$1$")


def test_reactivation_does_not_revive_old_tokens(user, tokens):
    user.is_active = False
    user.save()
    user.is_active = True
    user.save()
    assert bearer_client(tokens["access"]).get(LIST_URL).status_code == 401
    assert bearer_client(obtain_tokens("alice")["access"]).get(LIST_URL).status_code == 200


def test_refresh_tokens_end_at_their_absolute_lifetime(anonymous, tokens, settings):
    lifetime = int(settings.JWT_REFRESH_TOKEN_MAX_LIFETIME.total_seconds())
    first = RefreshToken(tokens["refresh"])
    rotated = anonymous.post("/api/token/refresh/", {"refresh": tokens["refresh"]}).json()
    second = RefreshToken(rotated["refresh"])
    assert second["auth_time"] == first["auth_time"] == first["iat"]
    assert second["exp"] <= first["auth_time"] + lifetime

    # A chain that began longer ago than the absolute lifetime is refused.
    old = RefreshToken(rotated["refresh"])
    old["auth_time"] = first["auth_time"] - lifetime
    old.set_exp()  # a day from now, but at most the lifetime after auth_time: already past
    refused = anonymous.post("/api/token/refresh/", {"refresh": str(old)})
    assert refused.status_code == 401
    assert refused.json()["code"] == "token_not_valid"


def test_the_admin_action_ends_every_token_of_the_selected_users(client, user, tokens, make_user):
    admin = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        "/admin/accounts/user/",
        {"action": "end_sessions", "_selected_action": [user.pk]},
        follow=True,
    )
    assert b"Ended every token and session of 1 user" in response.content
    assert bearer_client(tokens["access"]).get(LIST_URL).status_code == 401
    admin.refresh_from_db()
    assert admin.token_version == 0  # only the selected users


def test_http_basic_is_not_accepted(anonymous, user):
    """HTTP Basic would let anyone guess passwords on every route, unthrottled."""
    credentials = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    response = anonymous.get(LIST_URL, HTTP_AUTHORIZATION=f"Basic {credentials}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_token_endpoint_is_throttled(anonymous, user, settings):
    """Every login costs a deliberately slow password hash, right password or not."""
    allowed = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"].split("/")[0])
    credentials = {"username": "alice", "password": PASSWORD}
    statuses = [anonymous.post("/api/token/", credentials).status_code for _ in range(allowed + 1)]
    assert statuses == [200] * allowed + [429]


def test_a_bulk_deactivation_ends_the_tokens_for_good(anonymous, user, tokens, django_user_model):
    """A queryset's update() skips save(), but ends the tokens as save() does: reactivating
    the user brings none of them back."""
    users = django_user_model.objects.filter(pk=user.pk)
    users.update(is_active=False)
    assert bearer_client(tokens["access"]).get(LIST_URL).status_code == 401
    users.update(is_active=True)
    assert bearer_client(tokens["access"]).get(LIST_URL).status_code == 401
    assert anonymous.post(REFRESH_URL, {"refresh": tokens["refresh"]}).status_code == 401


def test_an_inactive_user_is_refused_whatever_token_it_holds(anonymous, make_user):
    """Each request checks that the user is active, not only that the token is current: a
    token made for an account that is not active yet (awaiting a confirmation) is refused."""
    pending = make_user("pending", is_active=False)
    refresh = TokenObtainPairSerializer.get_token(pending)  # with its "ver" claim, current
    for refused in (
        bearer_client(str(refresh.access_token)).get(LIST_URL),
        anonymous.post(REFRESH_URL, {"refresh": str(refresh)}),
    ):
        assert refused.status_code == 401
        assert refused.json()["code"] == "no_active_account"


def test_a_bulk_password_change_ends_the_tokens(anonymous, user, tokens, django_user_model):
    django_user_model.objects.filter(pk=user.pk).update(password="!")
    assert bearer_client(tokens["access"]).get(LIST_URL).status_code == 401
    assert anonymous.post(REFRESH_URL, {"refresh": tokens["refresh"]}).status_code == 401


def test_no_refresh_token_outlives_its_chain(anonymous, user, settings):
    """Each new refresh token expires a day on, but never past the chain's absolute end."""
    settings.JWT_REFRESH_TOKEN_MAX_LIFETIME = timedelta(hours=1)  # shorter than a day
    first = RefreshToken(obtain_tokens("alice")["refresh"])
    assert first["exp"] == first["auth_time"] + 60 * 60
    rotated = anonymous.post(REFRESH_URL, {"refresh": str(first)}).json()
    assert RefreshToken(rotated["refresh"])["exp"] == first["auth_time"] + 60 * 60


def test_a_shorter_absolute_lifetime_ends_the_chains_already_running(anonymous, tokens, settings):
    """Lowering JWT_REFRESH_TOKEN_MAX_DAYS applies to the tokens already handed out, however
    far ahead their own expiry is."""
    settings.JWT_REFRESH_TOKEN_MAX_LIFETIME = timedelta(0)  # every chain began too long ago
    refused = anonymous.post(REFRESH_URL, {"refresh": tokens["refresh"]})
    assert refused.status_code == 401
    assert refused.json()["code"] == "token_not_valid"


@pytest.fixture
def threads_switch_often():
    """Python runs one thread at a time, and switches every 5 ms by default: time enough for
    a whole request. Switching far more often interleaves the requests of several threads as
    those of separate worker processes interleave."""
    default = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(default)


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_of_one_token_buy_one_pair(user, threads_switch_often):
    """A refresh token sent several times at once (a retry, two tabs, a thief racing its
    owner) buys one new pair between them: the check and the blacklisting are one write.
    Each thread has a database connection of its own, as each Gunicorn worker has. A check
    made apart from the write loses such a race only sometimes: it is run ten times."""
    racers = 8

    def race(refresh):
        start = threading.Barrier(racers)

        def refresh_once(_):
            start.wait()  # the requests leave together
            try:
                return APIClient().post(REFRESH_URL, {"refresh": refresh}).status_code
            finally:
                connection.close()  # this thread's own connection

        with ThreadPoolExecutor(racers) as pool:
            return sorted(pool.map(refresh_once, range(racers)))

    for attempt in range(10):
        statuses = race(obtain_tokens("alice")["refresh"])
        assert statuses == [200] + [401] * (racers - 1), f"race {attempt + 1}"
