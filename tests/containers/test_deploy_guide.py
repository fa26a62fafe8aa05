"""docs/deploy.md's VM path, followed as written on Compose v2, on each database.

Its blocks are run in the project folder as a person pastes them: the settings, the
certificate, the start, then an update, a scale-out, a backup, a restore and a certificate
renewal. After every step HTTPS answers on 443 with the certificate of the moment, plain HTTP
redirects to it, the proxy is healthy, as many web containers run as .env asks for, and the
rows written at the start are there. A guide whose update dropped the HTTPS file or the
replicas, or whose renewal left the proxy stopped, fails here. A command that leaves the HTTPS
file out fails too: the proxy's health check sees port 443 missing, and `up --wait` says so.

What a test machine cannot do as written is replaced, and only that (SUBSTITUTES): certbot
(by `openssl req -x509` into the same folders), `git pull` (by a change to the code), the
machine's own paths, and ports 80 and 443 (free ports on 127.0.0.1, set in the environment,
which Compose prefers to .env). STEPS lists the steps in the guide's order: a new step of the
guide is one more entry there.

Real services: Docker and Compose v2 (a stack of its own, built by the guide's own commands on
the stand-in images; removed with its volumes and image afterwards).
"""

import datetime
import re
import secrets
import ssl
import subprocess
import time

import pytest
import requests

from tooling.constants import DATABASES, HEALTH, PASSWORD, RESOURCES, SECRET_NAMES
from tooling.docker import Compose, health, inspect_container
from tooling.guide import crontab_command, named_blocks
from tooling.machine import free_port, run
from tooling.project import read_dotenv, render, write_dotenv
from tooling.readme import section
from tooling.stack import Client, create_user

pytestmark = [pytest.mark.containers, pytest.mark.timeout(1800)]

DOMAIN = "api.example.com"
USERNAME = "operator"
ROWS = ["kept through every step", "and this one"]
AFTER_BACKUP = "written after the backup"
# The guide's blocks in its order, after its settings (write_settings). SQLite runs one web
# container: its guide has no scale-out.
STEPS = {
    "postgres": [
        "Certificate",
        "Start",
        "Update",
        "Scale",
        "Backups folder",
        "Backup",
        "Restore",
        "Renew",
    ],
    "sqlite": ["Certificate", "Start", "Update", "Backups folder", "Backup", "Restore", "Renew"],
}


def certificate_command(folder):
    """What certbot would leave in its `live` folder for the domain: a fresh certificate for
    localhost and 127.0.0.1 (the test's client asks for those), and its key."""
    live = f"{folder}/live/{DOMAIN}"
    return (
        f"mkdir -p {live} && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost"
        " -addext subjectAltName=DNS:localhost,IP:127.0.0.1"
        f" -keyout {live}/privkey.pem -out {live}/fullchain.pem 2>/dev/null"
    )


class Guide:
    """The guide's blocks for one project folder, run with bash in it."""

    def __init__(self, project, name, tmp_path):
        self.project, self.name = project, name
        guide = (project / "docs/deploy.md").read_text()
        # Its own steps: the `###` ways after them (a hosted database) are not.
        self.text = section(guide, "A VM with Docker Compose and HTTPS", subsections=False)
        self.blocks, self.crontab = named_blocks(self.text), crontab_command(self.text)
        self.http_port, self.https_port = free_port(), free_port()
        letsencrypt, self.backups = tmp_path / "letsencrypt", tmp_path / "backups"
        self.backups.mkdir()
        today = datetime.date.today().isoformat()
        self.substitutes = {
            "certbot certonly --standalone -d api.example.com": certificate_command(letsencrypt),
            "certbot renew": certificate_command(letsencrypt),
            "/etc/letsencrypt": str(letsencrypt),
            "/var/backups": str(self.backups),
            "/srv/drf-auth": str(project),
            # The restore names a backup of its own example date: today's, made by the step before.
            "2026-01-31": today,
            # A new version of the code: a change the image is built from.
            "git pull": "echo '# a new version' >> config/urls.py",
        }
        # The stand-in images and free ports instead of 80 and 443; nothing that .env sets.
        self.compose = Compose(
            project,
            name,
            PROXY_HTTP_PORT=f"127.0.0.1:{self.http_port}",
            PROXY_HTTPS_PORT=f"127.0.0.1:{self.https_port}",
            WEB_PORT=free_port(),
        )
        self.https = f"https://localhost:{self.https_port}"

    def script(self, name):
        """The block as pasted here: the backup is the crontab line's command."""
        text = self.crontab if name == "Backup" else self.blocks[name]
        for written, here in self.substitutes.items():
            text = text.replace(written, here)
        return text

    def run(self, name, check=True):
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", self.script(name)],
            cwd=self.project,
            env=self.compose.env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if check:
            printed = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            assert result.returncode == 0, f"{name} failed:\n{printed}"
        return result

    @property
    def certificate(self):
        return self.project / "proxy/certs/fullchain.pem"

    def client(self):
        return Client(self.https, verify=str(self.certificate))


