import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from .api import PASSWORD, bearer_client, obtain_tokens


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite the test database is a file, as in production, not Django's default of one
    in memory: requests made from several threads then each get a connection of their own
    and lock the file as Gunicorn's workers do."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database["TEST"]["NAME"] = str(tmp_path_factory.mktemp("database") / "test.sqlite3")


@pytest.fixture(autouse=True)
def test_settings(settings):
    # A deliberately slow password hash is right in production, wrong for a test suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests render pages without running collectstatic, so they need no manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def empty_cache(db):
    """Throttle counts live in the cache; each test starts from zero."""
    cache.clear()


@pytest.fixture
def make_user(django_user_model):
    def make_user(username="alice", **fields):
        return django_user_model.objects.create_user(username=username, password=PASSWORD, **fields)

    return make_user


@pytest.fixture
def user(make_user):
    return make_user("alice")


@pytest.fixture
def other_user(make_user):
    return make_user("bob")


@pytest.fixture
def anonymous():
    return APIClient()


@pytest.fixture
def tokens(user):
    return obtain_tokens(user.username)


@pytest.fixture
def client_for():
    """An API client that carries a fresh access token of the given user."""

    def client_for(user):
        return bearer_client(obtain_tokens(user.username)["access"])

    return client_for
