"""Checks every answer before anything is written; a bad one ends generation with one line."""

import json
import keyword
import re
import sys
import unicodedata

# The answers, written into this file by cookiecutter as JSON, whatever characters they hold.
ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")

SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")

# Names the generated code imports, defines or routes already; a package or app named like
# one of them would shadow it.
TAKEN = {
    "accounts", "account", "admin", "api", "app", "apps", "auth", "config", "contenttypes",
    "core", "django", "docs", "drf_spectacular", "drf_spectacular_sidecar", "environ",
    "group", "groups", "gunicorn", "healthz", "manage", "messages", "migrations", "permission",
    "permissions", "psycopg", "pytest", "rest_framework", "rest_framework_simplejwt", "schema",
    "sessions", "settings", "static", "staticfiles", "templates", "test", "tests", "token",
    "tokens", "user", "users", "whitenoise",
}  # fmt: skip

# Names end up in class names and code lines; longer ones would not fit a readable line.
MAX_NAME_LENGTH = 30
# Free text lands in config/settings.py as a string literal ("DESCRIPTION": "..."), where ruff
# holds every line to 100 characters: this much is left for the text.
MAX_TEXT_WIDTH = 72
# Line breaks and the other control characters, which no one-line answer needs and which a
# TOML string may not hold.
NOT_ONE_LINE = {"Cc", "Zl", "Zp"}
WORKERS = range(1, 33)
# The choices of cookiecutter.json. cookiecutter refuses any other value given on the command
# line and ignores one in a config file, but takes the answers of a replay file
# (`cookiecutter --replay-file`) as they are: only these checks stop an edited replay.
DATABASES = ("sqlite", "postgres")
PYTHON_VERSIONS = ("3.11", "3.12", "3.13")


def check_identifier(field, value):
    if len(value) > MAX_NAME_LENGTH:
        return f"{field} {value!r} is longer than {MAX_NAME_LENGTH} characters"
    if not SNAKE_CASE.fullmatch(value):
        return (
            f"{field} {value!r} is not snake_case: use lowercase letters, digits and single "
            "underscores, starting with a letter (e.g. book, blog_post)"
        )
    if keyword.iskeyword(value) or keyword.issoftkeyword(value):
        return f"{field} {value!r} is a Python keyword; choose another name"
    if value in TAKEN or value in sys.stdlib_module_names:
        return f"{field} {value!r} would shadow a module or route of the same name; choose another"
    return None


def text_width(value):
    """Columns the text takes once quoted: an escaped quote or backslash takes two, and so
    does a wide character (an emoji, a CJK ideograph), as ruff counts them."""
    escapes = value.count("\\") + value.count('"')
    wide = sum(unicodedata.east_asian_width(char) in "WF" for char in value)
    return len(value) + escapes + wide


def check_text(field, value):
    if not value.strip():
        return f"{field} is empty; give it a value"
    if any(unicodedata.category(char) in NOT_ONE_LINE for char in value):
        return f"{field} {value!r} holds a line break or another control character"
    if text_width(value) > MAX_TEXT_WIDTH:
        return f"{field} is longer than {MAX_TEXT_WIDTH} characters; keep it to one short line"
    return None


def problems(answers):
    yield check_text("project_name", answers["project_name"])
    yield check_text("description", answers["description"])
    yield check_text("author_name", answers["author_name"])
    for field in ("project_slug", "resource_name", "resource_plural"):
        yield check_identifier(field, answers[field])
    if answers["resource_plural"] == answers["resource_name"]:
        yield "resource_plural must differ from resource_name (e.g. thing -> things)"
    if answers["resource_plural"] == answers["project_slug"]:
        yield "resource_plural must differ from project_slug"
    if answers["database"] not in DATABASES:
        yield f"database {answers['database']!r} is not one of: {', '.join(DATABASES)}"
    workers = str(answers["gunicorn_workers"])
    if not (workers.isdigit() and int(workers) in WORKERS):
        yield f"gunicorn_workers {workers!r} is not a whole number from 1 to 32"
    if answers["python_version"] not in PYTHON_VERSIONS:
        yield f"python_version {answers['python_version']!r} is not one of: " + ", ".join(
            PYTHON_VERSIONS
        )


def main():
    found = [problem for problem in problems(ANSWERS) if problem]
    if found:
        print(f"ERROR: {found[0]}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
