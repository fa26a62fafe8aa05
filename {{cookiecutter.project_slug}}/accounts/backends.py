"""The one way a password is checked: Django's own check, inside the lockout (accounts/lockout.py).

settings.AUTHENTICATION_BACKENDS names this backend alone, so every authenticate() call comes
here: the token endpoint (simplejwt), the login forms of the browsable API and the admin, and
accounts.passwords.check() for views that ask for the password again.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from . import lockout


class LockoutBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        if not settings.LOGIN_LOCKOUT:
            return super().authenticate(request, username, password, **kwargs)
        if request is None:
            # Without the request there is no client to count the attempt against.
            raise TypeError("authenticate() needs request=..., for the password lockout")
        attempt = lockout.Attempt(request, username)
        attempt.begin()  # raises LockedOut (429) past a limit, before any password is hashed
        user = super().authenticate(request, username, password, **kwargs)
        if user is None:
            attempt.failed()
        else:
            attempt.succeeded()
        return user
