"""The service refuses to start with keys that protect nothing, and says why in one line.

An empty DJANGO_SECRET_KEY, or a DJANGO_JWT_SIGNING_KEY shorter than HS256's 32 bytes (an
unfilled .env.example, a placeholder), stops `manage.py` and Gunicorn at start-up with
ImproperlyConfigured, instead of a service that answers 500 at the first login or signs
tokens anyone can forge.
"""

import secrets
import time

import pytest
import requests

from tooling.machine import free_port, run

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


@pytest.mark.parametrize("what", list(WEAK_KEYS))
def test_weak_keys_stop_manage_py_and_gunicorn(served_project, what):
    database, project, env = served_project
    name, value, message = WEAK_KEYS[what]
    weak = {**env, name: value}

    check = run(["python", "manage.py", "check"], cwd=project, env=weak, check=False)
    last_line = check.stderr.strip().splitlines()[-1]
    print(f"\n[{database}] {what}: manage.py check exits {check.returncode}: {last_line}")
    assert check.returncode != 0
    assert last_line.startswith(f"django.core.exceptions.ImproperlyConfigured: {message}")

    port = free_port()
    started = time.monotonic()
    gunicorn = run(
        ["gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=project,
        env=weak,
        check=False,
        timeout=120,
    )
    took = time.monotonic() - started
    output = gunicorn.stdout + gunicorn.stderr
    print(f"[{database}] {what}: gunicorn exits {gunicorn.returncode} after {took:.1f} s")
    assert gunicorn.returncode != 0
    assert f"ImproperlyConfigured: {message}" in output
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/healthz/", timeout=5)


def test_a_32_byte_signing_key_is_enough(served_project):
    _, project, env = served_project
    key = secrets.token_hex(16)  # 32 characters, 32 bytes
    result = run(
        ["python", "manage.py", "check"], cwd=project, env={**env, "DJANGO_JWT_SIGNING_KEY": key}
    )
    assert "System check identified no issues" in result.stdout
