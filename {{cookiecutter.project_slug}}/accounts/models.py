from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac


class User(AbstractUser):
    """The project's user: a model of its own from the start, so fields can be added later."""

    # Written into every token as the "ver" claim. Logging out increments it, which ends
    # every token issued before at once, access tokens included (see accounts/tokens.py).
    token_version = models.PositiveIntegerField(default=0, editable=False)

    def set_password(self, raw_password):
        # A new password ends every token issued before it (see accounts/tokens.py).
        super().set_password(raw_password)
        self.token_version += 1

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._saved_state = self._token_state()

    def _token_state(self):
        # From __dict__: reading a deferred field here would cost a query per user loaded.
        return self.__dict__.get("is_active"), self.__dict__.get("token_version")

    def save(self, *args, **kwargs):
        was_active, saved_version = self._saved_state
        if self.pk and was_active is not None and self.is_active != was_active:
            # Deactivation ends every token, so reactivation brings none of them back. (Through
            # save(), as the admin and forms do; a queryset's update() goes around it.)
            self.token_version += 1
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and self.token_version != saved_version:
            # e.g. save(update_fields=["password"]) after set_password(): the new version must
            # reach the database, or tokens made from this object would be refused.
            kwargs["update_fields"] = {*update_fields, "token_version"}
        super().save(*args, **kwargs)
        self._saved_state = self._token_state()

    def get_session_auth_hash(self):
        # Django ends a browser session whose stored hash no longer matches. Mixing in the
        # token version makes everything that ends the tokens (logout, a reused refresh token,
        # the admin's "end sessions") end the browsable API and admin sessions too.
        return self._session_hash(settings.SECRET_KEY)

    def get_session_auth_fallback_hash(self):
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(secret)

    def _session_hash(self, secret):
        value = f"{self.password}:{self.token_version}"
        return salted_hmac(
            "accounts.User.session", value, secret=secret, algorithm="sha256"
        ).hexdigest()

    def end_all_tokens(self):
        """Ends every token and session of this user, now, whatever this object holds."""
        type(self).objects.filter(pk=self.pk).update(token_version=models.F("token_version") + 1)
        self.refresh_from_db(fields=["token_version"])
        self._saved_state = self._token_state()


class PasswordFailure(models.Model):
    """One wrong password: the name it was tried for, from where, and when (accounts/lockout.py).

    Never the password itself, right or wrong, nor anything else the request carried.
    """

    # As typed and case-folded: a guess at a name that has no account counts too.
    username = models.CharField(max_length=150)
    # The client's IPv4 address or IPv6 /64 network (config/clients.py).
    address = models.CharField(max_length=43)
    failed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["username", "failed_at"]),
            models.Index(fields=["address", "failed_at"]),
            models.Index(fields=["failed_at"]),
        ]

    def __str__(self):
        return f"{self.username} from {self.address} at {self.failed_at:%Y-%m-%d %H:%M:%S}"
