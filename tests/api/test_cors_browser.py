"""A frontend on another origin uses the API from a real browser, as far as CORS lets it.

A small page is served from two other origins (other ports on 127.0.0.1), one listed in
DJANGO_CORS_ALLOWED_ORIGINS and one not. Headless Chromium opens each and runs the page's
script: sign up, log in, create a resource and list them with the Authorization header, all with
fetch(). From the listed origin every step works; from the other, the browser itself refuses
each answer to the page (fetch rejects with a TypeError, Chromium reports a CORS error) and the
sign-up never reaches the server, because its preflight request was not answered with a yes.

Real services: Gunicorn (its own, with one origin listed), two static sites on 127.0.0.1, and
headless Chromium driven over the DevTools protocol, on SQLite and on PostgreSQL (a throwaway
cluster).
"""

import contextlib
import functools
import http.server
import threading
import time

import pytest
import requests

from helpers.browser import chromium
from tooling.accounts import count_users, delete_users, unique
from tooling.constants import PASSWORD, RESOURCES
from tooling.machine import free_port, require
from tooling.served import gunicorn, relaxed_env

pytestmark = [pytest.mark.gunicorn, pytest.mark.browser]

PAGE = """<!doctype html>
<title>A frontend on another origin</title>
<script>
async function call(method, url, body, token) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers["Authorization"] = `Bearer ${token}`;
  try {
    const init = {method, headers, body: body === undefined ? undefined : JSON.stringify(body)};
    const response = await fetch(url, init);
    return {status: response.status, body: await response.json()};
  } catch (error) {
    return {error: `${error.name}: ${error.message}`};
  }
}

async function frontend(api, username, password) {
  const steps = {};
  steps.signUp = await call("POST", `${api}/api/register/`, {username, password});
  steps.login = await call("POST", `${api}/api/token/`, {username, password});
  const access = steps.login.body ? steps.login.body.access : "none";
  steps.create = await call("POST", `${api}RESOURCES`, {name: "from the browser"}, access);
  steps.list = await call("GET", `${api}RESOURCES`, undefined, access);
  // No preflight for this one: the server answers, and the browser decides who may read it.
  steps.schema = await call("GET", `${api}/api/schema/?format=json`);
  return steps;
}
</script>
""".replace("RESOURCES", RESOURCES)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@contextlib.contextmanager
def static_site(folder):
    """Serve a folder over HTTP on a free port of 127.0.0.1; yields the site's origin."""
    port = free_port()
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def cors_errors(events, api):
    """The requests to the API that Chromium failed for CORS: {url: CORS error}."""
    urls = {
        event["params"]["requestId"]: event["params"]["request"]["url"]
        for event in events
        if event["method"] == "Network.requestWillBeSent"
    }
    return {
        urls.get(event["params"]["requestId"]): event["params"]["corsErrorStatus"]["corsError"]
        for event in events
        if event["method"] == "Network.loadingFailed"
        and "corsErrorStatus" in event["params"]
        and urls.get(event["params"]["requestId"], "").startswith(api)
    }


def test_a_listed_origin_may_use_the_api_and_others_are_blocked_by_the_browser(
    rendered_project, tmp_path
):
    require("chromium")
    database, project, env = rendered_project
    (tmp_path / "index.html").write_text(PAGE)
    names = {"listed": unique("cors-listed"), "unlisted": unique("cors-unlisted")}
    results = {}
    with (
        static_site(tmp_path) as listed,
        static_site(tmp_path) as unlisted,
    ):
        cors_env = relaxed_env(env, DJANGO_CORS_ALLOWED_ORIGINS=listed)
        try:
            with gunicorn(project, cors_env) as served, chromium() as page:
                api = served.base
                # The preflight answer for a listed origin: Authorization allowed, cached.
                preflight = requests.options(
                    f"{api}{RESOURCES}",
                    headers={
                        "Origin": listed,
                        "Access-Control-Request-Method": "POST",
                        "Access-Control-Request-Headers": "authorization,content-type",
                    },
                    timeout=30,
                )
                started = time.monotonic()
                for domain in ("Page", "Network"):
                    page.send(f"{domain}.enable")
                for which, origin in {"listed": listed, "unlisted": unlisted}.items():
                    mark = len(page.events)
                    page.open(f"{origin}/index.html")
                    results[which] = page.evaluate(
                        f"frontend({api!r}, {names[which]!r}, {PASSWORD!r})"
                    )
                    results[f"{which} CORS errors"] = cors_errors(page.events[mark:], api)
                    outcome = {
                        step: answer.get("status", answer.get("error"))
                        for step, answer in results[which].items()
                    }
                    print(f"\n[{database}] fetch() from the {which} origin {origin}: {outcome}")
                    print(f"[{database}] CORS errors: {results[f'{which} CORS errors']}")
                took = time.monotonic() - started
                print(f"[{database}] both origins in Chromium: {took:.1f} s")
            created = {which: count_users(project, env, name) for which, name in names.items()}
        finally:
            delete_users(project, env, *names.values())

    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == listed
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"]
    assert int(preflight.headers["Access-Control-Max-Age"]) >= 3600

    allowed = results["listed"]
    assert allowed["signUp"]["status"] == 201, allowed
    assert allowed["signUp"]["body"]["username"] == names["listed"]
    assert allowed["login"]["status"] == 200, allowed
    assert allowed["create"]["status"] == 201, allowed
    assert allowed["list"]["status"] == 200, allowed
    assert [item["name"] for item in allowed["list"]["body"]["results"]] == ["from the browser"]
    assert allowed["schema"]["status"] == 200, allowed
    assert results["listed CORS errors"] == {}
    assert created["listed"] == 1

    blocked = results["unlisted"]
    for step in ("signUp", "login", "create", "list", "schema"):
        assert blocked[step] == {"error": "TypeError: Failed to fetch"}, blocked
    # Chromium says why: the API's answers carry no Access-Control-Allow-Origin for it.
    errors = results["unlisted CORS errors"]
    # The requests with a JSON body or the Authorization header were stopped at the
    # preflight; the plain GET of the schema was answered, and its answer kept from the page.
    assert errors == {
        f"{api}/api/register/": "PreflightMissingAllowOriginHeader",
        f"{api}/api/token/": "PreflightMissingAllowOriginHeader",
        f"{api}{RESOURCES}": "PreflightMissingAllowOriginHeader",
        f"{api}/api/schema/?format=json": "MissingAllowOriginHeader",
    }
    # The sign-up's preflight was refused, so the POST itself was never sent.
    assert created["unlisted"] == 0
