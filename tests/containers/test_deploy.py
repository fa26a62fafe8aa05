"""`make deploy` and `make rollback` of a rendered project, under steady reads and writes.

A deploy builds a new image, migrates, starts new web containers beside the old ones, waits
until they are healthy and stops the old ones gracefully. Clients meanwhile must see no failed
request and lose no acknowledged write, on SQLite (one replica, two for the overlap on one WAL
file) and PostgreSQL (three replicas, six for the overlap). Otherwise every release would cost
users errors, or their data.

Real services: Docker and Compose v2 (the session's stack per database), make.
"""

import os
import time

import pytest

from tooling.constants import STANDIN_IMAGES
from tooling.docker import inspect_container, shell_env
from tooling.load import Load, stored_rows
from tooling.machine import run
from tooling.stack import Client, create_user, delete_users, stack_shell

pytestmark = [pytest.mark.containers, pytest.mark.timeout(1800)]


def project_env(stack, image):
    """The environment of the stack's owner (plus the stand-ins), its web image named `image`:
    a name of the test's own, since other sessions build the session's."""
    names = ("COMPOSE_PROJECT_NAME", "WEB_PORT", *STANDIN_IMAGES)
    # The classic builder, whose layer cache the session image filled.
    variables = {name: stack.env[name] for name in names}
    return shell_env(DOCKER_BUILDKIT=0, WEB_IMAGE=image, **variables)


def web_images(stack):
    return {inspect_container(c)["Image"] for c in stack.containers("web")}


def test_deploy_and_rollback_under_load_drop_nothing(stack):
    """`make deploy` of a changed project while two clients read and two write: no read
    fails, every acknowledged write is stored, and the stack ends with as many web containers
    as before, on the new image. `make rollback` then puts the old image back."""
    username = f"deployer-{stack.built.database}"
    create_user(stack, username)
    access = Client(stack.base).login(username)["access"]
    image = f"{stack.built.image}-deploy{os.getpid()}"
    env = project_env(stack, image)
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
        (old_image,) = web_images(stack)
        with Load(stack.base, access, readers=2, writers=2, limit=300) as load:
            time.sleep(2)
            started = time.monotonic()
            deployed = run(["make", "deploy"], cwd=stack.project_dir, env=env, timeout=600)
            took = time.monotonic() - started
            time.sleep(2)  # the new containers alone, for a while
        after = stack.containers("web")
        (new_image,) = web_images(stack)
        writes = load.failures(methods=("POST", "PATCH"))
        print(
            f"\n[containers/deploy/{stack.built.database}] make deploy took {took:.1f} s,"
            f" {len(before)} -> {len(after)} web containers; {load.summary()};"
            f" writes not acknowledged: {writes[:5]}"
        )
        assert len(after) == len(before) and not set(after) & set(before), deployed.stdout
        assert new_image != old_image
        assert load.failures(methods=("GET",)) == [], load.statuses()
        assert load.lost(stored_rows(lambda code: stack_shell(stack, code), username)) == []
        assert load.created and load.renamed and load.statuses("GET")[200]
        # A write that reached an old container in the instant it stopped listening gets the
        # proxy's 503 (it is never sent twice): never a 500, never written twice.
        assert all((a.status, a.code) == (503, "unavailable") for a in writes), writes[:5]

        run(["make", "rollback"], cwd=stack.project_dir, env=env, timeout=600)
        assert web_images(stack) == {old_image}
        assert len(stack.containers("web")) == len(before)
    finally:
        (stack.project_dir / "release.txt").unlink()
        stack.up()  # back on the session's image
        delete_users(stack, username)  # and its rows: other tests count theirs on this stack
        run(["docker", "image", "rm", image, f"{image}:previous"], check=False)
