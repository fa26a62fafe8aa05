"""What the tooling raises. The tests turn these into failed (or, off CI, skipped) tests; the
bench prints them and exits non-zero."""


class ToolingError(Exception):
    """Something the tooling needs did not happen."""


class CommandFailed(ToolingError):
    """A command exited non-zero; the message ends with what it printed."""


class MissingTool(ToolingError):
    """A program, a service or an image this machine lacks (.ci/setup-machine installs it)."""


class NotReady(ToolingError, TimeoutError):
    """A server, container or process did not reach the state waited for in time."""


class UnexpectedAnswer(ToolingError):
    """An HTTP answer other than the one a step needs before the real checks can start."""
