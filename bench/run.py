"""`make bench`: how fast the rendered service answers, as ratios measured in one run.

Renders the SQLite and the PostgreSQL variant and serves each under Gunicorn with its own
gunicorn.conf.py, next to the same project under `manage.py runserver`, a DRF view of the same
project that checks the token and the user and then does nothing (the floor of any view), the
DRF project a student writes by hand (projects/handwritten) and a one-line Django view
(projects/bare). wrk loads the authenticated list (a page of 20) with 100 rows and with 100,000
in the table, a detail, a create and a token obtain. Then the memory of a worker after 10,000
and 50,000 requests, and the time from `docker compose up` to the first healthy /healthz/.

This machine is shared and noisy, so every server stays up for the whole run and the figures
that are compared are measured in turns, round after round; each figure is the median of its
rounds, and only the ratios between figures of one run mean anything. The CPU column (the
serving processes' CPU time per request, PostgreSQL's included) varies less with the noise.
With two cores or more, PostgreSQL runs on a core of its own; for the comparison of the two
databases, their servers and wrk run on the other cores.

runserver keeps each connection open and answers every request on it after about 44 ms (a
small write waiting for a delayed ACK), so its requests/s is about connections / 44 ms rather
than a CPU limit: the ratio to runserver grows with --connections.

From the repository's root (the bench is a package beside tooling/, which it imports):

    .venv/bin/python -m bench [--seconds 5] [--rounds 3] [--connections 8] [--database sqlite]

A failure ends the run with one line `bench: FAILED: <why>` (then the output it concerns) and
exit status 1: a render the template refuses, a failed command, a server that never answered, a
wrk run with a failed answer.
"""

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from cookiecutter.exceptions import CookiecutterException

from tooling.constants import DATABASES, TEMPLATE
from tooling.errors import ToolingError
from tooling.machine import run
from tooling.project import project_venv

from .cores import Cores
from .memory import memory_per_worker
from .report import report
from .served import Handwritten, Rendered, bare_view
from .startup import container_start
from .support import BenchError, log
from .wrk import Figure


def parse_args():
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__.split("\n\n")[0],
        epilog="A failure ends with one line `bench: FAILED: <why>` and exit status 1.",
    )

    def option(name, default, help):
        variable = "BENCH_" + name.upper().replace("-", "_")
        parser.add_argument(
            f"--{name}",
            type=int,
            default=int(os.environ.get(variable, default)),
            help=f"{help} (env {variable}, default {default})",
        )

    option("seconds", 5, "length of each wrk run")
    option("rounds", 3, "turns of the compared runs")
    option("connections", 8, "wrk connections, on one wrk thread")
    option("token-seconds", 3, "length of the token-obtain run, slow by design")
    option(
        "memory-requests",
        50_000,
        "list requests before the last memory reading, the first after a fifth",
    )
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
    parser.add_argument(
        "--no-containers", action="store_true", help="skip the container start (needs Docker)"
    )
    args = parser.parse_args()
    args.database = args.database or list(DATABASES)
    return args


class Bench:
    """One run: its options, temporary folder, cores, servers (closed by `stack`) and figures."""

    def __init__(self, args, folder, stack):
        self.args, self.folder, self.stack = args, folder, stack
        self.cores, self.anywhere = Cores(), Cores(pin_web=False)
        gunicorn = ["gunicorn", "config.wsgi", "--bind", "127.0.0.1:{port}"]
        self.gunicorn, self.pinned_gunicorn = gunicorn, self.cores.on_web(gunicorn)
        runserver = ["python", "manage.py", "runserver", "--noreload", "127.0.0.1:{port}"]
        self.runserver = runserver
        # The venv the tests use too: a first run (or a changed pin) installs it, a minute or two.
        self.rendered_venv = project_venv(folder, args.template)

    def figure(self, name, server, path, **options):
        options = {
            "seconds": self.args.seconds,
            "connections": self.args.connections,
            "cores": self.anywhere,
            **options,
        }
        return Figure(name, server, path, **options)

    def compared(self):
        """The figures measured in turns in every round."""
        for variant in self.rendered:
            yield from (variant.list, variant.list_pinned, variant.list_large)
            yield from (variant.runserver, variant.floor)
        yield from (self.handwritten.list, self.bare)

    def measure(self):
        log(f"warming up every server; {self.cores.describe()}")
        for figure in self.compared():
            figure.warm_up()
        for round_number in range(1, self.args.rounds + 1):
            log(f"round {round_number} of {self.args.rounds}: list runs in turns")
            for variant in self.rendered:
                variant.measure_list()
            self.handwritten.list.measure()
            self.bare.measure()
            log(f"round {round_number} of {self.args.rounds}: detail and create in turns")
            for variant in self.rendered:
                variant.detail.measure()
                variant.create.measure()
            self.handwritten.detail.measure()
            self.handwritten.create.measure()
            for project in [variant.project for variant in self.rendered] + [
                self.handwritten.project
            ]:
                project.delete_created()
        log("token obtain")
        for variant in self.rendered:
            variant.obtain.measure()
        log(f"memory per worker over {self.args.memory_requests:,} list requests")
        sqlite_first = min(self.rendered, key=lambda variant: variant.database != "sqlite")
        self.memory = memory_per_worker(self, sqlite_first, self.args.memory_requests)
        self.user_checks = {v.database: v.user_check_works() for v in self.rendered}


def render_seconds(template, folder):
    """The median of three `cookiecutter --no-input` renders, timed as a user would run it."""
    command = Path(sys.executable).parent / "cookiecutter"
    timings = []
    for attempt in range(3):
        start = time.perf_counter()
        run([command, "--no-input", "-o", folder / f"render-{attempt}", template])
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def ensure_wrk():
    if not shutil.which("wrk"):
        log("wrk is missing, installing it with apt-get")
        run(["apt-get", "install", "-y", "-qq", "wrk"], timeout=300)


def measure_and_report():
    # A TERM (or a Ctrl-C) unwinds the ExitStack, which stops every server and the cluster.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("bench: stopped"))
    args = parse_args()
    ensure_wrk()
    started = time.monotonic()
    log(
        f"wrk -t1 -c{args.connections}, {args.seconds} s a run, {args.rounds} rounds; "
        f"token obtain {args.token_seconds} s on 2 connections"
    )
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="drf-auth-bench-")))
        bench = Bench(args, folder, stack)
        bench.render_seconds = render_seconds(args.template, folder)
        bench.rendered = [Rendered(database, bench) for database in args.database]
        bench.handwritten = Handwritten(bench)
        bench.bare = bare_view(bench, bench.rendered[0].folder / "gunicorn.conf.py")
        os.sync()  # the seeded databases reach the disk now, not during the first round
        bench.measure()
        if args.no_containers:
            bench.start_seconds, bench.start_rounds = None, "--no-containers"
        else:
            log("container start to the first healthy /healthz/")
            bench.start_seconds, bench.start_rounds = container_start(args.template, folder)
        report(bench)
    log(f"done in {time.monotonic() - started:.0f} s")


def main():
    try:
        measure_and_report()
    except (BenchError, ToolingError) as error:
        sys.exit(f"bench: FAILED: {error}")
    except CookiecutterException as error:
        # A render the template's hooks refused: they printed why just above.
        sys.exit(f"bench: FAILED: the template did not render: {error}")
