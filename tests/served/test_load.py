"""The rendered service under concurrent load and worker crashes, over real HTTP.

Several Gunicorn workers share one database: on SQLite that is one file, which only one
writer at a time may change. Many concurrent clients must still get no "database is locked",
no 5xx and no lost write; and a worker killed mid-request costs only the request it was serving.
"""

import contextlib
import os
import signal
import socket
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import pytest
import requests

from tooling.accounts import bearer, count_rows, login
from tooling.constants import RESOURCES
from tooling.processes import wait_for_workers
from tooling.served import gunicorn, relaxed_env

pytestmark = pytest.mark.gunicorn

WORKERS = 4
POSTS = 2000
CLIENTS = 64
READERS = 4


class Client:
    """Requests with one keep-alive session per thread, as separate client programs would."""

    def __init__(self, base, access):
        self.base = base
        self.headers = bearer(access)
        self.local = threading.local()

    def request(self, method, path, **kwargs):
        """The status code, or the name of the error when no response came back."""
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        try:
            response = self.local.session.request(
                method, f"{self.base}{path}", headers=self.headers, timeout=60, **kwargs
            )
        except requests.RequestException as error:
            return type(error).__name__
        return response.status_code

    def create(self, number):
        return self.request("POST", RESOURCES, json={"name": f"load {number}", "description": "x"})


def test_concurrent_writers_and_readers_lose_nothing(rendered_project, username, tmp_path):
    database, project, env = rendered_project
    error_log = tmp_path / "error.log"
    # Django's own log goes to stderr; --capture-output sends it to the error log too.
    log_options = ["--error-logfile", str(error_log), "--capture-output"]
    with gunicorn(project, relaxed_env(env), "--workers", str(WORKERS), *log_options) as served:
        base = served.base
        wait_for_workers(served.process.pid, WORKERS)
        client = Client(base, login(requests.Session(), base, username)["access"])
        read_counts = [Counter() for _ in range(READERS)]  # one per thread: no lost counts
        writing = threading.Event()
        writing.set()

        def read_lists(counts):
            while writing.is_set():
                counts[client.request("GET", RESOURCES)] += 1

        readers = [threading.Thread(target=read_lists, args=(c,)) for c in read_counts]
        started = time.monotonic()
        for reader in readers:
            reader.start()
        with ThreadPoolExecutor(CLIENTS) as pool:
            writes = Counter(pool.map(client.create, range(POSTS)))
        writing.clear()
        for reader in readers:
            reader.join()
        duration = time.monotonic() - started

    reads = sum(read_counts, Counter())
    rows = count_rows(project, env, owner=username)
    log = error_log.read_text()
    sent = POSTS + sum(reads.values())
    errors = sum(n for status, n in [*writes.items(), *reads.items()] if status not in (200, 201))
    print(
        f"\n[{database}] {WORKERS} workers, {CLIENTS} writing clients + {READERS} readers: "
        f"{sent} requests ({POSTS} POST, {sum(reads.values())} GET) in {duration:.1f} s "
        f"= {sent / duration:.0f} requests/s; POST {dict(writes)}, GET {dict(reads)}; "
        f"{errors} errors; {rows} rows written"
    )
    assert "database is locked" not in log
    assert "Traceback" not in log and "Internal Server Error" not in log
    assert writes == {201: POSTS}
    assert set(reads) == {200}
    assert rows == writes[201]


def serving_worker(workers, server_port, client):
    """The worker whose socket is the server end of `client`'s connection: the one serving it.

    /proc/net/tcp lists each connection by its two addresses (hex, host byte order) and the
    inode of its socket; a process's /proc/<pid>/fd links to the sockets it holds.
    """
    client_port = client.getsockname()[1]
    server_end = (f"0100007F:{server_port:04X}", f"0100007F:{client_port:04X}")
    tcp = Path("/proc/net/tcp")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        inodes = [
            fields[9]
            for fields in (line.split() for line in tcp.read_text().splitlines()[1:])
            if (fields[1], fields[2]) == server_end
        ]
        for pid in workers:
            with contextlib.suppress(OSError):
                links = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
                if any(f"socket:[{inode}]" in links for inode in inodes):
                    return pid
        time.sleep(0.05)
    raise LookupError(f"no worker of {workers} holds the connection from port {client_port}")


def test_a_killed_worker_costs_only_its_own_request(rendered_project, username):
    """SIGKILL to the worker serving a request that is known to be in flight (its body is
    half sent): that request gets no answer, and every other request of a concurrent load
    succeeds, is written once, and the master replaces the worker."""
    database, project, env = rendered_project
    posts, clients, kill_after = 800, 16, 200
    with gunicorn(project, relaxed_env(env), "--workers", str(WORKERS)) as served:
        base = served.base
        master = served.process.pid
        workers = wait_for_workers(master, WORKERS)
        access = login(requests.Session(), base, username)["access"]
        client = Client(base, access)
        port = int(base.rsplit(":", 1)[1])
        in_flight = socket.create_connection(("127.0.0.1", port), timeout=30)
        in_flight.sendall(
            f"POST {RESOURCES} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {access}\r\nContent-Type: application/json\r\n"
            'Content-Length: 100\r\n\r\n{"name": "never finished'.encode()
        )
        victim = serving_worker(workers, port, in_flight)
        outcomes = Counter()
        started = time.monotonic()
        with ThreadPoolExecutor(clients) as pool:
            futures = [pool.submit(client.create, n) for n in range(posts)]
            for done, future in enumerate(as_completed(futures)):
                outcomes[future.result()] += 1
                if done == kill_after:  # mid-load, the other workers all busy
                    os.kill(victim, signal.SIGKILL)
        duration = time.monotonic() - started
        try:
            answer = in_flight.recv(1024)
        except ConnectionResetError:
            answer = b""
        in_flight.close()
        replaced = wait_for_workers(master, WORKERS, gone=[victim])
        after = Counter(client.create(n) for n in range(20))

    rows = count_rows(project, env, owner=username)
    print(
        f"\n[{database}] SIGKILL to worker {victim} of {workers}, serving a half-sent POST, "
        f"after {kill_after} of {posts} POSTs from {clients} clients: {dict(outcomes)} in "
        f"{duration:.1f} s; the half-sent POST got {answer!r}; workers now {replaced}; "
        f"20 POSTs after: {dict(after)}; {rows} rows"
    )
    assert answer == b""  # the connection closed with no response at all
    assert outcomes == {201: posts}
    assert after == {201: 20}
    assert rows == posts + 20  # the killed request never reached the database
