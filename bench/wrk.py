"""wrk: one kind of request against one server, loaded once per round, and its output parsed.

A figure counts only if every response succeeded: any non-2xx answer or socket error that wrk
reports fails the run.
"""

import json
import re
import statistics
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tooling.errors import CommandFailed
from tooling.machine import run
from tooling.processes import cpu_seconds

from .support import BenchError


def lua_script(token=None, body=None):
    """A wrk script that sets the bearer header and, for a POST, the JSON body."""
    lines = []
    if token:
        lines.append(f'wrk.headers["Authorization"] = "Bearer {token}"')
    if body is not None:
        lines += [
            'wrk.method = "POST"',
            'wrk.headers["Content-Type"] = "application/json"',
            f"wrk.body = [[{json.dumps(body)}]]",
        ]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lines) + "\n")
    return Path(script.name)


def wrk(cores, url, script, connections, seconds):
    """Run wrk on one thread; its output, after checking that every response succeeded."""
    command = [
        "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
        "--timeout", "10s", "-s", str(script), url,
    ]  # fmt: skip
    try:
        output = run(cores.on_web(command), timeout=seconds + 60).stdout
    finally:
        script.unlink()
    problems = re.findall(r"Non-2xx or 3xx responses: \d+|Socket errors: .*", output)
    if problems:
        raise BenchError(f"{url}: {'; '.join(problems)}\n{output}")
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    if requests == 0:
        raise BenchError(f"{url}: no request completed\n{output}")
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    return {
        "requests": requests,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": milliseconds(latency["50"]),
        "p99": milliseconds(latency["99"]),
    }


def milliseconds(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


@dataclass
class Figure:
    """One kind of request against one server (a tooling.served.ServedProject). `token()` gives
    a fresh access token for each load (None: no token); `body` makes it a POST; `postgres`, the
    cluster the server uses, counts in its CPU time."""

    name: str
    served: object
    path: str
    seconds: int
    connections: int
    cores: object
    token: object = None
    body: dict = None
    postgres: object = None
    runs: list = field(default_factory=list)

    def load(self, seconds=None):
        script = lua_script(self.token() if self.token else None, self.body)
        cpu_before = self.cpu_seconds()
        try:
            url = self.served.url(self.path)
            result = wrk(self.cores, url, script, self.connections, seconds or self.seconds)
        except (BenchError, CommandFailed) as error:
            raise BenchError(
                f"{self.name}: {error}\n--- server log\n{self.served.log[-3000:]}"
            ) from None
        result["cpu"] = 1000 * (self.cpu_seconds() - cpu_before) / result["requests"]
        return result

    def cpu_seconds(self):
        """CPU spent serving: the server's processes, and PostgreSQL's when it has one."""
        database = cpu_seconds(self.postgres.pid()) if self.postgres else 0
        return cpu_seconds(self.served.process.pid) + database

    def measure(self):
        result = self.load()
        self.runs.append(result)
        print(f"    {self.name}: {result['rps']:.1f} req/s, p50 {result['p50']:.2f} ms", flush=True)

    def warm_up(self):
        self.load(seconds=1)

    def median(self, key="rps"):
        return statistics.median(result[key] for result in self.runs)

    def row(self):
        rounds = " ".join(f"{result['rps']:.0f}" for result in self.runs)
        return (
            f"  {self.name:<40} {self.median('rps'):9.1f} {self.median('p50'):9.2f} "
            f"{self.median('p99'):9.2f} {self.median('cpu'):9.2f}   {rounds}"
        )
