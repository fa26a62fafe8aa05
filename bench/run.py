"""`make bench`: how fast the rendered service answers, as ratios measured in one run.

Renders the SQLite and the PostgreSQL variant and serves each under Gunicorn with its own
gunicorn.conf.py, next to the same project under `manage.py runserver` and a one-line Django view
under a copy of the same gunicorn.conf.py. wrk then loads the authenticated list (a page of 20)
with 100 rows and with 100,000 rows in the table, a detail, a create and a token obtain.
A DRF view in the same project that checks the token and the user and then does nothing shows
how much of the bare view's speed is gone before the list does any work of its own.

This machine is shared and noisy, so every server stays up for the whole run and the figures
that are compared are measured in turns, round after round; each figure is the median of its
rounds, and only the ratios between figures of one run mean anything. The CPU column (the
serving processes' CPU time per request, PostgreSQL's included) varies less with the noise.
A figure counts only if every response succeeded: the run fails on any non-2xx answer or
socket error wrk reports.

runserver keeps each connection open and answers every request on it after about 44 ms (a
small write waiting for a delayed ACK), so its requests/s is about connections / 44 ms rather
than a CPU limit: the ratio to runserver grows with --connections.

    .venv/bin/python bench/run.py [--seconds 5] [--rounds 3] [--connections 8] [--database sqlite]
"""

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TEMPLATE / "tests"))

from helpers.live_api import child_pids  # noqa: E402
from helpers.machine import free_port, stop  # noqa: E402
from helpers.project import project_venv, venv_env  # noqa: E402
from helpers.services import PostgresCluster  # noqa: E402

USERNAME = "bench"
PASSWORD = "bench-correct-horse"  # noqa: S105 (a throwaway user in a throwaway database)
LOGIN = {"username": USERNAME, "password": PASSWORD}
LIST_URL = "/api/v1/things/"
NEW_ROW = {"name": "made by wrk", "description": "a row the benchmark created"}
SMALL_TABLE, LARGE_TABLE = 100, 100_000
DATABASES = ("sqlite", "postgres")

# Run with `manage.py shell -c`: the bench user, then rows up to BENCH_ROWS; prints the newest id.
SEED = """
import os
from django.contrib.auth import get_user_model
from django.db import connection
from things.models import Thing

User = get_user_model()
user = User.objects.filter(username="bench").first()
if user is None:
    user = User.objects.create_user("bench", password=os.environ["BENCH_PASSWORD"])
missing = int(os.environ["BENCH_ROWS"]) - Thing.objects.count()
text = "A row the benchmark made, about as long as a short description typed by a person."
Thing.objects.bulk_create(
    (Thing(owner=user, name=f"row {n}", description=text) for n in range(missing)),
    batch_size=5000,
)
if connection.vendor == "postgresql":
    # Settle now what autovacuum and the checkpointer would otherwise do during the runs.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")
print(Thing.objects.order_by("-id").values_list("id", flat=True)[0])
"""
DEACTIVATE = "from accounts.models import User; User.objects.update(is_active=False)"

# The bare view: the least a Django project under Gunicorn can do for a request.
BARE_FILES = {
    "bare/__init__.py": "",
    "bare/settings.py": (
        'SECRET_KEY = "bench-only"\n'
        "DEBUG = False\n"
        'ALLOWED_HOSTS = ["127.0.0.1"]\n'
        'ROOT_URLCONF = "bare.urls"\n'
        "INSTALLED_APPS = []\n"
        "MIDDLEWARE = []\n"
        "DATABASES = {}\n"
    ),
    "bare/urls.py": (
        "from django.http import HttpResponse\n"
        "from django.urls import path\n\n"
        'urlpatterns = [path("", lambda request: HttpResponse("ok"))]\n'
    ),
    "bare/wsgi.py": (
        "import os\n\n"
        "from django.core.wsgi import get_wsgi_application\n\n"
        'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bare.settings")\n'
        "application = get_wsgi_application()\n"
    ),
}

# The floor of any view in the rendered project: the same settings and middleware, DRF with the
# JWT check that reads the user row, and then no work at all. Served by its own Gunicorn.
FLOOR_PATH = "/bench/floor/"
FLOOR_FILES = {
    "bench_floor_settings.py": (
        'from config.settings import *  # noqa: F403\n\nROOT_URLCONF = "bench_floor_urls"\n'
    ),
    "bench_floor_urls.py": (
        "from django.urls import path\n"
        "from rest_framework.response import Response\n"
        "from rest_framework.views import APIView\n\n"
        "from config.urls import urlpatterns as project_urls\n\n\n"
        "class Floor(APIView):\n"
        "    def get(self, request):\n"
        "        return Response([])\n\n\n"
        f'urlpatterns = [path("{FLOOR_PATH[1:]}", Floor.as_view()), *project_urls]\n'
    ),
}


