"""`make deploy` and `make rollback` of a rendered project, under steady reads and writes.

A deploy builds a new image, migrates, starts new web containers beside the old ones, waits
until they are healthy and stops the old ones gracefully. Clients meanwhile must see no failed
request and lose no acknowledged write, on SQLite (one replica, two for the overlap on one WAL
file) and PostgreSQL (three replicas, six for the overlap). Otherwise every release would cost
users errors, or their data.

Real services: Docker and Compose v2 (the session's stack per database), make.
"""

import time

import pytest

from tooling.constants import STANDIN_IMAGES
from tooling.docker import inspect_container, inspect_image, shell_env
from tooling.load import Load, stored_rows
from tooling.machine import run
from tooling.stack import Client, create_user, stack_shell

pytestmark = [pytest.mark.containers, pytest.mark.timeout(1800)]


def make(stack, target):
    """`make <target>` in the stack's project, as its owner types it (plus the stand-ins)."""
    names = ("COMPOSE_PROJECT_NAME", "WEB_IMAGE", "WEB_PORT", *STANDIN_IMAGES)
    # The classic builder, whose layer cache the session image filled.
    env = shell_env(DOCKER_BUILDKIT=0, **{name: stack.env[name] for name in names})
    return run(["make", target], cwd=stack.project_dir, env=env, timeout=600)


def web_images(stack):
    return {inspect_container(c)["Image"] for c in stack.containers("web")}


def test_deploy_and_rollback_under_load_drop_nothing(stack):
    """`make deploy` of a changed project while two clients read and two write: every
    request succeeds, every acknowledged write is stored, and the stack ends with as many web
    containers as before, on the new image. `make rollback` then puts the old image back."""
    username = f"deployer-{stack.built.database}"
    create_user(stack, username)
    access = Client(stack.base).login(username)["access"]
    before = stack.containers("web")
    (old_image,) = web_images(stack)
    new_image = old_image
    # A change of the code, as a release brings: the image must be rebuilt.
    (stack.project_dir / "release.txt").write_text(f"release {time.time()}\n")

    with Load(stack.base, access, readers=2, writers=2, limit=300) as load:
        time.sleep(2)
        started = time.monotonic()
        deployed = make(stack, "deploy")
        took = time.monotonic() - started
        time.sleep(2)  # the new containers alone, for a while
    try:
        after = stack.containers("web")
        (new_image,) = web_images(stack)
        print(
            f"\n[containers/deploy/{stack.built.database}] make deploy took {took:.1f} s,"
            f" {len(before)} -> {len(after)} web containers; {load.summary()}"
        )
        assert len(after) == len(before) and not set(after) & set(before), deployed.stdout
        assert new_image != old_image
        assert load.failures() == [], load.statuses()
        assert load.lost(stored_rows(lambda code: stack_shell(stack, code), username)) == []
        assert load.created and load.renamed and load.statuses("GET")[200]

        make(stack, "rollback")
        assert web_images(stack) == {old_image}
        assert len(stack.containers("web")) == len(before)
        stack.wait_until_healthy("web", f"{stack.base}/healthz/")
    finally:
        image = stack.env["WEB_IMAGE"]
        run(["docker", "image", "rm", f"{image}:previous"], check=False)
        # The session image is the one the stack runs again; the release's goes.
        run(["docker", "tag", old_image, image])
        (stack.project_dir / "release.txt").unlink()
        if new_image != old_image:
            run(["docker", "image", "rm", new_image], check=False)
    assert inspect_image(image)["Id"] == old_image
