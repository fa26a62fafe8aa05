"""The API of a running compose stack, through the one port it publishes, and the commands
its README gives for the web containers."""

import json

import requests

from .constants import PASSWORD, RESOURCES, TOKEN
from .docker import Compose, build_image
from .errors import UnexpectedAnswer
from .machine import free_port, run


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


def built_stack(database, project, name):
    """The project's image (one tag per database, kept for the layer cache) and its compose
    stack on the stand-in images, not started: (Compose, seconds the build took)."""
    image = f"drf-auth-template-test/dbops-web-{database}"
    took, _ = build_image(project, image)
    return Compose(project, name, WEB_IMAGE=image, WEB_PORT=free_port()), took


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