class BenchError(Exception):
    """A run that cannot give honest figures: a failed command, a non-2xx answer."""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])

    def option(name, default, help):
        variable = "BENCH_" + name.upper().replace("-", "_")
        parser.add_argument(
            f"--{name}", type=int, default=int(os.environ.get(variable, default)), help=help
        )

    option("seconds", 5, "length of each wrk run (env BENCH_SECONDS, default 5)")
    option("rounds", 3, "turns of the compared list runs (env BENCH_ROUNDS, default 3)")
    option("connections", 8, "wrk connections, on one wrk thread (env BENCH_CONNECTIONS)")
    option("token-seconds", 3, "length of the token-obtain run, slow by design (default 3)")
    parser.add_argument(
        "--template",
        type=Path,
        default=TEMPLATE,
        help="the template to render (default: this checkout), e.g. a copy from before a change",
    )
    parser.add_argument(
        "--database",
        choices=DATABASES,
        action="append",
        help="measure only this database (repeatable; default both)",
    )
    args = parser.parse_args()
    args.database = args.database or list(DATABASES)
    return args


def run(command, cwd=None, env=None, timeout=600):
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise BenchError(
            f"{' '.join(map(str, command))} exited {result.returncode}\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout


def ensure_wrk():
    if not shutil.which("wrk"):
        print("bench: wrk is missing, installing it with apt-get", flush=True)
        run(["apt-get", "install", "-y", "-qq", "wrk"], timeout=300)


def write_files(folder, files):
    """Write {relative path: text} under folder, making the folders they need."""
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


def log(message):
    print(f"bench: {message}", flush=True)


# --- HTTP ---------------------------------------------------------------------------------


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def request(url, token=None, body=None):
    """(status, parsed JSON or text) of one request; a redirect is returned, not followed."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, data, headers), timeout=30) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    with contextlib.suppress(ValueError):
        return status, json.loads(text)
    return status, text


def expect(status, answer, what):
    if answer[0] != status:
        raise BenchError(f"{what}: expected {status}, got {answer[0]}: {str(answer[1])[:500]}")
    return answer[1]


def lua_script(folder, name, token=None, body=None):
    """A wrk script that sets the bearer header and, for a POST, the JSON body."""
    lines = []
    if token:
        lines.append(f'wrk.headers["Authorization"] = "Bearer {token}"')
    if body is not None:
        lines += [
            'wrk.method = "POST"',
            'wrk.headers["Content-Type"] = "application/json"',
            f"wrk.body = [[{json.dumps(body)}]]",
        ]
    path = folder / f"{name}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


# --- servers ------------------------------------------------------------------------------


def cpu_seconds(pid):
    """CPU used by a process, its live children and the children it has reaped."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for index, process in enumerate([pid, *child_pids(pid)]):
        with contextlib.suppress(FileNotFoundError):
            stat = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
            utime, stime, cutime, cstime = map(int, stat[11:15])
            total += utime + stime + (cutime + cstime if index == 0 else 0)
    return total / ticks


class Server:
    """A server process on a free port, its output in a log file, stopped on exit."""

    def __init__(self, command, cwd, env, folder, database_pid=None, ready_path="/healthz/"):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.command = [part.format(port=self.port) for part in command]
        self.cwd, self.env, self.ready_path = cwd, env, ready_path
        self.database_pid = database_pid
        self.log_path = folder / f"server-{self.port}.log"

    def __enter__(self):
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.command} exited:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                if request(self.base + self.ready_path)[0] == 200:
                    return self
            time.sleep(0.2)
        self.__exit__()
        raise BenchError(f"{self.command} did not answer within 60 s:\n{self.log_tail()}")

    def __exit__(self, *exc):
        stop(self.process, grace=30)
        self.log.close()

    def cpu_seconds(self):
        """CPU spent serving: this server's processes, and PostgreSQL's when it has one."""
        database = cpu_seconds(self.database_pid) if self.database_pid else 0
        return cpu_seconds(self.process.pid) + database

    def log_tail(self):
        return self.log_path.read_text()[-3000:]


# --- wrk ----------------------------------------------------------------------------------


