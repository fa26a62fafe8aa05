"""Keeps the files of the chosen database, writes .env with fresh secrets, then checks the
result. A failed check ends generation with a message, and cookiecutter removes the folder."""

import re
import secrets
import sys
from pathlib import Path

DATABASE = "{{ cookiecutter.database }}"
OTHER_DATABASE = {"sqlite": "postgres", "postgres": "sqlite"}[DATABASE]
PROJECT = Path.cwd()

# Files rendered for both databases, of which the chosen one takes the plain name.
VARIANT_FILES = {"docker-compose.yml": "docker-compose.{database}.yml"}

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
# Spelled in pieces so that cookiecutter does not read this hook's own pattern as a tag.
# A dollar sign before the braces opens an expression of GitHub Actions, not a template tag.
TEMPLATE_DEBRIS = re.compile(
    r"(?<!\$)" + "|".join(re.escape(s) for s in ["{" + "{", "{" + "%", "cookiecutter."])
)


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
        if TEMPLATE_DEBRIS.search(text):
            yield f"{path.relative_to(PROJECT)} still holds template syntax"
        if path.suffix == ".py":
            try:
                compile(text, str(path), "exec")
            except SyntaxError as error:
                yield f"{path.relative_to(PROJECT)} does not compile: {error}"


def main():
    keep_chosen_variant()
    write_env()
    found = list(problems())
    if found:
        print("ERROR: the generated project is broken:", *found, sep="\n  ", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
