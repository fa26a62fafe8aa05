"""Every value more than one part of the tooling relies on, defined once."""

import os
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[1]
# Virtualenvs kept between runs, keyed by the hash of their requirement files.
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "drf-auth-template"

DATABASES = ("sqlite", "postgres")

# Routes of a project rendered with the default resource, `thing`.
RESOURCES = "/api/v1/things/"
HEALTH = "/healthz/"
TOKEN = "/api/token/"
REGISTER = "/api/register/"
PASSWORD = "correct-horse-battery-staple"  # noqa: S105 (throwaway users of throwaway databases)

# The secrets the post-generation hook writes into .env, and only there.
SECRET_NAMES = ("DJANGO_SECRET_KEY", "DJANGO_JWT_SIGNING_KEY", "POSTGRES_PASSWORD")

# The oldest Docker Engine the rendered health checks run on (start_interval came in 25).
MIN_ENGINE = 25
# No image registry is reachable here: builds start from the local stand-ins that
# tests/standin_images/build.sh makes (.ci/setup-machine runs it).
STANDIN_PYTHON_IMAGE = os.environ.get("STANDIN_PYTHON_IMAGE", "drf-auth-template/python:3.11-slim")
STANDIN_POSTGRES_IMAGE = os.environ.get("STANDIN_POSTGRES_IMAGE", "drf-auth-template/postgres:15")
STANDIN_NGINX_IMAGE = os.environ.get("STANDIN_NGINX_IMAGE", "drf-auth-template/nginx:1.22")
# The compose files' image variables, pointed at the stand-ins (the files name official images).
STANDIN_IMAGES = {
    "PYTHON_IMAGE": STANDIN_PYTHON_IMAGE,
    "POSTGRES_IMAGE": STANDIN_POSTGRES_IMAGE,
    "PROXY_IMAGE": STANDIN_NGINX_IMAGE,
}
# On the images the tooling builds, so that those they replace can be found and removed.
TEST_LABEL = "drf-auth-template.test-image"
# Variables of this machine that would leak into a compose file's ${...} substitutions.
LEAKY_PREFIXES = (
    "DJANGO_",
    "POSTGRES_",
    "COMPOSE_",
    "WEB_",
    "DATABASE_URL",
    "PYTHON_IMAGE",
    "PROXY_",
)


def sqlite_url(path):
    return f"sqlite:///{path}"


def postgres_url(port, database, host="127.0.0.1"):
    """A throwaway cluster's database; it trusts local connections, so the password is unused."""
    return f"postgres://postgres:unused@{host}:{port}/{database}"


def detail(pk):
    """The route of one resource of the default `thing`."""
    return f"{RESOURCES}{pk}/"
