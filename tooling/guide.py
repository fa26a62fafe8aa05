"""The commands of a rendered project's docs/deploy.md, read as a person copies them: the
fenced shell blocks that open with a `# Name` comment, and the crontab line (its sections:
tooling.readme.section)."""

import re
import textwrap

from .errors import UnexpectedAnswer

# A fenced block, indented as it may be inside a numbered step: its language and its text.
FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```$", re.M | re.S)
# A crontab line: five time fields, then the command.
CRONTAB = re.compile(r"^\s*(?:\S+\s+){5}(cd .*)$", re.M)


def named_blocks(text):
    """{name: the block's text without its name line} of every `bash` block that opens with
    `# name`; a name given twice is refused, since a step could not say which it means."""
    blocks = {}
    for _, language, body in FENCE.findall(text):
        first, _, rest = textwrap.dedent(body).partition("\n")
        if language == "bash" and first.startswith("# "):
            name = first.removeprefix("# ")
            if name in blocks:
                raise UnexpectedAnswer(f"two blocks named {name!r}")
            blocks[name] = rest
    return blocks


def crontab_command(text):
    """The command of the one crontab line, as cron runs it: `\\%` is a plain `%` there."""
    lines = CRONTAB.findall(text)
    if len(lines) != 1:
        raise UnexpectedAnswer(f"expected one crontab line, found {lines}")
    return lines[0].replace("\\%", "%")
