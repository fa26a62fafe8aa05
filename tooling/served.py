"""A rendered project served over HTTP: started, waited for until healthy, and stopped."""

import contextlib
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests

from .constants import HEALTH
from .errors import NotReady
from .machine import free_port, stop
from .project import django_shell, manage


@dataclass
class ServedProject:
    """A project folder served on `base` with `env`; `log` holds what the server printed."""

    project: Path
    env: dict
    base: str
    database: str | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)
    log_file: object = field(default=None, repr=False)

    def url(self, path):
        return f"{self.base}{path}"

    def manage(self, *args, check=True):
        """`python manage.py ...` in the served project, with its environment."""
        return manage(self.project, self.env, *args, check=check)

    def shell(self, code):
        """Run Python inside the served project (`manage.py shell -c`); what it printed."""
        return django_shell(self.project, self.env, code)

    @property
    def log(self):
        """What the server has printed so far."""
        if self.log_file is None:
            return ""
        self.log_file.flush()
        self.log_file.seek(0)
        return self.log_file.read()


def wait_until_answers(
    url, timeout=60, alive=lambda: True, why=lambda: "", interval=0.2, verify=True
):
    """Until `url` answers 200, asking every `interval` seconds (shorter when the wait itself
    is timed). NotReady when `alive()` turns false or after `timeout`; `why()` tells what the
    server printed. `verify` as for requests: a CA file for a self-signed certificate."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise NotReady(f"the server of {url} has exited:\n{why()[-4000:]}")
        # Not listening yet, or a first answer slowed by imports and a busy machine: ask again.
        with contextlib.suppress(requests.ConnectionError, requests.Timeout):
            if requests.get(url, timeout=2, verify=verify).status_code == 200:
                return
        time.sleep(interval)
    raise NotReady(f"{url} did not answer 200 within {timeout} s:\n{why()[-4000:]}")


@contextlib.contextmanager
def serve(project, env, command, database=None, ready=HEALTH, timeout=60):
    """Run `command` in the project until it answers 200 on `ready`; yields the ServedProject,
    then stops the server and all it started. "{port}" in the command or in a value of `env`
    stands for a free port."""
    port = free_port()
    env = {name: value.replace("{port}", str(port)) for name, value in env.items()}
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed below, read by ServedProject)
    process = subprocess.Popen(
        [str(part).replace("{port}", str(port)) for part in command],
        cwd=project,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so that stop() ends the workers too
    )
    served = ServedProject(Path(project), env, f"http://127.0.0.1:{port}", database, process, log)
    try:
        alive = lambda: process.poll() is None  # noqa: E731
        wait_until_answers(served.url(ready), timeout, alive, lambda: served.log)
        yield served
    finally:
        stop(process)
        log.close()


def gunicorn(project, env, *args, database=None, timeout=60):
    """Serve a rendered project with Gunicorn and its own gunicorn.conf.py (a context manager
    yielding the ServedProject)."""
    command = ["gunicorn", "config.wsgi", "--bind", "127.0.0.1:{port}", *args]
    return serve(project, env, command, database=database, timeout=timeout)


# Gunicorn's access log as `<worker pid> status path`: which worker answered what.
ACCESS_LOG_FORMAT = "%(p)s %(s)s %(U)s"


def access_log_options(log):
    """Gunicorn options that write each answer to the file `log` in ACCESS_LOG_FORMAT."""
    return ["--access-logfile", str(log), "--access-logformat", ACCESS_LOG_FORMAT]


def answers_by_worker(log, path, since=0):
    """(worker pid, status) -> how many answers to `path` the access log `log` holds, from its
    line `since` on."""
    served_by = Counter()
    for line in Path(log).read_text().splitlines()[since:]:
        pid, status, logged_path = line.split()
        if logged_path == path:
            served_by[pid.strip("<>"), int(status)] += 1
    return served_by


def relaxed_env(env, **extra):
    """The env of a served project for runs that do not measure the throttles or the lockout.

    Throttle counts live in the database cache by default, shared by every server on the same
    database; a cache of each Gunicorn worker's own keeps one test's logins from throttling
    another's. Failed passwords are counted in the database too: with the lockout off, a
    fuzzer's wrong passwords neither lock out 127.0.0.1 nor leave counts behind.
    """
    return {
        **env,
        "CACHE_URL": "locmemcache://",
        "DJANGO_TOKEN_THROTTLE_RATE": "100000/minute",
        "DJANGO_REGISTER_THROTTLE_RATE": "100000/minute",
        "DJANGO_LOGIN_LOCKOUT": "false",
        **{key: str(value) for key, value in extra.items()},
    }
