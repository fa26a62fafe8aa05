"""A bad answer ends generation with one clear line, a non-zero exit and no project folder."""

import subprocess
import sys

import pytest

from tooling.constants import TEMPLATE

BAD_ANSWERS = [
    ({"project_slug": "my-project"}, "project_slug 'my-project' is not snake_case"),
    ({"project_slug": "1st_project"}, "project_slug '1st_project' is not snake_case"),
    ({"project_slug": "django"}, "project_slug 'django' would shadow"),
    ({"project_slug": "config"}, "project_slug 'config' would shadow"),
    ({"project_slug": "class"}, "project_slug 'class' is a Python keyword"),
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


def cookiecutter_cli(output_dir, answers):
    pairs = [f"{key}={value}" for key, value in answers.items()]
    command = [sys.executable, "-m", "cookiecutter", "--no-input", "-o", output_dir, TEMPLATE]
    return subprocess.run([*command, *pairs], capture_output=True, text=True)


@pytest.mark.parametrize(("answers", "message"), BAD_ANSWERS, ids=lambda value: str(value)[:40])
def test_bad_answer_is_refused(tmp_path, answers, message):
    result = cookiecutter_cli(tmp_path, answers)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR: ")]
    assert any(message in line for line in errors), result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"database": "mysql"}, "mysql provided for choice variable database"),
        ({"python_version": "2.7"}, "2.7 provided for choice variable python_version"),
    ],
)
def test_cookiecutter_refuses_an_answer_outside_the_choices(tmp_path, answers, message):
    result = cookiecutter_cli(tmp_path, answers)
    assert result.returncode != 0
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_good_answers_are_accepted(tmp_path):
    answers = {"project_slug": "shop", "resource_name": "order_line", "gunicorn_workers": "32"}
    result = cookiecutter_cli(tmp_path, answers)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "shop" / "order_lines" / "models.py").is_file()
