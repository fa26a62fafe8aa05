"""Real services for the tests: a throwaway PostgreSQL cluster and Gunicorn."""

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from .machine import free_port, require, run, stop


def postgres_bin(name):
    """Debian keeps the server programs out of PATH, under /usr/lib/postgresql/<version>/bin."""
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None
    )
    if not found:
        require(name)
    return found


class PostgresCluster:
    """A cluster of its own in a temporary folder, on a free port, removed afterwards."""

    def __init__(self):
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="drf-auth-pg-"))
        # initdb refuses to run as root; the postgres user that Debian's package makes runs it.
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_owner:
            shutil.chown(self.folder, "postgres")

    def start(self):
        data = self.folder / "data"
        self.server("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.resume()
        return self

    def resume(self):
        """Start the server on the cluster's data and port (again, after halt())."""
        settings = {"listen_addresses": "127.0.0.1", "fsync": "off", "max_connections": 200}
        options = f"-p {self.port} -k {self.folder} " + " ".join(
            f"-c {name}={value}" for name, value in settings.items()
        )
        data = self.folder / "data"
        self.server("pg_ctl", "-D", data, "-o", options, "-l", self.folder / "log", "-w", "start")

    def halt(self):
        """Stop the server as an outage would, ending every connection; the data stays."""
        self.server("pg_ctl", "-D", self.folder / "data", "-m", "fast", "-w", "stop")

    def psql(self, sql, database="postgres"):
        """Run one statement as the superuser; returns what it printed, unaligned."""
        command = ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d"]
        return run([*command, database, "-Atc", sql]).stdout.strip()

    def stop(self):
        self.server("pg_ctl", "-D", self.folder / "data", "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)

    def server(self, program, *args, check=True):
        return run([*self.as_owner, postgres_bin(program), *args], check=check)

    def create_database(self, name):
        self.psql(f'CREATE DATABASE "{name}"')
        return f"postgres://postgres:unused@127.0.0.1:{self.port}/{name}"


@contextlib.contextmanager
def gunicorn(project, env, *args, timeout=60):
    """Serve a rendered project with Gunicorn and its own gunicorn.conf.py; yields the base URL."""
    port = free_port()
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (read only if Gunicorn fails to start)
    process = subprocess.Popen(
        ["gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", *args],
        cwd=project,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so that stop() can end the workers too
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, process, log, timeout)
        yield base
    finally:
        stop(process)


def wait_until_healthy(base, process, log, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"gunicorn exited {process.returncode}:\n{log.read()[-4000:]}")
        # Not listening yet, or a first answer slowed by imports and a busy machine: ask again.
        with contextlib.suppress(requests.ConnectionError, requests.Timeout):
            if requests.get(f"{base}/healthz/", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise TimeoutError(f"{base}/healthz/ did not answer 200 within {timeout} s")
