"""A rendered project's own settings with a quick password hash first, for the template's tests.

Every login hashes a password (a refused one too, and a sign-up or a password change), and
the project's hash costs about 0.2 s of CPU on purpose; the tests sign in thousands of times.
Hashes made with the project's own settings still verify. tooling.project.quick_hashing
selects this module; tests/auth/test_secrets.py checks the project's own hash.
"""

from config.settings import *  # noqa: F403
from django.conf import global_settings

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    *global_settings.PASSWORD_HASHERS,
]
