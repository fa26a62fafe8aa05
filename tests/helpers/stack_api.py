"""The API of a running compose stack, through the one port it publishes."""

import json

import requests

from .containers import Compose, build_image
from .machine import free_port, run

RESOURCES = "/api/v1/things/"  # the default resource, `thing`
USERNAME, PASSWORD = "keeper", "correct-horse-battery"


def built_stack(database, project, name):
    """The project's image (one tag per database, kept for the layer cache) and its compose
    stack on the stand-in images, not started: (Compose, seconds the build took)."""
    image = f"drf-auth-template-test/dbops-web-{database}"
    took, _ = build_image(project, image)
    compose = Compose(
        project,
        name,
        WEB_IMAGE=image,
        WEB_PORT=free_port(),
    )
    return compose, took


def published_base(compose):
    """http://127.0.0.1:<port> of the one port the stack publishes, whichever service has it."""
    containers = compose("ps", "-q").stdout.split()
    found = json.loads(run(["docker", "inspect", *containers], timeout=30).stdout)
    ports = [
        binding["HostPort"]
        for container in found
        for bindings in (container["NetworkSettings"]["Ports"] or {}).values()
        for binding in bindings or []
    ]
    assert len(set(ports)) == 1, f"expected one published port, found {ports}"
    return f"http://127.0.0.1:{ports[0]}"


def token(base, expect=200):
    answer = requests.post(
        f"{base}/api/token/", json={"username": USERNAME, "password": PASSWORD}, timeout=10
    )
    assert answer.status_code == expect, answer.text
    return answer.json().get("access")


def names(base, access):
    answer = requests.get(
        base + RESOURCES, headers={"Authorization": f"Bearer {access}"}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return sorted(thing["name"] for thing in answer.json()["results"])


def create(base, access, name):
    answer = requests.post(
        base + RESOURCES,
        json={"name": name},
        headers={"Authorization": f"Bearer {access}"},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
