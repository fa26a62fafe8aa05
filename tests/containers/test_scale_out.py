"""Several web replicas behind the proxy, in the PostgreSQL compose stack.

`up --scale web=3` must migrate once, in the one-shot migrate service, before any replica
starts; the proxy must spread requests over every replica, one started later included, without
a restart; and a token issued by one replica must be good on the others, since they share
nothing but the database. Otherwise scaling out would race migrations or log users out.

Real services: Docker and Compose v2 (the session's PostgreSQL stack: proxy, migrate, db
and three web replicas, then a fourth).
"""

import re
import time

import pytest
import requests

from tooling.accounts import bearer
from tooling.constants import RESOURCES
from tooling.docker import container_logs, inspect_container, wait_until_answering
from tooling.stack import Client, create_user, stack_shell

pytestmark = [pytest.mark.containers, pytest.mark.timeout(1800)]


def gunicorn_lines(container, pattern):
    """The lines of a web container's access log that match a pattern."""
    return [line for line in container_logs(container).splitlines() if re.search(pattern, line)]


@pytest.mark.parametrize("stack", ["postgres"], indirect=True)
def test_scale_out_migrates_once_and_spreads_requests(stack):
    """`up --scale web=3`: one migrate container applied the migrations, before any replica
    started; requests through the proxy reach all three; a token issued by one replica is
    accepted by the others, since they share nothing but the database."""
    replicas = stack.containers("web")
    assert len(replicas) == 3

    migrators = stack.containers("migrate", stopped=True)
    assert len(migrators) == 1, migrators
    state = inspect_container(migrators[0])["State"]
    assert state["ExitCode"] == 0
    # A fresh stack's migrate applies every migration; after a test that deployed to this
    # stack, it finds none left. Either way it is the only container that migrated.
    applied = gunicorn_lines(migrators[0], r"^  Applying ")
    log = container_logs(migrators[0])
    assert applied or "No migrations to apply." in log, log
    for replica in replicas:
        assert not gunicorn_lines(replica, "Applying"), f"{replica} migrated"
        if applied:  # the stack's first `up`: no replica started before the migrations ended
            started = inspect_container(replica)["State"]["StartedAt"]
            assert started > state["FinishedAt"], "a replica started before the migrations ended"
    unapplied = stack_shell(
        stack,
        "from django.db import connection\n"
        "from django.db.migrations.executor import MigrationExecutor\n"
        "executor = MigrationExecutor(connection)\n"
        "print(len(executor.migration_plan(executor.loader.graph.leaf_nodes())))",
    )
    assert int(unapplied) == 0

    create_user(stack, "scaler")
    api = Client(stack.base)
    token_lines = r'"POST /api/token/ HTTP/1.[01]" 200'
    before = {replica: len(gunicorn_lines(replica, token_lines)) for replica in replicas}
    access = api.login("scaler")["access"]
    # Counted from before the login: other tests on this stack may have logged in too.
    issued_by = [r for r in replicas if len(gunicorn_lines(r, token_lines)) > before[r]]
    assert len(issued_by) == 1, issued_by
    requests_sent = 60
    for _ in range(requests_sent):
        api("GET", f"{RESOURCES}?page_size=7", 200, access)
    served = {
        replica: len(gunicorn_lines(replica, r'"GET /api/v1/things/\?page_size=7 HTTP/1.[01]" 200'))
        for replica in replicas
    }
    print(
        f"\n[containers/scale-out] {len(applied)} migrations applied once, by one container;"
        f" {requests_sent} requests through the proxy served by the 3 replicas:"
        f" {sorted(served.values(), reverse=True)}"
    )
    assert sum(served.values()) == requests_sent
    # Every replica served some, the two that did not issue the token included.
    assert all(served.values()), served

    # A replica started later gets requests within 2 s of answering, without the proxy being
    # restarted: nginx looks `web` up again every second (with answers kept 10 s, a new
    # replica could wait that long).
    proxy = inspect_container(stack.containers("proxy")[0])
    stack("up", "-d", "--no-deps", "--no-recreate", "--scale", "web=4", "web")
    (added,) = set(stack.containers("web")) - set(replicas)
    wait_until_answering(added)
    answered = time.monotonic()
    while not gunicorn_lines(added, r'"GET /api/v1/things/\?page_size=7 HTTP/1.[01]" 200'):
        assert time.monotonic() - answered < 10, f"no request reached {added}"
        for _ in range(10):  # the proxy picks among the four at random: ten make a miss rare
            requests.get(f"{stack.base}{RESOURCES}?page_size=7", headers=bearer(access), timeout=10)
    took = time.monotonic() - answered
    print(
        f"[containers/scale-out] a fourth replica, started later, served {took:.1f} s"
        " after it answered"
    )
    assert took <= 2, f"the proxy sent the new replica nothing for {took:.1f} s"
    assert inspect_container(proxy["Id"])["State"]["StartedAt"] == proxy["State"]["StartedAt"]
