"""The cheap checks every render should pass, and Gunicorn's worker count as configured."""

import subprocess
import time

import pytest

from helpers.machine import run
from helpers.project import render, venv_env
from helpers.services import gunicorn


@pytest.fixture(
    scope="module", params=[("sqlite", "5"), ("postgres", "2")], ids=["sqlite", "postgres"]
)
def project(request, tmp_path_factory, venv):
    database, workers = request.param
    folder = tmp_path_factory.mktemp(database)
    return render(folder, database=database, gunicorn_workers=workers), int(workers), venv_env(venv)


def test_migrations_match_the_models(project):
    folder, _, env = project
    run(["python", "manage.py", "makemigrations", "--check", "--dry-run"], cwd=folder, env=env)


def test_static_files_collect(project):
    folder, _, env = project
    result = run(
        ["python", "manage.py", "collectstatic", "--dry-run", "--noinput"], cwd=folder, env=env
    )
    assert "static files copied" in result.stdout


def test_gunicorn_config_is_valid(project):
    folder, _, env = project
    run(["gunicorn", "--check-config", "config.wsgi"], cwd=folder, env=env)


def worker_pids(master_port):
    """The worker processes of the Gunicorn listening on a port: children of its master."""
    master = subprocess.run(
        ["pgrep", "-f", f"127.0.0.1:{master_port}"], capture_output=True, text=True
    )
    pids = master.stdout.split()
    children = subprocess.run(["pgrep", "-P", pids[0]], capture_output=True, text=True)
    return children.stdout.split()


def wait_for_workers(port, expected, timeout=30):
    deadline = time.monotonic() + timeout
    while len(worker_pids(port)) != expected and time.monotonic() < deadline:
        time.sleep(0.2)
    return len(worker_pids(port))


@pytest.mark.gunicorn
def test_worker_count_from_the_prompt_and_web_concurrency(project):
    folder, workers, env = project
    sqlite = {"DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}"}
    run(["python", "manage.py", "migrate", "--noinput"], cwd=folder, env={**env, **sqlite})
    with gunicorn(folder, {**env, **sqlite}) as base:
        assert wait_for_workers(base.rsplit(":", 1)[1], workers) == workers
    with gunicorn(folder, {**env, **sqlite, "WEB_CONCURRENCY": "3"}) as base:
        assert wait_for_workers(base.rsplit(":", 1)[1], 3) == 3
