"""Replicas that come, go and fail under steady reads and writes, in the PostgreSQL stack.

New replicas must take requests within 2 s of answering, and one that is gone must get none:
`make scale` from 3 to 1 and back to 3 may fail no request, read or write, nor store one
twice. A bounded soak with a web crash (the process killed from the host), a graceful stop and
start of a replica and a database restart may answer no 500 and fail no read, and lose no
acknowledged write. Otherwise each scale change, crash or database restart would cost users
errors.

Real services: Docker and Compose v2, make (the session's PostgreSQL stack: proxy, migrate, db
and three web replicas), clients on 127.0.0.1 only, each loop bounded.
"""

import contextlib
import os
import re
import signal
import time

import pytest
import requests

from tooling.constants import RESOURCES
from tooling.docker import (
    container_logs,
    inspect_container,
    wait_for_health,
    wait_until_answering,
)
from tooling.load import Load, stored_rows
from tooling.machine import run
from tooling.stack import Client, create_user, delete_users, stack_shell

pytestmark = [pytest.mark.containers, pytest.mark.timeout(1800)]


@contextlib.contextmanager
def signed_in(stack, username):
    """A new user's access token; the user goes afterwards with the rows it wrote, since other
    tests count theirs on the session stack."""
    create_user(stack, username)
    try:
        yield Client(stack.base).login(username)["access"]
    finally:
        delete_users(stack, username)


@contextlib.contextmanager
def restored(path, text):
    """The file holds `text` again afterwards: the session stack's .env, for the tests after."""
    try:
        yield
    finally:
        path.write_text(text)


def check_load(stack, load, username, what, crashes=0, writes_may_fail=False):
    """No read failed, no 500, every acknowledged write stored, none twice; the figures printed.

    A process killed while it writes an answer cuts that answer short (a body shorter than its
    Content-Length): each crash may cost the one request it was answering, nothing else. With
    writes_may_fail, a write that met a replica in the instant it stopped or crashed may also
    get a 503 (it is never sent twice); otherwise no write fails either."""
    writes = load.failures(methods=("POST", "PATCH"))
    print(f"\n[containers/{what}] {load.summary()}; writes not acknowledged: {writes[:5]}")
    cut_short = [a for a in load.failures() if a.status == "ChunkedEncodingError"]
    assert len(cut_short) <= crashes, load.statuses()
    reads = load.failures(methods=("GET",))
    assert all(a.status == "ChunkedEncodingError" for a in reads), load.statuses()
    assert 500 not in load.statuses(), load.statuses()
    stored = stored_rows(lambda code: stack_shell(stack, code), username)
    assert load.lost(stored) == [] and load.duplicates(stored) == []
    assert load.created and load.renamed
    if writes_may_fail:
        assert all(a.status in (503, "ChunkedEncodingError") for a in writes), writes
    else:
        assert writes == [], load.statuses()


@pytest.mark.parametrize("stack", ["postgres"], indirect=True)
def test_scale_down_and_up_under_load(stack):
    """`make scale REPLICAS=1`, then `REPLICAS=3`, as the deploy guide says, while two
    clients read and two write; each writes WEB_REPLICAS in .env. Within 2 s of answering
    /healthz/, each new replica serves requests through the proxy."""
    env_file = stack.project_dir / ".env"
    settings = env_file.read_text()
    with signed_in(stack, "scaler-down-up") as access, restored(env_file, settings):
        spread = f"{RESOURCES}?page_size=3&spread=1"
        scale = {"cwd": stack.project_dir, "env": stack.shell_env(), "timeout": 300}
        with Load(stack.base, access, limit=240) as load:
            run(["make", "scale", "REPLICAS=1"], **scale)
            (kept,) = stack.containers("web")
            assert "\nWEB_REPLICAS=1\n" in env_file.read_text()
            time.sleep(2)
            run(["make", "scale", "REPLICAS=3"], **scale)
            assert "\nWEB_REPLICAS=3\n" in env_file.read_text()
            added = set(stack.containers("web")) - {kept}
            for container in added:
                wait_until_answering(container)
            answered = time.monotonic()
            while time.monotonic() - answered < 2:
                requests.get(stack.base + spread, headers={"Authorization": f"Bearer {access}"})
            time.sleep(1)
        served = {
            container: len(re.findall(r"GET /api/v1/things/\?page_size=3&spread=1 ", logs))
            for container in added | {kept}
            for logs in [container_logs(container)]
        }
        print(f"\n[containers/scale] in the 2 s after the new replicas answered: {served}")
        assert len(added) == 2 and all(served.values()), served
        check_load(stack, load, "scaler-down-up", "scale 3 -> 1 -> 3")


@pytest.mark.parametrize("stack", ["postgres"], indirect=True)
def test_soak_with_a_crash_a_stop_and_a_database_restart(stack):
    """About 90 s of four clients (two reading, two writing; a 503 with Retry-After is tried
    again, as the API asks) while a web process is killed, a replica is stopped and started,
    and the database restarts."""
    with signed_in(stack, "soaker") as access:
        faults = {}
        with Load(stack.base, access, limit=150, honour_retry_after=True) as load:
            time.sleep(10)
            crashed = stack.containers("web")[0]
            os.kill(inspect_container(crashed)["State"]["Pid"], signal.SIGKILL)
            faults["web crash"] = time.monotonic() - load.started
            time.sleep(20)
            stopped = stack.containers("web")[1]
            run(["docker", "stop", "--time", "40", stopped])
            time.sleep(5)
            run(["docker", "start", stopped])
            faults["graceful stop and start"] = time.monotonic() - load.started
            time.sleep(20)
            stack("restart", "db")
            faults["database restart"] = time.monotonic() - load.started
            time.sleep(30)
        assert inspect_container(crashed)["RestartCount"] >= 1
        print(f"\n[containers/soak] faults at (s): { {k: round(v) for k, v in faults.items()} }")
        check_load(stack, load, "soaker", "soak", crashes=1, writes_may_fail=True)
        # Every replica healthy again, the crashed one restarted by its restart policy.
        for container in stack.containers("web"):
            wait_for_health(container, "healthy", timeout=120)
