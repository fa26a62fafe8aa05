"""Rendering the template, the virtualenv its projects run in, and their `.env`."""

import fcntl
import hashlib
import os
import shutil
import sys
from pathlib import Path
from typing import NamedTuple

from cookiecutter.main import cookiecutter

from .constants import CACHE, TEMPLATE
from .machine import run


def render(output_dir, template=TEMPLATE, **answers):
    """Render the template without prompts; returns the project folder."""
    return Path(
        cookiecutter(
            str(template), no_input=True, output_dir=str(output_dir), extra_context=answers
        )
    )


def cookiecutter_cli(output_dir, *options, template=TEMPLATE, **answers):
    """`cookiecutter --no-input` as a person runs it, answers as NAME=value arguments; the
    CompletedProcess, whatever its exit status (the hooks print their ERROR lines to stderr)."""
    command = [sys.executable, "-m", "cookiecutter", "--no-input", "-o", output_dir, *options]
    pairs = [f"{name}={value}" for name, value in answers.items()]
    return run([*command, template, *pairs], check=False, timeout=120)


def hook_errors(stderr):
    """The ERROR lines of the template's hooks, less cookiecutter's own "Stopping generation"."""
    return [
        line
        for line in stderr.splitlines()
        if line.startswith("ERROR: ") and not line.startswith("ERROR: Stopping generation")
    ]


def cached_venv(requirements, install, *pip_options):
    """A virtualenv with `pip install -r install`, kept between runs under the hash of the
    requirement files (a changed pin makes a new one).

    Processes that want it at once (`make test` runs two) take turns under a file lock: the
    first builds it, the others wait and then find it complete.
    """
    digest = hashlib.sha256(b"".join(Path(path).read_bytes() for path in requirements))
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    venv = CACHE / f"venv-{version}-{digest.hexdigest()[:12]}"
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not (venv / "complete").exists():
            shutil.rmtree(venv, ignore_errors=True)
            run([sys.executable, "-m", "venv", venv])
            run([venv / "bin/pip", "install", "-q", *pip_options, "-r", install])
            (venv / "complete").touch()
    return venv


def project_venv(scratch, template=TEMPLATE):
    """The virtualenv of the rendered projects, shared by the tests and the bench.

    The PostgreSQL variant's requirements are a superset of SQLite's, so one venv serves both.
    Installed from its lock, every hash checked, as a student installs it.
    """
    reference = render(Path(scratch) / "venv-reference", template, database="postgres")
    requirements = [reference / "requirements.txt", reference / "requirements-dev.txt"]
    return cached_venv(requirements, requirements[1], "--require-hashes")


def venv_env(venv, **extra):
    """The environment of a command run in a rendered project with its venv active, free of
    the caller's own Django settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL"))
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    env["VIRTUAL_ENV"] = str(venv)
    env.update({key: str(value) for key, value in extra.items()})
    return env


# tooling/overlay/ holds a settings module that wraps a rendered project's own.
OVERLAY = Path(__file__).parent / "overlay"
QUICK_HASHING = "quick_hashing_settings"


def quick_hashing(env):
    """The env with the project's settings behind a quick password hash (QUICK_HASHING): for
    tests that sign in over and over, where the project's own hash would take most of the CPU."""
    path = os.pathsep.join(filter(None, [str(OVERLAY), env.get("PYTHONPATH")]))
    return {**env, "PYTHONPATH": path, "DJANGO_SETTINGS_MODULE": QUICK_HASHING}


def own_settings(env):
    """The env with the project's own settings, as its users run it."""
    return {key: value for key, value in env.items() if key != "DJANGO_SETTINGS_MODULE"}


def manage(project, env, *args, check=True, timeout=600):
    """`python manage.py ...` in the project; the CompletedProcess."""
    command = ["python", "manage.py", *map(str, args)]
    return run(command, cwd=project, env=env, check=check, timeout=timeout)


def django_shell(project, env, code):
    """Run Python inside the project (`manage.py shell -c`); returns what it printed."""
    return manage(project, env, "shell", "-c", code).stdout


def read_dotenv(project):
    """The variables of the .env file that the template's hook wrote."""
    values = {}
    for line in (Path(project) / ".env").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            values[name.strip()] = value.strip()
    return values


def write_dotenv(project, **settings):
    """Sets variables in the project's .env as a person edits it: each line that names one is
    replaced where it stands, and the others are added at the end."""
    env_file = Path(project) / ".env"
    written = []
    for line in env_file.read_text().splitlines():
        name = line.split("=", 1)[0]
        written.append(f"{name}={settings.pop(name)}" if name in settings else line)
    env_file.write_text("\n".join(written + [f"{k}={v}" for k, v in settings.items()]) + "\n")


class RenderedProject(NamedTuple):
    """A rendered project on one database, migrated, with the env its commands run in."""

    database: str
    project: Path
    env: dict

    def manage(self, *args, check=True):
        return manage(self.project, self.env, *args, check=check)

    def shell(self, code):
        return django_shell(self.project, self.env, code)
