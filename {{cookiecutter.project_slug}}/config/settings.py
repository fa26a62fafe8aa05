"""Settings of {{ cookiecutter.project_slug }}.

Everything that differs between machines comes from environment variables, read from `.env`
when that file exists. `.env.example` documents each of them.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

SECRET_KEY = env("DJANGO_SECRET_KEY")
if not SECRET_KEY.strip():
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is empty; set it in .env (see .env.example).")
# Signs the JWTs: a key of its own, so that rotating it logs everyone out without touching
# SECRET_KEY. HS256 needs a key at least as long as its 32-byte hash to be worth its name.
JWT_SIGNING_KEY = env("DJANGO_JWT_SIGNING_KEY")
if len(JWT_SIGNING_KEY.encode()) < 32:
    raise ImproperlyConfigured(
        f"DJANGO_JWT_SIGNING_KEY is {len(JWT_SIGNING_KEY.encode())} bytes long; it needs 32 or "
        "more (make one with: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Behind a TLS-terminating proxy (see the HTTPS settings at the end).
HTTPS = env.bool("DJANGO_HTTPS", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "{{ cookiecutter.resource_plural }}",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before any middleware that may answer, so that every answer carries the CORS headers.
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns a sign-in that the lockout refused on the login forms into a 429 page.
    "accounts.middleware.LockedOutPageMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: DATABASE_URL, e.g. postgres://user:password@host:5432/name or sqlite:////data/db.sqlite3
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Keep connections open between requests instead of connecting on every request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=600)
# Check a kept connection before a request uses it: without that, after the database restarts,
# the first request of each worker fails (a 500) and only the next one reconnects. It costs
# PostgreSQL one more round trip per request (SELECT 1), about 4% of the list's throughput.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DJANGO_CONN_HEALTH_CHECKS", default=True)
{%- if cookiecutter.database == "postgres" %}
# TLS to a hosted database comes with the URL: ?sslmode=require, or ?sslmode=verify-full&
# sslrootcert=/path/to/ca.pem; django-environ passes both to psycopg as they are.
# DJANGO_DB_POOL=true: each Gunicorn worker takes connections from a pool of its own
# (psycopg-pool) that opens them ahead of need and replaces broken ones in the background.
# The pool replaces kept connections, which Django refuses alongside it: CONN_MAX_AGE is 0.
if env.bool("DJANGO_DB_POOL", default=False):
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env.int("DJANGO_DB_POOL_MAX_SIZE", default=4),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
{%- endif %}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several Gunicorn workers share one file. WAL lets reads go on during a write; IMMEDIATE
    # takes the write lock when a transaction starts, so it never fails half-way through; the
    # timeout makes a writer wait for the lock instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Throttle counters live here, so every Gunicorn worker sees the same count.
# The table is created by the accounts app's migrations.
CACHES = {"default": env.cache("CACHE_URL", default="dbcache://django_cache")}

AUTH_USER_MODEL = "accounts.User"
# Signing in through the browsable API lands on the resource list.
LOGIN_REDIRECT_URL = "/api/v1/{{ cookiecutter.__plural_url }}/"

# Password guessing: every check of a password goes through this one backend, which counts
# wrong passwords of the last DJANGO_LOGIN_COOLOFF_MINUTES for an account from one address,
# from an address, and for an account, each with its limit (accounts/lockout.py). Past one,
# 429: JSON on the API, a page on the login forms, and how long on both.
AUTHENTICATION_BACKENDS = ["accounts.backends.LockoutBackend"]
# Off only for load tests, which would otherwise lock their own address out.
LOGIN_LOCKOUT = env.bool("DJANGO_LOGIN_LOCKOUT", default=True)
LOGIN_COOLOFF = timedelta(minutes=env.int("DJANGO_LOGIN_COOLOFF_MINUTES", default=15))
LOGIN_FAILURE_LIMIT = env.int("DJANGO_LOGIN_FAILURE_LIMIT", default=10)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("DJANGO_LOGIN_ADDRESS_FAILURE_LIMIT", default=100)
LOGIN_ACCOUNT_FAILURE_LIMIT = env.int("DJANGO_LOGIN_ACCOUNT_FAILURE_LIMIT", default=300)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files are collected into STATIC_ROOT and served by Whitenoise, compressed and under
# hashed names, so browsers may cache them for ever.
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Keep and compress only the hashed copies, the ones pages link to, and leave source maps
# (fetched by developer tools alone) uncompressed: collectstatic runs four times faster.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]
# Neither Whitenoise nor Python's mimetypes knows .ttf, which would go out as
# application/octet-stream: the browsable API's glyphicon font is one.
WHITENOISE_MIMETYPES = {".ttf": "font/ttf"}

REST_FRAMEWORK = {
    # JWT for API clients; the session keeps the browsable API usable after /api-auth/login/.
    # HTTP Basic is left out on purpose: it would let anyone guess passwords on every
    # endpoint, unthrottled, at the cost of a full password hash per request.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Per client as config/clients.py tells them apart (an IPv6 /64 is one client).
    "DEFAULT_THROTTLE_CLASSES": ["config.clients.ScopedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "token": env("DJANGO_TOKEN_THROTTLE_RATE", default="20/minute"),
        "register": env("DJANGO_REGISTER_THROTTLE_RATE", default="10/hour"),
    },
    # Throttles and the lockout count per client address. DRF takes it from X-Forwarded-For,
    # which any client can write, unless told how many proxies in front of Gunicorn append to
    # that header: with 0 it uses the address of the connection and ignores the header. Set it
    # to the number of proxies that really append (1 behind one nginx); too high a number lets
    # a client choose its address, too low makes every client share the proxy's.
    "NUM_PROXIES": env.int("DJANGO_NUM_PROXIES", default=0),
    # JSON errors, also for request bodies Django refuses to read (too large: 413).
    "EXCEPTION_HANDLER": "config.exceptions.exception_handler",
    # drf-spectacular's schema, plus the error responses of each operation.
    "DEFAULT_SCHEMA_CLASS": "config.schema.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Datetimes reach the JSON encoder as they are, and it writes the same ISO 8601 text in
    # UTC ("2026-01-31T12:00:00.123456Z"). DRF's own formatting would first convert each one to
    # the current time zone: half of the time it takes to serialize a page of the list.
    "DATETIME_FORMAT": None,
}

SIMPLE_JWT = {
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_TOKEN_MINUTES", default=5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_TOKEN_DAYS", default=1)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "TOKEN_OBTAIN_SERIALIZER": "accounts.tokens.TokenObtainPairSerializer",
    "TOKEN_REFRESH_SERIALIZER": "accounts.tokens.TokenRefreshSerializer",
    "TOKEN_VERIFY_SERIALIZER": "accounts.tokens.TokenVerifySerializer",
    "TOKEN_BLACKLIST_SERIALIZER": "accounts.tokens.BlacklistSerializer",
}
# Rotation gives each refresh token JWT_REFRESH_TOKEN_DAYS more, but never past this long
# after the password was given: a stolen refresh token used once a day still dies
# (see accounts/tokens.py).
JWT_REFRESH_TOKEN_MAX_LIFETIME = timedelta(days=env.int("JWT_REFRESH_TOKEN_MAX_DAYS", default=30))

# Or: the header in which the platform's proxy names the client (Fly.io: Fly-Client-IP), in
# place of X-Forwarded-For. Only where every request passes that proxy: anyone else could write
# it. Never both (config/clients.py).
CLIENT_IP_HEADER = env("DJANGO_CLIENT_IP_HEADER", default="")
if CLIENT_IP_HEADER and REST_FRAMEWORK["NUM_PROXIES"]:
    raise ImproperlyConfigured(
        "Set DJANGO_CLIENT_IP_HEADER or DJANGO_NUM_PROXIES, not both: one says where the "
        "client's address is."
    )

# Sign-up at /api/register/; off (404) for a project whose users are invited or made by staff.
ALLOW_SIGNUP = env.bool("DJANGO_ALLOW_SIGNUP", default=True)

# Browser apps on other origins (a React or Vue app, a mobile web view) that may call the API,
# e.g. http://localhost:5173,https://app.example.com. None unless listed.
CORS_ALLOWED_ORIGINS = env.list("DJANGO_CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/"  # the admin and the browsable API's login stay same-origin
# Tokens travel in the Authorization header (allowed by default), never in cookies, so
# credentialed requests stay off. Browsers may cache a preflight answer this long (Chromium
# keeps it 2 hours at most).
CORS_ALLOW_CREDENTIALS = False
CORS_PREFLIGHT_MAX_AGE = 60 * 60 * 24

SPECTACULAR_SETTINGS = {
    "TITLE": {{ cookiecutter.project_name | python_string }},
    "DESCRIPTION": {{ cookiecutter.description | python_string }},
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's files come from drf-spectacular-sidecar, not from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # The schema and the docs are public: a stale or broken bearer header must not hide them.
    "SERVE_AUTHENTICATION": [],
}

# HTTPS: set DJANGO_HTTPS=true where a TLS-terminating proxy sits in front (the Docker image
# does). The proxy must set X-Forwarded-Proto and strip it from what clients send.
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    # Off unless asked for: with includeSubDomains, browsers refuse plain HTTP on every
    # subdomain for HSTS_SECONDS (a year), also on those that have no certificate; preload
    # invites the browsers' built-in lists, which take months to leave. The two deploy checks
    # that recommend them are silenced by name.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=False)
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=False)
    SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]

# Errors are JSON everywhere, also when Django's CSRF check refuses a form (config/urls.py
# names the views for 400, 403, 404 and 500).
CSRF_FAILURE_VIEW = "config.exceptions.csrf_failure"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
}
