"""The harness itself: CI is recognised, a skip or an xfail under CI fails the run, processes
get stopped, modules pass alone as well as after others, and `make test` shares the suite
between its two workers as tests/workers_plugin.py says."""

import re
import subprocess
import sys
import time

import pytest
import workers_plugin

from tooling.constants import TEMPLATE
from tooling.machine import is_ci, stop


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("1", True), ("yes", True), ("woodpecker", True), ("TRUE", True),
     ("", False), ("false", False), ("False", False), ("0", False)],
)  # fmt: skip
def test_ci_is_any_value_but_false_or_0(value, expected):
    assert is_ci(value) is expected


def run_pytest_on(folder, test, ci, *args):
    """pytest with the CI plugin on one test file; what it returned and printed."""
    (folder / "test_one.py").write_text(test)
    return pytest_in(folder, ci, *args)


def pytest_in(folder, ci, *args):
    """pytest with the CI plugin in a folder; what it returned and printed."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "ci_plugin", "-p", "no:cacheprovider", *args],
        cwd=folder,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{TEMPLATE / 'tests'}:{TEMPLATE}", "CI": ci},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(("ci", "exit_code"), [("1", 1), ("true", 1), ("false", 0), ("", 0)])
def test_a_skip_fails_the_session_under_ci(tmp_path, ci, exit_code):
    test = "import pytest\n\ndef test_needs_a_tool():\n    pytest.skip('no tool here')\n"
    result = run_pytest_on(tmp_path, test, ci)
    assert result.returncode == exit_code, result.stdout
    if exit_code:
        assert "test(s) skipped or marked xfail: test_one.py::test_needs_a_tool (skipped)" in (
            result.stdout
        )


NOT_RUN_UNDER_CI = {
    "a module that skips itself": (
        "import pytest\n\npytest.skip('not here', allow_module_level=True)\n\n"
        "def test_never_collected():\n    pass\n",
        "test_one.py (skipped)",
    ),
    "an xfail that fails": (
        "import pytest\n\n@pytest.mark.xfail(reason='known bug')\n"
        "def test_broken():\n    assert False\n",
        "test_one.py::test_broken (xfail)",
    ),
    "an xfail that passes": (
        "import pytest\n\n@pytest.mark.xfail(reason='known bug', strict=False)\n"
        "def test_fixed_since():\n    pass\n",
        "test_one.py::test_fixed_since (xfail)",
    ),
}


@pytest.mark.parametrize("what", list(NOT_RUN_UNDER_CI))
def test_under_ci_no_skip_or_xfail_of_any_kind_passes(tmp_path, what):
    """What a green run would hide from CI: no failure off CI, a failed run under it."""
    test, named = NOT_RUN_UNDER_CI[what]
    assert run_pytest_on(tmp_path, test, "false").returncode != pytest.ExitCode.TESTS_FAILED
    result = run_pytest_on(tmp_path, test, "true")
    assert result.returncode == 1, result.stdout
    assert f"test(s) skipped or marked xfail: {named}" in result.stdout


@pytest.mark.parametrize("phase", ["setup", "call"])
@pytest.mark.parametrize(("ci", "summary"), [("true", r"1 (failed|error)"), ("", r"1 skipped")])
def test_a_missing_tool_skips_off_ci_and_fails_under_ci(tmp_path, phase, ci, summary):
    """The tooling raises MissingTool, free of pytest; the plugin decides what it means."""
    test = (
        "import pytest\nfrom tooling.machine import require\n\n"
        "@pytest.fixture\ndef tool():\n    require('no-such-tool-here')\n\n"
        "def test_setup(tool):\n    pass\n\n"
        "def test_call():\n    require('no-such-tool-here')\n"
    )
    result = run_pytest_on(tmp_path, test, ci, "-rs", f"test_one.py::test_{phase}")
    assert re.search(summary, result.stdout.splitlines()[-1]), result.stdout
    assert "needs no-such-tool-here" in result.stdout


# A session fixture per database, as tests/containers/conftest.py and tests/conftest.py have
# them: it logs where it was built. Each test takes a moment, so that the workers overlap.
SHARED_CONFTEST = """import os
import pytest

@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def stack(request):
    with open("setups.log", "a") as log:
        log.write(f"{FOLDER} {request.param} {os.environ['PYTEST_XDIST_WORKER']}\\n")
