"""Container start to the first healthy /healthz/ through the published port.

`start_to_healthy` times any compose stack (a tooling.docker.Compose): `docker compose up -d`
of images already built, on fresh volumes (the first start, migrations included), until `url`
answers 200. `rendered_stack` builds the rendered SQLite project's stack on the local stand-in
base image (no registry is reachable here); point `start_to_healthy` at another stack and URL
to time another one.
"""

import os
import statistics
import time

from tooling.constants import HEALTH, STANDIN_PYTHON_IMAGE
from tooling.docker import Compose, build_image, require_engine
from tooling.errors import MissingTool
from tooling.machine import free_port
from tooling.project import render
from tooling.served import wait_until_answers

from .support import log

TAG = "drf-auth-template-test/perf-web-sqlite"


def rendered_stack(template, folder):
    """(Compose, health URL) of the rendered SQLite project, its image built."""
    project = render(folder / "container", template)
    log(f"building {TAG} on {STANDIN_PYTHON_IMAGE}")
    build_image(project, TAG)
    port = free_port()
    compose = Compose(project, f"perfbench{os.getpid()}", WEB_IMAGE=TAG, WEB_PORT=port)
    return compose, f"http://127.0.0.1:{port}{HEALTH}"


def start_to_healthy(compose, url, rounds=3):
    """Seconds from `docker compose up -d` to the first 200 from url, and to the return of
    `docker compose up -d` itself (containers created and started), once per round, each
    round on fresh volumes; the stack is removed after each round."""
    timings = []
    for _ in range(rounds):
        try:
            started = time.monotonic()
            compose("up", "-d", "--no-build")
            up = time.monotonic() - started
            # The port is published before Gunicorn listens behind it: ask every 20 ms.
            wait_until_answers(url, timeout=120, interval=0.02)
            timings.append((time.monotonic() - started, up))
        finally:
            compose.remove()
    return timings


def container_start(template, folder):
    """(median seconds, every round as (healthy, up returned)) for the rendered stack, or
    (None, why not)."""
    try:
        require_engine()
    except MissingTool as missing:
        return None, str(missing)
    timings = start_to_healthy(*rendered_stack(template, folder))
    return statistics.median(healthy for healthy, _ in timings), timings
