"""Backups that restore, stay private, and bring no ended token back, for each database.

Rows written through the API are backed up with scripts/backup.sh, the stack is removed with
its volumes (`down -v`), brought up empty, and scripts/restore.sh brings the same rows back.
A file that is not a backup, or a database of another project or of a newer version of this
one, is refused and changes nothing; a restore ends every token issued before it, also those
logged out after the backup was made; a failed backup leaves no file and exits non-zero; the
backup file is readable by its owner alone.

Real services: Docker and Compose v2 (a stack of its own per database, on the session's
image: proxy, migrate, web, and db for PostgreSQL; removed with its volumes).
"""

import contextlib
import io
import os
import sqlite3
import subprocess
import tarfile
import time

import pytest

from tooling.constants import DATABASES, PASSWORD, TEST_LABEL
from tooling.docker import require_engine
from tooling.machine import run
from tooling.project import render
from tooling.stack import Client, create_user, published_base, stack_on_image

# The session's image may be built in this module's first test.
pytestmark = [pytest.mark.containers, pytest.mark.timeout(1800)]

ROWS = ["first", "second", "third"]
# Backups someone left in the project folder after all.
STRAYS = ["backup.dump", "backup.dump.partial", "backups/backup.sqlite3", "db.sqlite3"]
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


def script(compose, name, *arguments, stdin_path=None, stdout_path=None):
    """scripts/<name> as the README runs it."""
    with contextlib.ExitStack() as files:
        stdin = files.enter_context(stdin_path.open("rb")) if stdin_path else subprocess.DEVNULL
        stdout = files.enter_context(stdout_path.open("wb")) if stdout_path else subprocess.PIPE
        return subprocess.run(
            [f"scripts/{name}", *map(str, arguments)],
            cwd=compose.project_dir,
            env=compose.env,
            stdin=stdin,
            stdout=stdout,
            stderr=subprocess.PIPE,
            timeout=120,
        )


def restore(compose, backup):
    return script(compose, "restore.sh", stdin_path=backup)


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
    made = script(stack, "backup.sh", backup)
    backed_up = time.monotonic() - timer
    assert made.returncode == 0, made.stderr.decode()[-2000:]
    assert backup.stat().st_size > 1000
    assert backup.stat().st_mode & 0o777 == 0o600  # every account is in it

    # The volume goes; the stack starts on an empty, freshly migrated database.
    stack("down", "-v")
    base = start(stack)
    api = Client(base)
    api("POST", "/api/token/", 401, username=USERNAME, password=PASSWORD)

    # Something that is not a backup is refused and leaves the database as it was.
    garbage = tmp_path / "garbage"
    garbage.write_text("not a backup\n" * 100)
    refused = restore(stack, garbage)
    assert refused.returncode != 0
    api("POST", "/api/token/", 401, username=USERNAME, password=PASSWORD)

    timer = time.monotonic()
    restored = restore(stack, backup)
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


def test_a_failed_backup_leaves_no_file(stack, tmp_path):
    start(stack)
    source = "db" if stack.database == "postgres" else "web"
    stack("stop", source)
    try:
        backup = tmp_path / "backup"
        failed = script(stack, "backup.sh", backup)
    finally:
        start(stack)
    print(f"\n[backups/{stack.database}] with {source} stopped: {failed.stderr.decode()[-300:]}")
    assert failed.returncode != 0
    assert list(tmp_path.iterdir()) == []  # neither the backup nor a part of it


def foreign_database(stack, tmp_path, migrations):
    """A backup-shaped file of a database whose django_migrations holds `migrations`."""
    rows = ", ".join(f"('{app}', '{name}', now())" for app, name in migrations)
    path = tmp_path / "foreign"
    if stack.database == "sqlite":
        with contextlib.closing(sqlite3.connect(path)) as db:
            db.execute("CREATE TABLE django_migrations (app, name, applied)")
            db.execute(f"INSERT INTO django_migrations VALUES {rows.replace('now()', '0')}")
            db.commit()
        return path
    sql = (
        "CREATE TABLE django_migrations (id serial, app text, name text, applied timestamptz);"
        f"INSERT INTO django_migrations (app, name, applied) VALUES {rows};"
    )
    dump = (
        'createdb --username="$POSTGRES_USER" foreign_project'
        f' && psql --quiet --username="$POSTGRES_USER" --dbname=foreign_project -c "{sql}"'
        ' && pg_dump --format=custom --username="$POSTGRES_USER" foreign_project'
        ' && dropdb --username="$POSTGRES_USER" foreign_project'
    )
    with path.open("wb") as out:
        subprocess.run(
            ["docker", "compose", "exec", "-T", "db", "sh", "-c", dump],
            cwd=stack.project_dir,
            env=stack.env,
            stdout=out,
            check=True,
            timeout=120,
        )
    return path


