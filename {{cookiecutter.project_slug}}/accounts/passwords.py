"""Password checks that count towards the guessing limit, for the API as for the HTML forms.

django-axes (settings: AXES_*) watches every call of Django's authenticate() that carries the
request: it counts the failures per client address and per username, and once either count
reaches DJANGO_LOGIN_FAILURE_LIMIT it refuses the next attempts, right password or not. The
session and admin logins call authenticate() through Django's login form, and axes' middleware
answers them with the page of locked_out_page(). DRF views wrap their request in one of
their own, which that middleware never sees, so an API view that checks a password does it
here and gets DRF's JSON 429 instead:

    if not passwords.check(request, user, password): ...   # wrong password (counted)
    with passwords.refused_when_locked_out(request): ...    # around any authenticate(request)
"""

import contextlib
import ipaddress

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpResponse
from django.template.defaultfilters import pluralize
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle


class TooManyPasswordAttempts(Throttled):
    default_detail = "Too many failed password attempts; try again later."
    default_code = "too_many_password_attempts"


def client_address(request):
    """The client's address as DRF's throttles see it (DJANGO_NUM_PROXIES), for axes.

    Axes stores it in an IP address column: anything else in X-Forwarded-For counts as the
    address of the connection instead of failing the request.
    """
    for address in (BaseThrottle().get_ident(request), request.META.get("REMOTE_ADDR")):
        with contextlib.suppress(ValueError):
            return str(ipaddress.ip_address(address))
    return None  # e.g. Gunicorn on a Unix socket: such clients share one count


@contextlib.contextmanager
def refused_when_locked_out(request):
    """Raises 429 (Throttled) if an authenticate() in the block met a client axes locks out."""
    try:
        yield
    finally:
        if getattr(request, "axes_locked_out", False):
            raise TooManyPasswordAttempts(wait=settings.AXES_COOLOFF_TIME.total_seconds())


def check(request, user, password):
    """Whether `password` is the user's, as one more attempt counted against the limit.

    Raises Throttled (429) once the client address or the username is locked out.
    """
    with refused_when_locked_out(request):
        return authenticate(request, username=user.get_username(), password=password) == user


def locked_out_page(request, response, credentials):
    """Axes' answer to a refused session or admin login (settings.AXES_LOCKOUT_CALLABLE)."""
    cool_off = settings.AXES_COOLOFF_TIME.total_seconds()
    minutes = max(1, round(cool_off / 60))
    page = LOCKED_OUT_PAGE.format(minutes=f"{minutes} minute{pluralize(minutes)}")
    return HttpResponse(page, status=429, headers={"Retry-After": str(int(cool_off))})


LOCKED_OUT_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Too many sign-in attempts</title></head>
<body style="font-family: sans-serif; max-width: 36em; margin: 4em auto; line-height: 1.5">
<h1>Too many sign-in attempts</h1>
<p>Too many wrong passwords were given for this account or from this address, so signing in
is paused, even with the right password. Try again in {minutes}.</p>
<p>If these attempts were not yours, someone may be guessing the password. An administrator
can lift the pause sooner: <code>python manage.py axes_reset_username USERNAME</code>.</p>
</body>
</html>
"""
