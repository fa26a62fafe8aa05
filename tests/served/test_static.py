"""Static files under Gunicorn with DEBUG off, as Whitenoise serves them.

Every stylesheet, script and image that the browsable API, the admin and Swagger UI reference
(and every file those stylesheets reference in turn) answers 200 under a hashed name, may be
cached for a year or more, and comes gzip- or brotli-compressed to a client that asks for it.
"""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from tooling.accounts import create_superuser, session_login
from tooling.served import gunicorn

RESOURCE_LIST = "/api/v1/things/"  # rendered_project renders the default resource, `thing`
STATIC = "/static/"
ONE_YEAR = 365 * 24 * 60 * 60
# ManifestStaticFilesStorage puts 12 hex digits of the content's MD5 before the extension.
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}\.\w+$")
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)""")
# The media type each kind of file the pages reach must come with. A file of a kind not listed
# is reported, not passed over: add its type here once it is known to be right.
CONTENT_TYPES = {
    ".css": "text/css",
    ".js": "text/javascript",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".gif": "image/gif",
    ".ico": "image/x-icon",
    ".eot": "application/vnd.ms-fontobject",
    ".woff": "application/font-woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
}

pytestmark = pytest.mark.gunicorn


class PageAssets(HTMLParser):
    """The files a page loads: stylesheets, icons, scripts and images."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])
        elif tag in ("script", "img") and attrs.get("src"):
            self.urls.append(attrs["src"])


def page_assets(html):
    parser = PageAssets()
    parser.feed(html)
    return parser.urls


@pytest.fixture(scope="module")
def site(rendered_project):
    """(base URL, username, password): the project under Gunicorn, with a superuser."""
    _, project, env = rendered_project
    password = create_superuser(project, env, "static-checker")
    with gunicorn(project, env) as served:
        base = served.base
        yield base, "static-checker", password


def get(url, encoding):
    return requests.get(url, headers={"Accept-Encoding": encoding}, timeout=10)


def problems_with(base, path, checked):
    """What is wrong with one static file, then with each file it references (CSS url())."""
    if path in checked:
        return []
    checked.add(path)
    url = base + path
    plain = get(url, "identity")
    if plain.status_code != 200:
        return [f"{path}: {plain.status_code}"]
    problems = []
    name = urlsplit(path).path
    if not HASHED_NAME.search(name):
        problems.append(f"{path}: no content hash in the file name")
    cache_control = plain.headers.get("Cache-Control", "")
    max_age = re.search(r"max-age=(\d+)", cache_control)
    if not (max_age and int(max_age.group(1)) >= ONE_YEAR and "immutable" in cache_control):
        problems.append(f"{path}: Cache-Control {cache_control!r}, not a year or more, immutable")
    extension = re.search(r"\.\w+$", name).group()
    media_type = plain.headers.get("Content-Type", "").split(";")[0].strip()
    if extension not in CONTENT_TYPES:
        problems.append(f"{path}: no expected type for {extension} files (served {media_type!r})")
    elif media_type != CONTENT_TYPES[extension]:
        problems.append(f"{path}: Content-Type {media_type!r}, not {CONTENT_TYPES[extension]!r}")
    if "Content-Encoding" in plain.headers:
        problems.append(f"{path}: compressed for a client that asked for identity")
    if extension in (".css", ".js"):
        problems += compression_problems(
            path, plain, {enc: get(url, enc) for enc in ("br", "gzip")}
        )
    if extension == ".css":
        for reference in CSS_URL.findall(plain.text):
            if not reference.startswith(("data:", "#")):
                problems += problems_with(base, urljoin(path, reference), checked)
    return problems


def compression_problems(path, plain, answers):
    problems = []
    served = [
        enc for enc, answer in answers.items() if answer.headers.get("Content-Encoding") == enc
    ]
    if not served:
        problems.append(f"{path}: neither brotli nor gzip served when asked for")
    for enc, answer in answers.items():
        if "accept-encoding" not in answer.headers.get("Vary", "").lower():
            problems.append(f"{path}: no Vary: Accept-Encoding on the {enc} answer")
    # requests decodes gzip itself; brotli it leaves as it came (no brotli module here).
    if "gzip" in served and answers["gzip"].content != plain.content:
        problems.append(f"{path}: the gzip variant decodes to other content")
    if "br" in served and len(answers["br"].content) >= len(plain.content):
        problems.append(f"{path}: the brotli variant is no smaller")
    return problems


def check_assets(base, html, checked=None):
    """Assert that the page's assets are all local, hashed, cached for ever and compressed."""
    urls = page_assets(html)
    foreign = [url for url in urls if urlsplit(url).netloc]
    assert not foreign, f"files from another host (a CDN?): {foreign}"
    static = [url for url in urls if url.startswith(STATIC)]
    assert any(url.endswith(".css") for url in static), f"no stylesheet in {urls}"
    checked = set() if checked is None else checked
    problems = [problem for url in static for problem in problems_with(base, url, checked)]
    assert not problems, "\n".join(problems)
    return static


def test_browsable_api_is_styled(site):
    base, username, password = site
    login_page = requests.get(f"{base}/api-auth/login/", timeout=10)
    assert login_page.status_code == 200
    checked = set()
    check_assets(base, login_page.text, checked)

    session = session_login(base, username, password)
    page = session.get(base + RESOURCE_LIST, headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200, page.text[-2000:]
    assert "text/html" in page.headers["Content-Type"]
    assets = check_assets(base, page.text, checked)
    names = " ".join(assets)
    assert "bootstrap.min." in names and "jquery-" in names
    assert any(url.endswith(".js") for url in assets)
    # Bootstrap's glyphicon fonts and DRF's background image, reached through the stylesheets.
    assert any("/fonts/" in path for path in checked) and any("/img/" in path for path in checked)
    reached = {re.search(r"\.\w+$", urlsplit(path).path).group() for path in checked}
    print(f"\n[static] {len(checked)} files checked, of the kinds {sorted(reached)}")
    # Whitenoise's brotli support (whitenoise[brotli]) is installed and in use.
    assert get(base + assets[0], "br").headers.get("Content-Encoding") == "br"


def test_admin_login_is_styled(site):
    base, _, _ = site
    page = requests.get(f"{base}/admin/login/", timeout=10)
    assert page.status_code == 200
    assets = check_assets(base, page.text)
    assert any(url.endswith(".js") for url in assets)
    assert any("/admin/css/base." in url for url in assets)


def test_swagger_ui_loads_from_static_not_a_cdn(site):
    base, _, _ = site
    page = requests.get(f"{base}/api/docs/", timeout=10)
    assert page.status_code == 200
    assets = check_assets(base, page.text)
    names = " ".join(assets)
    assert "/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle." in names
    assert "/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui." in names
