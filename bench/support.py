"""What every part of the bench needs: commands, HTTP, processes and virtualenvs.

Nothing here imports pytest: a failure is a BenchError, which `bench/run.py` prints and exits on.
"""

import contextlib
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "drf-auth-template"


class BenchError(Exception):
    """A run that cannot give honest figures: a failed command, a non-2xx answer."""


def log(message):
    print(f"bench: {message}", flush=True)


def run(command, cwd=None, env=None, timeout=600):
    """A command's standard output; a BenchError with the end of its output if it fails."""
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise BenchError(
            f"{' '.join(map(str, command))} exited {result.returncode}\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- HTTP -----------------------------------------------------------------------------------


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


# --- processes ------------------------------------------------------------------------------


def child_pids(pid):
    """The processes whose parent is pid (a Gunicorn master's workers)."""
    children = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            if entry.name.isdigit() and proc_stat(entry.name)[1] == str(pid):
                children.append(int(entry.name))
    return sorted(children)


def proc_stat(pid):
    """/proc/<pid>/stat from the state on: the command name in parentheses may hold spaces."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid):
    """CPU used by a process, its live children and the children it has reaped."""
    total = 0
    for index, process in enumerate([pid, *child_pids(pid)]):
        with contextlib.suppress(FileNotFoundError):
            utime, stime, cutime, cstime = map(int, proc_stat(process)[11:15])
            total += utime + stime + (cutime + cstime if index == 0 else 0)
    return total / os.sysconf("SC_CLK_TCK")


def resident_mb(pid, file="status", field="VmRSS:"):
    """Resident set size of a process in MB (VmRSS: its private pages and the shared ones)."""
    for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    raise BenchError(f"process {pid} reports no {field}")


def proportional_mb(pid):
    """Proportional set size in MB: private pages, plus a share of each shared page."""
    return resident_mb(pid, "smaps_rollup", "Pss:")


# --- virtualenvs ----------------------------------------------------------------------------


def cached_venv(requirements, install):
    """A virtualenv with `pip install -r install`, kept between runs under the hash of the
    requirement files. The key is the one tests/helpers/project.py uses for a rendered
    project (its requirements.txt, then requirements-dev.txt), so the bench and the tests
    share that venv."""
    digest = hashlib.sha256(b"".join(Path(path).read_bytes() for path in requirements))
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    venv = CACHE / f"venv-{version}-{digest.hexdigest()[:12]}"
    if not (venv / "complete").exists():
        log(f"installing {install} into {venv}")
        shutil.rmtree(venv, ignore_errors=True)
        run([sys.executable, "-m", "venv", venv])
        run([venv / "bin/pip", "install", "-q", "-r", install])
        (venv / "complete").touch()
    return venv


def venv_env(venv, **extra):
    """The environment of a command run with a venv active, free of the caller's settings."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL"))
    }
    path = f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"
    extra = {key: str(value) for key, value in extra.items()}
    return {**inherited, "PATH": path, "VIRTUAL_ENV": str(venv), **extra}
