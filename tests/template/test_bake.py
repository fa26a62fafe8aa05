"""Every variant of tests/variants.json renders completely, lints clean and carries no template
debris; the files of the database not chosen are gone, the answers are baked in where they
belong, the shipped migrations match the models, and rendering twice gives the same files but
for the secrets. The same list is the bake matrix of the template's CI.

Real services: none; cookiecutter (pytest-cookies and its command line), ruff and
`manage.py makemigrations --check` on SQLite, in the rendered projects' venv.
"""

import json
import re
import sys

import pytest

from tooling.constants import TEMPLATE
from tooling.machine import run
from tooling.project import cookiecutter_cli, venv_env

# One list for these tests and the bake matrix of .github/workflows/ci.yml, which reads it too.
VARIANTS = json.loads((TEMPLATE / "tests/variants.json").read_text())
COMMON_FILES = [
    "README.md", "manage.py", "gunicorn.conf.py", "Dockerfile", "docker-compose.yml",
    ".dockerignore", ".gitignore", ".env", ".env.example", "requirements.in", "requirements.txt",
    "requirements-dev.in", "requirements-dev.txt", "pyproject.toml", "config/settings.py",
    "config/urls.py", "config/wsgi.py", "config/asgi.py", "accounts/models.py",
    "accounts/tokens.py",
    ".github/workflows/ci.yml", ".github/dependabot.yml", ".pre-commit-config.yaml",
]  # fmt: skip
# ${{ opens an expression of GitHub Actions in .github/workflows, not a template tag.
DEBRIS = re.compile(r"(?<!\$)\{\{|\{%|cookiecutter|\n\n\n\n")


def variant_id(answers):
    return "-".join(f"{value}" for value in answers.values())


@pytest.fixture(params=VARIANTS, ids=variant_id)
def baked(request, cookies):
    result = cookies.bake(extra_context=request.param)
    assert result.exit_code == 0, result.exception
    return request.param, result.project_path


def test_files_of_the_chosen_variant_only(baked):
    answers, project = baked
    plural = answers.get("resource_plural", answers.get("resource_name", "thing") + "s")
    for name in [*COMMON_FILES, f"{plural}/models.py", f"{plural}/migrations/0001_initial.py"]:
        assert (project / name).is_file(), name
    # The variants' compose files are gone; the HTTPS and development files serve both.
    overrides = sorted(path.name for path in project.glob("docker-compose.*.yml"))
    assert overrides == ["docker-compose.dev.yml", "docker-compose.tls.yml"]
    locks = sorted(path.name for path in project.glob("requirements*.txt"))
    assert locks == ["requirements-dev.txt", "requirements.txt"]
    compose = (project / "docker-compose.yml").read_text()
    requirements = (project / "requirements.txt").read_text()
    # More web replicas (`make scale`) need PostgreSQL: SQLite keeps one.
    scale, makefile = project / "scripts/scale.sh", (project / "Makefile").read_text()
    if answers["database"] == "postgres":
        assert "pg_isready" in compose and "pgdata:" in compose
        assert "psycopg" in requirements
        assert scale.stat().st_mode & 0o111 and "\nscale:" in makefile
    else:
        assert "sqlite:////data/db.sqlite3" in compose and "postgres" not in compose
        assert "psycopg" not in requirements
        assert not scale.exists() and "scale" not in makefile


def test_no_template_debris(baked):
    _, project = baked
    for path in project.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert not DEBRIS.search(text), f"{path.relative_to(project)}: {DEBRIS.search(text)}"
            assert not text.startswith("\n"), path


def test_ruff_clean(baked):
    _, project = baked
    ruff = [sys.executable, "-m", "ruff"]
    run([*ruff, "check", "--no-cache", "."], cwd=project)
    run([*ruff, "format", "--check", "--no-cache", "."], cwd=project)


def test_migrations_match_the_models(baked, venv, tmp_path):
    """The shipped migrations are what makemigrations writes for the rendered models.

    On SQLite for both variants: the check reads no data, and no PostgreSQL server runs at the
    address the postgres variant's .env names.
    """
    _, project = baked
    env = venv_env(venv, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    run(["python", "manage.py", "makemigrations", "--check", "--dry-run"], cwd=project, env=env)


def test_worker_count_and_python_version_are_baked_in(baked):
    answers, project = baked
    conf = (project / "gunicorn.conf.py").read_text()
    assert f'os.environ.get("WEB_CONCURRENCY", "{answers.get("gunicorn_workers", "3")}")' in conf
    dockerfile = (project / "Dockerfile").read_text()
    assert f"ARG PYTHON_VERSION={answers.get('python_version', '3.12')}" in dockerfile


def test_rendering_is_deterministic_but_for_secrets(cookies):
    projects = [cookies.bake().project_path for _ in range(2)]
    for path in projects[0].rglob("*"):
        if path.is_file() and path.name != ".env":
            twin = projects[1] / path.relative_to(projects[0])
            assert path.read_bytes() == twin.read_bytes(), path


def test_cookiecutter_cli_no_input(tmp_path):
    result = cookiecutter_cli(tmp_path, template=".")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "drf_auth" / "manage.py").is_file()


@pytest.mark.parametrize(
    ("project_name", "slug"),
    [
        ("Café Órbita API", "cafe_orbita_api"),
        ("Customer Relationship Management Backend API", "customer_relationship"),
    ],
)
def test_default_slug_is_an_ascii_identifier(tmp_path, project_name, slug):
    """The slug derived from any project name is accepted: ASCII, underscores, short enough."""
    result = cookiecutter_cli(tmp_path, project_name=project_name)
    assert result.returncode == 0, result.stderr
    assert [path.name for path in tmp_path.iterdir()] == [slug]
    assert f"# {project_name}" in (tmp_path / slug / "README.md").read_text()
