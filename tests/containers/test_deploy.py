"""`make deploy` and `make rollback` of a rendered project, under steady reads and writes.

A deploy builds a new image, migrates, starts new web containers beside the old ones, waits
until they are healthy, sends the proxy's requests to them only and stops the old ones
gracefully. Clients meanwhile (keeping their connections open, as browsers do) must see no
failed request, read or write, lose no acknowledged write and have none stored twice, on
SQLite (one replica, two for the overlap on one WAL file) and PostgreSQL (three replicas, six
for the overlap). Otherwise every release would cost users errors, or their data.

Real services: Docker and Compose v2 (the session's stack per database), make.
"""

import os
import time

import pytest

from tooling.docker import inspect_container
from tooling.load import Load, stored_rows
from tooling.machine import run
from tooling.stack import Client, create_user, delete_users, stack_shell

pytestmark = [pytest.mark.containers, pytest.mark.timeout(1800)]


def web_images(stack):
    return {inspect_container(c)["Image"] for c in stack.containers("web")}


def test_deploy_and_rollback_under_load_drop_nothing(stack):
    """`make deploy` of a changed project while two clients read and two write: no request
    fails, every acknowledged write is stored once, and the stack ends with as many web
    containers as before, on the new image, the proxy finding them by name again. `make
    rollback` then puts the old image back, and a later `up` recreates nothing."""
    username = f"deployer-{stack.built.database}"
    create_user(stack, username)
    access = Client(stack.base).login(username)["access"]
    image = f"{stack.built.image}-deploy{os.getpid()}"
    # The web image under a name of the test's own, since other sessions build the session's;
    # the classic builder, whose layer cache the session image filled.
    env = stack.shell_env(WEB_IMAGE=image, DOCKER_BUILDKIT=0)
    replicas = len(stack.containers("web"))
    # A change of the code, as a release brings: the image must be rebuilt.
    (stack.project_dir / "release.txt").write_text(f"release {time.time()}\n")
    try:
        # The web containers recreated under the test's image name, where deploys build.
        run(["docker", "tag", stack.built.image, image])
        up = ["docker", "compose", "up", "-d", "--scale", f"web={replicas}"]
        run(up, cwd=stack.project_dir, env=env, timeout=300)
        stack.wait_until_healthy("web", f"{stack.base}/healthz/")
        before = stack.containers("web")
        upstream = stack.project_dir / "proxy/upstream.conf"
        routing = upstream.read_text()
        (old_image,) = web_images(stack)
        with Load(stack.base, access, readers=2, writers=2, limit=300) as load:
            time.sleep(2)
            started = time.monotonic()
            deployed = run(["make", "deploy"], cwd=stack.project_dir, env=env, timeout=600)
            took = time.monotonic() - started
            time.sleep(2)  # the new containers alone, for a while
        after = stack.containers("web")
        (new_image,) = web_images(stack)
        failed = load.failures()
        print(
            f"\n[containers/deploy/{stack.built.database}] make deploy took {took:.1f} s,"
            f" {len(before)} -> {len(after)} web containers; {load.summary()};"
            f" failed: {len(failed)} {failed[:5]}"
        )
        assert len(after) == len(before) and not set(after) & set(before), deployed.stdout
        assert new_image != old_image
        # The old containers left the proxy's rotation before they stopped: no request, read
        # or write, met one that was closing.
        assert failed == [], load.statuses()
        stored = stored_rows(lambda code: stack_shell(stack, code), username)
        assert load.lost(stored) == [] and load.duplicates(stored) == []
        assert load.created and load.renamed and load.statuses("GET")[200]
        # The proxy finds the web containers by name again, so that a scale-out reaches them.
        assert upstream.read_text() == routing, upstream.read_text()

        run(["make", "rollback"], cwd=stack.project_dir, env=env, timeout=600)
        assert web_images(stack) == {old_image}
        assert len(stack.containers("web")) == len(before)
        # What deploys leave behind is what `up` would make: it recreates nothing.
        running = {service: set(stack.containers(service)) for service in ("web", "proxy")}
        run(up, cwd=stack.project_dir, env=env, timeout=300)
        assert {service: set(stack.containers(service)) for service in running} == running
    finally:
        (stack.project_dir / "release.txt").unlink()
        stack.up()  # back on the session's image
        delete_users(stack, username)  # and its rows: other tests count theirs on this stack
        run(["docker", "image", "rm", image, f"{image}:previous"], check=False)
