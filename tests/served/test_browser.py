"""The browsable API, the admin and Swagger UI are styled in a real browser, under Gunicorn.

Headless Chromium (Debian's) opens each page with its cache off, so every static file is
fetched; the test reads styles the browser computed, watches every request the pages made,
and keeps a screenshot of each page in artifacts/browser/.
"""

import pytest

from helpers.browser import chromium
from tooling.accounts import create_superuser
from tooling.constants import TEMPLATE
from tooling.machine import require
from tooling.served import gunicorn

RESOURCE_LIST = "/api/v1/things/"  # rendered_project renders the default resource, `thing`
SCREENSHOTS = TEMPLATE / "artifacts" / "browser"
TRANSPARENT = "rgba(0, 0, 0, 0)"

pytestmark = [pytest.mark.gunicorn, pytest.mark.browser]


def computed(page, selector, prop):
    return page.evaluate(f"getComputedStyle(document.querySelector({selector!r})).{prop}")


def empty_stylesheets(page):
    """Stylesheets the page links to that did not arrive, or arrived with no rules in them."""
    return page.evaluate(
        "[...document.querySelectorAll('link[rel=stylesheet]')]"
        ".filter(link => !link.sheet || link.sheet.cssRules.length === 0)"
        ".map(link => link.href)"
    )


@pytest.mark.parametrize("rendered_project", ["sqlite"], indirect=True)
def test_pages_are_styled_in_chromium(rendered_project):
    require("chromium")
    _, project, env = rendered_project
    password = create_superuser(project, env, "browser-checker")
    with gunicorn(project, env) as served, chromium() as page:
        base = served.base
        for domain in ("Page", "Network", "Runtime"):
            page.send(f"{domain}.enable")
        page.send("Network.setCacheDisabled", cacheDisabled=True)
        page.open("about:blank")
        browser_default_font = computed(page, "body", "fontFamily")

        page.open(f"{base}/api-auth/login/?next={RESOURCE_LIST}")
        page.screenshot(SCREENSHOTS / "api-login.png")
        assert empty_stylesheets(page) == []
        body_font = computed(page, "body", "fontFamily")
        assert body_font != browser_default_font and "Helvetica Neue" in body_font  # Bootstrap 3

        # Sign in as a person does: type into the form and press the button.
        mark = len(page.events)
        page.evaluate(
            "document.querySelector('#id_username').value = 'browser-checker';"
            f"document.querySelector('#id_password').value = {password!r};"
            "document.querySelector('[type=submit]').click()"
        )
        page.wait_for("Page.loadEventFired", after=mark)
        assert page.evaluate("location.pathname") == RESOURCE_LIST
        page.screenshot(SCREENSHOTS / "resource-list.png")
        assert empty_stylesheets(page) == []
        assert computed(page, ".navbar", "backgroundColor") != TRANSPARENT
        assert computed(page, "body", "fontFamily") == body_font
        assert page.evaluate("typeof jQuery === 'function' && typeof jQuery.fn.modal") == (
            "function"  # Bootstrap's JavaScript ran on top of jQuery
        )

        # Signed in as a superuser, /admin/login/ goes on to the admin index (more of its CSS).
        page.open(f"{base}/admin/login/")
        page.screenshot(SCREENSHOTS / "admin.png")
        assert empty_stylesheets(page) == []
        assert computed(page, "#header", "backgroundColor") != TRANSPARENT
        assert computed(page, "body", "fontFamily") != browser_default_font

        # Swagger UI's scripts (drf-spectacular-sidecar) ran, fetched the schema and drew it.
        page.open(f"{base}/api/docs/")
        page.wait_until("document.querySelectorAll('.swagger-ui .opblock').length > 0")
        page.screenshot(SCREENSHOTS / "api-docs.png")
        assert empty_stylesheets(page) == []

    requested = {
        event["params"]["requestId"]: event["params"]["request"]["url"]
        for event in page.events
        if event["method"] == "Network.requestWillBeSent"
    }
    elsewhere = [url for url in requested.values() if not url.startswith((base, "data:"))]
    assert elsewhere == [], "requests that left the server (a CDN?)"
    static = {
        event["params"]["response"]["url"]: event["params"]["response"]["status"]
        for event in page.events
        if event["method"] == "Network.responseReceived"
        and event["params"]["response"]["url"].startswith(f"{base}/static/")
    }
    assert len(static) >= 10 and any(url.endswith(".css") for url in static)
    assert {url: status for url, status in static.items() if status != 200} == {}
    failed = [
        (requested.get(event["params"]["requestId"]), event["params"]["errorText"])
        for event in page.events
        if event["method"] == "Network.loadingFailed"
    ]
    assert failed == []
    errors = [
        event["params"] for event in page.events if event["method"] == "Runtime.exceptionThrown"
    ]
    assert errors == []
