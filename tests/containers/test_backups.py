"""Backups that restore, for each database, through the rendered project's compose stack.

Rows written through the API are backed up with scripts/backup.sh, the stack is removed with
its volumes (`down -v`), brought up empty, and scripts/restore.sh brings the same rows back.
A file that is not a backup is refused and changes nothing.
"""

import contextlib
import os
import subprocess
import time

import pytest

from tooling.constants import DATABASES, PASSWORD
from tooling.docker import require_engine
from tooling.machine import require
from tooling.project import render
from tooling.stack import Client, built_stack, create_user, published_base

pytestmark = pytest.mark.containers

ROWS = ["first", "second", "third"]
USERNAME = "keeper"


@pytest.fixture(scope="module", params=DATABASES)
def stack(request, tmp_path_factory):
    """The rendered project's compose stack on an image of its own, removed afterwards."""
    require("docker", "docker-compose")
    require_engine()
    database = request.param
    project = render(
        tmp_path_factory.mktemp(f"backups-{database}"), database=database, python_version="3.11"
    )
    compose, took = built_stack(database, project, f"drfauthdbops{database}{os.getpid()}")
    compose.database, compose.build_seconds = database, took
    yield compose
    compose.remove()


def start(compose):
    compose("up", "-d")
    base = published_base(compose)
    compose.wait_until_healthy("web", f"{base}/healthz/")
    return base


def script(compose, name, stdin_path=None, stdout_path=None):
    """scripts/<name> as the README runs it, with Compose v1 (all this machine has)."""
    with contextlib.ExitStack() as files:
        stdin = files.enter_context(stdin_path.open("rb")) if stdin_path else subprocess.DEVNULL
        stdout = files.enter_context(stdout_path.open("wb")) if stdout_path else subprocess.PIPE
        return subprocess.run(
            [f"scripts/{name}"],
            cwd=compose.project_dir,
            env={**compose.env, "COMPOSE": "docker-compose"},
            stdin=stdin,
            stdout=stdout,
            stderr=subprocess.PIPE,
            timeout=120,
        )


def test_backup_survives_losing_the_volume(stack, tmp_path):
    started = time.monotonic()
    base = start(stack)
    create_user(stack, USERNAME)
    api = Client(base)
    access = api.login(USERNAME)["access"]
    for name in ROWS:
        api.create(access, name)

    backup = tmp_path / "backup"
    timer = time.monotonic()
    made = script(stack, "backup.sh", stdout_path=backup)
    backed_up = time.monotonic() - timer
    assert made.returncode == 0, made.stderr.decode()[-2000:]
    assert backup.stat().st_size > 1000

    # The volume goes; the stack starts on an empty, freshly migrated database.
    stack("down", "-v")
    base = start(stack)
    api = Client(base)
    api("POST", "/api/token/", 401, username=USERNAME, password=PASSWORD)

    # Something that is not a backup is refused and leaves the database as it was.
    garbage = tmp_path / "garbage"
    garbage.write_text("not a backup\n" * 100)
    refused = script(stack, "restore.sh", garbage)
    assert refused.returncode != 0
    api("POST", "/api/token/", 401, username=USERNAME, password=PASSWORD)

    timer = time.monotonic()
    restored = script(stack, "restore.sh", backup)
    restore_took = time.monotonic() - timer
    assert restored.returncode == 0, restored.stderr.decode()[-2000:]

    access = api.login(USERNAME)["access"]
    assert sorted(api.names(access)) == sorted(ROWS)
    # Writable afterwards, and the id sequence came back too: a new row takes a fresh id.
    api.create(access, "after the restore")
    assert sorted(api.names(access)) == sorted([*ROWS, "after the restore"])
    print(
        f"\n[backups/{stack.database}] build {stack.build_seconds:.1f} s, backup"
        f" {backup.stat().st_size / 1e3:.0f} kB in {backed_up:.1f} s, restore"
        f" {restore_took:.1f} s, test {time.monotonic() - started:.1f} s"
    )
