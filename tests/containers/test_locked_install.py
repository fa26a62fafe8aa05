"""The image installs its lock with every hash checked, in the production stage's build and in
the development stage: a file whose hash is not the one the lock holds stops the build.

Real services: Docker (builds on the stand-in base image) and PyPI, whose real files are
downloaded and compared with the lock's hashes, one of which a test has altered.
"""

import pytest

from tooling.constants import DATABASES, STANDIN_PYTHON_IMAGE, TEST_LABEL
from tooling.docker import docker_env, require_engine
from tooling.machine import run
from tooling.project import render

REFUSED = "THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE"


def alter_hashes(lock, package):
    """Every hash the lock holds for `package` made wrong by its last digit."""
    lines, inside = lock.read_text().splitlines(keepends=True), False
    for number, line in enumerate(lines):
        if line[:1].isalnum():
            inside = line.startswith(f"{package}==")
        elif inside and "--hash=sha256:" in line:
            digest = line.rstrip(" \\\n")
            wrong = digest[:-1] + ("1" if digest.endswith("0") else "0")
            lines[number] = line.replace(digest, wrong)
    lock.write_text("".join(lines))


def build(project, *options):
    """`docker build` on the stand-in base; its intermediate containers go even if it fails."""
    command = ["docker", "build", "--force-rm", "--network", "host", *options]
    command += [
        "--label",
        f"{TEST_LABEL}=true",
        "--build-arg",
        f"BASE_IMAGE={STANDIN_PYTHON_IMAGE}",
    ]
    result = run(
        [*command, "."], cwd=project, env=docker_env(DOCKER_BUILDKIT="0"), check=False, timeout=900
    )
    run(["docker", "image", "prune", "-f", "--filter", f"label={TEST_LABEL}"], timeout=120)
    return result


@pytest.mark.parametrize("database", DATABASES)
def test_image_refuses_a_package_whose_hash_differs(database, tmp_path):
    require_engine()
    project = render(tmp_path, database=database, python_version="3.11")
    alter_hashes(project / "requirements.txt", "asgiref")
    result = build(project)
    assert result.returncode != 0 and REFUSED in result.stdout + result.stderr, result.stdout[
        -3000:
    ]


@pytest.mark.parametrize("database", DATABASES)
def test_development_image_refuses_a_tool_whose_hash_differs(database, tmp_path):
    require_engine()
    project = render(tmp_path, database=database, python_version="3.11")
    alter_hashes(project / "requirements-dev.txt", "pytest")
    result = build(project, "--target", "dev")
    output = result.stdout + result.stderr
    assert result.returncode != 0 and REFUSED in output, output[-3000:]
    assert "pytest" in output.split(REFUSED, 1)[1]
