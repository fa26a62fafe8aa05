import json
import os
import subprocess
import sys
from pathlib import Path

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
