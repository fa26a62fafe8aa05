"""Rendering the template and giving its projects a virtualenv."""

import hashlib
import os
import shutil
import sys
from pathlib import Path

from cookiecutter.main import cookiecutter

from .machine import run

TEMPLATE = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "drf-auth-template"


def render(output_dir, **answers):
    """Render the template without prompts; returns the project folder."""
    return Path(
        cookiecutter(
            str(TEMPLATE), no_input=True, output_dir=str(output_dir), extra_context=answers
        )
    )


def project_venv(tmp_root):
    """A virtualenv with everything any variant needs, cached between runs by requirements.

    The PostgreSQL variant's requirements are a superset of SQLite's, so one venv serves both.
    """
    reference = render(tmp_root / "venv-reference", database="postgres")
    requirements = [reference / "requirements.txt", reference / "requirements-dev.txt"]
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in requirements)).hexdigest()
    venv = CACHE / f"venv-{sys.version_info.major}.{sys.version_info.minor}-{digest[:12]}"
    if not (venv / "complete").exists():
        shutil.rmtree(venv, ignore_errors=True)
        run([sys.executable, "-m", "venv", venv])
        run([venv / "bin/pip", "install", "-q", "-r", reference / "requirements-dev.txt"])
        (venv / "complete").touch()
    return venv


def venv_env(venv, **extra):
    """The environment for commands run inside a rendered project with its venv active."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.pop("DATABASE_URL", None)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    env["VIRTUAL_ENV"] = str(venv)
    env.update({key: str(value) for key, value in extra.items()})
    return env
