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

# Files rendered for both databases, of which the chosen one takes the plain name.
VARIANT_FILES = {
    "docker-compose.yml": "docker-compose.{database}.yml",
    "docker-compose.dev.yml": "docker-compose.dev.{database}.yml",
}

EXPECTED = [
    "manage.py",
    "gunicorn.conf.py",
    "Dockerfile",
    "docker-compose.yml",
    ".env",
    ".env.example",
    "requirements.txt",
    "config/settings.py",
    "accounts/migrations/0001_initial.py",
    "{{ cookiecutter.resource_plural }}/migrations/0001_initial.py",
]
# Jinja's expression, statement and comment delimiters: what a template leaves behind when a
# tag was not rendered. Spelled in pieces so that cookiecutter does not read them as tags here.
# A dollar sign before the braces opens an expression of GitHub Actions, not a template tag.
TEMPLATE_DEBRIS = re.compile(
    r"(?<!\$)(?:" + "|".join(re.escape("{" + s) for s in ("{", "%", "#")) + ")"
)
# Answers a person writes in their own words, which may hold those delimiters on purpose.
FREE_TEXT = ("project_name", "description", "author_name")


def keep_chosen_variant():
    for name, pattern in VARIANT_FILES.items():
        (PROJECT / pattern.format(database=OTHER_DATABASE)).unlink()
        (PROJECT / pattern.format(database=DATABASE)).rename(PROJECT / name)


def write_env():
    """.env from .env.example, with every secret filled in, readable by its owner only."""
    secret = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_JWT_SIGNING_KEY": secrets.token_urlsafe(50),
        "POSTGRES_PASSWORD": secrets.token_urlsafe(24),
    }
    text = (PROJECT / ".env.example").read_text()
    for name, value in secret.items():
        text = re.sub(rf"(?m)^{name}=$", f"{name}={value}", text)
    text = text.replace(":password@", f":{secret['POSTGRES_PASSWORD']}@")
    header = "# Written by the template with fresh secrets. Never commit this file.\n"
    env_file = PROJECT / ".env"
    env_file.touch(mode=0o600)
    # The first two lines of .env.example tell how to make a .env; they do not belong in it.
    env_file.write_text(header + text.split("\n", 2)[2])


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


def main():
    keep_chosen_variant()
    write_env()
    found = list(problems())
    if found:
        print("ERROR: the generated project is broken: " + "; ".join(found), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
