"""The limits the README lists under "Limits you will meet while testing", each lifted by the
command it gives: emptying the cache for the throttles, unlock for the lockout."""

from django.core.cache import cache
from django.core.management import call_command
from rest_framework.test import APIClient

from .api import PASSWORD


def post(url, **body):
    return APIClient().post(url, body, format="json")


def test_emptying_the_cache_lifts_the_login_throttle(user, settings):
    allowed = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"].split("/")[0])
    statuses = [
        post("/api/token/", username="alice", password=PASSWORD).status_code
        for _ in range(allowed + 1)
    ]
    assert statuses == [200] * allowed + [429]
    cache.clear()  # python manage.py shell -c "from django.core.cache import cache; cache.clear()"
    assert post("/api/token/", username="alice", password=PASSWORD).status_code == 200


def test_emptying_the_cache_lifts_the_sign_up_throttle(db, settings):
    allowed = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["register"].split("/")[0])
    statuses = [
        post("/api/register/", username=f"user{n}", password=PASSWORD).status_code
        for n in range(allowed + 1)
    ]
    assert statuses == [201] * allowed + [429]
    cache.clear()
    assert post("/api/register/", username="one-more", password=PASSWORD).status_code == 201


def test_unlock_lifts_the_lockout(user, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        post("/api/token/", username="alice", password="wrong-guess")
    assert post("/api/token/", username="alice", password=PASSWORD).status_code == 429
    call_command("unlock", "--username", "alice")  # python manage.py unlock --username alice
    assert post("/api/token/", username="alice", password=PASSWORD).status_code == 200
