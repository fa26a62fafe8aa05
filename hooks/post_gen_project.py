"""Keeps the files of the chosen database, writes .env with fresh secrets, then checks the
result. A failed check ends generation with a message, and cookiecutter removes the folder."""

import json
import re
import secrets
import sys
from pathlib import Path

# The answers, written into this file by cookiecutter as JSON, whatever characters they hold.
ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")
DATABASE = ANSWERS["database"]
OTHER_DATABASE = {"sqlite": "postgres", "postgres": "sqlite"}[DATABASE]
PROJECT = Path.cwd()

# Files rendered for both databases, of which the chosen one takes the plain name. The locks
# differ by database as their requirements.in does (tooling/locks.py makes them).
VARIANT_FILES = {
    "docker-compose.yml": "docker-compose.{database}.yml",
    "docker-compose.dev.yml": "docker-compose.dev.{database}.yml",
    "requirements.txt": "requirements.{database}.txt",
    "requirements-dev.txt": "requirements-dev.{database}.txt",
}

# Files of one database only, deleted for the other: more web replicas need PostgreSQL.
ONE_DATABASE_FILES = {"scripts/scale.sh": "postgres"}

EXPECTED = [
    "manage.py",
    "gunicorn.conf.py",
    "Dockerfile",
    "docker-compose.yml",
    ".env",
    ".env.example",
    "requirements.in",
    "requirements.txt",
    "requirements-dev.in",
    "requirements-dev.txt",
    "config/settings.py",
    "accounts/migrations/0001_initial.py",
    "{{ cookiecutter.resource_plural }}/migrations/0001_initial.py",
]
# What write_env() looks for in .env.example, defined here once. A Jinja comment at the top
# of .env.example points back here; if one of these is missing or doubled, generation stops
# (tests/template/test_post_generation.py changes each in a copy of the template to prove it).
# The opening paragraph tells how to make a .env: it is left out of the .env itself.
EXAMPLE_OPENING = "# Copy to .env and fill in"
ENV_OPENING = "# Written by the template with fresh secrets. Never commit this file."
# Variables left empty (`NAME=` alone on its line) for a fresh secret of that many bytes.
SECRETS = {
    "sqlite": {"DJANGO_SECRET_KEY": 50, "DJANGO_JWT_SIGNING_KEY": 50},
    "postgres": {"DJANGO_SECRET_KEY": 50, "DJANGO_JWT_SIGNING_KEY": 50, "POSTGRES_PASSWORD": 24},
}
# The password in the PostgreSQL DATABASE_URL, replaced by POSTGRES_PASSWORD's value.
PASSWORD_PLACEHOLDER = ":password@"
# Jinja's expression, statement and comment delimiters: what a template leaves behind when a
# tag was not rendered. Spelled in pieces so that cookiecutter does not read them as tags here.
# A dollar sign before the braces opens an expression of GitHub Actions, not a template tag.
TEMPLATE_DEBRIS = re.compile(
    r"(?<!\$)(?:" + "|".join(re.escape("{" + s) for s in ("{", "%", "#")) + ")"
)
# The README's section whose first command the hook prints as the next step.
QUICK_START = "## Quick start, without Docker"
# Answers a person writes in their own words, which may hold those delimiters on purpose.
FREE_TEXT = ("project_name", "description", "author_name")


class Broken(Exception):
    """The generated project is not what it should be; the message says what is wrong."""


def keep_chosen_variant():
    for name, pattern in VARIANT_FILES.items():
        (PROJECT / pattern.format(database=OTHER_DATABASE)).unlink()
        (PROJECT / pattern.format(database=DATABASE)).rename(PROJECT / name)
    for name, database in ONE_DATABASE_FILES.items():
        if database != DATABASE:
            (PROJECT / name).unlink()


