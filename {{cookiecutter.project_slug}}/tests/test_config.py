import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

PROJECT = Path(__file__).resolve().parent.parent

# Prints the lifetime in seconds of a new access token and a new refresh token.
TOKEN_LIFETIMES = """
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
print([token["exp"] - token["iat"] for token in (AccessToken(), RefreshToken())])
"""
HSTS_SETTINGS = """
import json
from django.conf import settings
print(json.dumps([settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, settings.SECURE_HSTS_PRELOAD]))
"""


def printed_with(environment, code):
    """What `code` prints as JSON, run after django.setup() with these environment variables:
    the settings read them once, when they load."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **environment}
    result = subprocess.run(  # noqa: S603 (this interpreter, our own code)
        [sys.executable, "-c", f"import django\ndjango.setup()\n{code}"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


# Prints every setting, by name, as repr() writes its value.
EVERY_SETTING = """
import json
from config import settings
print(json.dumps({name: repr(getattr(settings, name)) for name in dir(settings) if name.isupper()}))
"""


@pytest.fixture
def without_dotenv(tmp_path):
    """The project's code in a folder without .env, as on a server or in CI, where every
    variable that is not set takes the default written in config/settings.py."""
    bytecode = shutil.ignore_patterns("__pycache__")
    for path in PROJECT.iterdir():
        if (path / "__init__.py").exists() and path.name != "tests":
            shutil.copytree(path, tmp_path / path.name, ignore=bytecode)
    shutil.copy(PROJECT / "manage.py", tmp_path)
    return tmp_path


# What the settings require, the same for every command a test compares.
REQUIRED = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_JWT_SIGNING_KEY": secrets.token_urlsafe(50),
    "DATABASE_URL": "sqlite:///unused.sqlite3",
}


def run_in(folder, *command, **variables):
    """A command run with the keys the settings require and the given variables, nothing else."""
    env = {"PATH": os.environ["PATH"], **REQUIRED, **variables}
    return subprocess.run(  # noqa: S603 (this interpreter, our own code)
        [sys.executable, *command], cwd=folder, env=env, capture_output=True, text=True
    )


def settings_in(folder, **variables):
    result = run_in(folder, "-c", EVERY_SETTING, **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def documented_values():
    """NAME: value of every variable .env.example sets, and of every Django variable it shows
    commented out with its default (`# DJANGO_NUM_PROXIES=0`), but those of REQUIRED (the keys
    it leaves empty, a placeholder database)."""
    values = {}
    for line in (PROJECT / ".env.example").read_text().splitlines():
        shown = line.startswith("# DJANGO_")
        name, equals, value = line.removeprefix("# ").partition("=")
        if equals and (shown or not line.startswith("#")) and name not in REQUIRED:
            values[name] = value
    return values


def test_every_default_is_what_env_example_documents(without_dotenv):
    """A variable left unset means what .env.example says. The .env of a new project sets
    most of them, so a changed default (DEBUG on, a looser throttle, longer tokens, a trusted
    proxy header...) would otherwise reach only the servers that run without one."""
    variables = documented_values()
    assert variables  # the file was read
    defaults = settings_in(without_dotenv)
    documented = settings_in(without_dotenv, **variables)
    changed = {
        name: {"unset": value, ".env.example": documented[name]}
        for name, value in defaults.items()
        if documented[name] != value
    }
    assert changed == {}


def test_debug_is_off_and_the_deploy_check_clean_with_nothing_but_https_set(without_dotenv):
    """The settings a server gets from its keys and DJANGO_HTTPS=true alone (the Docker image
    sets only that one): DEBUG off, secure cookies, the redirect to HTTPS and HSTS."""
    assert settings_in(without_dotenv)["DEBUG"] == "False"
    command = ["manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    result = run_in(without_dotenv, *command, DJANGO_HTTPS="true")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def lifetimes(token_pair):
    """Seconds each token of a pair lives, from when the pair was issued (the refresh token's
    iat). The access token's own iat may fall a second later: simplejwt cuts it from the
    refresh token afterwards but dates its expiry from the refresh token's."""
    access = AccessToken(token_pair["access"])
    refresh = RefreshToken(token_pair["refresh"])
    issued = refresh["iat"]
    return [access["exp"] - issued, refresh["exp"] - issued]


def test_tokens_last_five_minutes_and_one_day_by_default(tokens):
    assert lifetimes(tokens) == [5 * 60, 24 * 60 * 60]


def test_token_lifetimes_come_from_the_environment():
    """JWT_ACCESS_TOKEN_MINUTES and JWT_REFRESH_TOKEN_DAYS, read when the settings load."""
    environment = {"JWT_ACCESS_TOKEN_MINUTES": "7", "JWT_REFRESH_TOKEN_DAYS": "3"}
    assert printed_with(environment, TOKEN_LIFETIMES) == [7 * 60, 3 * 24 * 60 * 60]


def test_hsts_covers_subdomains_and_preload_lists_only_when_asked():
    """includeSubDomains binds every subdomain for a year, and a preload list is slow to leave."""
    assert printed_with({"DJANGO_HTTPS": "true"}, HSTS_SETTINGS) == [False, False]
    asked = {"DJANGO_HTTPS": "true", "DJANGO_HSTS_INCLUDE_SUBDOMAINS": "true"}
    assert printed_with({**asked, "DJANGO_HSTS_PRELOAD": "true"}, HSTS_SETTINGS) == [True, True]


def test_the_asgi_entry_point_serves_requests():
    """config.asgi imports and answers, for those who serve the project with Uvicorn."""
    from config.asgi import application

    async def get(path):
        scope = {
            "type": "http",
            "http_version": "1.1",
            "method": "GET",
            "path": path,
            "query_string": b"",
            "headers": [(b"host", b"localhost")],
        }
        communicator = ApplicationCommunicator(application, scope)
        await communicator.send_input({"type": "http.request", "body": b""})
        start = await communicator.receive_output(timeout=10)
        body = await communicator.receive_output(timeout=10)
        return start["status"], json.loads(body["body"])

    not_found = {"detail": "Not found.", "code": "not_found"}
    assert async_to_sync(get)("/api/v1/no-such-route/") == (404, not_found)
