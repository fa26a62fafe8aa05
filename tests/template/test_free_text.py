"""Answers written in a person's own words render a project that works, or are refused.

The project name, description and author land in TOML (pyproject.toml), Python
(config/settings.py), Markdown (README.md) and possibly YAML. Quotes, backslashes, emoji and
Jinja's own delimiters must come out in each as the person typed them; a line break cannot, and
is refused with one line.

Real services: none; cookiecutter with answers typed at its prompts, then ruff and
`manage.py spectacular` (settings, system checks, OpenAPI schema) in the rendered projects' venv.
"""

import functools
import json
import subprocess
import sys
import tomllib

import pytest
import yaml

from tooling.constants import TEMPLATE
from tooling.machine import run
from tooling.project import cookiecutter_cli, hook_errors, venv_env

# Typed at the prompts, as a person would: cookiecutter reads a typed answer as text, whereas
# an answer given on the command line is a Jinja template that it renders first.
ACCEPTED = {
    "quotes": {
        "project_name": 'The "Quoted" API',
        "description": "Jane's \"best\" API, it's ''' and \"\"\" proof",
        "author_name": 'Jane "JJ" O\'Doe',
    },
    "backslashes": {
        "project_name": "Back\\slash \\n API",
        "description": "Paths like C:\\new\\table\\ and a trailing backslash \\",
        "author_name": "Domain\\user \\",
    },
    "jinja_delimiters": {
        "project_name": "{{ not a variable }}",
        "description": 'Braces {{ and }}, tags {% if "x" %} {%- raw %}, {# a comment #}',
        "author_name": "{% endraw %} {{ cookiecutter.project_name }}'s",
    },
    "emoji_and_accents": {
        "project_name": "🚀 Rocket Zoë API",
        "description": "Ünïcödé 😀 everywhere, 日本語 too",
        "author_name": "Zoë Ångström 🦊",
    },
    "the_word_cookiecutter": {
        "project_name": "Made with cookiecutter.io",
        "description": "cookiecutter.project_name and cookiecutter.json are just words here",
        "author_name": "cookiecutter.author",
    },
    "markup": {
        "project_name": "<b>Bold</b> & *stars* | pipes # hash",
        "description": "`code`, [a link](http://example.com), <script>x</script>: ---",
        "author_name": "A & B <ab@example.com>",
    },
    "longest_that_fits": {
        "project_name": "N" * 72,
        "description": "d" * 70 + '"',
        "author_name": "🦊" * 36,
    },
}
REFUSED = [
    ({"description": "line one\nline two"}, "description 'line one\\nline two' holds a line"),
    ({"project_name": "Tab\there"}, "project_name 'Tab\\there' holds a line break or another"),
    ({"author_name": "Bell \x07"}, "author_name 'Bell \\x07' holds a line break or another"),
    ({"author_name": "Para\u2029graph"}, "holds a line break or another control character"),
    ({"author_name": " "}, "author_name is empty; give it a value"),
    ({"description": "d" * 73}, "description is longer than 72 characters"),
    ({"description": '"' * 37}, "description is longer than 72 characters"),
    ({"project_name": "😀" * 37}, "project_name is longer than 72 characters"),
]


def type_answers(output_dir, typed):
    """Run cookiecutter and type answers at its prompts; Enter keeps a prompt's default."""
    questions = [key for key in json.loads((TEMPLATE / "cookiecutter.json").read_text())]
    lines = [typed.get(key, "") for key in questions if not key.startswith("_")]
    return subprocess.run(
        [sys.executable, "-m", "cookiecutter", "-o", output_dir, TEMPLATE],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """render(case) -> (answers, project folder), each case rendered once for the module."""
    output = tmp_path_factory.mktemp("free-text")

    @functools.cache
    def render(case):
        answers = {**ACCEPTED[case], "project_slug": f"free_text_{list(ACCEPTED).index(case)}"}
        result = type_answers(output, answers)
        assert result.returncode == 0, f"{case}: {result.stderr[-3000:]}"
        return answers, output / answers["project_slug"]

    return render


@pytest.mark.parametrize("case", ACCEPTED)
def test_toml_yaml_and_markdown_hold_the_answers_as_typed(rendered, case):
    answers, project = rendered(case)
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == answers["description"]
    assert pyproject["project"]["authors"] == [{"name": answers["author_name"]}]
    for path in [*project.rglob("*.yml"), *project.rglob("*.yaml")]:
        yaml.safe_load(path.read_text())
    readme = (project / "README.md").read_text().splitlines()
    assert readme[:2] == [f"# {answers['project_name']}", ""]
    assert readme[2].startswith(answers["description"])  # the paragraph goes on after it


@pytest.mark.parametrize("case", ACCEPTED)
def test_settings_import_and_the_api_docs_show_the_answers(rendered, case, venv):
    """`manage.py spectacular` imports the settings, runs the system checks and writes the
    OpenAPI schema, whose title and description come from the Python string literals."""
    answers, project = rendered(case)
    schema = run(
        ["python", "manage.py", "spectacular", "--format", "openapi-json", "--fail-on-warn"],
        cwd=project,
        env=venv_env(venv),
    )
    info = json.loads(schema.stdout)["info"]
    assert (info["title"], info["description"]) == (
        answers["project_name"],
        answers["description"],
    )


def test_every_render_is_ruff_clean(rendered):
    folders = [str(rendered(case)[1]) for case in ACCEPTED]
    ruff = [sys.executable, "-m", "ruff"]
    run([*ruff, "check", "--no-cache", *folders])
    run([*ruff, "format", "--check", "--no-cache", *folders])


@pytest.mark.parametrize(("answers", "message"), REFUSED, ids=lambda value: str(value)[:30])
def test_an_answer_that_cannot_be_written_is_refused_with_one_line(tmp_path, answers, message):
    result = cookiecutter_cli(tmp_path, **{"project_slug": "shop", **answers})
    assert result.returncode == 1
    errors = hook_errors(result.stderr)
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert list(tmp_path.iterdir()) == []
