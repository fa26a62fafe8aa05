"""The README's walkthrough run as a person runs it, pasted into a second terminal or as
scripts/walkthrough.sh, and what its output must show."""

import re

from tooling.docker import shell_env
from tooling.machine import run
from tooling.readme import bash_blocks, paste, section

# A line the walkthrough prints for each step that answered: `sign up: HTTP/1.1 201 Created`.
STEP_ANSWERED = re.compile(r"^([a-zA-Z][\w ,:]*): HTTP/1\.1 (\d{3}) ", re.MULTILINE)
STEP_IN_BLOCK = re.compile(r'^step "([^"]+)" (\d{3}) ', re.MULTILINE)
ALL_ANSWERED = "walkthrough: every step answered as expected"
# The one line of a walkthrough whose server is not there.
NO_SERVER = re.compile(
    r'^walkthrough stopped at "sign up": no answer on port \d+ \(is the server running\?\)$',
    re.MULTILINE,
)
# The user each run signs up: `ME=student-$RANDOM`.
WALKER = re.compile(r'"username":\s*"(student-\d+)"')


def walkthrough_block(readme):
    return bash_blocks(section(readme, "Walkthrough"))[0]


def paste_walkthrough(block, project, venv, port):
    """The walkthrough pasted into a second terminal, where the virtualenv `venv` is activated
    and PORT set first, as the README says."""
    return paste(f". {venv}/bin/activate\nexport PORT={port}\n{block}", project, shell_env())


def run_script(project, venv, port, check=True):
    """scripts/walkthrough.sh in a terminal where `venv` is active and PORT is set: what it
    printed, standard output and error together, and its exit status."""
    env = shell_env(PORT=port, VIRTUAL_ENV=venv)
    env["PATH"] = f"{venv}/bin:{env['PATH']}"
    done = run(["scripts/walkthrough.sh"], cwd=project, env=env, check=check)
    return done.stdout + done.stderr, done.returncode


def assert_walked(output, block):
    """Every step of the block answered the status it declares, in order, and the last line
    says so; no answer shows a password, and nothing printed a traceback."""
    assert STEP_ANSWERED.findall(output) == STEP_IN_BLOCK.findall(block), output
    assert ALL_ANSWERED in output.splitlines(), output
    assert re.search(r'"name":\s*"Renamed"', output), output
    answers = [line for line in output.splitlines() if line.startswith("{")]
    assert answers and not [line for line in answers if "password" in line], output
    assert "Traceback" not in output, output


def walkers(output):
    """The usernames the walkthrough signed up."""
    return sorted(set(WALKER.findall(output)))
