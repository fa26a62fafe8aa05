"""The CI workflow files, the template's and every rendered project's, say what they must.

No GitHub runner is reachable from here, so each file is checked against GitHub's workflow
schema (check-jsonschema) and audited by zizmor, and both linters are shown to catch a careless
workflow. Beyond the linters: least privilege, actions pinned to a commit with its release in a
comment, a PostgreSQL service for the PostgreSQL variant only and the same one in the template's
bake job, every check of a rendered project's CI present (its lock check among them), and
Dependabot and pre-commit in step with the locked tools. That the jobs' steps also run is
test_workflow_jobs.py's subject.

Real services: none; the two linters run offline on the files.
"""

import json
import re
import sys
from pathlib import Path

import pytest
import yaml

from tooling.constants import DATABASES, TEMPLATE
from tooling.machine import run
from tooling.project import render
from tooling.workflow import load

TEMPLATE_WORKFLOW = TEMPLATE / ".github/workflows/ci.yml"
TOOLS = Path(sys.executable).parent  # the template's venv: check-jsonschema, zizmor
PINNED = re.compile(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}")
RELEASE_COMMENT = re.compile(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$", re.MULTILINE)


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
            "pip install --require-hashes -r requirements-dev.txt",
            "scripts/lock.sh --check",
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
        # uv's ecosystem re-locks the `uv pip compile` locks; pip's would leave them stale.
        assert ecosystems == {"uv", "docker", "github-actions"}
        requirements = (project / "requirements-dev.txt").read_text()
        pinned_ruff = re.search(r"^ruff==([^\s;]+)", requirements, re.MULTILINE)
        hooks = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())["repos"]
        ruff_hooks = next(repo for repo in hooks if repo["repo"].endswith("/ruff-pre-commit"))
        assert ruff_hooks["rev"] == f"v{pinned_ruff.group(1)}"
        assert [hook["id"] for hook in ruff_hooks["hooks"]] == ["ruff-check", "ruff-format"]
        assert all("args" not in hook for hook in ruff_hooks["hooks"])  # pyproject.toml's settings


def test_container_job_runs_the_images_the_compose_files_name(rendered):
    """The container job swaps the stand-ins for official images: the very ones a rendered
    stack pulls, so that it tests what users run."""
    job = load(TEMPLATE_WORKFLOW)["jobs"]["containers"]
    named = set()
    for folder in rendered.values():
        compose = yaml.safe_load((folder / "docker-compose.yml").read_text())
        for service in compose["services"].values():
            found = re.fullmatch(r"\$\{(\w+):-(.+)\}", service.get("image", ""))
            if found and found[1] in ("POSTGRES_IMAGE", "PROXY_IMAGE"):
                named.add(found[2])
    assert named, "no image variables found in the compose files"
    # The tests render python_version 3.11, whose Dockerfile starts from python:3.11-slim.
    assert set(job["env"].values()) >= {*named, "python:3.11-slim"}
    pulls = "\n".join(step.get("run", "") for step in job["steps"])
    for variable in ("STANDIN_PYTHON_IMAGE", "STANDIN_POSTGRES_IMAGE", "STANDIN_NGINX_IMAGE"):
        assert f'docker pull "${variable}"' in pulls, variable
