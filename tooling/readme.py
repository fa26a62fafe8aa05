"""A rendered project's README read as a person reads it: its sections, the commands of their
bash blocks, and those commands pasted into an interactive terminal."""

import re
import subprocess
import time

from .machine import require

# Colours, bracketed-paste mode and the like: what a terminal shows, not what was printed.
TERMINAL_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
BASH_BLOCK = re.compile(r"```bash\n(.*?)```", re.DOTALL)
# What a pasted block is followed by: the status it left, then the end of the terminal.
AFTER_PASTE = 'echo "status after the paste: $?"\nexit\n'
STATUS_AFTER_PASTE = re.compile(r"^status after the paste: (\d+)$", re.MULTILINE)


def section(text, heading, subsections=True):
    """The text under `## heading`, up to the next heading of the same level; without its
    `###` subsections when `subsections` is false (a guide's steps end where another way to
    run the same stack begins)."""
    end = "## " if subsections else "##+ "
    found = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^{end}|\Z)", text, re.M | re.S)
    if not found:
        raise ValueError(f"no section '## {heading}'")
    return found.group(1)


def bash_blocks(text):
    """The ```bash blocks of a text, in order."""
    return BASH_BLOCK.findall(text)


def commands(block):
    """The command lines of a bash block, without its comment lines."""
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def headings(readme):
    """The `## ` headings of the README, in order."""
    return re.findall(r"^## (.+)$", readme, re.MULTILINE)


class Pasted:
    """What an interactive terminal showed after a paste: every line with the seconds since
    the paste began, and the exit status of the pasted block's last command."""

    def __init__(self, timed_lines):
        self.timed_lines = timed_lines
        self.text = "\n".join(line for _, line in timed_lines)
        found = STATUS_AFTER_PASTE.findall(self.text)
        self.status = int(found[-1]) if found else None

    def first(self, pattern):
        """Seconds from the paste to the first line that matches `pattern`, or None."""
        for seconds, line in self.timed_lines:
            if re.search(pattern, line):
                return seconds
        return None


def paste(text, cwd, env):
    """Paste `text` into an interactive bash in a terminal (a pseudo-terminal from `script`),
    as a person does, then ask for the status it left and close the terminal.

    Nothing run there reads the terminal, so the whole paste can be typed ahead, as a paste is.
    The shell is interactive: a failing command does not end it, `set -e` would.
    """
    require("script", "bash")
    started = time.monotonic()
    process = subprocess.Popen(
        ["script", "--quiet", "--return", "--command", "bash --norc --noprofile -i", "/dev/null"],
        cwd=cwd,
        env={**env, "PS1": "$ "},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    process.stdin.write(text.rstrip("\n") + "\n" + AFTER_PASTE)
    process.stdin.close()
    timed_lines = []
    for line in process.stdout:  # a terminal that never ends is pytest-timeout's to stop
        clean = TERMINAL_ESCAPES.sub("", line).replace("\r", "").rstrip("\n")
        timed_lines.append((time.monotonic() - started, clean))
    process.wait(timeout=30)
    return Pasted(timed_lines)
