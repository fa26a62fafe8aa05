"""The rendered README is true and read top-down: at most 300 lines under a table of contents,
in the order a newcomer needs them, linking the docs/ pages that took the rest; its route table
is the URL configuration's, path by path and method by method; a multi-word resource gets the
same hyphenated URL everywhere; the walkthrough uses PORT on every line and works as written,
pasted into a terminal or run as scripts/walkthrough.sh, which holds the same lines.

Real services: Gunicorn, started by the walkthrough test for the session's rendered project of
each database (SQLite, and PostgreSQL on a throwaway cluster), driven over HTTP by httpie.
"""

import json
import re
import time

import pytest
import yaml

from helpers.walkthrough import (
    assert_walked,
    paste_walkthrough,
    run_script,
    walkers,
    walkthrough_block,
)
from tooling.accounts import count_rows, delete_users
from tooling.constants import DATABASES
from tooling.machine import run
from tooling.project import render, venv_env
from tooling.readme import headings, section
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
    assert "/api/v1/blog-posts/" in walkthrough_block(readme)
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


@pytest.mark.gunicorn
def test_walkthrough_works_as_written(rendered_project, venv):
    """The README's walkthrough against Gunicorn (DEBUG off): pasted into a terminal, then as
    scripts/walkthrough.sh, each step answering the status it declares; each run signs up a
    user of its own, and its DELETE step leaves that user nothing."""
    database, project, env = rendered_project
    block = walkthrough_block((project / "README.md").read_text())
    outputs = {}
    try:
        with gunicorn(project, relaxed_env(env)) as served:
            port = served.base.rsplit(":", 1)[1]
            started = time.monotonic()
            outputs["terminal"] = paste_walkthrough(block, project, venv, port).text
            pasted = time.monotonic() - started
            outputs["script"], _ = run_script(project, venv, port)
            scripted = time.monotonic() - started - pasted
        print(f"\n[{database}] walkthrough pasted: {pasted:.1f} s, as a script: {scripted:.1f} s")
        names = [name for output in outputs.values() for name in walkers(output)]
        left = {name: count_rows(project, env, owner=name) for name in names}
    finally:
        delete_users(project, env, *[name for out in outputs.values() for name in walkers(out)])
    for output in outputs.values():
        assert_walked(output, block)
    assert len(left) == 2 and set(left.values()) == {0}, left  # two users, no rows left


# The README's sections, in the order a newcomer reads them.
SECTIONS = [
    "What it is",
    "Quick start, without Docker",
    "Walkthrough",
    "Routes",
    "Limits you will meet while testing",
    "Docker",
]
DOCS = ["docs/deploy.md", "docs/docker.md", "docs/security.md", "docs/speed.md"]
NUMBERS = {"three": 3, "four": 4}


@pytest.mark.parametrize("database", DATABASES)
def test_readme_reads_top_down(database, tmp_path):
    """At most 300 lines; the table of contents links every section, in order; the sections a
    newcomer needs come first, in order; each page of docs/ exists and is linked; the stack's
    services are counted right."""
    project = render(tmp_path, database=database)
    readme = (project / "README.md").read_text()
    assert len(readme.splitlines()) <= 300, len(readme.splitlines())
    sections = headings(readme)
    contents = re.findall(r"^- \[(.+)\]\(#([a-z0-9-]+)\)$", readme, re.MULTILINE)
    assert [title for title, _ in contents] == sections
    for title, anchor in contents:  # GitHub's anchors: lowercase, punctuation out, - for spaces
        assert anchor == re.sub(r"[^a-z0-9 -]", "", title.lower()).replace(" ", "-")
    assert sections[: len(SECTIONS)] == SECTIONS
    for page in DOCS:
        assert f"]({page})" in readme, page
        assert (project / page).is_file(), page
    # The services counted in words are the services of the compose file.
    services = yaml.safe_load((project / "docker-compose.yml").read_text())["services"]
    for text in (readme, (project / "docs/docker.md").read_text()):
        (counted,) = re.findall(r"through\s+(\w+)\s+services", text)
        assert NUMBERS[counted] == len(services), (counted, sorted(services))
    for page in project.glob("docs/*.md"):  # the pages link each other by names that exist
        for linked in re.findall(r"\]\(([a-z]+\.md)", page.read_text()):
            assert (project / "docs" / linked).is_file(), (page.name, linked)


def test_walkthrough_uses_port_and_is_the_script(tmp_path):
    """Every request of the walkthrough goes to :$PORT, 8000 unless set; the README says how
    to pick another; scripts/walkthrough.sh holds the README's lines, and has no `set -e`,
    which would close a terminal it was pasted into."""
    project = render(tmp_path)
    readme = (project / "README.md").read_text()
    block = walkthrough_block(readme)
    request_lines = [line for line in block.splitlines() if line.startswith("step ")]
    assert request_lines and all(" :$PORT/" in line for line in request_lines)
    assert "8000" not in block.replace("PORT=${PORT:-8000}", "")
    assert "export PORT=8001" in section(readme, "Quick start, without Docker")
    assert "gunicorn config.wsgi --bind 127.0.0.1:$PORT" in readme
    script = project / "scripts/walkthrough.sh"
    assert script.stat().st_mode & 0o111, "scripts/walkthrough.sh is not executable"
    assert script.read_text().split("\n\n", 1)[1] == block
    assert not re.search(r"^\s*set -[a-z]*e", block, re.MULTILINE)