def write_env():
    """.env from .env.example, with every secret filled in, readable by its owner only."""
    text = (PROJECT / ".env.example").read_text()
    opening, blank, body = text.partition("\n\n")
    if not (opening.startswith(EXAMPLE_OPENING) and blank):
        raise Broken(f".env.example does not open with {EXAMPLE_OPENING!r} and a blank line")
    secret = {name: secrets.token_urlsafe(size) for name, size in SECRETS[DATABASE].items()}
    for name, value in secret.items():
        body = fill_once(body, rf"(?m)^{name}=$", f"{name}={value}", f"the empty line {name}=")
    if DATABASE == "postgres":
        new = f":{secret['POSTGRES_PASSWORD']}@"
        body = fill_once(body, re.escape(PASSWORD_PLACEHOLDER), new, PASSWORD_PLACEHOLDER)
    env_file = PROJECT / ".env"
    env_file.touch(mode=0o600)
    env_file.write_text(f"{ENV_OPENING}\n\n{body}")


def fill_once(text, pattern, value, what):
    """The text with the one match of `pattern` replaced by `value`; Broken unless there is
    exactly one, so that a reworded .env.example cannot leave a secret out of .env."""
    filled, found = re.subn(pattern, lambda _: value, text)
    if found != 1:
        raise Broken(f".env.example holds {what} {found} times instead of once")
    return filled


def problems():
    for name in EXPECTED:
        if not (PROJECT / name).is_file():
            yield f"{name} is missing"
    for pattern in VARIANT_FILES.values():
        for database in (DATABASE, OTHER_DATABASE):
            if (PROJECT / pattern.format(database=database)).exists():
                yield f"{pattern.format(database=database)} should have been removed"
    env = (PROJECT / ".env").read_text()
    for name in ("DJANGO_SECRET_KEY", "DJANGO_JWT_SIGNING_KEY"):
        if not re.search(rf"(?m)^{name}=" + r"\S{40,}$", env):
            yield f".env has no {name}"
    for path in sorted(PROJECT.rglob("*")):
        if not path.is_file():
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue  # a binary file, such as an image, has no template syntax to leave behind
        if TEMPLATE_DEBRIS.search(without_free_text(text)):
            yield f"{path.relative_to(PROJECT)} still holds template syntax"
        if path.suffix == ".py":
            try:
                compile(text, str(path), "exec")
            except SyntaxError as error:
                yield f"{path.relative_to(PROJECT)} does not compile: {error}"


def without_free_text(text):
    """The text less the free-text answers, as typed and as escaped in string literals (see
    local_extensions.py), so that a name that holds a pair of braces is not taken for debris."""
    for field in FREE_TEXT:
        value = ANSWERS[field]
        if TEMPLATE_DEBRIS.search(value):
            backslashed = value.replace("\\", "\\\\")
            for quote in "\"'":
                text = text.replace(backslashed.replace(quote, "\\" + quote), "")
            text = text.replace(value, "")
    return text


def next_steps():
    """What to type next: the project's folder, then the first command of its README's quick
    start, read from the README itself so that the two cannot disagree."""
    readme = (PROJECT / "README.md").read_text()
    _, found, quick_start = readme.partition(QUICK_START)
    block = re.search(r"```bash\n(.*?)```", quick_start, re.DOTALL) if found else None
    lines = block.group(1).splitlines() if block else []
    commands = [line for line in lines if not line.startswith("#")]
    if not commands:
        raise Broken(f"README.md has no {QUICK_START!r} section with a command")
    return (
        f"\nYour project is in {PROJECT}. Next, the quick start of its README.md:\n\n"
        f"    cd {PROJECT}\n    {commands[0]}\n"
    )


def main():
    keep_chosen_variant()
    try:
        write_env()
        found = list(problems())
        steps = next_steps()
    except Broken as error:
        found = [str(error)]
    if found:
        print("ERROR: the generated project is broken: " + "; ".join(found), file=sys.stderr)
        sys.exit(1)
    print(steps)


if __name__ == "__main__":
    main()
