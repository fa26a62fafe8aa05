"""What every part of the bench shares: its own error and its log line.

Commands, processes, virtualenvs, servers and clusters come from tooling/, which raises
tooling.errors.ToolingError; `python -m bench` ends on either with one `bench: FAILED:` line
and exit status 1.
"""


class BenchError(Exception):
    """A run that cannot give honest figures: a wrk run with a failed answer, a wrong page."""


def log(message):
    print(f"bench: {message}", flush=True)
