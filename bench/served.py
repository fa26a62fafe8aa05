"""The served projects: the rendered one (per database) and the ones it is measured against,
each with the figures that wrk loads. The comparison projects are real files under projects/.
"""

import shutil
from pathlib import Path

from cookiecutter.main import cookiecutter
from servers import Postgres, Server
from support import BenchError, cached_venv, expect, log, request, run, venv_env

PROJECTS = Path(__file__).resolve().parent / "projects"
SEED = (PROJECTS / "seed.py").read_text()
USERNAME = "bench"
PASSWORD = "bench-correct-horse"  # noqa: S105 (a throwaway user in a throwaway database)
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
        run(["python", "manage.py", "migrate", "--noinput"], cwd=folder, env=env)
        self.newest = int(self.shell(SEED, BENCH_ROWS=rows, BENCH_PASSWORD=PASSWORD).split()[-1])

    def delete_created(self):
        self.shell(DELETE_CREATED)

    def shell(self, code, **extra):
        env = {**self.env, **{key: str(value) for key, value in extra.items()}}
        return run(["python", "manage.py", "shell", "-c", code], cwd=self.folder, env=env)


def fresh_token(server, token_path="/api/token/"):
    """A new access token of the bench user, as a client would get it."""
    return expect(200, request(server.base + token_path, body=LOGIN), "token")["access"]


class Rendered:
    """The rendered project on one database and its servers: Gunicorn with its own
    gunicorn.conf.py on 100 rows and on 100,000, runserver, and the floor view."""

    def __init__(self, database, bench):
        self.database, folder = database, bench.folder / database
        log(f"{database}: rendering, migrating, seeding {SMALL_TABLE} and {LARGE_TABLE:,} rows")
        self.folder = Path(
            cookiecutter(
                str(bench.args.template),
                no_input=True,
                output_dir=str(folder),
                extra_context={"database": database},
            )
        )
        self.postgres = None
        if database == "postgres":
            self.postgres = bench.stack.enter_context(Postgres(bench.cores))
            small_url = self.postgres.create_database("bench")
            large_url = self.postgres.create_database("bench_large")
        else:
            small_url = f"sqlite:///{self.folder / 'db.sqlite3'}"
            large_url = f"sqlite:///{self.folder / 'large.sqlite3'}"
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
        self.server = servers["gunicorn"]
        for server in ("gunicorn", "large"):
            page = expect(
                200, request(servers[server].base + "/api/v1/things/", self.token()), "list"
            )
            if len(page["results"]) != 20:
                raise BenchError(f"the list page holds {len(page['results'])} rows, not 20")

        def figure(name, server, path, **options):
            options = {"token": self.token, **options}
            return bench.figure(f"{database} {name}", servers[server], path, **options)

        things = "/api/v1/things/"
        self.list = figure("list, page of 20 of 100 rows", "gunicorn", things)
        # The same list, its Gunicorn and wrk kept off the database's core (see servers.Cores).
        self.list_pinned = figure(
            "list, web off the database core", "pinned", things, cores=bench.cores
        )
        self.list_large = figure(f"list, page of 20 of {LARGE_TABLE:,}", "large", things)
        self.runserver = figure("runserver list, 100 rows", "runserver", things)
        self.floor = figure("DRF + JWT view, no work", "floor", "/bench/floor/")
        self.detail = figure("detail", "gunicorn", f"{things}{self.project.newest}/")
        self.create = figure("create", "gunicorn", things, body=NEW_ROW)
        # Each token costs a PBKDF2 hash of a million rounds: few connections, a short run.
        self.obtain = figure(
            "token obtain", "gunicorn", "/api/token/", token=None, body=LOGIN,
            seconds=bench.args.token_seconds, connections=2,
        )  # fmt: skip
        self.sessions = 0

    def serve(self, bench, command, env):
        server = Server(command, self.folder, env, bench.folder, self.postgres)
        return bench.stack.enter_context(server)

    def token(self):
        return fresh_token(self.server)

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
        self.project.shell(DEACTIVATE)
        return request(self.server.base + "/api/v1/things/", token)[0] == 401


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
        server = Server(command, folder, project.env, bench.folder, ready_path="/admin/login/")
        self.server = bench.stack.enter_context(server)
        rows = expect(200, request(server.base + "/api/things/", self.token()), "list")
        if len(rows) != self.ROWS:
            raise BenchError(f"the hand-written list holds {len(rows)} rows, not {self.ROWS}")

        def figure(name, path, **options):
            return bench.figure(f"hand-written {name}", server, path, token=self.token, **options)

        self.list = figure(f"list, all {self.ROWS} rows", "/api/things/")
        self.detail = figure("detail", f"/api/things/{project.newest}/")
        self.create = figure("create", "/api/things/", body=NEW_ROW)

    def token(self):
        return fresh_token(self.server)


def bare_view(bench, gunicorn_conf):
    """projects/bare, the one-line view, under a copy of the rendered gunicorn.conf.py."""
    folder = bench.folder / "bare"
    shutil.copytree(PROJECTS / "bare", folder)
    shutil.copy(gunicorn_conf, folder / "gunicorn.conf.py")
    command = ["gunicorn", "bare.wsgi", "--bind", "127.0.0.1:{port}"]
    server = Server(command, folder, venv_env(bench.rendered_venv), bench.folder, ready_path="/")
    server = bench.stack.enter_context(server)
    return bench.figure("bare Django view, same Gunicorn", server, "/")
