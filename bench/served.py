"""The served projects: the rendered one (per database) and the ones it is measured against,
each with the figures that wrk loads. The comparison projects are real files under projects/.
"""

import shutil
from pathlib import Path

import requests

from tooling.accounts import bearer
from tooling.constants import PASSWORD, RESOURCES, TOKEN, detail, sqlite_url
from tooling.postgres import PostgresCluster
from tooling.project import cached_venv, django_shell, manage, render, venv_env
from tooling.served import serve
from tooling.stack import Client

from .support import BenchError, log

PROJECTS = Path(__file__).resolve().parent / "projects"
SEED = (PROJECTS / "seed.py").read_text()
USERNAME = "bench"  # the user projects/seed.py makes
LOGIN = {"username": USERNAME, "password": PASSWORD}
NEW_ROW = {"name": "made by wrk", "description": "a row the benchmark created"}
SMALL_TABLE, LARGE_TABLE = 100, 100_000
DEACTIVATE = "from django.contrib.auth import get_user_model\n" + (
    "get_user_model().objects.update(is_active=False)"
)
# The rows that create runs made: deleted after each round, so that the hand-written list
# (which returns every row) keeps its 20 and every table keeps the size its label gives.
DELETE_CREATED = (
    f"from things.models import Thing\nThing.objects.filter(name={NEW_ROW['name']!r}).delete()"
)


class Project:
    """A project folder, the venv it runs in and its migrated, seeded database."""

    def __init__(self, folder, env, rows):
        self.folder, self.env = folder, env
        manage(folder, env, "migrate", "--noinput")
        seeding = {**env, "BENCH_ROWS": str(rows), "BENCH_PASSWORD": PASSWORD}
        self.newest = int(django_shell(folder, seeding, SEED).split()[-1])

    def delete_created(self):
        django_shell(self.folder, self.env, DELETE_CREATED)


def fresh_token(served):
    """A new access token of the bench user, as a client would get it."""
    return Client(served.base).login(USERNAME)["access"]


def first_page(served, path, token):
    """The rows a list answers with (a paginated list's `results`), checked for a 200."""
    page = Client(served.base).json("GET", path, 200, token)
    return page["results"] if isinstance(page, dict) else page


