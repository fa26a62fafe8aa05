"""Errors answered as JSON, like every other error of the API.

Django raises RequestDataTooBig for a body over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB by default)
and TooManyFieldsSent / TooManyFilesSent for a form with too many parts. DRF's own handler
knows none of them, so they would end as Django's HTML "Bad Request (400)" page. In the same
way, a URL that matches no route (e.g. /api/v1/<plural>/1.5/) gets Django's HTML 404 page
unless config/urls.py names the handler below.
"""

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import JsonResponse
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
    return views.exception_handler(exc, context)


def not_found(request, exception):
    """Django's 404 handler (config/urls.py), for URLs that match no route."""
    return JsonResponse({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
