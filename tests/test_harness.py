"""The harness itself: CI is recognised, a skip under CI fails the run, processes get stopped."""

import subprocess
import sys
import time

import pytest

from helpers.machine import is_ci, stop
from helpers.project import TEMPLATE


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("1", True), ("yes", True), ("woodpecker", True), ("TRUE", True),
     ("", False), ("false", False), ("False", False), ("0", False)],
)  # fmt: skip
def test_ci_is_any_value_but_false_or_0(value, expected):
    assert is_ci(value) is expected


@pytest.mark.parametrize(("ci", "exit_code"), [("1", 1), ("true", 1), ("false", 0), ("", 0)])
def test_a_skip_fails_the_session_under_ci(tmp_path, ci, exit_code):
    (tmp_path / "test_skips.py").write_text(
        "import pytest\n\ndef test_needs_a_tool():\n    pytest.skip('no tool here')\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "helpers.ci_skips", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(TEMPLATE / "tests"), "CI": ci},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == exit_code, result.stdout
    if exit_code:
        assert "ERROR: CI is set and 1 test(s) skipped: test_skips.py::test_needs_a_tool" in (
            result.stdout
        )


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
