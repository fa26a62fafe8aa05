"""The cores each process of the bench may use: the web side (a server and wrk) and the
database."""

import os
import shutil


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

    @property
    def database_launch(self):
        """What PostgresCluster(launch=...) starts the server under: the postmaster and every
        backend it forks inherit the core."""
        return ["taskset", "-c", self.database] if self.pinned else []

    def describe(self):
        if not self.pinned:
            return "not pinned (one core, or no taskset)"
        return f"PostgreSQL on core {self.database}, its web side and wrk on {self.web}"
