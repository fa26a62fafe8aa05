"""Password guessing is refused on every login: the token endpoint, the browsable API, the admin.

Failures are counted per client address and per username (django-axes); past the limit every
attempt is refused with 429, the right password included.
"""

import pytest
from django.conf import settings
from rest_framework.exceptions import Throttled
from rest_framework.test import APIClient, APIRequestFactory

from accounts import passwords

from .api import PASSWORD

TOKEN_URL = "/api/token/"
FORMS = ["/api-auth/login/", "/admin/login/"]
WRONG = "wrong-guess"


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.AXES_FAILURE_LIMIT = 3


def guess(client, url, username="alice", password=WRONG, address="198.51.100.1"):
    if url == TOKEN_URL:
        body = {"username": username, "password": password}
        return client.post(url, body, format="json", REMOTE_ADDR=address)
    body = {"username": username, "password": password}
    return client.post(url, body, format="multipart", REMOTE_ADDR=address)


@pytest.mark.parametrize("url", [TOKEN_URL, *FORMS])
def test_wrong_passwords_end_in_429_even_for_the_right_one(url, user):
    client = APIClient()
    statuses = [guess(client, url).status_code for _ in range(settings.AXES_FAILURE_LIMIT + 1)]
    wrong = 401 if url == TOKEN_URL else 200  # a form shows itself again with the error
    assert statuses == [wrong] * (settings.AXES_FAILURE_LIMIT - 1) + [429, 429]

    right = guess(client, url, password=PASSWORD)
    assert right.status_code == 429
    assert int(right["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    if url == TOKEN_URL:
        assert right.json()["code"] == "too_many_password_attempts"
    else:
        assert b"Too many sign-in attempts" in right.content
        assert "_auth_user_id" not in client.session


def test_one_count_for_every_login_path(user):
    client = APIClient()
    assert guess(client, TOKEN_URL).status_code == 401
    assert guess(client, FORMS[0]).status_code == 200
    assert guess(client, FORMS[1]).status_code == 429  # the third failure, on a third path
    assert guess(client, TOKEN_URL, password=PASSWORD).status_code == 429


def test_a_new_address_for_each_guess_does_not_help(user):
    client = APIClient()
    statuses = [guess(client, TOKEN_URL, address=f"203.0.113.{n}").status_code for n in range(4)]
    assert statuses == [401, 401, 429, 429]
    assert guess(client, TOKEN_URL, password=PASSWORD, address="203.0.113.99").status_code == 429


def test_a_new_username_for_each_guess_does_not_help(user):
    client = APIClient()
    statuses = [guess(client, TOKEN_URL, username=f"user{n}").status_code for n in range(4)]
    assert statuses == [401, 401, 429, 429]
    # Another address may still sign in: the lockout is per address and per username.
    assert guess(client, TOKEN_URL, password=PASSWORD, address="198.51.100.2").status_code == 200


def test_other_users_at_other_addresses_are_not_locked_out(user, make_user):
    make_user("bob")
    client = APIClient()
    for _ in range(3):
        guess(client, TOKEN_URL)
    bob = guess(client, TOKEN_URL, username="bob", password=PASSWORD, address="198.51.100.7")
    assert bob.status_code == 200


def test_a_forwarded_for_header_is_ignored_without_proxies(user):
    client = APIClient()
    for n in range(3):
        client.post(
            TOKEN_URL,
            {"username": f"user{n}", "password": "wrong"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
    # Three usernames, three claimed addresses, one connection address: locked out.
    right = guess(client, TOKEN_URL, password=PASSWORD, address="127.0.0.1")
    assert right.status_code == 429


def test_check_counts_towards_the_same_limit(user):
    def check(password):
        request = APIRequestFactory().post("/api/password/change/", REMOTE_ADDR="198.51.100.1")
        return passwords.check(request, user, password)

    assert check(PASSWORD)
    assert not check("wrong")
    assert not check("wrong")
    with pytest.raises(Throttled):
        check("wrong")
    with pytest.raises(Throttled):
        check(PASSWORD)
