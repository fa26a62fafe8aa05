"""The runner that executes workflow jobs here (tooling/workflow.py) does what GitHub does, or
refuses: a failing step stops the job, $GITHUB_ENV, $GITHUB_PATH and $GITHUB_OUTPUT carry values
to later steps, a job whose service was not given does not start, and as the command the bake
job calls it evaluates the job context and stops at an action it cannot run. The tests of the
real workflows (test_workflow_jobs.py) mean something only if this holds.

Real services: none; the steps are small shell commands on workflows written here.
"""

import json
import re
import subprocess
import sys

import pytest
import yaml

from tooling.constants import TEMPLATE
from tooling.project import render
from tooling.workflow import WorkflowError, load, run_job

TEMPLATE_WORKFLOW = TEMPLATE / ".github/workflows/ci.yml"


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


def test_a_job_whose_service_is_missing_does_not_run(tmp_path):
    project = render(tmp_path, database="postgres")
    with pytest.raises(WorkflowError, match="needs the postgres service"):
        run_job(project / ".github/workflows/ci.yml", "test", project)


def test_runner_is_the_command_the_bake_job_calls(tmp_path):
    """The bake job runs tooling/workflow.py as a script; an unknown action stops it."""
    workflow = tmp_path / "repo/.github/workflows/ci.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(
        'jobs:\n  test:\n    steps:\n      - run: echo "$GREETING" > out\n'
        "        env:\n          GREETING: ${{ job.services.db.ports['5432'] }}\n"
        "      - uses: actions/cache@v4\n"
    )
    context = json.dumps({"services": {"db": {"ports": {"5432": "49153"}}}})
    # The script as the bake job's last step names it, from the root of the checkout.
    last_step = load(TEMPLATE_WORKFLOW)["jobs"]["bake"]["steps"][-1]["run"]
    called = re.search(r'"\$GITHUB_WORKSPACE/([^"]+)"', last_step).group(1)
    assert called == "tooling/workflow.py"
    script = TEMPLATE / called
    result = subprocess.run(
        [sys.executable, script, workflow, "test", "--job-context", context],
        capture_output=True,
        text=True,
    )
    assert (tmp_path / "repo/out").read_text() == "49153\n"
    assert result.returncode == 1
    assert "the action actions/cache cannot run here" in result.stderr