@dataclass
class Figure:
    """One kind of request against one server, loaded by wrk once per round."""

    name: str
    server: Server
    path: str
    script: Path
    seconds: int
    connections: int
    runs: list = field(default_factory=list)

    def load(self, seconds=None):
        seconds = seconds or self.seconds
        command = [
            "wrk", "-t1", f"-c{self.connections}", f"-d{seconds}s", "--latency",
            "--timeout", "10s", "-s", str(self.script), self.server.base + self.path,
        ]  # fmt: skip
        cpu_before = self.server.cpu_seconds()
        output = run(command, timeout=seconds + 60)
        cpu = self.server.cpu_seconds() - cpu_before
        problems = re.findall(r"Non-2xx or 3xx responses: \d+|Socket errors: .*", output)
        if problems:
            raise BenchError(
                f"{self.name}: {'; '.join(problems)}\n{output}\n"
                f"--- server log\n{self.server.log_tail()}"
            )
        requests = int(re.search(r"(\d+) requests in", output).group(1))
        if requests == 0:
            raise BenchError(f"{self.name}: no request completed\n{output}")
        latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
        return {
            "requests": requests,
            "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
            "p50": milliseconds(latency["50"]),
            "p99": milliseconds(latency["99"]),
            "cpu": 1000 * cpu / requests,
        }

    def measure(self):
        result = self.load()
        self.runs.append(result)
        print(f"    {self.name}: {result['rps']:.1f} req/s, p50 {result['p50']:.2f} ms", flush=True)

    def warm_up(self):
        self.load(seconds=1)

    def median(self, key):
        return statistics.median(result[key] for result in self.runs)

    def row(self):
        rounds = " ".join(f"{result['rps']:.0f}" for result in self.runs)
        return (
            f"  {self.name:<38} {self.median('rps'):9.1f} {self.median('p50'):9.2f} "
            f"{self.median('p99'):9.2f} {self.median('cpu'):9.2f}   {rounds}"
        )


