"""Runs the `run:` steps of one job of a GitHub Actions workflow, in order, on this machine.

The template's CI runs a rendered project's own workflow with it inside each bake job, and the
tests run the workflows with it to prove that they do what they say. It knows what those
workflows use and refuses the rest, so that a workflow cannot quietly do less here than on
GitHub: `uses:` steps of checkout and setup-python are the caller's (the folder it runs in, the
Python on PATH); ${{ }} expressions are context paths or toJSON() of one; $GITHUB_ENV,
$GITHUB_OUTPUT and $GITHUB_PATH carry values to the later steps; the job's services must be
given, running, in the `job` context as GitHub describes them
(job.services.<id>.ports['<container port>']).

As a command, inside the bake job:  python tooling/workflow.py WORKFLOW JOB [--job-context JSON]
There it runs as a script, in a venv that holds cookiecutter and its PyYAML only: it imports
nothing else, not even the rest of tooling/.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

PROVIDED_BY_CALLER = {
    "actions/checkout": "the folder the steps run in",
    "actions/setup-python": "the Python on PATH",
}
STEP_KEYS = {"name", "id", "uses", "with", "run", "env", "shell", "timeout-minutes"}
# GitHub's bash: `bash -e {0}` unless the step asks for `shell: bash`, which adds pipefail.
SHELLS = {None: ["bash", "-e"], "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail"]}
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
NAME = re.compile(r"[A-Za-z_][\w-]*")
ACCESS = re.compile(r"\.([A-Za-z_][\w-]*)|\['([^']*)'\]|\[(\d+)\]")


class WorkflowError(Exception):
    """A step failed, or the workflow uses something this runner cannot do as GitHub would."""


def load(workflow):
    """A workflow as GitHub reads it (YAML 1.1 reads the key `on` as true)."""
    return yaml.safe_load(Path(workflow).read_text())


def lookup(path, context):
    """The value of a context path: matrix.database, job.services.postgres.ports['5432']."""
    head = NAME.match(path)
    if not head or head.group() not in context:
        raise WorkflowError(f"cannot evaluate {path!r}: no such context here")
    value, rest = context[head.group()], path[head.end() :]
    while rest:
        access = ACCESS.match(rest)
        if not access:
            raise WorkflowError(f"cannot evaluate {path!r}: only paths and toJSON() are known")
        dotted, quoted, index = access.groups()
        key = dotted if dotted is not None else quoted
        if index is not None:
            value = value[int(index)]
        elif isinstance(value, dict):
            value = value.get(key)  # as on GitHub: a missing property is null
        else:
            raise WorkflowError(f"cannot evaluate {path!r}: {key!r} of a non-object")
        rest = rest[access.end() :]
    return value


def evaluate(text, context):
    """`text` with each ${{ }} replaced by its value, formatted as GitHub formats it."""

    def value_of(match):
        expression = match.group(1)
        to_json = re.fullmatch(r"toJSON\((.+)\)", expression)
        value = lookup(to_json.group(1) if to_json else expression, context)
        if to_json:
            return json.dumps(value, indent=2, ensure_ascii=False)
        if isinstance(value, dict | list):
            raise WorkflowError(f"{expression!r} is an object; use toJSON()")
        if isinstance(value, bool):
            return "true" if value else "false"
        return "" if value is None else str(value)

    if isinstance(text, bool):  # YAML's true in an env: block is the string "true" on GitHub
        text = json.dumps(text)
    return EXPRESSION.sub(value_of, str(text))


def read_command_file(path):
    """NAME=value lines, or NAME<<DELIMITER ... DELIMITER for values of several lines."""
    values, lines = {}, iter(path.read_text().splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            for part in lines:
                if part == delimiter:
                    break
                block.append(part)
            values[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def step_name(step):
    return step.get("name") or step.get("uses") or step["run"].strip().splitlines()[0]


def run_job(workflow, job_id, cwd, env=None, context=None, capture=False, log=print):
    """Run the job's steps in `cwd`; return the job's outputs. Raises WorkflowError on the first
    failing step, with the end of its output when `capture` is set (else it goes to the
    terminal as the step runs)."""
    spec = load(workflow)
    job = spec["jobs"][job_id]
    context = {"steps": {}, **(context or {})}
    given = ((context.get("job") or {}).get("services")) or {}
    for service in job.get("services") or {}:
        if service not in given:
            raise WorkflowError(f"job {job_id} needs the {service} service; none was given")
    if "if" in job or "container" in job:
        raise WorkflowError(f"job {job_id}: `if` and `container` cannot run here")
    env = dict(os.environ if env is None else env)
    with tempfile.TemporaryDirectory(prefix="workflow-") as temp:
        env.setdefault("RUNNER_TEMP", temp)
        env.setdefault("GITHUB_WORKSPACE", str(cwd))
        env["CI"] = "true"
        for scope in (spec, job):
            env.update({k: evaluate(v, context) for k, v in (scope.get("env") or {}).items()})
        for number, step in enumerate(job["steps"], 1):
            run_step(step, number, Path(temp), cwd, env, context, capture, log)
        return {k: evaluate(v, context) for k, v in (job.get("outputs") or {}).items()}


def run_step(step, number, temp, cwd, env, context, capture, log):
    name = step_name(step)
    if set(step) - STEP_KEYS:
        raise WorkflowError(f"step {name!r}: {sorted(set(step) - STEP_KEYS)} cannot run here")
    if "uses" in step:
        action = step["uses"].split("@", 1)[0]
        if action not in PROVIDED_BY_CALLER:
            raise WorkflowError(f"step {name!r}: the action {action} cannot run here")
        log(f"[workflow] {name}: {PROVIDED_BY_CALLER[action]}")
        return
    files = {
        name: temp / f"{name}-{number}" for name in ("GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_PATH")
    }
    for path in files.values():
        path.touch()
    step_env = {**env, **{k: evaluate(v, context) for k, v in (step.get("env") or {}).items()}}
    step_env.update({k: str(v) for k, v in files.items()})
    if step.get("shell") not in SHELLS:
        raise WorkflowError(f"step {name!r}: shell {step['shell']!r} cannot run here")
    started = time.monotonic()
    result = subprocess.run(
        [*SHELLS[step.get("shell")], "-c", evaluate(step["run"], context)],
        cwd=cwd,
        env=step_env,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.STDOUT if capture else None,
        text=True,
        timeout=60 * float(step.get("timeout-minutes", 30)),
    )
    log(f"[workflow] {name}: exit {result.returncode} in {time.monotonic() - started:.1f} s")
    for line in (result.stdout or "").splitlines():
        if line.startswith("[workflow] "):  # the steps of a workflow that this step ran
            log(f"  {line}")
    if result.returncode != 0:
        output = f":\n{result.stdout[-6000:]}" if capture else ""
        raise WorkflowError(f"step {name!r} exited {result.returncode}{output}")
    env.update(read_command_file(files["GITHUB_ENV"]))
    for folder in files["GITHUB_PATH"].read_text().splitlines():
        env["PATH"] = f"{folder}{os.pathsep}{env['PATH']}"
    if "id" in step:
        context["steps"][step["id"]] = {"outputs": read_command_file(files["GITHUB_OUTPUT"])}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workflow", type=Path)
    parser.add_argument("job")
    parser.add_argument("--job-context", default="{}", help="toJSON(job) of the calling job")
    args = parser.parse_args()
    root = args.workflow.resolve().parents[2]  # the repository: .github/workflows/<file>
    try:
        run_job(args.workflow, args.job, root, context={"job": json.loads(args.job_context)})
    except WorkflowError as error:
        sys.exit(f"ERROR: {error}")


if __name__ == "__main__":
    main()