def write_settings(guide):
    """Step 1: .env from the guide's command, its secrets filled in, its settings block set."""
    env_file = guide.project / ".env"
    env_file.unlink()  # a clone has none: git ignores it
    guide.run("Settings")
    assert env_file.stat().st_mode & 0o777 == 0o600, oct(env_file.stat().st_mode)
    lines = env_file.read_text().splitlines()
    settings = dict(line.split("=", 1) for line in guide.blocks[".env"].splitlines() if line)
    for secret in SECRET_NAMES:
        if f"{secret}=" in lines:  # left empty, for the person to fill in
            assert f"`{secret}`" in guide.text, f"the guide does not say to fill in {secret}"
            settings[secret] = secrets.token_urlsafe(50)
    write_dotenv(guide.project, **settings)


def served_certificate(guide):
    return ssl.get_server_certificate(("127.0.0.1", guide.https_port))


def check(guide, step, names):
    """What must hold after every step; the replica count is the one .env asks for."""
    env_file = guide.project / ".env"
    assert env_file.stat().st_mode & 0o777 == 0o600, f"after {step}: .env is readable by others"
    replicas = int(read_dotenv(guide.project).get("WEB_REPLICAS", 1))
    web = guide.compose.containers("web")
    assert len(web) == replicas, f"after {step}: {len(web)} web containers, .env says {replicas}"
    for container in web:
        assert health(container) == "healthy", f"after {step}: {container} is {health(container)}"
    proxy = guide.compose.container("proxy")
    assert health(proxy) == "healthy", f"after {step}: the proxy is {health(proxy)}"

    api = guide.client()
    answer = api("GET", HEALTH, 200)
    assert re.match(r"max-age=[1-9]", answer.headers.get("Strict-Transport-Security", ""))
    assert served_certificate(guide).strip() == guide.certificate.read_text().strip(), step
    plain = f"http://127.0.0.1:{guide.http_port}{RESOURCES}"
    redirect = requests.get(plain, timeout=10, allow_redirects=False)
    assert redirect.status_code == 301 and redirect.headers["Location"].startswith("https://")
    access = api.login(USERNAME)["access"]
    assert sorted(api.names(access)) == sorted(names), f"after {step}"


def admin_login_over_https(guide):
    """The admin's login form, posted over HTTPS with the browser's Origin, is accepted with
    DJANGO_CSRF_TRUSTED_ORIGINS empty: Django compares it with the proxy's Host and scheme."""
    assert read_dotenv(guide.project).get("DJANGO_CSRF_TRUSTED_ORIGINS", "") == ""
    # verify on each request: a session's own loses to REQUESTS_CA_BUNDLE in the environment.
    browser, ca = requests.Session(), str(guide.certificate)
    page = browser.get(f"{guide.https}/admin/login/", verify=ca, timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = browser.post(
        f"{guide.https}/admin/login/?next=/admin/",
        data={"csrfmiddlewaretoken": token, "username": USERNAME, "password": PASSWORD},
        headers={"Origin": guide.https, "Referer": f"{guide.https}/admin/login/"},
        allow_redirects=False,
        verify=ca,
        timeout=10,
    )
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin/", answer.text[:500]


@pytest.mark.parametrize("database", DATABASES)
def test_vm_guide_as_written_keeps_https_and_the_replicas(database, build, tmp_path):
    """The session's image is built first, with host networking: the guide's own build then
    finds the installed requirements in Docker's layer cache."""
    build(database)
    project = render(tmp_path / "project", database=database, python_version="3.11")
    guide = Guide(project, f"drfauthguide{int(time.time()) % 100000}", tmp_path)
    steps = STEPS[database]
    assert [name for name in steps if name not in guide.blocks and name != "Backup"] == []
    timings, images = {}, set()
    try:
        started = time.monotonic()
        write_settings(guide)
        timings["settings"] = time.monotonic() - started
        names = []
        for step in steps:
            web = guide.compose.containers("web") if names else []
            before = {inspect_container(container)["Image"] for container in web}
            served_before = served_certificate(guide) if names else None
            started = time.monotonic()
            guide.run(step)
            timings[step] = time.monotonic() - started
            if step in ("Certificate", "Backups folder"):
                continue
            now = {inspect_container(c)["Image"] for c in guide.compose.containers("web")}
            images |= now
            if step == "Start":
                create_user(guide.compose, USERNAME)
                admin_login_over_https(guide)
                api = guide.client()
                access = api.login(USERNAME)["access"]
                for name in ROWS:
                    api.create(access, name)
                names = list(ROWS)
            elif step == "Update":
                assert now.isdisjoint(before), "the update left the old image running"
            elif step == "Backup":
                (folder,) = guide.backups.iterdir()  # the guide's, readable by its owner alone
                assert folder.stat().st_mode & 0o777 == 0o700
                assert [path.stat().st_size > 0 for path in folder.iterdir()] == [True]
                api = guide.client()
                api.create(api.login(USERNAME)["access"], AFTER_BACKUP)
                names = [*ROWS, AFTER_BACKUP]
            elif step == "Restore":
                names = list(ROWS)
            elif step == "Renew":
                assert served_certificate(guide) != served_before, "the old certificate is served"
            check(guide, step, names)

        # A command that names other files drops port 443: the proxy's health check fails.
        dropped = guide.compose("-f", "docker-compose.yml", "up", "-d", "--wait", check=False)
        assert dropped.returncode != 0, dropped.stdout + dropped.stderr
        assert health(guide.compose.container("proxy")) == "unhealthy"
        guide.run("Start")
        check(guide, "starting again as the guide says", names)
    finally:
        guide.compose.remove()
        run(["docker", "image", "rm", "-f", f"{guide.name}-web", *images], check=False)
    print(f"\n[deploy-guide/{database}] " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
