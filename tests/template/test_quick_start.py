"""A newcomer's first hour: the README's quick start and walkthrough, followed as written on a
fresh render of each database, without Docker.

The commands are read from the README itself, never copied here. What belongs to this machine
is replaced, line by line and nothing else: `python3 -m venv .venv` by a link to the session's
virtualenv, which holds the same requirements, and `pip install` by nothing (a fresh install
costs about 30 s more and tests pip); `createsuperuser` gets --noinput and the
DJANGO_SUPERUSER_ variables, since no one types at its prompts; the port is a free one, as the
README says to pick. On PostgreSQL the README's `createuser` and `createdb` run as the test
cluster's superuser instead of `sudo -u postgres`, and .env's DATABASE_URL names that cluster.

The walkthrough is then pasted into an interactive terminal and run as scripts/walkthrough.sh,
one after the other on the same database: both pass. With the server stopped, both stop at
their first step at once, with one line and no traceback, and the terminal stays open. The
time from the render to the first authenticated answer is printed.

Real services: Gunicorn, started by the README's own command; PostgreSQL (the session cluster).
"""

import subprocess
import time
import uuid
from urllib.parse import urlsplit

import pytest
import requests

from helpers.walkthrough import (
    NO_SERVER,
    STEP_ANSWERED,
    assert_walked,
    paste_walkthrough,
    run_script,
    walkthrough_block,
)
from tooling.constants import DATABASES, TOKEN
from tooling.docker import shell_env
from tooling.machine import run
from tooling.project import read_dotenv, render
from tooling.readme import bash_blocks, commands, section
from tooling.served import serve

pytestmark = pytest.mark.gunicorn

PROJECT_NAME = "Quick Start Lab"
SUPERUSER = {
    "DJANGO_SUPERUSER_USERNAME": "teacher",
    "DJANGO_SUPERUSER_EMAIL": "teacher@example.com",
    "DJANGO_SUPERUSER_PASSWORD": "quick-start-teacher-pass",
}


def as_run_here(line, venv):
    """A quick start line as this machine runs it (see the module's docstring); None: skipped."""
    if line == "python3 -m venv .venv":
        return f"ln -s {venv} .venv"
    if line == "pip install -r requirements-dev.txt":
        return None
    if line == "python manage.py createsuperuser":
        return f"{line} --noinput"
    if line == "export PORT=8000":
        return "export PORT={port}"
    return line.removeprefix("sudo -u postgres ")


def quick_start_blocks(readme):
    """The quick start's bash blocks: the PostgreSQL role and database first when there are
    any, then the one that ends by serving."""
    blocks = bash_blocks(section(readme, "Quick start, without Docker"))
    lines = commands(blocks[-1])
    replaced = {"python3 -m venv .venv", "pip install -r requirements-dev.txt"}
    assert replaced <= set(lines), lines  # the lines this test replaces are the README's
    assert lines[-1] == "gunicorn config.wsgi --bind 127.0.0.1:$PORT", lines
    return blocks[:-1], lines


def create_role_and_database(block, project, postgres):
    """The README's createuser and createdb, answering --pwprompt with the password of .env's
    DATABASE_URL; then .env points at the test cluster instead of port 5432."""
    url = read_dotenv(project)["DATABASE_URL"]
    password = urlsplit(url).password
    as_superuser = {"PGHOST": "127.0.0.1", "PGPORT": str(postgres.port), "PGUSER": "postgres"}
    for line in commands(block):
        assert line.startswith("sudo -u postgres "), line
        # No terminal of its own (a new session): createuser reads the password from stdin.
        subprocess.run(
            ["bash", "-c", line.removeprefix("sudo -u postgres ")],
            cwd=project,
            env=shell_env(**as_superuser),
            input=f"{password}\n{password}\n",
            text=True,
            check=True,
            timeout=60,
            start_new_session=True,
        )
    dotenv = project / ".env"
    local = f"@127.0.0.1:{postgres.port}/"
    dotenv.write_text(dotenv.read_text().replace("@localhost:5432/", local))
    # CREATEDB: the role can make (and drop) the database its tests run in.
    role = urlsplit(url).username
    for sql in ("CREATE DATABASE createdb_check", "DROP DATABASE createdb_check"):
        psql = ["psql", "-h", "127.0.0.1", "-p", str(postgres.port), "-U", role, "-d", role]
        run([*psql, "-c", sql], env=shell_env(PGPASSWORD=password))


@pytest.mark.parametrize("database", DATABASES)
def test_quick_start_and_walkthrough_as_written(database, tmp_path, venv, request):
    started = time.monotonic()
    slug = f"first_hour_{uuid.uuid4().hex[:8]}"
    project = render(tmp_path, database=database, project_name=PROJECT_NAME, project_slug=slug)
    readme = (project / "README.md").read_text()
    database_blocks, lines = quick_start_blocks(readme)
    assert len(database_blocks) == (1 if database == "postgres" else 0)
    if database == "postgres":
        create_role_and_database(database_blocks[0], project, request.getfixturevalue("postgres"))
    here = [line for line in (as_run_here(line, venv) for line in lines) if line is not None]
    walkthrough = walkthrough_block(readme)
    script = (project / "scripts/walkthrough.sh").read_text()
    assert script.split("\n\n", 1)[1] == walkthrough  # the script is the README's lines

    quick_start = "set -e\n" + "\n".join(here)
    with serve(project, shell_env(**SUPERUSER), ["bash", "-c", quick_start], timeout=300) as served:
        port = served.base.rsplit(":", 1)[1]
        answering = time.monotonic() - started
        pasted = paste_walkthrough(walkthrough, project, project / ".venv", port)
        assert pasted.status == 0, pasted.text
        assert_walked(pasted.text, walkthrough)
        first_answer = answering + pasted.first(r"^who am I: HTTP/1\.1 200 ")
        again, _ = run_script(project, venv, port)
        assert_walked(again, walkthrough)

        # createsuperuser made the teacher; the admin shows the project's name.
        teacher = {"username": "teacher", "password": SUPERUSER["DJANGO_SUPERUSER_PASSWORD"]}
        assert requests.post(served.url(TOKEN), json=teacher, timeout=30).status_code == 200
        login_page = requests.get(served.url("/admin/login/"), timeout=30).text
        assert f"<title>Log in | {PROJECT_NAME}</title>" in login_page
        assert f'<a href="/admin/">{PROJECT_NAME}</a>' in login_page
    if database == "sqlite":  # as the prompt says: a file in the project folder
        assert (project / "db.sqlite3").is_file()
    print(
        f"\n[{database}] quick start, from the render: the server answering after"
        f" {answering:.1f} s, the first authenticated answer after {first_answer:.1f} s"
    )

    # The server is stopped: both ways stop at the first step, at once, with one line.
    stopped_at = time.monotonic()
    pasted = paste_walkthrough(walkthrough, project, project / ".venv", port)
    refused, status = run_script(project, venv, port, check=False)
    took = time.monotonic() - stopped_at
    assert len(NO_SERVER.findall(pasted.text)) == 1, pasted.text
    assert not STEP_ANSWERED.findall(pasted.text) and "Traceback" not in pasted.text
    assert pasted.status == 1, pasted.text  # the terminal is still there to say so
    assert status == 1 and NO_SERVER.fullmatch(refused.strip()), refused
    assert took < 20, f"the stopped walkthrough took {took:.1f} s"
