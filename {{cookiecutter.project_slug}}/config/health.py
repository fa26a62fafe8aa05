from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .exceptions import method_not_allowed


# Exempt from the CSRF check so that a POST gets the 405 below: this view changes nothing.
@csrf_exempt
def healthz(request):
    """200 while the database answers, 503 when it does not (Docker's HEALTHCHECK calls this)."""
    if request.method not in ("GET", "HEAD"):
        return method_not_allowed(request, ["GET", "HEAD"])
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "database unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
