"""Driving a rendered project the way its clients do: users, tokens and requests over HTTP,
and the Gunicorn processes that serve them."""

import contextlib
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .machine import run

# served_project renders the default resource, `thing`.
RESOURCES = "/api/v1/things/"
PASSWORD = "correct-horse-battery-staple"


def detail(pk):
    return f"{RESOURCES}{pk}/"


@dataclass
class Service:
    """A served project: its database, folder, env, and the base URL Gunicorn answers on."""

    database: str
    project: Path
    env: dict
    base: str

    def url(self, path):
        return f"{self.base}{path}"

    def shell(self, code):
        """Run Python inside the served project (`manage.py shell -c`); what it printed."""
        return django_shell(self.project, self.env, code)


def service_env(env, **extra):
    """The env of a served project for a test that does not measure the throttles.

    Throttle counts live in the database cache by default, shared by every test on the same
    database; a cache of each Gunicorn worker's own keeps one test's logins from throttling
    another's. The throttle test itself uses the database cache. Failed passwords are counted
    in the database too: with the lockout off, a fuzzer's wrong passwords neither lock out
    127.0.0.1 nor leave counts behind for later tests.
    """
    return {
        **env,
        "CACHE_URL": "locmemcache://",
        "DJANGO_TOKEN_THROTTLE_RATE": "100000/minute",
        "DJANGO_REGISTER_THROTTLE_RATE": "100000/minute",
        "DJANGO_LOGIN_LOCKOUT": "false",
        **{key: str(value) for key, value in extra.items()},
    }


def unique(name):
    """A username no other test on the same database uses."""
    return f"{name}-{uuid.uuid4().hex[:8]}"


def django_shell(project, env, code):
    """Run Python inside the project (`manage.py shell -c`); returns what it printed."""
    return run(["python", "manage.py", "shell", "-c", code], cwd=project, env=env).stdout


def create_users(project, env, *usernames, password=PASSWORD):
    django_shell(
        project,
        env,
        "from django.contrib.auth import get_user_model\n"
        f"for name in {list(usernames)!r}:\n"
        f"    get_user_model().objects.create_user(name, password={password!r})\n",
    )


@contextlib.contextmanager
def temporary_users(project, env, *names, password=PASSWORD):
    """Users for the length of a test, then deleted with everything they own.

    Other tests share the served project's database and count its rows.
    """
    usernames = [unique(name) for name in names]
    create_users(project, env, *usernames, password=password)
    try:
        yield usernames
    finally:
        delete_users(project, env, *usernames)


def delete_users(project, env, *usernames):
    """Delete these users, and with them everything they own."""
    django_shell(
        project,
        env,
        "from django.contrib.auth import get_user_model\n"
        f"get_user_model().objects.filter(username__in={list(usernames)!r}).delete()\n",
    )


def count_rows(project, env, owner=None):
    """How many resources the database holds, of one owner or of all."""
    where = f".filter(owner__username={owner!r})" if owner else ""
    code = (
        "from django.apps import apps\n"
        f"print(apps.get_model('things', 'Thing').objects{where}.count())\n"
    )
    return int(django_shell(project, env, code).split()[-1])


def read_dotenv(project):
    """The variables of the .env file that the template's hook wrote."""
    values = {}
    for line in (Path(project) / ".env").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            values[name.strip()] = value.strip()
    return values


def login(session, base, username, password=PASSWORD):
    """The access and refresh tokens of a user, from POST /api/token/."""
    response = session.post(
        f"{base}/api/token/", json={"username": username, "password": password}, timeout=30
    )
    assert response.status_code == 200, response.text
    return response.json()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def assert_json_error(response, status, what=""):
    """The response has this status and a JSON object for a body, as every API error should."""
    request = response.request
    where = f"{what}: {request.method} {request.url}" if what else f"{request.method} {request.url}"
    assert response.status_code == status, (
        f"{where} -> {response.status_code} {response.text[:300]}"
    )
    content_type = response.headers.get("Content-Type", "")
    assert content_type.startswith("application/json"), f"{where} -> {content_type}"
    body = response.json()
    assert isinstance(body, dict) and body, f"{where} -> {body!r}"
    return body


def parent_pid(pid):
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name, in parentheses, may hold spaces; the parent PID is the second field after.
    return int(stat.rsplit(")", 1)[1].split()[1])


def child_pids(pid):
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if parent_pid(entry.name) == pid:
                    children.append(int(entry.name))
            except (OSError, ValueError):
                continue  # the process ended while we looked
    return sorted(children)


def gunicorn_master(base):
    """The PID of the Gunicorn master that helpers.services.gunicorn started for `base`."""
    bind = urlsplit(base).netloc
    for pid in child_pids(os.getpid()):
        try:
            arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if bind.encode() in arguments:
            return pid
    raise LookupError(f"no Gunicorn master of this test process binds {bind}")


def wait_for_workers(master, count, gone=(), timeout=30):
    """The PIDs of the master's workers once there are `count` of them, none of them in `gone`.

    A master answers as soon as one worker has booted; the others may still be loading Django.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers = child_pids(master)
        if len(workers) == count and not set(gone) & set(workers):
            return workers
        time.sleep(0.1)
    raise TimeoutError(f"Gunicorn {master} has workers {child_pids(master)}, not {count} new ones")
