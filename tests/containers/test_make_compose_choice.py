"""Which Compose a rendered project's Makefile calls: `docker compose` (v2) where the plugin
answers, else `docker-compose` (v1), on SQLite.

Machines have one or the other, seldom both: a Makefile that named only one would fail on
half of them at the first `make up`. A stand-in `docker` on PATH plays each kind of machine,
and `make --dry-run` shows the commands without running them.

Real services: no engine is needed. make, and the real docker-compose answering the
Makefile's `docker compose version` through the stand-in on the v2 machine.
"""

import shutil

import pytest

from tooling.docker import SHELL_PATH, shell_env
from tooling.machine import require, run
from tooling.project import render

pytestmark = pytest.mark.containers


@pytest.mark.parametrize("database", ["sqlite"])
def test_make_prefers_compose_v2_and_falls_back_to_v1(database, tmp_path):
    """`docker compose` where the plugin answers, else `docker-compose`. A stand-in `docker` on
    PATH plays each kind of machine: its `compose` subcommand answers (v2) or is unknown (v1)."""
    require("docker", "docker-compose", "make")
    project = render(tmp_path, database=database)
    docker, docker_compose = shutil.which("docker"), shutil.which("docker-compose")
    plugin = {
        "v2": f'shift; exec {docker_compose} "$@"',
        "v1": 'echo "docker: unknown command: docker compose" >&2; exit 1',
    }
    printed = {}
    for version, compose in plugin.items():
        folder = tmp_path / version
        folder.mkdir()
        (folder / "docker").write_text(
            f'#!/bin/sh\nif [ "$1" = compose ]; then {compose}; fi\nexec {docker} "$@"\n'
        )
        (folder / "docker").chmod(0o755)
        env = shell_env(PATH=f"{folder}:{SHELL_PATH}", DEV_PROJECT="dev")
        dry_run = run(["make", "--dry-run", "up", "test"], cwd=project, env=env).stdout
        printed[version] = dry_run.splitlines()
    assert printed["v2"][0] == "docker compose up --build --detach"
    assert printed["v1"][0] == "docker-compose up --build --detach"
    assert (
        "docker compose --project-name dev --file docker-compose.dev.yml build web" in printed["v2"]
    )
    assert not [line for line in printed["v1"] if "docker compose" in line]
