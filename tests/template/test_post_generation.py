"""The post-generation hook: the .env it writes from .env.example, and the checks that stop a
broken render with one line and no project folder.

.env is .env.example less its opening paragraph, with fresh secrets in the empty secret lines
and in DATABASE_URL's password; nothing else changes. What the hook looks for is defined once,
in hooks/post_gen_project.py (EXAMPLE_OPENING, SECRETS, PASSWORD_PLACEHOLDER): a .env.example
reworded without one of them must stop generation, never write a .env short of a secret. So
must a render that leaves template syntax behind or Python that does not compile. A render
ends with the next steps: the folder, and the first command of the README's quick start.

Real services: none; cookiecutter runs as a command on the template or on a copy of it.
"""

import re
import shutil

import pytest

from tooling.constants import DATABASES, SECRET_NAMES, TEMPLATE
from tooling.project import cookiecutter_cli, hook_errors, read_dotenv, render
from tooling.readme import bash_blocks, commands, section

ENV_OPENING = "# Written by the template with fresh secrets. Never commit this file."


@pytest.fixture
def template_copy(tmp_path):
    """A copy of the template, to plant a mistake in."""
    copy = tmp_path / "template"
    shutil.copytree(
        TEMPLATE,
        copy,
        ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", ".pytest_cache", "demo"),
    )
    return copy


def assert_generation_stops(template, message, **answers):
    """Rendering `template` ends with the post-generation hook's one ERROR line, holding
    `message`, and leaves no project folder behind."""
    output = template.parent / "output"
    result = cookiecutter_cli(output, template=template, **answers)
    assert result.returncode == 1
    errors = hook_errors(result.stderr)
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("ERROR: the generated project is broken: ") and message in errors[0]
    assert not output.exists() or list(output.iterdir()) == []


@pytest.mark.parametrize("database", DATABASES)
def test_env_is_the_example_with_fresh_secrets(tmp_path, database):
    project = render(tmp_path, database=database)
    example = (project / ".env.example").read_text()
    env = (project / ".env").read_text()
    values = read_dotenv(project)
    secrets = {name: values[name] for name in SECRET_NAMES if name in values}
    assert set(secrets) == set(SECRET_NAMES) - (
        {"POSTGRES_PASSWORD"} if database == "sqlite" else set()
    )
    blanked = env
    for name, value in secrets.items():
        assert len(value) >= 32, name
        blanked = blanked.replace(f"\n{name}={value}\n", f"\n{name}=\n")
        blanked = blanked.replace(f":{value}@", ":password@")
    opening, body = blanked.split("\n\n", 1)
    assert opening == ENV_OPENING
    assert example.startswith("# Copy to .env and fill in")
    assert body == example.split("\n\n", 1)[1]


def test_env_has_fresh_secrets_readable_by_owner_only(cookies):
    first = cookies.bake(extra_context={"database": "postgres"}).project_path / ".env"
    second = cookies.bake(extra_context={"database": "postgres"}).project_path / ".env"
    assert first.stat().st_mode & 0o777 == 0o600

    def secrets(path):
        pattern = r"(?m)^(DJANGO_SECRET_KEY|DJANGO_JWT_SIGNING_KEY|POSTGRES_PASSWORD)=(\S+)$"
        return dict(re.findall(pattern, path.read_text()))

    assert len(secrets(first)) == 3
    assert set(secrets(first).values()).isdisjoint(secrets(second).values())
    password = secrets(first)["POSTGRES_PASSWORD"]
    assert f":{password}@localhost:5432/" in first.read_text()


EXAMPLE = "{{cookiecutter.project_slug}}/.env.example"
HOOK = "hooks/post_gen_project.py"


@pytest.mark.parametrize(
    ("path", "old", "new", "message"),
    [
        (
            EXAMPLE,
            "# Copy to .env and fill in",
            "# Copy this file to .env",
            ".env.example does not open with '# Copy to .env and fill in' and a blank line",
        ),
        (
            EXAMPLE,
            "\nDJANGO_SECRET_KEY=\n",
            "\nDJANGO_SECRET_KEY=change-me\n",
            ".env.example holds the empty line DJANGO_SECRET_KEY= 0 times instead of once",
        ),
        (
            EXAMPLE,
            "\nDJANGO_JWT_SIGNING_KEY=\n",
            "\n# DJANGO_JWT_SIGNING_KEY=\n",
            ".env.example holds the empty line DJANGO_JWT_SIGNING_KEY= 0 times instead of once",
        ),
        (
            EXAMPLE,
            "\nPOSTGRES_PASSWORD=\n",
            "\nPOSTGRES_PASSWORD=\nPOSTGRES_PASSWORD=\n",
            ".env.example holds the empty line POSTGRES_PASSWORD= 2 times instead of once",
        ),
        (
            EXAMPLE,
            ":password@",
            ":secret@",
            ".env.example holds :password@ 0 times instead of once",
        ),
        (
            HOOK,
            'PASSWORD_PLACEHOLDER = ":password@"',
            'PASSWORD_PLACEHOLDER = ":PASSWORD@"',
            ".env.example holds :PASSWORD@ 0 times instead of once",
        ),
    ],
    ids=["opening", "secret-key", "signing-key", "postgres-password", "url-password", "hook"],
)
def test_a_changed_mark_stops_generation(template_copy, path, old, new, message):
    """Each mark the hook looks for, changed on one side alone: in .env.example, or in the
    hook."""
    changed = template_copy / path
    text = changed.read_text()
    assert text.count(old) == 1, old
    changed.write_text(text.replace(old, new))
    assert_generation_stops(template_copy, message, database="postgres")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "notes.txt",
            "{% raw %}Left behind: {{ cookiecutter.project_name }}{% endraw %}\n",
            "notes.txt still holds template syntax",
        ),
        ("broken.py", "def broken(:\n", "broken.py does not compile: invalid syntax"),
    ],
)
def test_a_broken_render_ends_with_one_line_and_no_folder(template_copy, name, content, message):
    (template_copy / "{{cookiecutter.project_slug}}" / name).write_text(content)
    assert_generation_stops(template_copy, message)


QUICK_START = "Quick start, without Docker"
FIRST_COMMAND = {"sqlite": "python3 -m venv .venv", "postgres": "sudo -u postgres createuser "}


@pytest.mark.parametrize("database", DATABASES)
def test_rendering_ends_with_the_next_steps(tmp_path, database):
    """cookiecutter's last lines: the new folder, then the first command of its README's quick
    start, where a newcomer goes next."""
    result = cookiecutter_cli(tmp_path, database=database)
    assert result.returncode == 0, result.stderr
    project = tmp_path / "drf_auth"
    readme = (project / "README.md").read_text()
    first = commands(bash_blocks(section(readme, QUICK_START))[0])[0]
    assert first.startswith(FIRST_COMMAND[database])
    last = [line.strip() for line in result.stdout.strip().splitlines()[-2:]]
    assert last == [f"cd {project}", first], result.stdout


def test_a_readme_without_its_quick_start_stops_generation(template_copy):
    """The next steps come from the README: without its quick start there are none to give."""
    readme = template_copy / "{{cookiecutter.project_slug}}" / "README.md"
    readme.write_text(readme.read_text().replace(f"## {QUICK_START}", "## Getting started"))
    message = f"README.md has no '## {QUICK_START}' section with a command"
    assert_generation_stops(template_copy, message)
