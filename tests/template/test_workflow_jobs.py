"""The template's CI jobs run here as GitHub would run them, step by step (tooling/workflow.py).

The lint job runs in the template's own venv: ruff, then the workflow linters on the
template's workflow and on those of two fresh renders. The variants job reads
tests/variants.json, and that list is the bake matrix, covering every database and Python
choice and the unusual answers. The bake job runs for a multi-word resource on PostgreSQL and
an irregular plural on SQLite: it bakes the project, drops what git ignores and runs the
rendered project's own CI inside it, tests on the variant's database and `docker build`
included.

Real services: a PostgreSQL cluster standing in for the job's service container (the session's
`postgres` fixture), Docker for the rendered projects' image builds (from the local stand-in
base image), and PyPI through the host network for those builds.
"""

import json
import shutil
import stat
import sys
import time
from pathlib import Path

import pytest

from tooling.constants import DATABASES, STANDIN_PYTHON_IMAGE, TEMPLATE, TEST_LABEL
from tooling.docker import require_engine
from tooling.machine import require, run
from tooling.project import venv_env
from tooling.workflow import WorkflowError, load, run_job

TEMPLATE_WORKFLOW = TEMPLATE / ".github/workflows/ci.yml"
VARIANTS = json.loads((TEMPLATE / "tests/variants.json").read_text())
TOOLS = Path(sys.executable).parent  # the template's venv: check-jsonschema, zizmor, ruff

# Stands in for the runner's docker: no image registry here, so a build starts from the local
# stand-in base image, reaches PyPI through the host network, and gets the test's tag and label.
DOCKER_SHIM = """#!/usr/bin/env bash
if [[ ${1-} == build ]]; then
    shift
    args=()
    while (($#)); do
        case $1 in
            -t | --tag) shift ;;
            -t=* | --tag=*) ;;
            *) args+=("$1") ;;
        esac
        shift
    done
    set -- build --network host --build-arg "BASE_IMAGE=$STANDIN_PYTHON_IMAGE" \\
        --label "$TEST_LABEL=true" --tag "$TEST_IMAGE" "${args[@]}"
fi
DOCKER_BUILDKIT=0 exec "$REAL_DOCKER" "$@"
"""


def test_lint_job_runs():
    env = venv_env(TOOLS.parent)  # the template's own venv, as the job's Python
    run_job(TEMPLATE_WORKFLOW, "lint", TEMPLATE, env=env, capture=True)


def test_bake_matrix_is_the_variants_file():
    """The workflow's matrix comes from tests/variants.json, which test_bake.py bakes too."""
    workflow = load(TEMPLATE_WORKFLOW)
    bake = workflow["jobs"]["bake"]
    assert bake["needs"] == "variants"
    assert bake["strategy"]["matrix"] == {
        "include": "${{ fromJSON(needs.variants.outputs.answers) }}"
    }
    outputs = run_job(TEMPLATE_WORKFLOW, "variants", TEMPLATE, capture=True)
    assert json.loads(outputs["answers"]) == VARIANTS
    databases = {answers["database"] for answers in VARIANTS}
    pythons = {answers["python_version"] for answers in VARIANTS}
    choices = json.loads((TEMPLATE / "cookiecutter.json").read_text())
    assert databases == set(choices["database"])
    assert pythons == set(choices["python_version"])
    assert {(db, py) for db in databases for py in pythons} <= {
        (answers["database"], answers["python_version"]) for answers in VARIANTS
    }
    # and the unusual answers: a multi-word resource, an irregular plural, a non-ASCII name
    assert any("_" in answers.get("resource_name", "") for answers in VARIANTS)
    assert any(answers.get("resource_plural") == "people" for answers in VARIANTS)
    assert any(not answers.get("project_name", "").isascii() for answers in VARIANTS)


def entry(**wanted):
    """The variants file's entry with these answers (and fail if it is gone)."""
    found = [a for a in VARIANTS if all(a.get(key) == value for key, value in wanted.items())]
    assert len(found) == 1, wanted
    return found[0]


# A multi-word resource on PostgreSQL and an irregular plural on SQLite: the bake job runs the
# rendered workflow of each, so both databases' workflows run here in a fresh bake.
EXECUTED = {
    "blog_post-postgres": entry(resource_name="blog_post", database="postgres"),
    "person-people-sqlite": entry(resource_name="person", resource_plural="people"),
}


@pytest.fixture
def docker_shim(tmp_path):
    """A bin folder whose `docker` builds as DOCKER_SHIM says; the images go afterwards."""
    require("docker")
    require_engine()
    folder = tmp_path / "shim"
    folder.mkdir()
    shim = folder / "docker"
    shim.write_text(DOCKER_SHIM)
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    yield folder, shutil.which("docker")
    prune = ["docker", "image", "prune", "-f", "--filter", f"label={TEST_LABEL}"]
    run(prune, timeout=120, check=False)


@pytest.mark.parametrize("answers", EXECUTED.values(), ids=EXECUTED.keys())
def test_bake_job_runs_the_rendered_projects_ci(answers, tmp_path, venv, postgres, docker_shim):
    assert {a["database"] for a in EXECUTED.values()} == set(DATABASES)
    shim, real_docker = docker_shim
    env = venv_env(
        venv,  # the job's Python: the rendered requirements are installed there already
        STANDIN_PYTHON_IMAGE=STANDIN_PYTHON_IMAGE,
        TEST_LABEL=TEST_LABEL,
        TEST_IMAGE=f"drf-auth-template-test/ci-{answers['database']}",
        REAL_DOCKER=real_docker,
        RUNNER_TEMP=tmp_path / "runner",
    )
    env["PATH"] = f"{shim}:{env['PATH']}"
    (tmp_path / "runner").mkdir()
    # The service as GitHub describes it to the steps: the host port of container port 5432.
    context = {
        "matrix": answers,
        "job": {"services": {"postgres": {"ports": {"5432": str(postgres.port)}}}},
    }
    logged, started, commits = [], time.monotonic(), postgres_commits(postgres)

    def log(line):
        print(line)
        logged.append(line)

    try:
        run_job(
            TEMPLATE_WORKFLOW, "bake", TEMPLATE, env=env, context=context, log=log, capture=True
        )
    except WorkflowError as error:
        pytest.fail(str(error))
    print(f"[workflows] bake job for {answers}: {time.monotonic() - started:.1f} s")
    project = next((tmp_path / "runner/baked").iterdir())
    assert not (project / ".env").exists(), "the steps ran with the secrets of .env"
    # Every `run:` step of the rendered workflow ran, inside the bake job's last step.
    for step in load(project / ".github/workflows/ci.yml")["jobs"]["test"]["steps"]:
        if "run" in step:
            assert any(line.startswith(f"  [workflow] {step['name']}: exit 0") for line in logged)
    # The PostgreSQL variant's tests used the cluster standing in for the service; SQLite's not.
    # About ten when used (migration checks, creating and dropping the test database); one or
    # two otherwise (these queries, the odd autovacuum).
    used = postgres_commits(postgres) - commits > 4
    assert used == (answers["database"] == "postgres")


def postgres_commits(cluster):
    """Transactions committed so far in the cluster's `postgres` database, where test runs
    connect to create and drop their test database."""
    query = "SELECT xact_commit FROM pg_stat_database WHERE datname = 'postgres'"
    psql = ["psql", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", "-tAc", query]
    return int(run(psql).stdout)
