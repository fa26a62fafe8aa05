"""The password lockout stops the guesser and no one else (accounts/lockout.py).

Small limits here: 3 wrong passwords for one account from one address, 5 from one address,
7 for one account. Each test reads as the statuses a client gets, one request after another.
"""

import pytest
from django.apps import apps
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import PasswordFailure

from .api import PASSWORD

TOKEN_URL = "/api/token/"
FORMS = ["/api-auth/login/", "/admin/login/"]
PASSWORD_CHANGE_URL = "/api/password/change/"
HOME = "198.51.100.1"
ELSEWHERE = "203.0.113.9"
WRONG = "wrong-guess"


@pytest.fixture(autouse=True)
def small_limits(settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 5
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 7


def sign_in(username="alice", password=WRONG, address=HOME, url=TOKEN_URL):
    """The status of one sign-in; a login form answers a wrong password with itself (200)
    and a right one with a redirect (302)."""
    body = {"username": username, "password": password}
    if url == TOKEN_URL:
        return APIClient().post(url, body, format="json", REMOTE_ADDR=address)
    return APIClient().post(url, body, format="multipart", REMOTE_ADDR=address)


def statuses(*attempts):
    return [sign_in(**attempt).status_code for attempt in attempts]


def test_wrong_passwords_lock_that_account_at_that_address(user):
    wrong = [sign_in().status_code for _ in range(4)]
    assert wrong == [401, 401, 401, 429]
    assert sign_in(password=PASSWORD).status_code == 429  # the right one too


@pytest.mark.parametrize("form", FORMS)
def test_the_login_forms_share_the_lock_and_answer_with_a_page(user, form):
    assert statuses({}, {"url": form}, {"url": form}) == [401, 200, 200]
    page = sign_in(password=PASSWORD, url=form)
    assert page.status_code == 429
    assert b"Try again in 15 minutes" in page.content
    assert int(page["Retry-After"]) == 15 * 60


def test_the_owner_signs_in_from_another_address(user):
    assert statuses({}, {}, {}, {}) == [401, 401, 401, 429]
    assert sign_in(password=PASSWORD, address=ELSEWHERE).status_code == 200


def test_a_classmate_behind_the_same_address_signs_in(user, other_user):
    assert statuses({}, {}, {}, {}) == [401, 401, 401, 429]
    assert sign_in("bob", PASSWORD).status_code == 200


def test_many_accounts_from_one_address_are_stopped_at_the_address_limit(user):
    guesses = [sign_in(f"user{n}").status_code for n in range(6)]
    assert guesses == [401, 401, 401, 401, 401, 429]
    assert sign_in(password=PASSWORD).status_code == 429
    assert sign_in(password=PASSWORD, address=ELSEWHERE).status_code == 200


def test_an_ipv6_64_is_one_address(user):
    guesses = [sign_in(f"user{n}", address=f"2001:db8:1:2::{n:x}").status_code for n in range(6)]
    assert guesses == [401, 401, 401, 401, 401, 429]
    assert sign_in(password=PASSWORD, address="2001:db8:1:2:ffff::1").status_code == 429
    assert sign_in(password=PASSWORD, address="2001:db8:1:3::1").status_code == 200


def test_one_account_from_many_addresses_is_stopped_at_the_account_limit(user):
    guesses = [sign_in(address=f"192.0.2.{n}").status_code for n in range(8)]
    assert guesses == [401] * 7 + [429]
    assert sign_in(password=PASSWORD, address=ELSEWHERE).status_code == 429


def test_a_right_password_clears_that_accounts_count_at_that_address(user, settings):
    settings.LOGIN_FAILURE_LIMIT = 10
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 100
    typos = [sign_in().status_code for _ in range(9)]
    assert typos == [401] * 9
    assert sign_in(password=PASSWORD).status_code == 200
    assert sign_in().status_code == 401  # one typo, not the tenth
    assert sign_in(password=PASSWORD).status_code == 200


def test_the_lock_lifts_after_the_cool_off(user, settings):
    assert statuses({}, {}, {}, {}) == [401, 401, 401, 429]
    for failure in PasswordFailure.objects.all():  # as if the failures were 15 minutes old
        failure.failed_at -= settings.LOGIN_COOLOFF
        failure.save()
    assert sign_in(password=PASSWORD).status_code == 200


def test_the_429_says_how_long(user):
    statuses({}, {}, {})
    refused = sign_in(password=PASSWORD)
    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many_password_attempts"
    wait = int(refused["Retry-After"])
    assert 14 * 60 < wait <= 15 * 60
    assert refused.json()["detail"] == (
        f"Too many wrong passwords for this account from your address. Try again in {wait} seconds."
    )


def test_a_wrong_old_password_counts_like_a_wrong_sign_in(client_for, user):
    client = client_for(user)
    wrong = {"old_password": "wrong", "new_password": "a-new-password-9"}
    changes = [client.post(PASSWORD_CHANGE_URL, wrong, REMOTE_ADDR=HOME) for _ in range(3)]
    assert [change.status_code for change in changes] == [400, 400, 400]
    assert sign_in(password=PASSWORD).status_code == 429


@pytest.mark.parametrize("encoding", ["json", "multipart"])
def test_no_password_is_kept_in_any_record(client_for, user, encoding):
    wrong_old, new = "my-0ld-secret-guess", "my-n3w-secret-choice"
    client = client_for(user)
    body = {"old_password": wrong_old, "new_password": new}
    assert client.post(PASSWORD_CHANGE_URL, body, format=encoding).status_code == 400
    assert sign_in(password=wrong_old, url=FORMS[0]).status_code == 200
    assert PasswordFailure.objects.count() == 2
    for model in apps.get_models():  # every row of every table, in the database's own words
        for row in model.objects.values_list():
            assert wrong_old not in str(row) and new not in str(row), model


@pytest.mark.parametrize(
    "command, lifts",
    [
        (["--username", "ALICE"], "the account everywhere"),
        (["--username", "alice", "--address", HOME], "the account at that address"),
        (["--address", HOME], "the address"),
        (["--all"], "everything"),
    ],
)
def test_each_unlock_command_lets_the_owner_sign_in(user, command, lifts):
    assert statuses({}, {}, {}, {}) == [401, 401, 401, 429]
    call_command("unlock", *command)
    assert sign_in(password=PASSWORD).status_code == 200, lifts


def test_unlock_by_address_lifts_an_address_lock(user):
    assert [sign_in(f"user{n}").status_code for n in range(6)][-1] == 429
    call_command("unlock", "--address", HOME)
    assert sign_in(password=PASSWORD).status_code == 200
