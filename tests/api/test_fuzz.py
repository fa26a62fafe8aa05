"""Schemathesis fuzzes every operation of the project's own OpenAPI schema.

It reads /api/schema/ from a live Gunicorn, sends generated requests (valid and invalid) with a
valid bearer token, and runs all its checks: no 5xx, every status code, content type and body
as documented, invalid data refused, valid data accepted, authentication not ignored.

Real services: the folder's Gunicorn (2 workers) over HTTP, on SQLite and on PostgreSQL (a
throwaway cluster); Schemathesis in a process of its own.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tooling.accounts import login

pytestmark = pytest.mark.gunicorn

TESTS = Path(__file__).resolve().parents[1]
# Up to this many generated cases per operation and phase; the run takes about 40 s
# (the account routes hash passwords, on purpose slowly).
MAX_EXAMPLES = 25
# A fixed seed makes each run send the same cases; change it to explore others.
SEED = 4


def test_schemathesis_finds_no_server_error_and_no_schema_violation(service, username, tmp_path):
    report = tmp_path / "schemathesis.json"
    with requests.Session() as http:
        access = login(http, service.base, username)["access"]
        command = [
            sys.executable, "-m", "schemathesis.cli",
            "--config-file", str(TESTS / "schemathesis.toml"),
            "run", service.url("/api/schema/"),
            "--header", f"Authorization: Bearer {access}",
            "--checks", "all",
            "--max-examples", str(MAX_EXAMPLES),
            "--seed", str(SEED),
            "--generation-database", "none",
            "--request-timeout", "30",
            "--no-color",
            "--report", "json", "--report-json-path", str(report),
        ]  # fmt: skip
        hooks = {"SCHEMATHESIS_HOOKS": "helpers.fuzz_hooks", "PYTHONPATH": str(TESTS)}
        started = time.monotonic()
        result = subprocess.run(
            command,
            cwd=tmp_path,
            env={**os.environ, **hooks},
            capture_output=True,
            text=True,
            timeout=300,
        )
        duration = time.monotonic() - started

    summary = json.loads(report.read_text())
    operations, cases = summary["operations"], summary["test_cases"]
    phases = {name: phase["status"] for name, phase in summary["phases"].items()}
    print(
        f"\n[{service.database}] schemathesis {summary['schemathesis_version']}: "
        f"{operations['tested']}/{operations['total']} operations, "
        f"{cases['generated']} cases generated, {len(summary['failures'])} failures, "
        f"{len(summary['errors'])} errors, in {duration:.1f} s; phases {phases}"
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
    assert summary["failures"] == [] and summary["errors"] == []
    assert operations["tested"] == operations["total"] >= 10  # every operation of the schema
    assert cases["generated"] >= 10 * MAX_EXAMPLES
