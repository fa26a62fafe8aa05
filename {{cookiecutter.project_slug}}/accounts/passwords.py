"""Asking for the password again, in a view of your own (a password change, an account deletion).

    if not passwords.check(request, user, password): ...   # wrong: counted by the lockout

A wrong password counts towards the same limits as a wrong sign-in, and past them the check
raises LockedOut (429) without looking at the password (accounts/lockout.py).
"""

from django.contrib.auth import authenticate


def check(request, user, password):
    """Whether `password` is the user's, as one more attempt under the lockout."""
    return authenticate(request, username=user.get_username(), password=password) == user
