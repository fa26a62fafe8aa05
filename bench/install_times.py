"""What the locks cost or save: a cold `docker build` and a fresh venv install, before and after.

"Before" is the template at another commit (by default the last one before the locks), whose
rendered requirements pin only the packages they name and carry no hash; "after" is this
template, whose locks pin every package with its hashes. Each render of the chosen database is
installed the way its own README and Dockerfile say: `docker build --no-cache` on the stand-in
base image (pip downloads every package, as on a cold machine), and `pip install
--no-cache-dir -r requirements-dev.txt` into a new venv, with --require-hashes when the file has
hashes. Turns alternate, round after round; each figure is the median of its rounds.

From the repository's root:

    .venv/bin/python -m bench.install_times [--before REV] [--rounds 3] [--database sqlite]
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tooling.constants import STANDIN_PYTHON_IMAGE, TEMPLATE, TEST_LABEL
from tooling.docker import docker_env, require_engine
from tooling.machine import run
from tooling.project import render

from .support import log

TAG = "drf-auth-template-test/install-times"
# The last commit whose rendered requirements held no lock.
UNLOCKED = "06f8d5a"


def template_at(revision, folder):
    """The template as it was at `revision`, extracted into `folder`."""
    archive = subprocess.run(
        ["git", "-C", TEMPLATE, "archive", revision], capture_output=True, check=True
    ).stdout
    folder.mkdir()
    subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
    return folder


def hashed(requirements):
    return "--hash=" in requirements.read_text()


def venv_install(project, scratch):
    """Seconds to make a venv and install requirements-dev.txt into it, with no pip cache."""
    venv = Path(tempfile.mkdtemp(dir=scratch, prefix="venv-"))
    lock = project / "requirements-dev.txt"
    options = ["--require-hashes"] if hashed(lock) else []
    started = time.monotonic()
    run([sys.executable, "-m", "venv", venv])
    pip = [venv / "bin/pip", "install", "-q", "--no-cache-dir", *options, "-r", lock]
    run(pip, timeout=1200)
    return time.monotonic() - started


def cold_build(project):
    """Seconds of `docker build --no-cache` of the project's image on the stand-in base."""
    started = time.monotonic()
    run(
        ["docker", "build", "--no-cache", "--network", "host", "--label", f"{TEST_LABEL}=true"]
        + ["--build-arg", f"BASE_IMAGE={STANDIN_PYTHON_IMAGE}", "-t", TAG, "."],
        cwd=project,
        env=docker_env(DOCKER_BUILDKIT="0"),
        timeout=1800,
    )
    took = time.monotonic() - started
    run(["docker", "image", "rm", "-f", TAG], check=False, timeout=120)
    run(["docker", "image", "prune", "-f", "--filter", f"label={TEST_LABEL}"], timeout=120)
    return took


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default=UNLOCKED, help="the template's commit to compare")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", default="sqlite", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    require_engine()
    with tempfile.TemporaryDirectory(prefix="install-times-") as scratch:
        scratch = Path(scratch)
        templates = {"before": template_at(args.before, scratch / "before"), "after": TEMPLATE}
        projects = {
            when: render(scratch / f"render-{when}", template, database=args.database)
            for when, template in templates.items()
        }
        times = {(when, what): [] for when in projects for what in ("venv", "build")}
        for round_number in range(1, args.rounds + 1):
            for when, project in projects.items():
                times[when, "venv"].append(venv_install(project, scratch))
                times[when, "build"].append(cold_build(project))
                log(
                    f"round {round_number}, {when}: venv {times[when, 'venv'][-1]:.1f} s, "
                    f"cold build {times[when, 'build'][-1]:.1f} s"
                )
    print(f"\n{args.database}, median of {args.rounds} rounds (before: {args.before})")
    print(f"{'':32} {'before':>8} {'after':>8} {'after/before':>13}")
    for what, label in (
        ("venv", "fresh venv, requirements-dev.txt"),
        ("build", "cold docker build"),
    ):
        before, after = (statistics.median(times[when, what]) for when in ("before", "after"))
        print(f"{label:32} {before:7.1f}s {after:7.1f}s {after / before:12.2f}x")


if __name__ == "__main__":
    main()
