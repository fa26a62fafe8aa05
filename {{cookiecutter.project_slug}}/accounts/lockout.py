"""Password guessing: one lockout for every check of a password, that stops the guesser and no
one else.

Every password check goes through Django's authenticate() and so through
accounts.backends.LockoutBackend: the token endpoint, the browsable API's and the admin's
login forms, the old password of a password change. Wrong passwords of the last
DJANGO_LOGIN_COOLOFF_MINUTES are counted three ways, each with its own limit:

    one account from one address      DJANGO_LOGIN_FAILURE_LIMIT           10
    one address, whatever account     DJANGO_LOGIN_ADDRESS_FAILURE_LIMIT  100
    one account, whatever address     DJANGO_LOGIN_ACCOUNT_FAILURE_LIMIT  300

The first, the tightest, is the only one a person mistyping their own password meets: the
owner at another address and a classmate behind the same address still sign in. The second
stops one client trying many accounts, the third many clients trying one account. A right
password clears its account's count at its address. While a count is at its limit, an attempt
it covers is refused before the password is even hashed (LockedOut, 429), and the answer says
when the oldest failure of that count leaves the window and the lock lifts.

Each attempt is written down as a failure before its password is checked, and taken back if
the password was right: attempts running at the same time in other workers see each other,
so a burst of guesses cannot slip past a limit between a count and a write.
"""

from typing import NamedTuple

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from rest_framework.exceptions import Throttled

from config.clients import address_key, client_address

from .models import PasswordFailure, username_key


class LockedOut(Throttled):
    """429 with how long to wait: DRF answers it as JSON, accounts.middleware as a page."""

    default_code = "too_many_password_attempts"
    extra_detail_singular = "Try again in {wait} second."
    extra_detail_plural = "Try again in {wait} seconds."

    def __init__(self, wait, reason):
        self.reason = reason  # e.g. "for this account from your address"
        super().__init__(wait=wait, detail=f"Too many wrong passwords {reason}.")


def account_key(username):
    """The name a failure is counted under: "Alice" and "ALICE" are guesses at one account,
    as they are one account (accounts.models.username_key)."""
    return username_key(username)[:150]  # the length of PasswordFailure.username


class Limit(NamedTuple):
    name: str  # what the query calls its count
    counts: Q  # the failures it counts
    most: int  # how many it allows
    words: str  # what a refusal calls it


class Attempt:
    """One check of a password for `username` by the client of `request`."""

    def __init__(self, request, username):
        self.username = account_key(username)
        self.address = client_address(request)
        self.limits = [
            Limit(
                "account_at_address",
                Q(username=self.username, address=self.address),
                settings.LOGIN_FAILURE_LIMIT,
                "for this account from your address",
            ),
            Limit(
                "from_address",
                Q(address=self.address),
                settings.LOGIN_ADDRESS_FAILURE_LIMIT,
                "from your address",
            ),
            Limit(
                "for_account",
                Q(username=self.username),
                settings.LOGIN_ACCOUNT_FAILURE_LIMIT,
                "for this account",
            ),
        ]

    def begin(self):
        """Counts this attempt as a failure until it succeeds; LockedOut if that is one too many."""
        now = timezone.now()
        failure = PasswordFailure.objects.create(
            username=self.username, address=self.address, failed_at=now
        )
        recent = PasswordFailure.objects.filter(failed_at__gt=now - settings.LOGIN_COOLOFF)
        counted = recent.filter(Q(username=self.username) | Q(address=self.address)).aggregate(
            **{limit.name: Count("pk", filter=limit.counts) for limit in self.limits}
        )
        passed = [limit for limit in self.limits if counted[limit.name] > limit.most]
        if passed:
            failure.delete()  # a refused attempt checked no password: it is not a failure
            wait, words = max((unlocked_in(recent, limit, now), limit.words) for limit in passed)
            raise LockedOut(wait, words)

    def failed(self):
        """The password was wrong: its failure stays. Failures out of the window go."""
        expired = timezone.now() - settings.LOGIN_COOLOFF
        PasswordFailure.objects.filter(failed_at__lte=expired).delete()

    def succeeded(self):
        """The right password: this account's failures at this address are forgotten."""
        PasswordFailure.objects.filter(username=self.username, address=self.address).delete()


def unlocked_in(recent, limit, now):
    """Seconds until the count of `limit` falls below its most: its most-th newest failure
    leaves the window."""
    newest = recent.filter(limit.counts).order_by("-failed_at").values_list("failed_at", flat=True)
    oldest_that_counts = next(iter(newest[limit.most - 1 : limit.most]), now)
    return max(1, (oldest_that_counts + settings.LOGIN_COOLOFF - now).total_seconds())


def unlock(username=None, address=None):
    """Forgets the failures counted for `username`, from `address`, or both; how many."""
    failures = PasswordFailure.objects.all()
    if username is not None:
        failures = failures.filter(username=account_key(username))
    if address is not None:
        failures = failures.filter(address=address_key(address))
    return failures.delete()[0]
