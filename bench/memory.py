"""Resident memory per Gunicorn worker as the requests add up: does a worker stay small, and
does it stop growing once its caches are warm?"""

import time

from tooling.constants import RESOURCES
from tooling.processes import child_pids, proportional_mb, resident_mb
from tooling.project import cached_venv
from tooling.served import serve

from .wrk import lua_script, wrk


def memory_per_worker(bench, rendered, requests=50_000):
    """{requests served: [(RSS, PSS) in MB of each worker]} for a fresh Gunicorn of the rendered
    project, loaded with the list. Worker recycling (max_requests) is turned off for this
    server alone: a leak must show here, not be hidden by a worker replaced half-way."""
    command = [*bench.gunicorn, "--max-requests", "0"]
    # Installed as in production, from the variant's requirements.txt alone: the venv the other
    # figures share also holds the test tools, and DRF imports some when it finds them (for
    # instance requests and pygments), which a deployed worker does not carry.
    requirements = rendered.folder / "requirements.txt"
    env = rendered.environment(
        cached_venv([requirements], requirements, "--require-hashes"), rendered.database_url
    )
    sizes, served_requests = {}, 0
    with serve(rendered.folder, env, command) as served:
        time.sleep(2)  # every worker has booted
        master = served.process.pid
        sizes[0] = workers_mb(master)
        url, token = served.url(RESOURCES), rendered.token()
        for checkpoint in (requests // 5, requests):
            # wrk stops after a time, not a count: short runs until the count is reached.
            while served_requests < checkpoint:
                script = lua_script(token)
                load = wrk(bench.anywhere, url, script, bench.args.connections, 5)
                served_requests += load["requests"]
            sizes[served_requests] = workers_mb(master)
    return sizes


def workers_mb(master):
    return [(resident_mb(pid), proportional_mb(pid)) for pid in child_pids(master)]
