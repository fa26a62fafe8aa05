"""A throwaway PostgreSQL cluster of its own: plain, or TLS-only as hosted databases are."""

import glob
import os
import shutil
import tempfile
import time
from pathlib import Path

from .constants import postgres_url
from .errors import MissingTool
from .machine import free_port, run


def postgres_bin(name):
    """Debian keeps the server programs out of PATH, under /usr/lib/postgresql/<version>/bin."""
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None
    )
    if not found:
        raise MissingTool(f"{name} is missing: install Debian's postgresql package")
    return found


class PostgresCluster:
    """A cluster of its own in a temporary folder, on a free port, removed afterwards.

    With tls=True it serves TLS only, as hosted databases do: its certificate, for 127.0.0.1
    and localhost, is signed by a CA of its own (ca_file), and pg_hba.conf accepts `hostssl`
    connections alone, so a plain one is refused. settings adds server settings, such as
    {"log_connections": "on"}. A TLS cluster may also listen on another address of this
    machine, for containers (listen_also, accepting clients from client_networks).
    `launch` wraps the command that starts the server, such as ["taskset", "-c", "1"]: the
    postmaster and every backend it forks run under it. A context manager, or start()/stop().
    """

    def __init__(self, tls=False, settings=None, listen_also=None, client_networks=(), launch=()):
        self.launch = list(launch)
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
        self.server("pg_ctl", "-D", data, "-o", options, "-l", self.log, "-w", "start", launch=True)

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

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def server(self, program, *args, check=True, launch=False):
        path = postgres_bin(program) if program in ("initdb", "pg_ctl") else program
        wrapper = self.launch if launch else []
        return run([*wrapper, *self.as_owner, path, *args], check=check)

    def pid(self):
        """The postmaster's PID."""
        return int((self.folder / "data" / "postmaster.pid").read_text().split()[0])

    def sessions(self, database):
        """Connections ever opened to a database (pg_stat_database, PostgreSQL 14 and later)."""
        time.sleep(1)  # a backend reports its statistics within a second
        sql = f"SELECT sessions FROM pg_stat_database WHERE datname = '{database}'"
        return int(self.psql(sql))

    def psql(self, sql, database="postgres"):
        """Run one statement as the superuser (over TLS when the cluster serves only that);
        returns what it printed, unaligned."""
        env = {**os.environ, "PGSSLMODE": "require" if self.tls else "prefer"}
        command = ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        return run([*command, "-d", database, "-Atc", sql], env=env).stdout.strip()

    def create_database(self, name):
        self.psql(f'CREATE DATABASE "{name}"')
        return postgres_url(self.port, name)


def make_ca(key, certificate):
    """The openssl command that makes a self-signed CA certificate and its key."""
    return [
        *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
        *("-keyout", key, "-out", certificate, "-subj", f"/CN=test CA {certificate.stem}"),
    ]
