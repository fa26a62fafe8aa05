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
    """A cluster of its own in a temporary folder, on a free port, removed afterwards.

    With tls=True it serves TLS only, as hosted databases do: its certificate, for 127.0.0.1
    and localhost, is signed by a CA of its own (ca_file), and pg_hba.conf accepts `hostssl`
    connections alone, so a plain one is refused. settings adds server settings, such as
    {"log_connections": "on"}. A TLS cluster may also listen on another address of this
    machine, for containers (listen_also, accepting clients from client_networks).
    """

    def __init__(self, tls=False, settings=None, listen_also=None, client_networks=()):
        self.port = free_port()
        self.listen_also = listen_also
        self.client_networks = ["127.0.0.1/32", *client_networks]
        self.folder = Path(tempfile.mkdtemp(prefix="drf-auth-pg-"))
        self.tls = tls
        self.extra_settings = dict(settings or {})
        self.ca_file = self.folder / "ca.crt" if tls else None
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
        data = self.folder / "data"
        listen = ",".join(filter(None, ["127.0.0.1", self.listen_also]))
        settings = {"listen_addresses": listen, "fsync": "off", "max_connections": 200}
        if self.tls:
            settings.update(self.serve_tls_only(data))
        settings.update(self.extra_settings)
        options = f"-p {self.port} -k {self.folder} " + " ".join(
            f"-c {name}={value}" for name, value in settings.items()
        )
        self.server("pg_ctl", "-D", data, "-o", options, "-l", self.log, "-w", "start")

    def halt(self):
        """Stop the server as an outage would, ending every connection; the data stays."""
        self.server("pg_ctl", "-D", self.folder / "data", "-m", "fast", "-w", "stop")

    @property
    def log(self):
        return self.folder / "log"

    def serve_tls_only(self, data):
        """A CA, a server certificate it signs, and a pg_hba.conf without plain TCP."""
        ca_key, key, request = (self.folder / name for name in ("ca.key", "server.key", "csr"))
        certificate = self.folder / "server.crt"
        self.server(*make_ca(ca_key, self.ca_file))
        self.server(
            *("openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key),
            *("-out", request, "-subj", "/CN=localhost"),
        )
        names = self.folder / "names.ext"
        also = f",IP:{self.listen_also}" if self.listen_also else ""
        names.write_text(f"subjectAltName=IP:127.0.0.1{also},DNS:localhost\n")
        self.server(
            *("openssl", "x509", "-req", "-in", request, "-CA", self.ca_file, "-CAkey", ca_key),
            *("-CAcreateserial", "-days", "2", "-extfile", names, "-out", certificate),
        )
        key.chmod(0o600)  # the server refuses a key that others may read
        clients = "".join(f"hostssl all all {network} trust\n" for network in self.client_networks)
        (data / "pg_hba.conf").write_text("local all all trust\n" + clients)
        return {"ssl": "on", "ssl_cert_file": certificate, "ssl_key_file": key}

    def stop(self):
        self.server("pg_ctl", "-D", self.folder / "data", "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)

    def server(self, program, *args, check=True):
        path = postgres_bin(program) if program in ("initdb", "pg_ctl") else program
        return run([*self.as_owner, path, *args], check=check)

    def psql(self, sql, database="postgres"):
        """Run one statement as the superuser (over TLS when the cluster serves only that);
        returns what it printed, unaligned."""
        env = {**os.environ, "PGSSLMODE": "require" if self.tls else "prefer"}
        command = ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        return run([*command, "-d", database, "-Atc", sql], env=env).stdout.strip()

    def create_database(self, name):
        self.psql(f'CREATE DATABASE "{name}"')
        return f"postgres://postgres:unused@127.0.0.1:{self.port}/{name}"


def make_ca(key, certificate):
    """The openssl command that makes a self-signed CA certificate and its key."""
    return [
        *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
        *("-keyout", key, "-out", certificate, "-subj", f"/CN=test CA {certificate.stem}"),
    ]


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
