"""The secrets that protect every account: strong, in .env only, and never left weak.

The post-generation hook writes DJANGO_SECRET_KEY, DJANGO_JWT_SIGNING_KEY (and, for
PostgreSQL, the database password) into .env alone: readable by its owner only, kept out of
git and of the Docker build context, and in no other rendered file. A key that protects
nothing (empty, blank, or a signing key shorter than HS256's 32 bytes: an unfilled
.env.example, a placeholder) stops `manage.py` and Gunicorn at start-up with one clear line,
instead of a service that answers 500 at the first login or signs tokens anyone can forge.
Passwords are stored with a slow, salted hash, and `check --deploy` finds nothing to warn of
with the settings the container image runs with. HSTS binds this host only unless asked:
includeSubDomains commits every subdomain for a year, and preload lists are slow to leave.

Real services: Gunicorn, started with each weak key to see it refuse (no server is reached);
`manage.py` against SQLite and a throwaway PostgreSQL cluster.
"""

import contextlib
import re
import secrets
import shutil
import stat
import subprocess
import tempfile
import time

import pytest
import requests

from tooling.accounts import temporary_users
from tooling.constants import HEALTH, SECRET_NAMES
from tooling.machine import free_port, run, stop
from tooling.project import django_shell, own_settings, read_dotenv
from tooling.served import gunicorn, relaxed_env

pytestmark = pytest.mark.gunicorn

WEAK_KEYS = {
    "empty secret key": ("DJANGO_SECRET_KEY", "", "DJANGO_SECRET_KEY is empty"),
    "blank secret key": ("DJANGO_SECRET_KEY", "   ", "DJANGO_SECRET_KEY is empty"),
    "empty signing key": ("DJANGO_JWT_SIGNING_KEY", "", "DJANGO_JWT_SIGNING_KEY is 0 bytes"),
    "31-byte signing key": (
        "DJANGO_JWT_SIGNING_KEY",
        "k" * 31,
        "DJANGO_JWT_SIGNING_KEY is 31 bytes",
    ),
}


def gunicorn_until_it_exits(project, env, timeout=120):
    """Start Gunicorn and ask for /healthz/ until it exits: (exited, the statuses of every
    answer it gave, what it printed). exited is False if it still ran after `timeout`."""
    port = free_port()
    command = ["gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    answers = []
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(
            command, cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + timeout
            while process.poll() is None and time.monotonic() < deadline:
                with contextlib.suppress(requests.ConnectionError, requests.Timeout):
                    answers.append(requests.get(f"http://127.0.0.1:{port}{HEALTH}", timeout=2))
                time.sleep(0.1)
            exited = process.poll() is not None
        finally:
            stop(process)
        log.seek(0)
        return exited, [answer.status_code for answer in answers], log.read()


@pytest.mark.parametrize("what", list(WEAK_KEYS))
def test_weak_keys_stop_manage_py_and_gunicorn(rendered_project, what):
    database, project, env = rendered_project
    name, value, message = WEAK_KEYS[what]
    weak = {**env, name: value}

    check = run(["python", "manage.py", "check"], cwd=project, env=weak, check=False)
    print(f"\n[{database}] {what}: manage.py check exits {check.returncode}")
    assert check.returncode != 0, check.stdout
    assert f"django.core.exceptions.ImproperlyConfigured: {message}" in check.stderr

    started = time.monotonic()
    exited, answers, output = gunicorn_until_it_exits(project, weak)
    took = time.monotonic() - started
    print(f"[{database}] {what}: gunicorn exits after {took:.1f} s, answering {answers}")
    assert exited, output
    assert answers == []  # not one request served, not even with a 500
    assert f"ImproperlyConfigured: {message}" in output


def test_a_32_byte_signing_key_is_enough(rendered_project):
    _, project, env = rendered_project
    key = secrets.token_hex(16)  # 32 characters, 32 bytes
    result = run(
        ["python", "manage.py", "check"], cwd=project, env={**env, "DJANGO_JWT_SIGNING_KEY": key}
    )
    assert "System check identified no issues" in result.stdout


def test_deploy_check_is_clean_with_the_container_settings(rendered_project, tmp_path):
    """As the image runs it when a platform gives it its keys alone: no .env (the image holds
    none), DJANGO_HTTPS=true from the Dockerfile, every other setting at its default."""
    database, project, env = rendered_project
    image = tmp_path / "image"
    ignored = shutil.ignore_patterns(".env", "db.sqlite3*", "staticfiles", "__pycache__")
    shutil.copytree(project, image, ignore=ignored)
    keys = {name: value for name, value in read_dotenv(project).items() if name in SECRET_NAMES}
    container_env = {**env, **keys, "DJANGO_HTTPS": "true"}  # env holds no DJANGO_ variable
    command = ["python", "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    result = run(command, cwd=image, env=container_env)
    print(f"\n[{database}] check --deploy: {result.stdout.strip()} {result.stderr.strip()}")
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("asked", "sent"),
    [
        ({}, "max-age=31536000"),
        (
            {"DJANGO_HSTS_INCLUDE_SUBDOMAINS": "true", "DJANGO_HSTS_PRELOAD": "true"},
            "max-age=31536000; includeSubDomains; preload",
        ),
    ],
    ids=["default", "opted-in"],
)
def test_hsts_covers_subdomains_and_preload_lists_only_when_asked(rendered_project, asked, sent):
    database, project, env = rendered_project
    with gunicorn(project, relaxed_env(env, DJANGO_HTTPS="true", **asked)) as served:
        answer = requests.get(
            served.url(HEALTH), headers={"X-Forwarded-Proto": "https"}, timeout=30
        )
    print(f"\n[{database}] {asked or 'default'}: {answer.headers['Strict-Transport-Security']}")
    assert answer.headers["Strict-Transport-Security"] == sent


def test_passwords_are_stored_with_a_strong_hash(rendered_project):
    """With the project's own settings (the other tests sign in with a quick hash)."""
    database, project, env = rendered_project
    own = own_settings(env)
    with temporary_users(project, own, "hashed") as (username,):
        stored = django_shell(
            project,
            own,
            "from django.contrib.auth import get_user_model\n"
            f"print(get_user_model().objects.get(username={username!r}).password)",
        ).split()[-1]
    algorithm, rest = stored.split("$", 1)
    print(f"\n[{database}] stored password: {algorithm}${rest.split('$')[0]}$...")
    assert re.match(r"pbkdf2_sha256\$1000000\$|argon2", stored)


def test_secrets_stay_in_the_dotenv_file(rendered_project):
    database, project, env = rendered_project
    dotenv = project / ".env"
    assert stat.S_IMODE(dotenv.stat().st_mode) == 0o600
    for ignore_file in (".gitignore", ".dockerignore"):
        assert ".env" in (project / ignore_file).read_text().splitlines(), ignore_file

    values = read_dotenv(project)
    secret_values = {name: values[name] for name in SECRET_NAMES if values.get(name)}
    assert {"DJANGO_SECRET_KEY", "DJANGO_JWT_SIGNING_KEY"} <= set(secret_values)
    scanned = 0
    for path in project.rglob("*"):
        if path.is_file() and path != dotenv:
            content = path.read_bytes()
            scanned += 1
            for name, value in secret_values.items():
                assert value.encode() not in content, f"{name} is written in {path}"
    print(f"\n[{database}] {sorted(secret_values)} found in no other file of {scanned}")
