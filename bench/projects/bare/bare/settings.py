"""One view, no apps, no middleware, no database: the fastest a Django project can answer."""

SECRET_KEY = "bench-only"  # noqa: S105 (served on 127.0.0.1 for the length of a benchmark)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "bare.urls"
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}
