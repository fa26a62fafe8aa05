"""The CI workflows, the template's and every rendered project's, are valid, audited and run.

No GitHub runner is reachable from here, so each workflow file is checked against GitHub's
workflow schema (check-jsonschema) and audited by zizmor, and the `run:` steps of its jobs are
executed in order on this machine (helpers/workflow.py): with a real PostgreSQL cluster where a
job declares the service, and `docker build` started from the local stand-in base image.
"""

import json
import re
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from helpers.workflow import WorkflowError, run_job
from tooling.constants import DATABASES, STANDIN_PYTHON_IMAGE, TEMPLATE, TEST_LABEL
from tooling.docker import require_engine
from tooling.machine import require, run
from tooling.project import render, venv_env

TEMPLATE_WORKFLOW = TEMPLATE / ".github/workflows/ci.yml"
VARIANTS = json.loads((TEMPLATE / "tests/variants.json").read_text())
TOOLS = Path(sys.executable).parent  # the template's venv: check-jsonschema, zizmor, ruff
PINNED = re.compile(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}")
RELEASE_COMMENT = re.compile(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$", re.MULTILINE)
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


def load(path):
    """A workflow as GitHub reads it (YAML 1.1 reads the key `on` as true)."""
    return yaml.safe_load(Path(path).read_text())


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The default project of each database, rendered once: {database: folder}."""
    root = tmp_path_factory.mktemp("workflows")
    return {database: render(root / database, database=database) for database in DATABASES}


def workflow_files(rendered):
    return [TEMPLATE_WORKFLOW, *(p / ".github/workflows/ci.yml" for p in rendered.values())]


def check_schema(schema, *paths):
    return run([TOOLS / "check-jsonschema", "--builtin-schema", schema, *paths], check=False)


def audit(*paths):
    """zizmor's findings of medium severity or above: (audit, severity, where) for each."""
    result = run(
        [TOOLS / "zizmor", "--offline", "--min-severity", "medium", "--format", "json", *paths],
        check=False,
    )
    return [
        (finding["ident"], finding["determinations"]["severity"], finding["locations"][0])
        for finding in json.loads(result.stdout)
    ]


def test_every_workflow_file_is_valid_and_audited(rendered):
    paths = workflow_files(rendered)
    schema = check_schema("vendor.github-workflows", *paths)
    assert schema.returncode == 0, schema.stdout + schema.stderr
    dependabot = [p / ".github/dependabot.yml" for p in rendered.values()]
    schema = check_schema("vendor.dependabot", *dependabot)
    assert schema.returncode == 0, schema.stdout + schema.stderr
    assert audit(*paths) == []


def test_the_linters_catch_what_they_are_for(tmp_path):
    """So that a clean result above means something: a careless workflow fails both."""
    careless = tmp_path / "careless.yml"
    careless.write_text(
        "on: pull_request\n"
        "jobs:\n"
        "  test:\n"
        "    runs-on: ubuntu-24.04\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
    )
    found = {ident for ident, _, _ in audit(careless)}
    assert {"unpinned-uses", "artipacked", "template-injection", "excessive-permissions"} <= found
    invalid = tmp_path / "invalid.yml"
    invalid.write_text("on: push\njobs:\n  test:\n    steps: []\n")  # no runs-on
    assert check_schema("vendor.github-workflows", invalid).returncode != 0


def test_workflows_are_least_privilege_and_pinned(rendered):
    for path in workflow_files(rendered):
        workflow, text = load(path), path.read_text()
        assert workflow["permissions"] == {"contents": "read"}, path
        assert workflow["concurrency"]["cancel-in-progress"] is True, path
        assert "${{ github.ref }}" in workflow["concurrency"]["group"], path
        for job in workflow["jobs"].values():
            for step in job["steps"]:
                if "uses" in step:
                    assert PINNED.fullmatch(step["uses"]), step["uses"]
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, path
        assert len(RELEASE_COMMENT.findall(text)) == text.count("uses: "), path


def test_rendered_workflow_declares_postgres_only_for_postgres(rendered):
    sqlite, postgres = (load(rendered[db] / ".github/workflows/ci.yml") for db in DATABASES)
    assert "services" not in sqlite["jobs"]["test"] and "env" not in sqlite["jobs"]["test"]
    service = postgres["jobs"]["test"]["services"]["postgres"]
    url = postgres["jobs"]["test"]["env"]["DATABASE_URL"]
    password = service["env"]["POSTGRES_PASSWORD"]
    assert url.startswith(f"postgres://postgres:{password}@127.0.0.1:")
    assert "${{ job.services.postgres.ports['5432'] }}" in url and service["ports"] == [5432]
    # The template's bake job provides the same service to every rendered workflow it runs.
    bake_service = load(TEMPLATE_WORKFLOW)["jobs"]["bake"]["services"]["postgres"]
    assert bake_service == service


def test_rendered_workflow_runs_every_check(rendered):
    for project in rendered.values():
        steps = load(project / ".github/workflows/ci.yml")["jobs"]["test"]["steps"]
        runs = [step.get("run", "") for step in steps]
        for command in [
            "pip install -r requirements-dev.txt",
            "ruff check",
            "ruff format --check .",
            "python manage.py makemigrations --check --dry-run",
            "python manage.py check --deploy --fail-level WARNING",
            "pytest",
            "docker build",
        ]:
            assert any(command in run for run in runs), command
        deploy = next(step for step in steps if "check --deploy" in step.get("run", ""))
        assert deploy["env"] == {"DJANGO_DEBUG": "false", "DJANGO_HTTPS": "true"}
        setup = next(step for step in steps if "setup-python" in step.get("uses", ""))
        assert setup["with"]["cache"] == "pip"


def test_rendered_project_has_dependabot_and_pre_commit_in_step_with_its_tools(rendered):
    for project in rendered.values():
        dependabot = yaml.safe_load((project / ".github/dependabot.yml").read_text())
        ecosystems = {update["package-ecosystem"] for update in dependabot["updates"]}
        assert ecosystems == {"pip", "docker", "github-actions"}
        requirements = (project / "requirements-dev.txt").read_text()
        pinned_ruff = re.search(r"^ruff==(\S+)$", requirements, re.MULTILINE)
        hooks = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())["repos"]
        ruff_hooks = next(repo for repo in hooks if repo["repo"].endswith("/ruff-pre-commit"))
        assert ruff_hooks["rev"] == f"v{pinned_ruff.group(1)}"
        assert [hook["id"] for hook in ruff_hooks["hooks"]] == ["ruff-check", "ruff-format"]
        assert all("args" not in hook for hook in ruff_hooks["hooks"])  # pyproject.toml's settings


