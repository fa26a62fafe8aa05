"""The rendered README is true: its route table is the URL configuration's, path by path and
method by method, a multi-word resource gets the same hyphenated URL everywhere, and the
httpie walkthrough works as written, pasted into a terminal or run as a script.

Real services: Gunicorn, started by the walkthrough test for the session's rendered project of
each database (SQLite, and PostgreSQL on a throwaway cluster), driven over HTTP by httpie.
"""

import json
import re
import time

import pytest

from tooling.accounts import count_rows, delete_users, unique
from tooling.machine import run
from tooling.project import render, venv_env
from tooling.served import gunicorn, relaxed_env

# Prints every route of the URL configuration, admin's own pages folded into admin/, with the
# methods its view declares: a ViewSet's actions, or the handlers a class-based view defines
# (HEAD and OPTIONS left out: every view answers them). "*" stands for a view that takes any
# method (a function view, the admin site); "api" marks DRF's views, the API's contract.
LIST_ROUTES = """
import re
from django.urls import URLResolver, get_resolver
from rest_framework.views import APIView

def methods(callback):
    if getattr(callback, "actions", None):
        return sorted(method.upper() for method in callback.actions), "api"
    view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view is None:
        return ["*"], "django"
    declared = {name.upper() for name in view.http_method_names if hasattr(view, name)}
    return sorted(declared - {"HEAD", "OPTIONS"}), "api" if issubclass(view, APIView) else "django"

def walk(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver) and route == "admin/":
            yield route, ["*"], "django"
        elif isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, route)
        else:
            yield (route, *methods(pattern.callback))

for route, allowed, kind in walk(get_resolver().url_patterns):
    route = re.sub(r"\\(\\?P<pk>[^)]*\\)", "<id>", route).replace("^", "").replace("$", "")
    if "\\\\." not in route:  # the router's format-suffix twins
        print("/" + route, ",".join(allowed), kind)
"""


def readme_routes(readme):
    """{path: set of methods} from the README's route table."""
    table = readme.split("## Routes", 1)[1].split("\n\n", 2)[1]
    routes = {}
    for row in table.splitlines()[2:]:
        methods, path = row.split("|")[1:3]
        routes.setdefault(path.strip().strip("`"), set()).update(
            method.strip() for method in methods.split(",")
        )
    return routes


@pytest.mark.parametrize(
    "answers",
    [
        {"database": "sqlite"},
        {"database": "postgres", "resource_name": "category", "resource_plural": "categories"},
        {"database": "sqlite", "resource_name": "blog_post"},
    ],
    ids=["things", "categories", "blog-posts"],
)
def test_routes_table_matches_the_url_configuration(answers, tmp_path, venv):
    """The same paths, and for each the methods its view answers: exactly those of an API
    view; of a Django view, none that it refuses (Django's LoginView also takes PUT, which no
    one should be told about)."""
    project = render(tmp_path, **answers)
    printed = run(
        ["python", "manage.py", "shell", "-c", LIST_ROUTES], cwd=project, env=venv_env(venv)
    )
    views = {}
    for line in printed.stdout.splitlines():
        if line.startswith("/"):
            path, allowed, kind = line.split()
            views[path] = set(allowed.split(",")), kind
    documented = readme_routes((project / "README.md").read_text())
    assert set(documented) == set(views)
    wrong = []
    for path, methods in documented.items():
        allowed, kind = views[path]
        if (kind == "api" and methods != allowed) or ("*" not in allowed and methods - allowed):
            wrong.append(f"README: {', '.join(sorted(methods))} {path}; the view: {allowed}")
    assert not wrong, "\n".join(wrong)


def test_multi_word_resource_gets_a_hyphenated_url(tmp_path, venv):
    """/api/v1/blog-posts/ as REST APIs spell it; the app, model and table keep underscores."""
    project = render(tmp_path, resource_name="blog_post")
    urls = (project / "blog_posts" / "urls.py").read_text()
    assert 'router.register("blog-posts", BlogPostViewSet)' in urls
    assert 'LIST_URL = "/api/v1/blog-posts/"' in (project / "tests" / "api.py").read_text()
    readme = (project / "README.md").read_text()
    assert "/api/v1/blog-posts/" in walkthrough(readme)
    assert "/api/v1/blog_posts/" not in readme and "/api/v1/blog-posts/" in readme_routes(readme)
    assert '"blog_posts",' in (project / "config" / "settings.py").read_text()
    assert "class BlogPost(models.Model)" in (project / "blog_posts" / "models.py").read_text()
    schema = run(
        ["python", "manage.py", "spectacular", "--format", "openapi-json"],
        cwd=project,
        env=venv_env(venv),
    )
    paths = json.loads(schema.stdout)["paths"]
    assert {"/api/v1/blog-posts/", "/api/v1/blog-posts/{id}/"} <= set(paths)
    assert not [path for path in paths if "blog_posts" in path]


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
def test_walkthrough_works_as_written(rendered_project, tmp_path):
    """The README's httpie steps, against Gunicorn (DEBUG off), in a terminal and in a script.

    In a terminal httpie shows every answer's status line; in a script only the bodies, and
    the last step asks for its status line itself.
    """
    database, project, env = rendered_project
    readme = (project / "README.md").read_text()
    names = {True: unique("walker-tty"), False: unique("walker-script")}
    outputs = {}
    try:
        with gunicorn(project, relaxed_env(env)) as served:
            base = served.base
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
