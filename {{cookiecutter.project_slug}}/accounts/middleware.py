"""The page for a sign-in refused by the lockout on Django's own forms (admin, browsable API).

The API views answer LockedOut as JSON through DRF; Django's login views do not know it, so
it reaches this middleware, which answers with a page: 429, Retry-After, and how long in words.
"""

import math

from django.http import HttpResponse
from django.template.defaultfilters import pluralize

from .lockout import LockedOut


class LockedOutPageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, LockedOut):
            return None
        minutes = math.ceil(exception.wait / 60)
        page = LOCKED_OUT_PAGE.format(
            reason=exception.reason, wait=f"{minutes} minute{pluralize(minutes)}"
        )
        return HttpResponse(page, status=429, headers={"Retry-After": str(exception.wait)})


LOCKED_OUT_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Too many sign-in attempts</title></head>
<body style="font-family: sans-serif; max-width: 36em; margin: 4em auto; line-height: 1.5">
<h1>Too many sign-in attempts</h1>
<p>Too many wrong passwords were given {reason}, so signing in is paused, even with the
right password. Try again in {wait}.</p>
<p>If these attempts were not yours, someone may be guessing the password. An administrator
can lift the pause sooner: <code>python manage.py unlock --username USERNAME</code>.</p>
</body>
</html>
"""
