"""The deploy guide's platform files, run as the platforms would run them.

fly.toml, render.yaml and the railway.toml of docs/deploy.md are parsed, and the commands they
name are executed in the rendered project: the release step migrates a fresh database, the
start command (where one is given) serves, and the health check path answers 200 over plain
HTTP with the image's DJANGO_HTTPS=true, as a platform's check sees it.
"""

import re
import shlex
import tomllib

import pytest
import requests
import yaml

from tooling.constants import DATABASES
from tooling.machine import run
from tooling.project import render, venv_env
from tooling.served import serve

pytestmark = pytest.mark.gunicorn

HEALTH = "/healthz/"
REQUIRED = {"DJANGO_SECRET_KEY", "DJANGO_JWT_SIGNING_KEY", "DJANGO_ALLOWED_HOSTS"}


@pytest.fixture(scope="module", params=DATABASES)
def project(request, tmp_path_factory):
    database = request.param
    return database, render(tmp_path_factory.mktemp(f"deploy-{database}"), database=database)


@pytest.fixture
def platform_env(project, venv, database_url, tmp_path):
    """The env of a platform's container: a fresh database, HTTPS on as in the image."""
    database, folder = project
    url = database_url(database, tmp_path) if database == "postgres" else None
    url = url or f"sqlite:///{tmp_path / 'db.sqlite3'}"
    return venv_env(venv, DATABASE_URL=url, DJANGO_HTTPS="true")


def container_port(folder):
    return int(re.search(r"(?m)^EXPOSE (\d+)$", (folder / "Dockerfile").read_text()).group(1))


def migrates(folder, env, command):
    """The release step: it must be the migrate command, and it must succeed."""
    assert command == "python manage.py migrate --noinput", command
    run(shlex.split(command), cwd=folder, env=env)
    check = run(["python", "manage.py", "migrate", "--check"], cwd=folder, env=env, check=False)
    assert check.returncode == 0, "the release step left migrations unapplied"


def serves_health(folder, env, command, path):
    """Start the service with the platform's start command; its health check must answer 200."""
    env = {**env, "GUNICORN_BIND": "127.0.0.1:{port}", "WEB_CONCURRENCY": "1"}
    with serve(folder, env, shlex.split(command)) as served:
        answer = requests.get(served.url(path), allow_redirects=False, timeout=10)
        assert answer.status_code == 200, (answer.status_code, answer.text[:500])


def health_answers(folder, env, path):
    serves_health(folder, env, "gunicorn config.wsgi", path)


def test_fly_toml(project, platform_env):
    database, folder = project
    fly = tomllib.loads((folder / "fly.toml").read_text())
    assert fly["build"]["dockerfile"] == "Dockerfile" and (folder / "Dockerfile").exists()
    service = fly["http_service"]
    assert service["internal_port"] == container_port(folder)
    assert service["force_https"] is True
    [check] = service["checks"]
    env = {**platform_env, **fly["env"]}
    assert "127.0.0.1" in env["DJANGO_ALLOWED_HOSTS"].split(",")
    if database == "postgres":
        migrates(folder, env, fly["deploy"]["release_command"])
        health_answers(folder, env, check["path"])
    else:
        # The volume is where the image keeps the SQLite file; the app process migrates it.
        assert fly["mounts"]["destination"] == "/data"
        assert "ENV DATABASE_URL=sqlite:////data/" in (folder / "Dockerfile").read_text()
        assert "release_command" not in fly.get("deploy", {})
        serves_health(folder, env, fly["processes"]["app"], check["path"])
        assert_migrated(folder, env)


def assert_migrated(folder, env):
    check = run(["python", "manage.py", "migrate", "--check"], cwd=folder, env=env, check=False)
    assert check.returncode == 0, "the start command did not migrate"


def test_render_yaml(project, platform_env):
    database, folder = project
    blueprint = yaml.safe_load((folder / "render.yaml").read_text())
    [service] = blueprint["services"]
    assert service["runtime"] == "docker"
    assert (folder / service["dockerfilePath"]).exists()
    keys = {variable["key"] for variable in service["envVars"]}
    assert keys >= REQUIRED
    if database == "postgres":
        [db] = blueprint["databases"]
        [url] = [v for v in service["envVars"] if v["key"] == "DATABASE_URL"]
        assert url["fromDatabase"] == {"name": db["name"], "property": "connectionString"}
        migrates(folder, platform_env, service["preDeployCommand"])
        health_answers(folder, platform_env, service["healthCheckPath"])
    else:
        assert service["disk"]["mountPath"] == "/data"
        assert "preDeployCommand" not in service
        serves_health(folder, platform_env, service["dockerCommand"], service["healthCheckPath"])
        assert_migrated(folder, platform_env)


def test_railway_settings_of_the_guide(project, platform_env):
    database, folder = project
    guide = (folder / "docs/deploy.md").read_text()
    [block] = re.findall(r"```toml\n# railway\.toml\n(.*?)```", guide, re.S)
    railway = tomllib.loads(block)
    assert railway["build"]["builder"] == "DOCKERFILE"
    assert (folder / railway["build"]["dockerfilePath"]).exists()
    deploy = railway["deploy"]
    if database == "postgres":
        [command] = deploy["preDeployCommand"]
        migrates(folder, platform_env, command)
        health_answers(folder, platform_env, deploy["healthcheckPath"])
    else:
        serves_health(folder, platform_env, deploy["startCommand"], deploy["healthcheckPath"])
        assert_migrated(folder, platform_env)


def test_readme_links_the_guide(project):
    _, folder = project
    assert "](docs/deploy.md)" in (folder / "README.md").read_text()
    assert (folder / "docs/deploy.md").exists()
