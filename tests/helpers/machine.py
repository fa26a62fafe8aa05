"""What a test needs from the machine: a tool on PATH, a free port, a command that must work."""

import os
import shutil
import socket
import subprocess

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def require(*tools):
    """Skip a test whose tools are missing on a laptop; in CI a missing tool is a failure."""
    missing = [tool for tool in tools if not shutil.which(tool)]
    if missing:
        message = f"needs {', '.join(missing)} (.ci/setup-machine installs them)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(command, cwd=None, env=None, timeout=600, check=True):
    """Run a command, returning its output; on failure, the error shows what it printed."""
    result = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, command))} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"
        )
    return result
