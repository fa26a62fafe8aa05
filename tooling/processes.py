"""What /proc says of a process: its children, its CPU time and its memory; and a Gunicorn
master's workers (the master is the process tooling.served started)."""

import contextlib
import os
import time
from pathlib import Path

from .errors import NotReady


def proc_stat(pid):
    """/proc/<pid>/stat from the state on: the command name in parentheses may hold spaces."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def child_pids(pid):
    """The processes whose parent is pid (a Gunicorn master's workers)."""
    children = []
    for entry in Path("/proc").iterdir():
        # OSError, ValueError, IndexError: the process ended while we looked.
        with contextlib.suppress(OSError, ValueError, IndexError):
            if entry.name.isdigit() and proc_stat(entry.name)[1] == str(pid):
                children.append(int(entry.name))
    return sorted(children)


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
    raise LookupError(f"process {pid} reports no {field}")


def proportional_mb(pid):
    """Proportional set size in MB: private pages, plus a share of each shared page."""
    return resident_mb(pid, "smaps_rollup", "Pss:")


def wait_for_workers(master, count, gone=(), timeout=30):
    """The PIDs of the master's workers once there are `count` of them, none of them in `gone`.

    A master answers as soon as one worker has booted; the others may still be loading Django.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers = child_pids(master)
        if len(workers) == count and not set(gone) & set(workers):
            return workers
        time.sleep(0.1)
    raise NotReady(f"Gunicorn {master} has workers {child_pids(master)}, not {count} new ones")


def settled_workers(master, settle=2, timeout=60):
    """The PIDs of the master's workers once they have stayed the same for `settle` seconds:
    how many it really runs, where wait_for_workers() only finds a moment with as many."""
    deadline = time.monotonic() + timeout
    workers, since = child_pids(master), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = child_pids(master)
        if now != workers:
            workers, since = now, time.monotonic()
        elif workers and time.monotonic() - since >= settle:
            return workers
    raise NotReady(f"the workers of Gunicorn {master} kept changing: {child_pids(master)}")
