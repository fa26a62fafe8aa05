"""The README's "Limits you will meet while testing" hold, and its commands lift them: each limit
is met over HTTP with the project's own settings, the command is taken from the README and run
in the project folder while the server keeps running, and the request then goes through.

The limits: the 5-minute access token (lifted by the refresh), the token endpoint's 20 a minute
and sign-up's 10 an hour (lifted by emptying the cache), the lockout after 10 wrong passwords
(lifted by manage.py unlock); and a 500, whose traceback is in the server's console, and in the
answer too with DEBUG on.

Real services: Gunicorn with the settings of the project's .env, over HTTP, on SQLite.
"""

import re
import time

import jwt
import pytest
import requests

from tooling.accounts import bearer, login, temporary_users, username_prefix
from tooling.constants import PASSWORD, REGISTER, TOKEN
from tooling.project import read_dotenv
from tooling.readme import bash_blocks, commands, paste, section
from tooling.served import gunicorn, relaxed_env

# The limits and their commands are the same on both databases, and tests/auth/ checks each
# limit on PostgreSQL too: SQLite, the project a student starts from, is enough here.
pytestmark = [
    pytest.mark.gunicorn,
    pytest.mark.parametrize("rendered_project", ["sqlite"], indirect=True),
]

LIMITS = "Limits you will meet while testing"
CLEAR_CACHE = "from django.core.cache import cache; cache.clear()"


def readme_command(project, holding):
    """The one command of the limits section's bash blocks that holds `holding`."""
    found = [
        line
        for block in bash_blocks(section((project / "README.md").read_text(), LIMITS))
        for line in commands(block)
        if holding in line
    ]
    assert len(found) == 1, found
    return found[0]


@pytest.fixture(scope="module")
def served(rendered_project):
    """The project under Gunicorn with the limits of its .env, as a student runs it."""
    database, project, env = rendered_project
    with gunicorn(project, env, database=database) as served:
        yield served


@pytest.fixture
def lifted(served):
    """Types a README command as a student does into a second terminal: in the project
    folder, with the virtualenv active and PORT set; what the terminal showed. Every count
    starts and ends empty, so that no test meets another's limit."""

    def lifted(command, **variables):
        port = served.base.rsplit(":", 1)[1]
        typed = paste(command, served.project, {**served.env, "PORT": port, **variables})
        assert typed.status == 0, typed.text
        return typed.text

    served.shell(CLEAR_CACHE)
    served.manage("unlock", "--all")
    yield lifted
    served.shell(CLEAR_CACHE)
    served.manage("unlock", "--all")


def test_an_expired_access_token_is_refreshed(served, lifted):
    """Past its 5 minutes the access token gets the README's 401; the README's refresh gives
    a new one that works."""
    command = readme_command(served.project, "/api/token/refresh/")
    with temporary_users(served.project, served.env, "expiring") as (username,):
        tokens = login(requests, served.base, username)
        claims = jwt.decode(tokens["access"], options={"verify_signature": False})
        assert claims["exp"] - claims["iat"] == 5 * 60  # the README's 5 minutes
        key = read_dotenv(served.project)["DJANGO_JWT_SIGNING_KEY"]
        now = int(time.time())
        # The same token, as it is 5 minutes and a second after it was issued.
        expired = jwt.encode({**claims, "iat": now - 301, "exp": now - 1}, key, "HS256")
        refused = requests.get(served.url("/api/me/"), headers=bearer(expired), timeout=30)
        assert refused.status_code == 401
        assert refused.json()["code"] == "token_not_valid"
        assert refused.json()["detail"] == "Given token not valid for any token type"

        shown = lifted(command, REFRESH=tokens["refresh"])
        access = re.search(r'"access": "([^"]+)"', shown).group(1)
        me = requests.get(served.url("/api/me/"), headers=bearer(access), timeout=30)
        assert me.status_code == 200 and me.json()["username"] == username


def test_the_token_throttle_is_lifted_by_emptying_the_cache(served, lifted):
    """20 logins a minute from one address, the right password included; then 429 until the
    README's command empties the cache."""
    command = readme_command(served.project, "cache.clear()")
    with temporary_users(served.project, served.env, "throttled") as (username,):
        statuses = [
            requests.post(served.url(TOKEN), json=credentials(username), timeout=30).status_code
            for _ in range(21)
        ]
        assert statuses == [200] * 20 + [429], statuses
        lifted(command)
        assert login(requests, served.base, username)["access"]


def test_the_sign_up_throttle_is_lifted_by_emptying_the_cache(served, lifted):
    """10 sign-ups an hour from one address; then 429 until the README's command."""
    command = readme_command(served.project, "cache.clear()")
    with username_prefix(served.project, served.env, "signup") as prefix:

        def sign_up(number):
            user = {"username": f"{prefix}-{number}", "password": PASSWORD}
            return requests.post(served.url(REGISTER), json=user, timeout=30).status_code

        statuses = [sign_up(number) for number in range(11)]
        assert statuses == [201] * 10 + [429], statuses
        lifted(command)
        assert sign_up(11) == 201


def test_the_lockout_is_lifted_by_unlock(served, lifted):
    """10 wrong passwords lock the account out at this address, the right one included, until
    the README's command, typed with this account's name for the README's `alice`."""
    command = readme_command(served.project, "manage.py unlock")
    assert "--username alice" in command, command
    with temporary_users(served.project, served.env, "locked") as (username,):
        statuses = [
            requests.post(served.url(TOKEN), json=guess, timeout=30).status_code
            for guess in ({"username": username, "password": f"wrong {n}"} for n in range(10))
        ]
        assert statuses == [401] * 10, statuses  # the 10th wrong password locks
        right = requests.post(served.url(TOKEN), json=credentials(username), timeout=30)
        assert right.status_code == 429, right.text
        lifted(command.replace("alice", username))
        assert login(requests, served.base, username)["access"]


def test_a_500_shows_its_traceback_in_the_console_and_with_debug(rendered_project):
    """With DEBUG off the answer says no more than that; the server's console holds the
    traceback. With DEBUG on, so does the answer."""
    database, project, env = rendered_project
    told = section((project / "README.md").read_text(), LIMITS).split("**A 500,", 1)[1]
    assert "in the server's terminal" in told and "`DJANGO_DEBUG=true`" in told
    broken = relaxed_env(env, CACHE_URL="dbcache://no_such_cache_table")
    with gunicorn(project, broken, "--workers", "1", database=database) as served:
        crash = requests.post(served.url(TOKEN), json=credentials("nobody"), timeout=30)
        console = served.log
    assert crash.status_code == 500 and "no_such_cache_table" not in crash.text
    assert crash.json()["detail"] == "A server error occurred."
    assert "Traceback" in console and "no_such_cache_table" in console, console[-3000:]
    debugging = {**broken, "DJANGO_DEBUG": "true"}
    with gunicorn(project, debugging, "--workers", "1", database=database) as served:
        crash = requests.post(served.url(TOKEN), json=credentials("nobody"), timeout=30)
    assert crash.status_code == 500 and "no_such_cache_table" in crash.text


def credentials(username):
    return {"username": username, "password": PASSWORD}