class Rendered:
    """The rendered project on one database and its servers: Gunicorn with its own
    gunicorn.conf.py on 100 rows and on 100,000, runserver, and the floor view."""

    def __init__(self, database, bench):
        self.database = database
        log(f"{database}: rendering, migrating, seeding {SMALL_TABLE} and {LARGE_TABLE:,} rows")
        self.folder = render(bench.folder / database, bench.args.template, database=database)
        self.postgres = None
        if database == "postgres":
            self.postgres = PostgresCluster(launch=bench.cores.database_launch)
            bench.stack.enter_context(self.postgres)
            log(f"PostgreSQL on port {self.postgres.port}, {bench.cores.describe()}")
            small_url = self.postgres.create_database("bench")
            large_url = self.postgres.create_database("bench_large")
        else:
            small_url = sqlite_url(self.folder / "db.sqlite3")
            large_url = sqlite_url(self.folder / "large.sqlite3")
        venv, self.database_url = bench.rendered_venv, small_url
        self.project = Project(self.folder, self.environment(venv, small_url), SMALL_TABLE)
        large = Project(self.folder, self.environment(venv, large_url), LARGE_TABLE)
        for name in ("bench_floor_settings.py", "bench_floor_urls.py"):
            shutil.copy(PROJECTS / "floor" / name, self.folder)

        env = self.project.env
        floor_env = {**env, "DJANGO_SETTINGS_MODULE": "bench_floor_settings"}
        servers = {
            "gunicorn": self.serve(bench, bench.gunicorn, env),
            "pinned": self.serve(bench, bench.pinned_gunicorn, env),
            "large": self.serve(bench, bench.gunicorn, large.env),
            "runserver": self.serve(bench, bench.runserver, env),
            "floor": self.serve(bench, bench.gunicorn, floor_env),
        }
        self.served = servers["gunicorn"]
        for server in ("gunicorn", "large"):
            rows = first_page(servers[server], RESOURCES, self.token())
            if len(rows) != 20:
                raise BenchError(f"the list page holds {len(rows)} rows, not 20")

        def figure(name, server, path, **options):
            options = {"token": self.token, "postgres": self.postgres, **options}
            return bench.figure(f"{database} {name}", servers[server], path, **options)

        self.list = figure("list, page of 20 of 100 rows", "gunicorn", RESOURCES)
        # The same list, its Gunicorn and wrk kept off the database's core (see cores.Cores).
        self.list_pinned = figure(
            "list, web off the database core", "pinned", RESOURCES, cores=bench.cores
        )
        self.list_large = figure(f"list, page of 20 of {LARGE_TABLE:,}", "large", RESOURCES)
        self.runserver = figure("runserver list, 100 rows", "runserver", RESOURCES)
        self.floor = figure("DRF + JWT view, no work", "floor", "/bench/floor/")
        self.detail = figure("detail", "gunicorn", detail(self.project.newest))
        self.create = figure("create", "gunicorn", RESOURCES, body=NEW_ROW)
        # Each token costs a PBKDF2 hash of a million rounds: few connections, a short run.
        self.obtain = figure(
            "token obtain", "gunicorn", TOKEN, token=None, body=LOGIN,
            seconds=bench.args.token_seconds, connections=2,
        )  # fmt: skip
        self.sessions = 0

    def serve(self, bench, command, env):
        return bench.stack.enter_context(serve(self.folder, env, command))

    def token(self):
        return fresh_token(self.served)

    @staticmethod
    def environment(venv, database_url):
        return venv_env(
            venv,
            DATABASE_URL=database_url,
            DJANGO_TOKEN_THROTTLE_RATE="1000000/minute",  # the bench obtains tokens in a loop
            JWT_ACCESS_TOKEN_MINUTES=120,  # a token outlives the longest wrk run
        )

    def measure_list(self):
        """The runs compared with each other, one turn each: called once per round."""
        before = self.postgres.sessions("bench") if self.postgres else 0
        self.list.measure()
        if self.postgres:
            self.sessions += self.postgres.sessions("bench") - before
        self.list_pinned.measure()
        self.runserver.measure()
        self.list_large.measure()
        self.floor.measure()

    def user_check_works(self):
        """After the run: the token of a deactivated user must be refused at once."""
        token = self.token()
        django_shell(self.folder, self.project.env, DEACTIVATE)
        answer = requests.get(self.served.url(RESOURCES), headers=bearer(token), timeout=30)
        return answer.status_code == 401


class Handwritten:
    """projects/handwritten on SQLite with 20 rows, under Gunicorn with 3 sync workers."""

    ROWS = 20

    def __init__(self, bench):
        log(f"hand-written DRF project: installing, migrating, seeding {self.ROWS} rows")
        source = PROJECTS / "handwritten"
        venv = cached_venv([source / "requirements.txt"], source / "requirements.txt")
        folder = bench.folder / "handwritten"
        shutil.copytree(source, folder)
        self.project = project = Project(folder, venv_env(venv), self.ROWS)
        command = ["gunicorn", "handwritten.wsgi", "--workers", "3", "--bind", "127.0.0.1:{port}"]
        served = serve(folder, project.env, command, ready="/admin/login/")
        self.served = bench.stack.enter_context(served)
        rows = first_page(self.served, "/api/things/", self.token())
        if len(rows) != self.ROWS:
            raise BenchError(f"the hand-written list holds {len(rows)} rows, not {self.ROWS}")

        def figure(name, path, **options):
            return bench.figure(
                f"hand-written {name}", self.served, path, token=self.token, **options
            )

        self.list = figure(f"list, all {self.ROWS} rows", "/api/things/")
        self.detail = figure("detail", f"/api/things/{project.newest}/")
        self.create = figure("create", "/api/things/", body=NEW_ROW)

    def token(self):
        return fresh_token(self.served)


def bare_view(bench, gunicorn_conf):
    """projects/bare, the one-line view, under a copy of the rendered gunicorn.conf.py."""
    folder = bench.folder / "bare"
    shutil.copytree(PROJECTS / "bare", folder)
    shutil.copy(gunicorn_conf, folder / "gunicorn.conf.py")
    command = ["gunicorn", "bare.wsgi", "--bind", "127.0.0.1:{port}"]
    served = serve(folder, venv_env(bench.rendered_venv), command, ready="/")
    return bench.figure("bare Django view, same Gunicorn", bench.stack.enter_context(served), "/")
