"""The rendered README is true: its routes are the URL configuration's, its walkthrough works."""

import re
import time

import pytest

from helpers.live_api import count_rows, delete_users, service_env, unique
from helpers.machine import run
from helpers.project import render, venv_env
from helpers.services import gunicorn

# Prints every route of the URL configuration, admin's own pages folded into admin/.
LIST_ROUTES = """
import re
from django.urls import URLResolver, get_resolver

def walk(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver) and route != "admin/":
            yield from walk(pattern.url_patterns, route)
        else:
            yield route

for route in walk(get_resolver().url_patterns):
    route = re.sub(r"\\(\\?P<pk>[^)]*\\)", "<id>", route).replace("^", "").replace("$", "")
    if "\\\\." not in route:  # the router's format-suffix twins
        print("/" + route)
"""


def readme_routes(readme):
    table = readme.split("## Routes", 1)[1].split("\n\n", 2)[1]
    return {row.split("|")[2].strip().strip("`") for row in table.splitlines()[2:]}


@pytest.mark.parametrize(
    "answers",
    [
        {"database": "sqlite"},
        {"database": "postgres", "resource_name": "category", "resource_plural": "categories"},
    ],
    ids=["things", "categories"],
)
def test_routes_table_matches_the_url_configuration(answers, tmp_path, venv):
    project = render(tmp_path, **answers)
    printed = run(
        ["python", "manage.py", "shell", "-c", LIST_ROUTES], cwd=project, env=venv_env(venv)
    )
    routes = {line for line in printed.stdout.splitlines() if line.startswith("/")}
    assert routes == readme_routes((project / "README.md").read_text())


ANSI_ESCAPES = re.compile(r"\x1b\[[0-9;]*m")


def walkthrough(readme):
    section = readme.split("## Walkthrough", 1)[1]
    return re.search(r"```bash\n(.*?)```", section, re.DOTALL).group(1)


def run_walkthrough(steps, project, env, terminal):
    """Run the steps as a person pasting them into a terminal does, or as a script in CI does.

    `script` gives them a terminal; without one, standard input is /dev/null and httpie would
    read its request body from there unless told --ignore-stdin.
    """
    shell = f"bash -euo pipefail {steps}"
    if terminal:
        command = ["script", "-qefc", shell, "/dev/null"]
    else:
        command = ["bash", "-c", f"{shell} < /dev/null"]
    return ANSI_ESCAPES.sub("", run(command, cwd=project, env=env).stdout)


@pytest.mark.gunicorn
def test_walkthrough_works_as_written(served_project, tmp_path):
    """The README's httpie steps, against Gunicorn (DEBUG off), in a terminal and in a script.

    In a terminal httpie shows every answer's status line; in a script only the bodies, and
    the last step asks for its status line itself.
    """
    database, project, env = served_project
    readme = (project / "README.md").read_text()
    names = {True: unique("walker-tty"), False: unique("walker-script")}
    outputs = {}
    try:
        with gunicorn(project, service_env(env)) as base:
            port = base.rsplit(":", 1)[1]
            for terminal, name in names.items():
                steps = tmp_path / f"walkthrough-{name}.sh"
                text = walkthrough(readme).replace(":8000", f":{port}").replace("alice", name)
                steps.write_text(text)
                started = time.monotonic()
                outputs[terminal] = run_walkthrough(steps, project, env, terminal)
                took = time.monotonic() - started
                mode = "terminal" if terminal else "script"
                print(f"\n[{database}] walkthrough in a {mode}: {took:.1f} s")
        left = {name: count_rows(project, env, owner=name) for name in names.values()}
    finally:
        delete_users(project, env, *names.values())

    for terminal, output in outputs.items():
        name = names[terminal]
        statuses = re.findall(r"HTTP/1\.1 (\d{3}) ", output)
        # Sign-up, me, list, PATCH, DELETE, logout, then the request refused after the logout:
        # the real status lines, so that a refused connection or a 5xx cannot pass.
        expected = ["201", "200", "200", "200", "204", "200", "401"] if terminal else ["401"]
        assert statuses == expected, output
        assert re.search(rf'"username":\s*"{name}"', output), output
        assert re.search(rf'"email":\s*"{name}@example.com"', output), output
        assert re.search(r'"results":\s*\[', output), output
        assert re.search(r'"name":\s*"Renamed"', output), output
        assert "password" not in output.lower(), output  # no secret echoed back
    assert left == {name: 0 for name in names.values()}  # the DELETE step deleted it
