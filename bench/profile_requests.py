"""Where a request's time goes, layer by layer: cProfile over requests made in-process.

Run inside a rendered project, with its venv active and its database migrated:

    python path/to/bench/profile_requests.py [--requests 3000]

It makes a user with 100 rows, then calls the WSGI application directly (no server, no
network) for the list, a detail and a create, and prints for each the share of the time spent
in each layer: the middleware, authentication with its user query, the row query, serializing,
rendering JSON, and the rest of DRF.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from accounts.tokens import TokenObtainPairSerializer  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from rest_framework import generics, pagination, request, response, serializers, views  # noqa: E402
from things.models import Thing  # noqa: E402


def code(function):
    """The key cProfile files a function under."""
    function = getattr(function, "fget", function)
    return function.__code__.co_filename, function.__code__.co_firstlineno, function.__name__


# Each layer is the cumulative time of these functions; none of them calls another.
LAYERS = {
    "authentication (token check, user query)": [request.Request._authenticate],
    "permissions": [views.APIView.check_permissions, views.APIView.check_object_permissions],
    "row query (page, object or insert)": [
        pagination.CursorPagination.paginate_queryset,
        generics.GenericAPIView.get_object,
        serializers.ModelSerializer.create,
    ],
    "serializing and validating": [
        serializers.ListSerializer.data,
        serializers.Serializer.data,
        serializers.Serializer.is_valid,
    ],
    "rendering JSON": [response.Response.rendered_content],
    "DRF, the rest of its dispatch": [views.APIView.dispatch],
    "Django: middleware, URL, handler": [WSGIHandler.__call__],
}


def environ(method, path, token, body=b""):
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }


def call(application, method, path, token, body=b""):
    statuses = []
    answer = application(environ(method, path, token, body), lambda s, h: statuses.append(s))
    b"".join(answer)
    answer.close()
    if not statuses[0].startswith("20"):
        raise SystemExit(f"{method} {path}: {statuses[0]}")


def layers(profile, requests):
    """Milliseconds per request in each layer; the last two are what is left of their total."""
    stats = pstats.Stats(profile).stats

    def spent(functions):
        return sum(stats.get(code(f), (0, 0, 0, 0))[3] for f in functions) * 1000 / requests

    found = {layer: spent(functions) for layer, functions in LAYERS.items()}
    names = list(LAYERS)
    whole, view = found[names[-1]], found[names[-2]]
    found[names[-1]] = whole - view
    found[names[-2]] = view - sum(found[name] for name in names[:-2])
    return found, whole


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--no-profile", action="store_true", help="CPU time per request only")
    args = parser.parse_args()
    user, _ = get_user_model().objects.get_or_create(username="profile")
    Thing.objects.filter(owner=user).delete()
    Thing.objects.bulk_create(
        Thing(owner=user, name=f"row {n}", description="A row to profile. " * 4) for n in range(100)
    )
    token = str(TokenObtainPairSerializer.get_token(user).access_token)
    newest = Thing.objects.filter(owner=user).latest("id").id
    body = json.dumps({"name": "made by the profile", "description": "a new row"}).encode()
    cases = {
        "list": ("GET", "/api/v1/things/", b""),
        "detail": ("GET", f"/api/v1/things/{newest}/", b""),
        "create": ("POST", "/api/v1/things/", body),
    }
    application = get_wsgi_application()
    for name, (method, path, payload) in cases.items():
        for _ in range(50):  # warm up: imports, URL resolver, connection
            call(application, method, path, token, payload)
        # CPU time, not wall time: other processes on the machine slow it less. The fastest
        # of five batches: the one that the rest of the machine disturbed least.
        batches = []
        for _ in range(5):
            started = time.process_time()
            for _ in range(args.requests // 5):
                call(application, method, path, token, payload)
            batches.append(1000 * (time.process_time() - started) / (args.requests // 5))
        plain = min(batches)
        print(f"\n{name}: {plain:.2f} ms of CPU a request without the profiler")
        if args.no_profile:
            continue
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.requests):
            call(application, method, path, token, payload)
        profile.disable()
        calls = pstats.Stats(profile).total_calls / args.requests
        print(f"  under cProfile ({calls:,.0f} Python function calls a request):")
        per_layer, whole = layers(profile, args.requests)
        for layer, milliseconds in per_layer.items():
            print(f"  {layer:<48} {milliseconds:7.3f} ms  {100 * milliseconds / whole:5.1f}%")
    Thing.objects.filter(owner=user).delete()


if __name__ == "__main__":
    main()
