"""Each platform config tells two clients apart, given that platform's documented headers.

fly.toml, render.yaml and the Railway variables of docs/deploy.md each say where the client's
address is. Served with exactly those settings, a Gunicorn gets requests shaped as each
platform's proxy shapes them (docs/deploy.md says what each documents): one client guesses
an account's password until it is locked out, and the owner, at another address behind the
same proxy, still signs in. With every client taken for the proxy (a DJANGO_NUM_PROXIES=1
on Fly, whose X-Forwarded-For ends with the app's own address), the owner would be refused.

Real services: Gunicorn with 3 workers per platform, over HTTP, on SQLite (the address is
read before the database is asked anything; test_login_lockout.py covers both databases).
"""

import re
import tomllib

import pytest
import requests
import yaml

from tooling.accounts import temporary_users
from tooling.constants import PASSWORD, TOKEN
from tooling.processes import wait_for_workers
from tooling.served import gunicorn

pytestmark = pytest.mark.gunicorn

LIMIT = 3
GUESSER, OWNER = "198.51.100.7", "203.0.113.8"
FLY_APP_ADDRESS = "66.241.125.1"  # the app's shared address, last in Fly's X-Forwarded-For
CLOUDFLARE, RENDER_PROXY = "172.70.247.28", "10.19.6.53"


def fly_settings(project):
    return tomllib.loads((project / "fly.toml").read_text())["env"]


def render_settings(project):
    [service] = yaml.safe_load((project / "render.yaml").read_text())["services"]
    return {v["key"]: v["value"] for v in service["envVars"] if "value" in v}


def railway_settings(project):
    """The variables the guide's Railway section names with a value, as NAME=value."""
    guide = (project / "docs/deploy.md").read_text()
    section = guide[guide.index("## Railway") :]
    section = section[: section.index("\n## ", 1)]
    return dict(re.findall(r"`(DJANGO_[A-Z_]+)=([^`]+)`", section))


# Each platform: its settings, and the headers its proxy sends for a client at `address`.
PLATFORMS = {
    "fly": (
        fly_settings,
        lambda address: {
            "Fly-Client-IP": address,
            "X-Forwarded-For": f"{address}, {FLY_APP_ADDRESS}",
        },
    ),
    "render": (
        render_settings,
        lambda address: {
            "True-Client-IP": address,
            "CF-Connecting-IP": address,
            "X-Forwarded-For": f"{address}, {CLOUDFLARE}, {RENDER_PROXY}",
        },
    ),
    "railway": (railway_settings, lambda address: {"X-Real-IP": address}),
}


@pytest.mark.parametrize("rendered_project", ["sqlite"], indirect=True)
@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_the_platform_config_tells_two_clients_apart(rendered_project, platform):
    _, project, env = rendered_project
    settings, headers_for = PLATFORMS[platform]
    platform_env = {
        name: value
        for name, value in settings(project).items()
        if name in ("DJANGO_NUM_PROXIES", "DJANGO_CLIENT_IP_HEADER")
    }
    assert platform_env, f"{platform}: no setting says where the client's address is"
    env = {
        **env,
        **platform_env,
        "DJANGO_LOGIN_FAILURE_LIMIT": str(LIMIT),
        "DJANGO_TOKEN_THROTTLE_RATE": "100000/minute",
        "CACHE_URL": "locmemcache://",
    }
    with (
        temporary_users(project, env, "owner") as (owner,),
        gunicorn(project, env, "--workers", "3") as served,
    ):
        wait_for_workers(served.process.pid, 3)

        def sign_in(password, address):
            body = {"username": owner, "password": password}
            answer = requests.post(
                served.url(TOKEN), json=body, headers=headers_for(address), timeout=60
            )
            return answer.status_code

        guesses = [sign_in("wrong-guess", GUESSER) for _ in range(LIMIT + 1)]
        owner_elsewhere = sign_in(PASSWORD, OWNER)
        guesser_right = sign_in(PASSWORD, GUESSER)
        served.manage("unlock", "--username", owner)
    print(f"\n[{platform}] {platform_env}: guesser {guesses}, owner elsewhere {owner_elsewhere}")
    assert guesses == [401] * LIMIT + [429]
    assert owner_elsewhere == 200
    assert guesser_right == 429
