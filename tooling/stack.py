"""A rendered project's compose stack: its image, bringing it up, its API through the one port
it publishes, and the commands its README gives for the web containers."""

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from .accounts import deleting_users
from .constants import (
    HEALTH,
    PASSWORD,
    RESOURCES,
    SECRET_NAMES,
    STANDIN_IMAGES,
    STANDIN_PYTHON_IMAGE,
    TOKEN,
)
from .docker import Compose, inspect_image, shell_env
from .errors import UnexpectedAnswer
from .machine import free_port, run
from .project import read_dotenv
from .served import wait_until_answers


class Client:
    """The API on `base`, each answer checked for the status a step expects."""

    def __init__(self, base, verify=True):
        self.base = base
        self.verify = verify

    def __call__(self, method, path, expect, bearer=None, headers=(), **body):
        headers = dict(headers)
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        answer = requests.request(
            method,
            self.base + path,
            json=body or None,
            headers=headers,
            timeout=10,
            allow_redirects=False,
            verify=self.verify,
        )
        if answer.status_code != expect:
            raise UnexpectedAnswer(f"{method} {path}: {answer.status_code} {answer.text[:2000]}")
        return answer

    def json(self, *args, **kwargs):
        answer = self(*args, **kwargs)
        return answer.json() if answer.content else None

    def login(self, username, password=PASSWORD):
        return self.json("POST", TOKEN, 200, username=username, password=password)

    def names(self, bearer):
        """The names of the resources on the first page of the list."""
        return [thing["name"] for thing in self.json("GET", RESOURCES, 200, bearer)["results"]]

    def create(self, bearer, name):
        return self.json("POST", RESOURCES, 201, bearer, name=name)


def stack_on_image(project, name, image):
    """The project's compose stack, under its own project name, on an image already built (the
    web services) and the stand-in images; not started. It publishes one free port."""
    return Compose(project, name, WEB_IMAGE=image, WEB_PORT=free_port())


def bring_up(compose, *up_options, base, verify=True, timeout=120):
    """`up -d` until {base}/healthz/ answers 200: (seconds it took, what `up` printed).

    NotReady after `timeout`, with the stack's logs; `verify` as for requests (a CA file for
    a self-signed certificate)."""
    started = time.monotonic()
    up = compose("up", "-d", *up_options)
    left = timeout - (time.monotonic() - started)
    wait_until_answers(f"{base}{HEALTH}", left, why=compose.logs, verify=verify)
    return time.monotonic() - started, up.stdout + up.stderr


def python_in_network(compose, image, script, **env):
    """Run a Python script in a throwaway container of `image` on the stack's network, where
    its services are reachable by name; what the script printed, read as JSON."""
    options = [f"--network={compose.network}"] + [f"--env={k}={v}" for k, v in env.items()]
    found = run(["docker", "run", "--rm", *options, image, "python", "-c", script])
    return json.loads(found.stdout)


def published_base(compose):
    """http://127.0.0.1:<port> of the one port the stack publishes, whichever service has it."""
    containers = compose("ps", "-q").stdout.split()
    found = json.loads(run(["docker", "inspect", *containers], timeout=30).stdout)
    ports = {
        binding["HostPort"]
        for container in found
        for bindings in (container["NetworkSettings"]["Ports"] or {}).values()
        for binding in bindings or []
    }
    if len(ports) != 1:
        raise UnexpectedAnswer(f"expected one published port, found {sorted(ports)}")
    return f"http://127.0.0.1:{ports.pop()}"


def create_user(compose, username, password=PASSWORD):
    """A user in the stack's database, made in a web container as the README says."""
    compose.exec(
        "web",
        *("python", "manage.py", "createsuperuser", "--noinput"),
        *("--username", username, "--email", f"{username}@example.com"),
        env={"DJANGO_SUPERUSER_PASSWORD": password},
    )


def stack_shell(compose, code):
    """Run Python in a web container (`manage.py shell`); returns what it printed."""
    shell = ["python", "manage.py", "shell", "--verbosity=0", "--command", code]
    return compose.exec("web", *shell).stdout


def delete_users(compose, *usernames):
    """Delete these users of the stack's database, and with them everything they own."""
    stack_shell(compose, deleting_users(username__in=list(usernames)))


def make_certificate(folder):
    """A self-signed certificate for localhost and 127.0.0.1 in `folder`, where the project's
    proxy looks for one (proxy/certs)."""
    folder.mkdir()
    run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
        + ["-keyout", folder / "privkey.pem", "-out", folder / "fullchain.pem"]
    )


@dataclass
class Built:
    """A rendered project and its image; phases collects the seconds each phase took."""

    database: str
    project: Path
    image: str
    started: float
    workers: int  # the project's gunicorn_workers
    phases: dict = field(default_factory=dict)

    def env_file(self):
        return read_dotenv(self.project)

    def secrets(self):
        """What must never reach the image: the secrets the template wrote into .env, and the
        proxy's TLS key."""
        env = self.env_file()
        key = (self.project / "proxy/certs/privkey.pem").read_text().splitlines()[1]
        return [env[name] for name in SECRET_NAMES if env.get(name)] + [key]

    @property
    def certificate(self):
        return self.project / "proxy/certs/fullchain.pem"

    def report(self):
        """The image's size and the time of each phase, as `[containers/<database>]` lines."""
        size = inspect_image(self.image)["Size"]
        base = inspect_image(STANDIN_PYTHON_IMAGE)["Size"]
        phases = [f"{name} {seconds:.1f} s" for name, seconds in self.phases.items()]
        phases.append(f"total {time.monotonic() - self.started:.1f} s")
        return (
            f"[containers/{self.database}] {self.image}: {(size - base) / 1e6:.1f} MB beyond"
            f" {STANDIN_PYTHON_IMAGE} ({size / 1e6:.1f} MB in all)"
            f"\n[containers/{self.database}] {', '.join(phases)}"
        )


class RunningStack(Compose):
    """The compose stack of a Built project, published on `base` by its proxy, with `replicas`
    web containers; first_up holds what its first `up` printed (with --build, the builds)."""

    def __init__(self, built, name, replicas=1):
        port = free_port()
        super().__init__(built.project, name, WEB_IMAGE=built.image, WEB_PORT=port)
        self.built, self.replicas = built, replicas
        self.base = f"http://127.0.0.1:{port}"
        self.first_up = ""

    def up(self, *options, base=None, verify=True):
        """`up -d` with as many replicas as at first, until it answers; the seconds it took."""
        scale = ("--scale", f"web={self.replicas}")
        took, printed = bring_up(self, *scale, *options, base=base or self.base, verify=verify)
        self.first_up = self.first_up or printed
        return took

    def shell_env(self, **variables):
        """A newcomer's shell for the project's own commands (make) on this stack: its name,
        port, web image and the stand-ins, and `variables` over them."""
        names = ("COMPOSE_PROJECT_NAME", "WEB_PORT", "WEB_IMAGE", *STANDIN_IMAGES)
        return shell_env(**{**{name: self.env[name] for name in names}, **variables})
