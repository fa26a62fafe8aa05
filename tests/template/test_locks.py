"""The rendered projects install exactly their locks, hashes checked, and the locks cannot
drift from what the projects declare.

For each database: the template's locks follow from the rendered requirements*.in (else
`make lock` in the template re-locks them); a fresh venv gets, with pip's --require-hashes as
the README says, every package of the lock at its version and nothing else, and the same with
`uv pip sync`; the rendered CI's lock check, run as the workflow runs it, passes on a fresh
bake and fails once a declared dependency changes without a re-lock.

Real services: PyPI (uv resolves the locks, pip and uv download the files), the rendered
projects' scripts/lock.sh and CI step.
"""

import sys
import tempfile
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.utils import canonicalize_name

from tooling.constants import DATABASES
from tooling.locks import LOCKS, lock_env, lock_project
from tooling.machine import run
from tooling.project import render
from tooling.workflow import WorkflowError, load, run_step

LOCK_CHECK = "scripts/lock.sh --check"
# What `python -m venv` puts in every venv to install with, whatever the lock says.
INSTALLERS = {"pip", "setuptools", "wheel"}


@pytest.fixture(scope="module", params=DATABASES)
def project(request, tmp_path_factory):
    """A fresh render of each database, for the tests that leave its files alone."""
    return render(tmp_path_factory.mktemp(request.param), database=request.param)


def locked(lock):
    """{name: version} of a lock's packages that this machine installs (their markers hold)."""
    packages = {}
    for line in Path(lock).read_text().splitlines():
        if not line[:1].isalnum():
            continue  # hashes, comments, `# via` notes
        requirement, _, marker = line.rstrip(" \\").partition(";")
        if marker.strip() and not Marker(marker.strip()).evaluate():
            continue
        name, version = requirement.strip().split("==")
        packages[canonicalize_name(name)] = version
    return packages


def frozen(lines):
    return {
        canonicalize_name(name): version
        for name, version in (line.split("==") for line in lines.splitlines() if "==" in line)
    }


def test_template_locks_follow_the_rendered_declarations(project):
    check = lock_project(project, "--check")
    assert check.returncode == 0, f"stale: run `make lock` in the template\n{check.stderr}"


def test_the_docs_give_the_installs_these_tests_run(project):
    docs = "".join(path.read_text() for path in [project / "README.md", *project.glob("docs/*.md")])
    assert "pip install --require-hashes -r requirements-dev.txt" in docs
    assert "uv venv && uv pip sync requirements-dev.txt" in docs


def test_pip_installs_exactly_the_locks_with_hashes(project, tmp_path):
    """As the README says: a venv, then pip with --require-hashes, the service's lock and then
    the development one; `pip freeze` then lists the lock, nothing unpinned, nothing more."""
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv])
    pip = [venv / "bin/python", "-m", "pip"]
    for name in LOCKS:
        lock = project / f"{name}.txt"
        run([*pip, "install", "-q", "--require-hashes", "-r", lock], timeout=900)
        installed = frozen(run([*pip, "freeze", "--all"]).stdout)
        expected = locked(lock)
        bootstrap = {
            name: installed[name] for name in INSTALLERS - set(expected) if name in installed
        }
        assert installed == {**expected, **bootstrap}, name


def test_uv_syncs_exactly_the_locks(project, tmp_path):
    """`uv venv && uv pip sync requirements-dev.txt`, then the service's lock alone: each time
    the venv holds exactly the lock (sync also removes what the lock does not name)."""
    env = {**lock_env(), "VIRTUAL_ENV": str(tmp_path / "venv")}
    run(["uv", "venv", "--quiet", env["VIRTUAL_ENV"]], env=env, cwd=tmp_path)
    for name in reversed(LOCKS):
        lock = project / f"{name}.txt"
        run(["uv", "pip", "sync", "--quiet", "--require-hashes", lock], env=env, timeout=900)
        installed = frozen(run(["uv", "pip", "freeze"], env=env).stdout)
        assert installed == locked(lock), name


def run_lock_check(project):
    """The rendered CI's lock-check step, run as tooling/workflow.py runs every step."""
    steps = load(project / ".github/workflows/ci.yml")["jobs"]["test"]["steps"]
    (step,) = [step for step in steps if step.get("run") == LOCK_CHECK]
    number = steps.index(step) + 1
    with tempfile.TemporaryDirectory(prefix="step-") as temp:
        env = {**lock_env(), "CI": "true"}
        run_step(step, number, Path(temp), project, env, {"steps": {}}, True, print)


@pytest.mark.parametrize("database", DATABASES)
def test_ci_lock_check_fails_when_a_declaration_changes_without_a_relock(database, tmp_path):
    project = render(tmp_path, database=database)
    run_lock_check(project)  # a fresh bake: its locks follow from its declarations
    service = project / "requirements.in"
    declared = service.read_text()
    service.write_text(declared + "requests==2.34.2\n")  # a new dependency, not locked
    with pytest.raises(WorkflowError, match="requirements.txt does not match requirements.in"):
        run_lock_check(project)
    service.write_text(declared)
    run_lock_check(project)
    development = project / "requirements-dev.in"
    development.write_text(development.read_text().replace("pytest==", "pytest<"))
    with pytest.raises(WorkflowError, match="requirements-dev.txt does not match"):
        run_lock_check(project)
