"""A rendered project driven through its Makefile, as a newcomer who has only Docker and make
types the commands: each `make` timed, the long-running ones left running and stopped with
Ctrl-C, and files edited for a while and put back."""

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import NotReady
from .machine import run, stop


@dataclass
class DevProject:
    """A project folder owned by `host_user`, and the shell environment to type commands in;
    timings collects the seconds each make command took."""

    database: str
    project: Path
    env: dict
    host_user: int
    timings: dict = field(default_factory=dict)

    def make(self, *args, env=(), timeout=600):
        """`make` in the project folder, as typed in a shell: (exit status, everything printed)."""
        started = time.monotonic()
        result = run(
            ["make", *args],
            cwd=self.project,
            env={**self.env, **dict(env)},
            timeout=timeout,
            check=False,
        )
        self.timings[" ".join(args)] = time.monotonic() - started
        return result.returncode, result.stdout + result.stderr

    def start(self, target, log):
        """`make <target>` left running, as in a second terminal; what it prints goes to log."""
        with log.open("w") as out:
            return subprocess.Popen(
                ["make", target],
                cwd=self.project,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, for the Ctrl-C of interrupt()
            )

    @staticmethod
    def interrupt(process):
        """Ctrl-C, as a person stops `make dev` or `make logs`: the whole process group gets
        it. Whatever still runs a minute later is stopped for good."""
        os.killpg(process.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=60)
        if process.poll() is None:
            stop(process)

    @staticmethod
    def wait_for(condition, what, timeout, process, log):
        """Until condition() is true; NotReady after timeout, or at once if process has exited,
        with the end of its log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            if process.poll() is not None:
                break
            time.sleep(0.5)
        raise NotReady(f"{what}: not within {timeout} s\n{log.read_text()[-4000:]}")

    def compose(self, *args, dev=True, check=True):
        """`docker compose` in the folder: the development stack, or the production one."""
        stack = ["-p", self.env["DEV_PROJECT"], "-f", "docker-compose.dev.yml"] if dev else []
        return run(
            ["docker", "compose", *stack, *args],
            cwd=self.project,
            env=self.env,
            check=check,
            timeout=300,
        )

    @contextlib.contextmanager
    def changed(self, path, text):
        """The file holds text meanwhile; afterwards it is as it was, or gone if it was new."""
        original = path.read_text() if path.exists() else None
        path.write_text(text)
        try:
            yield
        finally:
            if original is None:
                path.unlink()
            else:
                path.write_text(original)

    def replaced(self, path, old, new):
        """changed(), with one piece of the file replaced; ValueError if it is not there."""
        text = path.read_text()
        if old not in text:
            raise ValueError(f"{old!r} is not in {path}")
        return self.changed(path, text.replace(old, new))

    def report(self, name, seconds):
        print(f"\n[dev-loop/{self.database}] {name}: {seconds:.1f} s")
