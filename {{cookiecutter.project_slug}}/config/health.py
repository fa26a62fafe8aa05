from django.db import DatabaseError, connection
from django.http import JsonResponse


def healthz(request):
    """200 while the database answers, 503 when it does not (Docker's HEALTHCHECK calls this)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "database unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