@pytest.mark.parametrize(
    "whose, migrations",
    [
        ("another project", [("contenttypes", "0001_initial"), ("blog", "0001_initial")]),
        (
            "a newer version",
            [("accounts", "0001_initial"), ("things", "0001_initial"), ("accounts", "0999_later")],
        ),
    ],
)
def test_restore_refuses_a_database_that_is_not_this_projects(stack, tmp_path, whose, migrations):
    base = start(stack)
    keeper = "stays-" + whose.split()[-1]
    create_user(stack, keeper)
    refused = restore(stack, foreign_database(stack, tmp_path, migrations))
    print(f"\n[backups/{stack.database}] {whose}: {refused.stderr.decode().strip()}")
    assert refused.returncode != 0
    assert b"nothing was changed" in refused.stderr
    Client(base).login(keeper)  # the database is as it was


def test_restore_ends_every_token(stack, tmp_path):
    base = start(stack)
    username = "token-keeper"
    create_user(stack, username)
    api = Client(base)
    before = api.login(username)
    backup = tmp_path / "backup"
    assert script(stack, "backup.sh", backup).returncode == 0
    # After the backup: a logout (every token so far ends), then a new sign-in.
    logged_out = api.login(username)
    api("POST", "/api/token/blacklist/", 200, refresh=logged_out["refresh"])
    after = api.login(username)
    api("GET", "/api/me/", 200, after["access"])

    restored = restore(stack, backup)
    assert restored.returncode == 0, restored.stderr.decode()[-2000:]
    issued = {
        "issued before the backup": before,
        "logged out after it": logged_out,
        "issued after that logout": after,
    }
    for when, tokens in issued.items():
        api("GET", "/api/me/", 401, tokens["access"])
        api("POST", "/api/token/refresh/", 401, refresh=tokens["refresh"])
        print(f"[backups/{stack.database}] after the restore, refused: the tokens {when}")
    api("GET", "/api/me/", 200, api.login(username)["access"])  # the password still works


@pytest.mark.parametrize("database", DATABASES)
def test_backups_in_the_folder_are_ignored_by_git_and_docker(database, tmp_path):
    require_engine()
    project = render(tmp_path / "project", database=database)
    for stray in STRAYS:
        (project / stray).parent.mkdir(exist_ok=True)
        (project / stray).write_text("every account\n")
    run(["git", "init", "--quiet"], cwd=project)
    committed = run(["git", "add", "--all", "--dry-run"], cwd=project).stdout
    assert "manage.py" in committed
    assert not [stray for stray in STRAYS if stray in committed], committed

    # What `docker build` sends of the folder, through the project's own .dockerignore.
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM scratch\nCOPY . /context/\n")
    tag = f"drf-auth-template-test/context-{database}-{os.getpid()}"
    label = f"{TEST_LABEL}=true"
    run(["docker", "build", "--quiet", "--label", label, "-f", dockerfile, "-t", tag, project])
    container = run(["docker", "create", tag, "none"]).stdout.strip()
    try:
        exported = subprocess.run(
            ["docker", "export", container], capture_output=True, check=True, timeout=120
        ).stdout
    finally:
        run(["docker", "rm", container])
        run(["docker", "rmi", tag])
    with tarfile.open(fileobj=io.BytesIO(exported)) as image:
        sent = {name.removeprefix("context/") for name in image.getnames()}
    assert "manage.py" in sent
    assert not sent & set(STRAYS), sorted(sent & set(STRAYS))
