"""Backups that restore, for each database, through the rendered project's compose stack.

Rows written through the API are backed up with scripts/backup.sh, the stack is removed with
its volumes (`down -v`), brought up empty, and scripts/restore.sh brings the same rows back.
A file that is not a backup is refused and changes nothing: a backup that does not restore,
or a restore that half-writes, is found out on the day it is needed.

Real services: Docker and Compose v2 (a stack of its own per database, on the session's
image: proxy, migrate, web, and db for PostgreSQL; removed with its volumes).
"""

import contextlib
import os
import subprocess
import time

import pytest

from tooling.constants import DATABASES, PASSWORD
from tooling.project import render
from tooling.stack import Client, create_user, published_base, stack_on_image

# The session's image may be built in this module's first test.
pytestmark = [pytest.mark.containers, pytest.mark.timeout(1800)]

ROWS = ["first", "second", "third"]
USERNAME = "keeper"


@pytest.fixture(scope="module", params=DATABASES)
def stack(request, tmp_path_factory, build):
    """A compose stack of its own (its volumes go with `down -v`), on the session's image of
    the database; removed afterwards."""
    database = request.param
    built = build(database)
    project = render(
        tmp_path_factory.mktemp(f"backups-{database}"), database=database, python_version="3.11"
    )
    compose = stack_on_image(project, f"drfauthdbops{database}{os.getpid()}", built.image)
    compose.database = database
    yield compose
    compose.remove()


def start(compose):
    compose("up", "-d")
    base = published_base(compose)
    compose.wait_until_healthy("web", f"{base}/healthz/")
    return base


def script(compose, name, stdin_path=None, stdout_path=None):
    """scripts/<name> as the README runs it."""
    with contextlib.ExitStack() as files:
        stdin = files.enter_context(stdin_path.open("rb")) if stdin_path else subprocess.DEVNULL
        stdout = files.enter_context(stdout_path.open("wb")) if stdout_path else subprocess.PIPE
        return subprocess.run(
            [f"scripts/{name}"],
            cwd=compose.project_dir,
            env=compose.env,
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
        f"\n[backups/{stack.database}] backup"
        f" {backup.stat().st_size / 1e3:.0f} kB in {backed_up:.1f} s, restore"
        f" {restore_took:.1f} s, test {time.monotonic() - started:.1f} s"
    )
