"""The rendered Makefile's targets without Docker, as the README lists them, typed in a shell
where no virtualenv is active: each uses the project's .venv itself.

`make local-lint` passes on a fresh render; `make local-superuser` makes an admin without
questions when the DJANGO_SUPERUSER_ variables are set; `make local-run` migrates, collects the
static files and serves on PORT, on this machine only. .venv is a link to the session's
virtualenv, which `make -o .venv/ready` takes as installed; `make local-install` is pip, whose
commands a dry run shows (a real install costs about 30 s and tests pip).

Real services: Gunicorn, started by make.
"""

import pytest
import requests

from tooling.constants import TOKEN
from tooling.docker import shell_env
from tooling.machine import require, run
from tooling.project import render
from tooling.served import serve

pytestmark = pytest.mark.gunicorn

INSTALLED = ["-o", ".venv/ready"]  # the venv is there: make must not build it again
TEACHER = {"DJANGO_SUPERUSER_USERNAME": "teacher", "DJANGO_SUPERUSER_EMAIL": "t@example.com"}
PASSWORD = "make-local-teacher-pass"  # noqa: S105 (a throwaway user of a throwaway project)


@pytest.fixture(scope="module")
def project(tmp_path_factory, venv):
    require("make")
    project = render(tmp_path_factory.mktemp("make-local"))
    (project / ".venv").symlink_to(venv)
    return project


def make(project, *args, **variables):
    command = ["make", "--no-print-directory", *args]
    return run(command, cwd=project, env=shell_env(**variables)).stdout


def test_local_install_makes_the_venv_of_the_quick_start(project):
    planned = make(project, "--dry-run", "--always-make", "local-install")
    assert planned.splitlines() == [
        "python3 -m venv .venv",
        ".venv/bin/pip install -r requirements-dev.txt",
        "touch .venv/ready",
    ]


def test_local_lint_passes_on_a_fresh_render(project):
    printed = make(project, *INSTALLED, "local-lint")
    assert "All checks passed!" in printed and "No changes detected" in printed


def test_local_superuser_and_local_run_serve_on_port(project):
    make(project, *INSTALLED, "local-superuser", DJANGO_SUPERUSER_PASSWORD=PASSWORD, **TEACHER)
    command = ["make", *INSTALLED, "local-run", "PORT={port}"]
    with serve(project, shell_env(), command, timeout=300) as served:
        teacher = {"username": "teacher", "password": PASSWORD}
        assert requests.post(served.url(TOKEN), json=teacher, timeout=30).status_code == 200
        # On this machine only: not on every address, as PORT alone would have it.
        port = served.base.rsplit(":", 1)[1]
        sockets = run(["ss", "-Hltn", f"sport = :{port}"]).stdout.splitlines()
        assert [line.split()[3] for line in sockets] == [f"127.0.0.1:{port}"], sockets