"""
SHARED_TEST = (
    "import time\n\nimport pytest\n\n@pytest.mark.parametrize('n', range(3))\n"
    "def test_one(stack, n):\n    time.sleep(0.1)\n"
)
# Two container modules; the slowest module outside them, by its real path; six more.
SHARED_MODULES = [
    "containers/test_a.py",
    "containers/test_b.py",
    workers_plugin.LONGEST[0].removeprefix("tests/"),
    *(f"served/test_{letter}.py" for letter in "cdefgh"),
]


def run_shared(folder, ci, skip_in=None):
    """`make test`'s sharing (tests/workers_plugin.py, two xdist workers) on SHARED_MODULES.
    `skip_in` names a module that skips."""
    for module in SHARED_MODULES:
        path = folder / "tests" / module
        if not path.parent.exists():
            path.parent.mkdir(parents=True)
            conftest = f"FOLDER = {path.parent.name!r}\n{SHARED_CONFTEST}"
            (path.parent / "conftest.py").write_text(conftest)
        skip = "    pytest.skip('no tool here')\n" if skip_in == module else ""
        path.write_text(SHARED_TEST + skip)
    return pytest_in(folder, ci, "-p", "workers_plugin", "--numprocesses", "2")


def test_containers_run_whole_on_one_worker_which_then_joins_the_rest(tmp_path):
    """Whatever order pytest-randomly collects in: the container tests build their fixtures
    once, on one worker; the slowest other module's SQLite tests start first on the other;
    once the containers are done, their worker takes units too. No worker builds a fixture
    twice (it never goes back to a database it has left)."""
    result = run_shared(tmp_path, "true")
    assert result.returncode == 0, result.stdout
    setups = [tuple(line.split()) for line in (tmp_path / "setups.log").read_text().splitlines()]
    assert len(setups) == len(set(setups)), setups
    built_on = {}
    for folder, _, worker in setups:
        built_on.setdefault(folder, set()).add(worker)
    (containers,) = built_on["containers"]
    (other,) = {"gw0", "gw1"} - {containers}
    assert built_on["served"] == {containers, other}, "the container worker took no unit"
    began = dict(re.findall(r"^(gw\d): \d+ tests, .*tests\): (\S+)", result.stdout, re.MULTILINE))
    assert began == {containers: "tests/containers/", other: f"{workers_plugin.LONGEST[0]}[sqlite]"}
    assert result.stdout.count("Using --randomly-seed=") == 1


@pytest.mark.parametrize("module", ["containers/test_a.py", "served/test_h.py"])
def test_a_skip_on_either_worker_fails_the_shared_run_under_ci(tmp_path, module):
    result = run_shared(tmp_path, "true", skip_in=module)
    assert result.returncode == 1, result.stdout
    assert "test(s) skipped or marked xfail: tests/" + module in result.stdout


def test_stop_kills_what_ignores_sigterm_and_its_children(tmp_path):
    """A parent that ignores SIGTERM, with a child that does too: both end within the grace."""
    ignore_term = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    child = f"{ignore_term}time.sleep(600)"
    parent = (
        f"{ignore_term}import subprocess, sys; "
        f"subprocess.Popen([sys.executable, '-c', {child!r}]); print('ready', flush=True); "
        "time.sleep(600)"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", parent], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    assert process.stdout.readline() == "ready\n"
    assert len(running_in_group(process.pid)) == 2
    started = time.monotonic()
    stop(process, grace=1)
    assert time.monotonic() - started < 10
    assert running_in_group(process.pid) == []


def running_in_group(group):
    """The processes of a process group that still run (a killed child may linger as a zombie
    until its new parent reaps it: it runs no code and holds no port)."""
    ps = subprocess.run(["ps", "-eo", "pid=,pgid=,stat="], capture_output=True, text=True)
    rows = [line.split() for line in ps.stdout.splitlines()]
    return [pid for pid, pgid, stat in rows if pgid == str(group) and not stat.startswith("Z")]


# Modules that share no service with the others: each runs alone here, in a pytest of its own,
# so that none leans on what a module run before it left behind (the whole run's order is
# shuffled too, by pytest-randomly). Those that share the session's bake and servers are too
# slow to run twice; `pytest path/to/test_module.py` runs any of them alone.
ALONE = (
    "tests/template/test_workflow_runner.py",
    "tests/template/test_workflow_files.py",
    "challenges/left_join/tests/test_hash_table.py",
    "challenges/left_join/tests/test_left_join.py",
)


@pytest.mark.parametrize("module", ALONE)
def test_a_module_passes_alone(module):
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", module],
        cwd=TEMPLATE,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:]
