"""The rendered projects' locks, one pair per database, kept in step with what they declare.

Each database renders its own requirements.in, so the template holds a lock of each database
(`requirements.<database>.txt`, `requirements-dev.<database>.txt`) that the post-generation
hook renames. Both are made by the rendered project's own scripts/lock.sh, run in a fresh
render, so that the template and a project lock in exactly the same way.

As a command (`make lock` in the template): python -m tooling.locks
It re-locks every database after a change to the rendered .in files, keeping every version
the locks already hold; it needs uv (the template's requirements-dev.txt has it).
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

from .constants import DATABASES, TEMPLATE
from .machine import run
from .project import render

LOCKS = ("requirements", "requirements-dev")
RENDERED = TEMPLATE / "{{cookiecutter.project_slug}}"


def template_lock(name, database):
    """The template's file that becomes the `name`.txt of a project on `database`."""
    return RENDERED / f"{name}.{database}.txt"


def lock_env():
    """This environment with the venv's uv first on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    return env


def lock_project(project, *options, check=False):
    """scripts/lock.sh of a rendered project, its CompletedProcess (with --check, a non-zero
    exit and the differences on stderr when a lock is stale)."""
    return run(["scripts/lock.sh", *options], cwd=project, env=lock_env(), check=check)


def relock(database, scratch):
    """Render `database`, lock it there and copy its locks back into the template."""
    project = render(scratch / database, database=database)
    lock_project(project, check=True)
    for name in LOCKS:
        shutil.copyfile(project / f"{name}.txt", template_lock(name, database))
        print(f"locked {template_lock(name, database).relative_to(TEMPLATE)}")


def main():
    with tempfile.TemporaryDirectory(prefix="locks-") as scratch:
        for database in DATABASES:
            relock(database, Path(scratch))


if __name__ == "__main__":
    main()