def milliseconds(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


# --- the variants -------------------------------------------------------------------------


class Variant:
    """One rendered project and its servers: Gunicorn on 100 rows and on 100,000, runserver."""

    def __init__(self, database, bench, stack):
        self.database, self.bench = database, bench
        folder = bench.folder / database
        log(f"{database}: rendering, migrating, seeding {SMALL_TABLE} and {LARGE_TABLE:,} rows")
        self.project = Path(
            cookiecutter(
                str(bench.args.template),
                no_input=True,
                output_dir=str(folder),
                extra_context={"database": database},
            )
        )
        database_pid = None
        if database == "postgres":
            cluster = stack.enter_context(postgres_cluster())
            small_url = cluster.create_database("bench")
            large_url = cluster.create_database("bench_large")
            database_pid = cluster.postmaster_pid()
            self.cluster = cluster
        else:
            small_url = f"sqlite:///{self.project / 'db.sqlite3'}"
            large_url = f"sqlite:///{self.project / 'large.sqlite3'}"
        self.env = self.environment(small_url)
        large_env = self.environment(large_url)
        self.newest = self.seed(self.env, SMALL_TABLE)
        self.seed(large_env, LARGE_TABLE)

        gunicorn = ["gunicorn", "config.wsgi", "--bind", "127.0.0.1:{port}"]
        runserver = ["python", "manage.py", "runserver", "--noreload", "127.0.0.1:{port}"]
        write_files(self.project, FLOOR_FILES)
        floor_env = {**self.env, "DJANGO_SETTINGS_MODULE": "bench_floor_settings"}
        servers = {
            "gunicorn": Server(gunicorn, self.project, self.env, bench.folder, database_pid),
            "large": Server(gunicorn, self.project, large_env, bench.folder, database_pid),
            "runserver": Server(runserver, self.project, self.env, bench.folder, database_pid),
            "floor": Server(gunicorn, self.project, floor_env, bench.folder, database_pid),
        }
        for server in servers.values():
            stack.enter_context(server)
        self.token = self.check_answers(servers["gunicorn"])
        self.check_answers(servers["large"])

        get = lua_script(folder.parent, f"{database}-get", self.token)
        post = lua_script(folder.parent, f"{database}-post", self.token, NEW_ROW)
        obtain = lua_script(folder.parent, f"{database}-token", body=LOGIN)
        seconds, connections = bench.args.seconds, bench.args.connections

        def figure(name, server, path, script, seconds=seconds, connections=connections):
            return Figure(f"{database} {name}", servers[server], path, script, seconds, connections)

        self.list = figure("gunicorn list, 100 rows", "gunicorn", LIST_URL, get)
        self.list_large = figure(f"gunicorn list, {LARGE_TABLE:,} rows", "large", LIST_URL, get)
        self.runserver = figure("runserver list, 100 rows", "runserver", LIST_URL, get)
        self.floor = figure("gunicorn DRF + JWT view, no work", "floor", FLOOR_PATH, get)
        self.detail = figure("gunicorn detail", "gunicorn", f"{LIST_URL}{self.newest}/", get)
        self.create = figure("gunicorn create", "gunicorn", LIST_URL, post)
        # Each token costs a PBKDF2 hash of a million rounds: few connections, a short run.
        self.obtain = figure(
            "gunicorn token obtain", "gunicorn", "/api/token/", obtain, bench.args.token_seconds, 2
        )
        self.sessions = 0

    def environment(self, database_url):
        return venv_env(
            self.bench.venv,
            DATABASE_URL=database_url,
            DJANGO_TOKEN_THROTTLE_RATE="1000000/minute",  # the bench obtains tokens in a loop
            JWT_ACCESS_TOKEN_MINUTES=120,  # one token lasts the whole run
        )

    def seed(self, env, rows):
        run(["python", "manage.py", "migrate", "--noinput"], cwd=self.project, env=env)
        seed_env = {**env, "BENCH_ROWS": str(rows), "BENCH_PASSWORD": PASSWORD}
        output = run(["python", "manage.py", "shell", "-c", SEED], cwd=self.project, env=seed_env)
        return int(output.strip().splitlines()[-1])

    def check_answers(self, server):
        """One request of each kind answers as it should before wrk repeats it; the token."""
        access = expect(200, request(server.base + "/api/token/", body=LOGIN), "token")["access"]
        page = expect(200, request(server.base + LIST_URL, access), "list")
        if len(page["results"]) != 20:
            raise BenchError(f"the list page holds {len(page['results'])} rows, not 20")
        return access

    def measure_list(self):
        """The runs compared with each other, one turn each: called once per round."""
        before = self.cluster.sessions("bench") if self.database == "postgres" else 0
        self.list.measure()
        if self.database == "postgres":
            self.sessions += self.cluster.sessions("bench") - before
        self.runserver.measure()
        self.list_large.measure()
        self.floor.measure()

    def user_check_works(self):
        """After the run: the token of a deactivated user must be refused at once."""
        run(["python", "manage.py", "shell", "-c", DEACTIVATE], cwd=self.project, env=self.env)
        return request(self.list.server.base + LIST_URL, self.token)[0] == 401


class Postgres(PostgresCluster):
    def postmaster_pid(self):
        return int((self.folder / "data" / "postmaster.pid").read_text().split()[0])

    def sessions(self, database):
        """Connections ever opened to a database (pg_stat_database, PostgreSQL 14 and later)."""
        time.sleep(1)  # a backend reports its statistics within a second
        psql = ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-Atc"]
        query = f"SELECT sessions FROM pg_stat_database WHERE datname = '{database}'"
        return int(run([*psql, query]).strip())


@contextlib.contextmanager
def postgres_cluster():
    cluster = Postgres().start()
    try:
        yield cluster
    finally:
        cluster.stop()


class Bench:
    def __init__(self, args, folder, venv):
        self.args, self.folder, self.venv = args, folder, venv

    def bare_view(self, stack, project):
        """The one-line view under a copy of the rendered project's gunicorn.conf.py."""
        folder = self.folder / "bare"
        write_files(folder, BARE_FILES)
        shutil.copy(project / "gunicorn.conf.py", folder / "gunicorn.conf.py")
        command = ["gunicorn", "bare.wsgi", "--bind", "127.0.0.1:{port}"]
        server = stack.enter_context(
            Server(command, folder, venv_env(self.venv), self.folder, ready_path="/")
        )
        script = lua_script(self.folder, "bare")
        return Figure(
            "bare Django view, same Gunicorn", server, "/", script, self.args.seconds,
            self.args.connections,
        )  # fmt: skip


def render_seconds(template, folder):
    """The median of three `cookiecutter --no-input` renders, timed as a user would run it."""
    command = Path(sys.executable).parent / "cookiecutter"
    timings = []
    for attempt in range(3):
        start = time.perf_counter()
        run([command, "--no-input", "-o", folder / f"render-{attempt}", template])
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


# --- report -------------------------------------------------------------------------------


def judge(values, target, at_least=True):
    """'1.234x  1.310x   (target >= 1x: met)' for one value per database."""
    met = all(value >= target if at_least else value <= target for value in values)
    verdict = "met" if met else "NOT MET"
    return f"{times(values, 3)}   (target {'>=' if at_least else '<='} {target}x: {verdict})"


def times(values, digits=2):
    return "  ".join(f"{value:5.{digits}f}x" for value in values)


def line(label, text):
    print(f"  {label:<44}{text}")


def report(variants, bare, render_time, user_checks):
    print("\n=== figures: median of the rounds (CPU: serving processes, PostgreSQL included) ===")
    header = f"{'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'CPU ms/req':>9}   req/s per round"
    print(f"  {'':<38} {header}")
    for variant in variants:
        for name in ("list", "list_large", "runserver", "floor", "detail", "create", "obtain"):
            print(getattr(variant, name).row())
    print(bare.row())

    def rps(figure):
        return figure.median("rps")

    def each(ratio):
        return [ratio(variant) for variant in variants]

    print(f"\n=== ratios ({' / '.join(variant.database for variant in variants)}) ===")
    line(
        "list req/s, Gunicorn / runserver:",
        judge(each(lambda v: rps(v.list) / rps(v.runserver)), 3),
    )
    line("list req/s, Gunicorn / bare view:", judge(each(lambda v: rps(v.list) / rps(bare)), 0.3))
    # How much of the bare view's speed is left before the list does any work of its own.
    line(
        "DRF + JWT view doing nothing / bare view:",
        times(each(lambda v: rps(v.floor) / rps(bare)), 3),
    )
    line(
        "list / DRF + JWT view doing nothing:", times(each(lambda v: rps(v.list) / rps(v.floor)), 3)
    )
    growth = each(lambda v: v.list_large.median("p50") / v.list.median("p50"))
    line(
        f"list p50, {LARGE_TABLE:,} rows / {SMALL_TABLE} rows:", judge(growth, 1.5, at_least=False)
    )
    growth = each(lambda v: rps(v.list_large) / rps(v.list))
    line(f"list req/s, {LARGE_TABLE:,} rows / {SMALL_TABLE} rows:", times(growth))
    for name in ("detail", "create", "obtain"):
        values = each(lambda v, name=name: rps(getattr(v, name)) / rps(v.list))
        line(f"{name} / list req/s:", times(values, digits=3))
    if len(variants) == 2:
        sqlite, postgres = sorted(variants, key=lambda variant: variant.database != "sqlite")
        print("  postgres / sqlite req/s:")
        line("  list, 100 rows:", judge([rps(postgres.list) / rps(sqlite.list)], 0.8))
        for name in ("list_large", "detail", "create", "obtain", "runserver"):
            line(f"  {name}:", times([rps(getattr(postgres, name)) / rps(getattr(sqlite, name))]))
    for variant in variants:
        if variant.database == "postgres":
            requests = sum(result["requests"] for result in variant.list.runs)
            works = variant.sessions <= 3 * len(variant.list.runs)
            verdict = "persistent" if works else "CONN_MAX_AGE DOES NOT TAKE EFFECT"
            line(
                "PostgreSQL connections opened by list runs:",
                f"{variant.sessions} for {requests} requests ({verdict})",
            )
    checks = ", ".join(
        f"{database} {'yes' if ok else 'NO'}" for database, ok in user_checks.items()
    )
    line("deactivated user's token refused at once:", checks)
    verdict = "met" if render_time <= 1 else "NOT MET"
    line(
        "render, cookiecutter --no-input (median):",
        f"{render_time:.2f} s   (target <= 1 s: {verdict})",
    )


def main():
    args = parse_args()
    ensure_wrk()
    started = time.monotonic()
    log(
        f"wrk -t1 -c{args.connections}, {args.seconds} s a run, {args.rounds} rounds; "
        f"token obtain {args.token_seconds} s on 2 connections"
    )
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="drf-auth-bench-")))
        render_time = render_seconds(args.template, folder)
        bench = Bench(args, folder, project_venv(folder))
        variants = [Variant(database, bench, stack) for database in args.database]
        bare = bench.bare_view(stack, variants[0].project)

        os.sync()  # the seeded databases reach the disk now, not during the first round
        log("warming up every server")
        for variant in variants:
            for figure in (variant.list, variant.list_large, variant.runserver, variant.floor):
                figure.warm_up()
        bare.warm_up()
        for round_number in range(1, args.rounds + 1):
            log(f"round {round_number} of {args.rounds}: list runs in turns, then the bare view")
            for variant in variants:
                variant.measure_list()
            bare.measure()
        log("detail, create and token obtain")
        for name in ("detail", "create", "obtain"):
            for variant in variants:
                getattr(variant, name).measure()
        user_checks = {variant.database: variant.user_check_works() for variant in variants}
        report(variants, bare, render_time, user_checks)
    log(f"done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    try:
        main()
    except BenchError as error:
        sys.exit(f"bench: FAILED: {error}")
