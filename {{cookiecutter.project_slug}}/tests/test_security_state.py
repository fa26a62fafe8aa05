"""The password, token_version, is_active, is_staff and is_superuser are never written back from
a stale copy of the user.

A request loads its user when it is authenticated and may save it much later: a slow client
sends its body seconds after its headers. Whatever happened to the row meanwhile (a new
password, a logout, an admin's deactivation) must hold, and the tokens it ended stay ended.
"""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIRequestFactory, force_authenticate

from accounts.views import MeView, PasswordChangeView

from .api import PASSWORD, bearer_client, obtain_tokens

ME_URL = "/api/me/"
NEW_PASSWORD = "a-new-correct-horse"


def as_loaded_now(user):
    """A copy of the user as a request authenticated now holds it."""
    return get_user_model().objects.get(pk=user.pk)


def call_as(view, stale_user, method, path, data):
    """Calls a view as a request that was authenticated as `stale_user`, loaded earlier."""
    request = getattr(APIRequestFactory(), method)(path, data, format="json")
    force_authenticate(request, user=stale_user)
    return view.as_view()(request)


def patch_me_as(stale_user, changes):
    return call_as(MeView, stale_user, "patch", ME_URL, changes)


def change_password(client):
    body = {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
    response = client.post("/api/password/change/", body)
    assert response.status_code == 200, response.content
    return response.json()


def test_a_late_profile_change_keeps_a_new_password(user, tokens, client_for):
    stale = as_loaded_now(user)
    new_pair = change_password(client_for(user))

    assert patch_me_as(stale, {"first_name": "Alice"}).status_code == 200

    user.refresh_from_db()
    assert user.first_name == "Alice"
    assert user.check_password(NEW_PASSWORD)
    assert bearer_client(tokens["access"]).get(ME_URL).status_code == 401
    assert bearer_client(new_pair["access"]).get(ME_URL).status_code == 200


def test_a_late_profile_change_keeps_a_logout(user, tokens, anonymous):
    stale = as_loaded_now(user)
    other_device = obtain_tokens(user.username)
    logout = anonymous.post("/api/token/blacklist/", {"refresh": other_device["refresh"]})
    assert logout.status_code == 200

    assert patch_me_as(stale, {"last_name": "Liddell"}).status_code == 200

    assert bearer_client(tokens["access"]).get(ME_URL).status_code == 401
    refresh = anonymous.post("/api/token/refresh/", {"refresh": tokens["refresh"]})
    assert refresh.status_code == 401


def test_a_late_profile_change_writes_only_the_fields_it_was_sent(user, client_for):
    stale = as_loaded_now(user)
    other_tab = client_for(user).patch(ME_URL, {"last_name": "Liddell"})
    assert other_tab.status_code == 200

    assert patch_me_as(stale, {"first_name": "Alice"}).status_code == 200

    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Alice", "Liddell")


def test_a_late_profile_change_keeps_a_deactivation_and_a_demotion(make_user):
    staff = make_user("carol", is_staff=True)
    stale = as_loaded_now(staff)
    staff.is_active = False  # the admin, in another request
    staff.is_staff = False
    staff.save()

    assert patch_me_as(stale, {"first_name": "Carol"}).status_code == 200

    staff.refresh_from_db()
    assert (staff.is_active, staff.is_staff, staff.first_name) == (False, False, "Carol")


@pytest.mark.parametrize("field", ["is_active", "is_staff", "is_superuser", "password"])
def test_a_stale_save_writes_no_security_field_it_did_not_change(make_user, field):
    admin = make_user("root", is_staff=True, is_superuser=True)
    stale = as_loaded_now(admin)
    fresh = as_loaded_now(admin)
    if field == "password":
        fresh.set_password(NEW_PASSWORD)
    else:
        setattr(fresh, field, False)
    fresh.save()

    stale.email = "root@example.com"
    stale.save()  # the whole row, as the admin's forms save it

    admin.refresh_from_db()
    assert admin.email == "root@example.com"
    assert getattr(admin, field) == getattr(fresh, field)


def test_token_version_goes_up_in_sql(user):
    # Two requests that each loaded the user at version v: an increment in memory would
    # write v + 1 twice, and a token made at v + 1 in between would survive both.
    first, second = as_loaded_now(user), as_loaded_now(user)
    first.end_all_tokens()
    second.set_password(NEW_PASSWORD)
    second.save(update_fields=["password"])
    user.refresh_from_db()
    assert user.token_version == 2
    assert second.token_version == 2  # tokens made from it carry the version that holds


def test_a_password_change_ends_a_sign_in_made_while_it_was_on_the_way(user, anonymous):
    stale = as_loaded_now(user)  # the change is authenticated, its body still on the way
    logout = anonymous.post("/api/token/blacklist/", {"refresh": obtain_tokens("alice")["refresh"]})
    assert logout.status_code == 200
    thief = obtain_tokens("alice")  # with the old password, before the change lands

    body = {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
    changed = call_as(PasswordChangeView, stale, "post", "/api/password/change/", body)

    assert changed.status_code == 200
    assert bearer_client(thief["access"]).get(ME_URL).status_code == 401
    assert bearer_client(changed.data["access"]).get(ME_URL).status_code == 200
