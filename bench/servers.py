"""The processes the bench loads: a server on a free port, a throwaway PostgreSQL cluster, and
the cores each may use."""

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from support import BenchError, cpu_seconds, free_port, log, request, run


class Cores:
    """Which cores the web side (a server and wrk) and the database get.

    With two cores or more, PostgreSQL gets the last one to itself (`taskset`). The servers of
    "PostgreSQL list / SQLite list" and their wrk get the others, so that a database on its own
    core is compared with SQLite inside the workers on the same web cores. Every other server
    may use every core (`Cores(pin_web=False)`). On one core nothing is pinned.
    """

    def __init__(self, pin_web=True):
        cores = sorted(os.sched_getaffinity(0))
        self.pinned = len(cores) >= 2 and shutil.which("taskset") is not None
        self.pin_web = self.pinned and pin_web
        self.web = ",".join(map(str, cores[:-1])) if self.pinned else None
        self.database = str(cores[-1]) if self.pinned else None

    def on_web(self, command):
        return ["taskset", "-c", self.web, *command] if self.pin_web else list(command)

    def on_database(self, command):
        return ["taskset", "-c", self.database, *command] if self.pinned else list(command)

    def describe(self):
        if not self.pinned:
            return "not pinned (one core, or no taskset)"
        return f"PostgreSQL on core {self.database}, its web side and wrk on {self.web}"


class Server:
    """A server process on a free port, its output in a log file, stopped on exit."""

    def __init__(self, command, cwd, env, folder, database=None, ready_path="/healthz/"):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.command = [part.format(port=self.port) for part in command]
        self.cwd, self.env, self.ready_path = cwd, env, ready_path
        self.database = database
        self.log_path = Path(folder) / f"server-{self.port}.log"

    def __enter__(self):
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            self.command, cwd=self.cwd, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.command} exited:\n{self.log_tail()}")
            try:
                if request(self.base + self.ready_path)[0] == 200:
                    return self
            except OSError:
                pass  # not listening yet
            time.sleep(0.2)
        self.__exit__()
        raise BenchError(f"{self.command} did not answer within 60 s:\n{self.log_tail()}")

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()

    @property
    def pid(self):
        return self.process.pid

    def cpu_seconds(self):
        """CPU spent serving: this server's processes, and PostgreSQL's when it has one."""
        database = cpu_seconds(self.database.pid()) if self.database else 0
        return cpu_seconds(self.process.pid) + database

    def log_tail(self):
        return self.log_path.read_text()[-3000:]


def postgres_program(name):
    """Debian keeps the server programs out of PATH, under /usr/lib/postgresql/<version>/bin."""
    found = shutil.which(name) or max(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), default=None)
    if not found:
        raise BenchError(f"{name} is missing: install Debian's postgresql package")
    return found


class Postgres:
    """A cluster in a temporary folder on a free port, on the database core; a context manager."""

    def __init__(self, cores):
        self.cores, self.port = cores, free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="drf-auth-bench-pg-"))
        self.data = self.folder / "data"
        # initdb refuses to run as root; the postgres user of Debian's package runs it instead.
        self.owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.owner:
            shutil.chown(self.folder, "postgres")

    def __enter__(self):
        log(f"PostgreSQL on port {self.port}, {self.cores.describe()}")
        self.program("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        # The postmaster and every backend it forks inherit the core taskset gives pg_ctl.
        start = ["-D", self.data, "-o", options, "-l", self.folder / "log", "-w", "start"]
        run(self.cores.on_database([*self.owner, postgres_program("pg_ctl"), *start]))
        return self

    def __exit__(self, *exc):
        stop = ["-D", self.data, "-m", "immediate", "stop"]
        subprocess.run([*self.owner, postgres_program("pg_ctl"), *stop], capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)

    def program(self, name, *args):
        return run([*self.owner, postgres_program(name), *args])

    def psql(self, sql):
        psql = ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-Atc", sql]
        return run(psql).strip()

    def create_database(self, name):
        self.psql(f'CREATE DATABASE "{name}"')
        return f"postgres://postgres:unused@127.0.0.1:{self.port}/{name}"

    def pid(self):
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def sessions(self, database):
        """Connections ever opened to a database (pg_stat_database, PostgreSQL 14 and later)."""
        time.sleep(1)  # a backend reports its statistics within a second
        return int(self.psql(f"SELECT sessions FROM pg_stat_database WHERE datname = '{database}'"))
