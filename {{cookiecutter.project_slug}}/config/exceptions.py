"""Errors answered as JSON `{"detail": ..., "code": ...}`, like every other error of the API.

DRF's handler gives {"detail"} alone; the handler below adds the code that DRF keeps on each
exception, so clients can tell "token_not_valid" from "not_authenticated" without parsing
text. Invalid input keeps DRF's shape instead: each field with its messages.

Django raises RequestDataTooBig for a body over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB by default)
and TooManyFieldsSent / TooManyFilesSent for a form with too many parts. DRF's own handler
knows none of them, so they would end as Django's HTML "Bad Request (400)" page. Errors that
never reach a DRF view (a URL that matches no route, an unknown Host header, a failed CSRF
check, a crash) would get Django's HTML pages too, unless the views below answer them
(config/urls.py and CSRF_FAILURE_VIEW in settings name them).

A database that is down or restarting is not a bug of the request: it gets 503 and a
Retry-After, which clients and the proxy take as "try again", instead of a 500.
"""

import sys

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status, views


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


def exception_handler(exc, context):
    """DRF's exception handler (settings.REST_FRAMEWORK), which also knows the errors above."""
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        exc = exceptions.ParseError(str(exc))
    elif isinstance(exc, Http404):  # as DRF's handler would, but here to keep the code
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = views.exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        codes = exc.get_codes()
        code = codes.get("code") if isinstance(codes, dict) else codes
        response.data.setdefault("code", code if isinstance(code, str) else "error")
    return response


def json_error(detail, code, status_code, **headers):
    return JsonResponse({"detail": detail, "code": code}, status=status_code, headers=headers)


def bad_request(request, exception):
    """Django's 400 handler: e.g. a Host header that is not in DJANGO_ALLOWED_HOSTS."""
    return json_error("Bad request.", "bad_request", status.HTTP_400_BAD_REQUEST)


def permission_denied(request, exception):
    """Django's 403 handler, for a refusal outside the API views."""
    return json_error("Permission denied.", "permission_denied", status.HTTP_403_FORBIDDEN)


def not_found(request, exception):
    """Django's 404 handler, for URLs that match no route."""
    return json_error("Not found.", "not_found", status.HTTP_404_NOT_FOUND)


# Seconds a client waits before it tries again: about what a database restart takes.
DATABASE_RETRY_AFTER = 2


def database_unavailable(error):
    """Whether the database could not answer (a lost, refused or closed connection, a busy
    SQLite file) rather than refused the query. SQLite raises OperationalError for a missing
    table too, with the plain SQLITE_ERROR code: that is a bug, and stays a 500."""
    if isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    return getattr(error.__cause__, "sqlite_errorname", None) != "SQLITE_ERROR"


def server_error(request):
    """Django's 500 handler: the details go to the log, not to the client.

    Django calls it while it handles the exception, wherever it was raised (a view, a
    middleware, DRF), so the exception is still at hand: a database that could not answer
    gets 503 instead.
    """
    if database_unavailable(sys.exception()):
        detail = "The database is unavailable, try again shortly."
        response = json_error(detail, "database_unavailable", status.HTTP_503_SERVICE_UNAVAILABLE)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER)
        return response
    return json_error(
        "A server error occurred.", "server_error", status.HTTP_500_INTERNAL_SERVER_ERROR
    )


def csrf_failure(request, reason=""):
    """Django's CSRF failure view (settings.CSRF_FAILURE_VIEW), for forms posted without it."""
    return json_error(f"CSRF check failed: {reason}", "csrf_failed", status.HTTP_403_FORBIDDEN)


def method_not_allowed(request, allowed):
    allow = ", ".join(allowed)
    detail = f'Method "{request.method}" not allowed.'
    return json_error(detail, "method_not_allowed", status.HTTP_405_METHOD_NOT_ALLOWED, Allow=allow)
