"""The pre-generation hook: a bad answer ends generation with one clear line, a non-zero exit
and no project folder, before anything is written.

Names that would not be valid Python or would shadow a module, worker counts out of range, and
answers outside the choices: cookiecutter refuses those itself on the command line, but takes
the answers of an edited replay file as they are, which only the hook then stops.

Real services: none; cookiecutter runs as a command, as a person runs it.
"""

import json
import subprocess
import sys

import pytest

from tooling.constants import TEMPLATE
from tooling.project import cookiecutter_cli, hook_errors

BAD_ANSWERS = [
    ({"project_slug": "my-project"}, "project_slug 'my-project' is not snake_case"),
    ({"project_slug": "1st_project"}, "project_slug '1st_project' is not snake_case"),
    ({"project_slug": "django"}, "project_slug 'django' would shadow"),
    ({"project_slug": "config"}, "project_slug 'config' would shadow"),
    ({"project_slug": "class"}, "project_slug 'class' is a Python keyword"),
    ({"project_slug": "café_api"}, "project_slug 'café_api' is not snake_case"),
    ({"resource_name": "Thing"}, "resource_name 'Thing' is not snake_case"),
    ({"resource_name": "blog__post"}, "resource_name 'blog__post' is not snake_case"),
    ({"resource_name": "user"}, "resource_name 'user' would shadow"),
    ({"resource_name": "token"}, "resource_name 'token' would shadow"),
    ({"resource_name": "test"}, "resource_name 'test' would shadow"),
    ({"resource_name": "for"}, "resource_name 'for' is a Python keyword"),
    ({"resource_name": "match"}, "resource_name 'match' is a Python keyword"),
    ({"resource_name": "json"}, "resource_name 'json' would shadow"),
    ({"resource_name": "x" * 31}, "is longer than 30 characters"),
    ({"resource_name": "sheep", "resource_plural": "sheep"}, "resource_plural must differ"),
    ({"resource_plural": "accounts"}, "resource_plural 'accounts' would shadow"),
    ({"resource_plural": "drf_auth"}, "resource_plural must differ from project_slug"),
    ({"gunicorn_workers": "0"}, "gunicorn_workers '0' is not a whole number from 1 to 32"),
    ({"gunicorn_workers": "33"}, "gunicorn_workers '33' is not a whole number from 1 to 32"),
    ({"gunicorn_workers": "-1"}, "gunicorn_workers '-1' is not a whole number"),
    ({"gunicorn_workers": "2.5"}, "gunicorn_workers '2.5' is not a whole number"),
    ({"gunicorn_workers": "four"}, "gunicorn_workers 'four' is not a whole number"),
    ({"project_name": "  ", "project_slug": "shop"}, "project_name is empty"),
]


@pytest.mark.parametrize(("answers", "message"), BAD_ANSWERS, ids=lambda value: str(value)[:40])
def test_bad_answer_is_refused(tmp_path, answers, message):
    result = cookiecutter_cli(tmp_path, **answers)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR: ")]
    assert any(message in line for line in errors), result.stderr
    assert list(tmp_path.iterdir()) == []


# An answer outside the choices of cookiecutter.json, for each choice variable.
OUTSIDE_CHOICES = {"database": "mysql", "python_version": "2.7"}


@pytest.mark.parametrize(("field", "value"), OUTSIDE_CHOICES.items())
def test_cookiecutter_refuses_an_answer_outside_the_choices(tmp_path, field, value):
    result = cookiecutter_cli(tmp_path, **{field: value})
    assert result.returncode != 0
    assert f"{value} provided for choice variable {field}" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_good_answers_are_accepted(tmp_path):
    answers = {"project_slug": "shop", "resource_name": "order_line", "gunicorn_workers": "32"}
    result = cookiecutter_cli(tmp_path, **answers)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "shop" / "order_lines" / "models.py").is_file()


@pytest.mark.parametrize(("field", "value"), OUTSIDE_CHOICES.items())
def test_an_edited_replay_outside_the_choices_is_refused(tmp_path, field, value):
    """A replay file is the one way an answer outside the choices reaches the hooks; the hook
    names the choices of cookiecutter.json, all of them."""
    config = tmp_path / "config.yaml"
    config.write_text(f"replay_dir: {tmp_path / 'replay'}\ncookiecutters_dir: {tmp_path}\n")
    first = cookiecutter_cli(tmp_path / "first", "--config-file", config)
    assert first.returncode == 0, first.stderr
    replay = json.loads(next((tmp_path / "replay").glob("*.json")).read_text())
    replay["cookiecutter"][field] = value
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(replay))
    output = tmp_path / "output"
    command = [sys.executable, "-m", "cookiecutter", "--replay-file", edited, "-o", output]
    result = subprocess.run(
        [*command, TEMPLATE], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120
    )
    assert result.returncode == 1
    errors = hook_errors(result.stderr)
    message = f"{field} {value!r} is not one of: "
    assert len(errors) == 1 and message in errors[0], result.stderr
    named = errors[0].split(message, 1)[1].split(", ")
    choices = json.loads((TEMPLATE / "cookiecutter.json").read_text())[field]
    assert sorted(named) == sorted(choices)
    assert not output.exists() or list(output.iterdir()) == []


def test_the_prompts_do_not_assume_docker():
    """SQLite is a file in the project folder, or in a volume under Docker; the Python version
    chosen is the Docker image's, and without Docker the project runs on your own Python."""
    prompts = json.loads((TEMPLATE / "cookiecutter.json").read_text())["__prompts__"]
    assert "./db.sqlite3" in prompts["database"]["sqlite"]
    assert "under Docker" in prompts["database"]["sqlite"]
    assert "under Docker" in prompts["database"]["postgres"]
    assert "without Docker, your own Python" in prompts["python_version"]


def test_a_refused_answer_prints_what_the_template_readme_says(tmp_path):
    """The hook's line first; then cookiecutter's own line and traceback, which the template
    README explains, so that no one takes them for the answer's problem."""
    command = [sys.executable, "-m", "cookiecutter", "--no-input", "-o", tmp_path, TEMPLATE]
    shown = subprocess.run(  # one stream, in the order a terminal shows them
        [*command, "project_slug=django"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    ).stdout
    lines = shown.splitlines()
    errors = [number for number, line in enumerate(lines) if line.startswith("ERROR: ")]
    assert len(errors) == 2, shown
    assert lines[errors[0]].startswith("ERROR: project_slug 'django' would shadow")
    assert lines[errors[1]].startswith("ERROR: Stopping generation")
    after = lines[errors[1] + 1 :]
    assert after[0] == "Traceback (most recent call last):", shown
    assert any(line.startswith("cookiecutter.exceptions.FailedHookException") for line in after)
    readme = (TEMPLATE / "README.md").read_text()
    assert "`ERROR: Stopping generation ...`" in readme and "`FailedHookException`" in readme
