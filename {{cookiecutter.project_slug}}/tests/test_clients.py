"""Clients are told apart by the address the proxy in front names (config/clients.py)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.test import APIRequestFactory

from config.clients import client_address


def address_of(REMOTE_ADDR="10.0.0.2", **headers):
    return client_address(APIRequestFactory().get("/", REMOTE_ADDR=REMOTE_ADDR, **headers))


def test_without_proxies_the_connection_is_the_client(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}
    assert address_of(HTTP_X_FORWARDED_FOR="203.0.113.7") == "10.0.0.2"


def test_one_proxy_names_the_client_last_in_x_forwarded_for(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    # A client may write its own X-Forwarded-For; the proxy appends the real address after it.
    assert address_of(HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.7") == "203.0.113.7"
    assert address_of(HTTP_X_FORWARDED_FOR="not an address") == "10.0.0.2"


@pytest.mark.parametrize(
    "header, meta",
    [
        ("Fly-Client-IP", "HTTP_FLY_CLIENT_IP"),
        ("True-Client-IP", "HTTP_TRUE_CLIENT_IP"),
        ("X-Real-IP", "HTTP_X_REAL_IP"),
    ],
)
def test_a_platform_header_names_the_client(settings, header, meta):
    settings.CLIENT_IP_HEADER = header
    # Fly puts the app's own address last in X-Forwarded-For: it must not count.
    forwarded = {"HTTP_X_FORWARDED_FOR": "203.0.113.7, 66.241.124.1"}
    assert address_of(**{meta: "203.0.113.7"}, **forwarded) == "203.0.113.7"
    assert address_of(**{meta: "198.51.100.4"}, **forwarded) == "198.51.100.4"


def test_an_ipv6_client_is_its_64(settings):
    settings.CLIENT_IP_HEADER = "Fly-Client-IP"
    assert address_of(HTTP_FLY_CLIENT_IP="2001:db8:1:2:a:b:c:d") == "2001:db8:1:2::/64"
    assert address_of(HTTP_FLY_CLIENT_IP="::ffff:203.0.113.7") == "203.0.113.7"


def test_a_header_and_a_proxy_count_together_stop_the_start():
    """Two answers to one question: the settings refuse to guess which one is right."""
    env = {**os.environ, "DJANGO_CLIENT_IP_HEADER": "Fly-Client-IP", "DJANGO_NUM_PROXIES": "1"}
    started = subprocess.run(  # noqa: S603 (this interpreter, our own code)
        [sys.executable, "manage.py", "check"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
    )
    assert started.returncode != 0
    assert "Set DJANGO_CLIENT_IP_HEADER or DJANGO_NUM_PROXIES, not both" in started.stderr