def test_lint_job_runs():
    env = venv_env(TOOLS.parent)  # the template's own venv, as the job's Python
    run_job(TEMPLATE_WORKFLOW, "lint", TEMPLATE, env=env, capture=True)


def test_bake_matrix_is_the_variants_file():
    """The workflow's matrix comes from tests/variants.json, which tests/test_bake.py bakes."""
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


def test_a_failing_step_stops_the_job(tmp_path):
    workflow = tmp_path / "ci.yml"
    workflow.write_text(
        yaml.safe_dump(
            {
                "jobs": {
                    "test": {
                        "steps": [
                            {"run": "echo one >> steps"},
                            {"name": "fails", "run": "false; echo still >> steps"},
                            {"run": "echo three >> steps"},
                        ]
                    }
                }
            }
        )
    )
    with pytest.raises(WorkflowError, match="step 'fails' exited 1"):
        run_job(workflow, "test", tmp_path, capture=True)
    assert (tmp_path / "steps").read_text() == "one\n"


def test_command_files_carry_values_to_later_steps(tmp_path):
    workflow = tmp_path / "ci.yml"
    workflow.write_text(
        """
jobs:
  test:
    outputs:
      greeting: ${{ steps.first.outputs.greeting }}
    steps:
      - id: first
        run: |
          mkdir bin && printf '#!/bin/sh\\necho "$KEY"\\n' > bin/show-key && chmod +x bin/show-key
          echo "$PWD/bin" >> "$GITHUB_PATH"
          echo "KEY=from the first step" >> "$GITHUB_ENV"
          echo "greeting=hello" >> "$GITHUB_OUTPUT"
      - run: show-key > out
"""
    )
    outputs = run_job(workflow, "test", tmp_path, capture=True)
    assert outputs == {"greeting": "hello"}
    assert (tmp_path / "out").read_text() == "from the first step\n"


def test_a_job_whose_service_is_missing_does_not_run(rendered):
    with pytest.raises(WorkflowError, match="needs the postgres service"):
        run_job(rendered["postgres"] / ".github/workflows/ci.yml", "test", rendered["postgres"])


def test_runner_is_the_command_the_bake_job_calls(tmp_path):
    """The bake job runs helpers/workflow.py as a script; an unknown action stops it."""
    workflow = tmp_path / "repo/.github/workflows/ci.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(
        'jobs:\n  test:\n    steps:\n      - run: echo "$GREETING" > out\n'
        "        env:\n          GREETING: ${{ job.services.db.ports['5432'] }}\n"
        "      - uses: actions/cache@v4\n"
    )
    context = json.dumps({"services": {"db": {"ports": {"5432": "49153"}}}})
    script = TEMPLATE / "tests/helpers/workflow.py"
    result = subprocess.run(
        [sys.executable, script, workflow, "test", "--job-context", context],
        capture_output=True,
        text=True,
    )
    assert (tmp_path / "repo/out").read_text() == "49153\n"
    assert result.returncode == 1
    assert "the action actions/cache cannot run here" in result.stderr
