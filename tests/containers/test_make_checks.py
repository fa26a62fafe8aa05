"""The checks of a rendered project's daily loop on a machine with only Docker and make, on
SQLite and PostgreSQL: `make test`, `make lint`, `make makemigrations`, `make lock`, as typed by
a newcomer.

Nothing of the project is installed on this side: `make test` runs ruff, the migrations check
and pytest in the development container, against the database the service uses, and must fail
when a test fails; `make lint` must fail on unformatted code and on a model change without its
migration. What the container writes into the folder belongs to the folder's owner (uid 1000,
neither root nor the image's user), as on a laptop: otherwise a newcomer's first `make test`
leaves files they cannot delete.

Real services: Docker and Compose v2 (the session's development image per database; the
development stack the Makefile starts: web, and db for PostgreSQL).
"""

import re

import pytest

from tooling.locks import lock_project

pytestmark = [pytest.mark.containers, pytest.mark.usefixtures("dev_clock")]

FAILING_TEST = '''"""A test made to fail: the command that runs the suite must fail with it."""


def test_made_to_fail():
    assert 1 + 1 == 3
'''
UNFORMATTED = "answer   =  42\n"


def owner(path):
    return path.stat().st_uid


def test_make_test_runs_checks_and_suite_in_containers(dev):
    """The one command: ruff, the migrations check and pytest, on the service's database."""
    status, output = dev.make("test")
    assert status == 0, output[-4000:]
    assert "All checks passed!" in output  # ruff check
    assert "files already formatted" in output  # ruff format --check
    assert "No changes detected" in output  # makemigrations --check
    assert "rootdir: /app" in output, output[-4000:]  # pytest ran in the container
    assert " passed" in output and "failed" not in output
    if dev.database == "postgres":
        assert dev.compose("ps", "-q", "db").stdout.strip(), "no db service for the suite"
    # What the container wrote in the folder belongs to the folder's owner, not to root or 10001.
    for cache in (".pytest_cache", ".ruff_cache"):
        assert owner(dev.project / cache) == dev.host_user, cache
    assert "PytestCacheWarning" not in output and "Permission denied" not in output
    dev.report("make test", dev.timings["test"])


def test_make_test_fails_when_a_test_fails(dev):
    with dev.changed(dev.project / "tests" / "test_made_to_fail.py", FAILING_TEST):
        status, output = dev.make("test")
    assert status != 0, output[-4000:]
    assert "1 failed" in output and "test_made_to_fail" in output, output[-4000:]
    dev.report("make test, one test made to fail", dev.timings["test"])


@pytest.mark.parametrize("dev", ["sqlite"], indirect=True)
def test_make_lint_and_make_makemigrations(dev):
    """lint fails on unformatted code and on a model change without its migration, which
    makemigrations then writes into the folder as a file of the folder's owner."""
    status, output = dev.make("lint")
    assert status == 0, output[-4000:]

    with dev.changed(dev.project / "config" / "unformatted.py", UNFORMATTED):
        status, output = dev.make("lint")
    assert status != 0 and "config/unformatted.py" in output, output[-4000:]
    assert "1 file would be reformatted" in output

    field = "    name = models.CharField(max_length=200)\n"
    added = field + "    rating = models.IntegerField(default=0)\n"
    with dev.replaced(dev.project / "things" / "models.py", field, added):
        status, output = dev.make("lint")
        assert status != 0 and "Add field rating to thing" in output, output[-4000:]

        status, output = dev.make("makemigrations")
        migration = dev.project / "things" / "migrations" / "0002_thing_rating.py"
        try:
            assert status == 0 and migration.is_file(), output[-4000:]
            assert owner(migration) == dev.host_user, "the new migration is not the user's file"
            assert "migrations.AddField" in migration.read_text()
        finally:
            migration.unlink(missing_ok=True)


@pytest.mark.parametrize("dev", ["sqlite"], indirect=True)
def test_make_lock_locks_a_new_dependency_with_its_hashes(dev):
    """A package added to requirements.in, then `make lock` in the container (uv reaches PyPI
    from there): both locks hold it with its hashes, every earlier pin stays, and CI's check
    of the locks passes."""
    locks = [dev.project / name for name in ("requirements.txt", "requirements-dev.txt")]
    before = [lock.read_text() for lock in locks]
    service = dev.project / "requirements.in"
    try:
        with dev.changed(service, service.read_text() + "requests==2.34.2\n"):
            status, output = dev.make("lock")
            assert status == 0, output[-4000:]
            for lock, text in zip(locks, before, strict=True):
                relocked = lock.read_text()
                assert re.search(r"^requests==2\.34\.2 \\\n +--hash=sha256:", relocked, re.M)
                assert set(pins(text)) <= set(pins(relocked)), lock.name
            check = lock_project(dev.project, "--check")
            assert check.returncode == 0, check.stderr
    finally:
        for lock, text in zip(locks, before, strict=True):
            lock.write_text(text)
    dev.report("make lock", dev.timings["lock"])


def pins(lock_text):
    return [line for line in lock_text.splitlines() if line[:1].isalnum()]
