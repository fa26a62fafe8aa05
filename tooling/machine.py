"""What the tooling needs from the machine: a tool on PATH, a free port, a command that must
work, and a process group stopped for good."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess

from .errors import CommandFailed, MissingTool


def is_ci(value):
    """CI services set CI to "true", "1", "yes" or their own name; only "false" and "0" say no."""
    return value.strip().lower() not in ("", "false", "0")


IN_CI = is_ci(os.environ.get("CI", ""))


def require(*tools):
    """Raise MissingTool unless every tool is on PATH."""
    missing = [tool for tool in tools if not shutil.which(tool)]
    if missing:
        raise MissingTool(f"needs {', '.join(missing)} (.ci/setup-machine installs them)")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(command, cwd=None, env=None, timeout=600, check=True):
    """Run a command, returning the CompletedProcess; CommandFailed shows what it printed."""
    result = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise CommandFailed(
            f"{' '.join(map(str, command))} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"
        )
    return result


def stop(process, grace=10):
    """Stop a process started with start_new_session=True, and everything it started.

    SIGTERM first, so that Gunicorn and the like shut down cleanly; whatever is still running
    after `grace` seconds (a worker busy with a request, a child that ignores SIGTERM) gets
    SIGKILL, the whole process group at once, so that nothing outlives the run.
    """
    if process.poll() is None:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    # ProcessLookupError: the group is gone, every process in it has ended.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
