"""Regressions a student could make to a rendered project, and whether its own suite notices.

Each `Regression` is one small edit of one file of a fresh bake (the default resource,
`thing`): the text it replaces, which must occur exactly once in that file, so an entry whose
target moved fails loudly instead of testing nothing. `check()` applies each to a copy of the
bake (hard links, so a copy costs milliseconds) and runs the project's own pytest there: a
suite that still passes has missed it. The suite stops at its first failure, and starts with
the module an entry names as the one that catches it.
The catalogue itself is `regression_catalogue`.
"""

import os
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

from .errors import ToolingError
from .machine import run

# What the rendered suite needs and nothing it writes: the dev database, collected static
# files and bytecode stay behind.
NOT_COPIED = shutil.ignore_patterns("db.sqlite3*", "staticfiles", "__pycache__", ".pytest_cache")
# The modules pytest collects by default (its python_files), which the rendered projects keep.
TEST_MODULES = ("test_*.py", "*_test.py")
# Stop at the first failure, deterministic order, nothing cached between runs.
SUITE = ["python", "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]


class StaleRegression(ToolingError):
    """An entry's text is not in its file exactly once: the project changed under it."""


class Regression(NamedTuple):
    """One edit, and what it breaks (a rule of the project, as a reader would name it)."""

    breaks: str
    path: str
    old: str
    new: str
    databases: tuple = ("sqlite",)
    # The rendered test module that catches it, run before the rest of the suite so that `-x`
    # stops early; the whole suite still runs after it, so a wrong guess costs only time.
    run_first: str = ""

    def applied_to(self, source):
        """The file's text with this edit made; StaleRegression unless `old` is there once."""
        found = source.count(self.old)
        if found != 1:
            raise StaleRegression(
                f"regression {self.breaks!r}: its text is in {self.path} {found} times, "
                f"not once:\n{self.old}"
            )
        changed = source.replace(self.old, self.new)
        if self.path.endswith(".py"):
            compile(changed, self.path, "exec")  # a SyntaxError would be "caught" for nothing
        return changed

    def suite(self, project):
        """The paths the project's pytest is given: every test module of its suite, this
        entry's first if it names one (StaleRegression if the project has no such module).
        Named one by one: given `tests` as well, pytest would collect in its own order."""
        if not self.run_first:
            return []
        modules = sorted(
            str(path.relative_to(project))
            for pattern in TEST_MODULES
            for path in Path(project, "tests").rglob(pattern)
        )
        if self.run_first not in modules:
            raise StaleRegression(f"regression {self.breaks!r}: no {self.run_first} to run first")
        return [self.run_first, *(module for module in modules if module != self.run_first)]


class Outcome(NamedTuple):
    regression: Regression
    database: str
    caught: bool
    by: str  # the first test that failed, or what the suite printed last
    seconds: float


def check_applies(catalogue, project):
    """Every entry of the catalogue meant for this bake's database applies to it once."""
    for regression in catalogue:
        regression.applied_to((Path(project) / regression.path).read_text())
        regression.suite(project)


def copy_with(project, destination, regression):
    """A copy of the project with the regression made: hard links, and a new file (not a
    write through the link) for the one that changes, so the bake itself stays untouched."""
    shutil.copytree(project, destination, ignore=NOT_COPIED, copy_function=os.link)
    target = destination / regression.path
    changed = regression.applied_to(target.read_text())
    target.unlink()
    target.write_text(changed)
    return destination


def first_failure(output):
    """The first test pytest's summary names as failed, else its last line."""
    for line in output.splitlines():
        # "ERROR    django.request: ..." is a captured log line, not a test.
        if re.match(r"(FAILED|ERROR) \S+\.py", line):
            return line.split(" - ")[0]
    lines = output.strip().splitlines()
    return lines[-1] if lines else "(no output)"


def run_one(project, scratch, index, regression, database, env_for):
    """Apply one regression to a fresh copy and run the suite there."""
    copy = copy_with(project, Path(scratch) / f"regression_{index}_{database}", regression)
    started = time.monotonic()
    # A pytest temporary folder of its own: concurrent runs would share the default one.
    command = [*SUITE, f"--basetemp={copy / '.pytest-tmp'}", *regression.suite(copy)]
    result = run(command, cwd=copy, env=env_for(copy), check=False, timeout=600)
    took = time.monotonic() - started
    output = result.stdout + result.stderr
    caught = result.returncode != 0
    by = first_failure(output) if caught else "suite passed"
    shutil.rmtree(copy, ignore_errors=True)
    return Outcome(regression, database, caught, by, took)


def check(catalogue, project, database, scratch, env_for, parallel=2):
    """Every regression of the catalogue for this database, `parallel` at a time; the
    outcomes in catalogue order. env_for(copy) gives the environment of a copy's suite (on
    PostgreSQL, a database of its own: concurrent suites would share their test database)."""
    with ThreadPoolExecutor(parallel) as pool:
        futures = [
            pool.submit(run_one, project, scratch, index, entry, database, env_for)
            for index, entry in enumerate(catalogue)
            if database in entry.databases
        ]
        return [future.result() for future in futures]


def table(outcomes):
    """The outcomes as a table: one line per entry, caught or MISSED, and by what."""
    width = max((len(outcome.regression.breaks) for outcome in outcomes), default=10)
    lines = [f"{'regression (what it breaks)':<{width}}  db        result  s     caught by"]
    for outcome in outcomes:
        verdict = "caught" if outcome.caught else "MISSED"
        lines.append(
            f"{outcome.regression.breaks:<{width}}  {outcome.database:<8}  {verdict:<6}  "
            f"{outcome.seconds:4.1f}  {outcome.by}"
        )
    return "\n".join(lines)
