"""The cheap checks every render should pass, and Gunicorn's settings as it reads them."""

import ast
import json
import os
import re

import pytest

from tooling.machine import run
from tooling.processes import settled_workers
from tooling.project import render, venv_env
from tooling.served import gunicorn

# What gunicorn.conf.py sets, as `gunicorn --print-config` prints the effective value.
EXPECTED_SETTINGS = {
    "bind": "['127.0.0.1:8000']",
    "timeout": "30",
    "graceful_timeout": "30",
    "max_requests": "10000",
    "max_requests_jitter": "1000",
    "worker_tmp_dir": "/dev/shm" if os.path.isdir("/dev/shm") else "None",
    "control_socket_disable": "True",
    "accesslog": "-",
    "errorlog": "-",
}


@pytest.fixture(
    scope="module", params=[("sqlite", "5"), ("postgres", "2")], ids=["sqlite", "postgres"]
)
def project(request, tmp_path_factory, venv, database_url):
    """A render per database, its env pointing at that database (PostgreSQL: the cluster)."""
    database, workers = request.param
    folder = render(tmp_path_factory.mktemp(database), database=database, gunicorn_workers=workers)
    env = venv_env(venv, DATABASE_URL=database_url(database, folder))
    return folder, int(workers), env


def test_migrations_match_the_models(project):
    folder, _, env = project
    run(["python", "manage.py", "makemigrations", "--check", "--dry-run"], cwd=folder, env=env)


def test_static_files_collect_hashed_and_compressed(rendered_project):
    """The served project's collectstatic ran for real (not --dry-run, which skips hashing and
    compressing, where it breaks on a stylesheet that references a missing file)."""
    _, project, _ = rendered_project
    root = project / "staticfiles"
    manifest = json.loads((root / "staticfiles.json").read_text())["paths"]
    files = [path for path in root.rglob("*") if path.is_file()]
    print(f"\n[collectstatic] {len(manifest)} files in the manifest, {len(files)} written")
    assert len(manifest) > 100
    assert all((root / hashed).is_file() for hashed in manifest.values())
    stylesheet = manifest["admin/css/base.css"]
    assert re.fullmatch(r"admin/css/base\.[0-9a-f]{12}\.css", stylesheet)
    for variant in (".gz", ".br"):
        assert (root / f"{stylesheet}{variant}").is_file(), variant


def gunicorn_settings(folder, env, *args):
    """{name: value} of every setting, as Gunicorn resolves them (`--print-config`)."""
    printed = run(["gunicorn", "--print-config", *args, "config.wsgi"], cwd=folder, env=env)
    pairs = (line.split("=", 1) for line in printed.stdout.splitlines() if "=" in line)
    return {name.strip(): value.strip() for name, value in pairs}


def config_problems(folder, env, config="gunicorn.conf.py"):
    """What is wrong with a Gunicorn config file: a name Gunicorn does not know (a typo it
    ignores silently, even with --check-config) or a setting whose effective value is not the
    expected one."""
    run(["gunicorn", "--check-config", "-c", config, "config.wsgi"], cwd=folder, env=env)
    effective = gunicorn_settings(folder, env, "-c", config)
    module = ast.parse((folder / config).read_text())
    assigned = {
        target.id
        for node in ast.walk(module)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and target.id.islower()
    }
    problems = [f"{name} is not a Gunicorn setting" for name in sorted(assigned - set(effective))]
    for name, expected in EXPECTED_SETTINGS.items():
        if effective.get(name) != expected:
            problems.append(f"{name} = {effective.get(name)}, expected {expected}")
    return problems


def test_gunicorn_reads_the_settings_the_config_means(project):
    folder, workers, env = project
    assert config_problems(folder, env) == []
    assert gunicorn_settings(folder, env)["workers"] == str(workers)
    assert gunicorn_settings(folder, {**env, "WEB_CONCURRENCY": "7"})["workers"] == "7"


def test_a_misspelt_gunicorn_setting_is_caught(project):
    """--check-config accepts `max_request = 10000`; the settings check must not."""
    folder, _, env = project
    config = (folder / "gunicorn.conf.py").read_text()
    assert "\nmax_requests = 10000\n" in config
    typo = folder / "gunicorn-typo.conf.py"
    typo.write_text(config.replace("\nmax_requests = 10000\n", "\nmax_request = 10000\n"))
    run(["gunicorn", "--check-config", "-c", typo.name, "config.wsgi"], cwd=folder, env=env)
    assert config_problems(folder, env, typo.name) == [
        "max_request is not a Gunicorn setting",
        "max_requests = 0, expected 10000",
    ]


@pytest.mark.gunicorn
def test_worker_count_from_the_prompt_and_web_concurrency(project):
    folder, workers, env = project
    run(["python", "manage.py", "migrate", "--noinput"], cwd=folder, env=env)
    # The master is the process gunicorn() started; the workers are its children.
    with gunicorn(folder, env) as served:
        assert len(settled_workers(served.process.pid)) == workers
    with gunicorn(folder, {**env, "WEB_CONCURRENCY": "3"}) as served:
        assert len(settled_workers(served.process.pid)) == 3
