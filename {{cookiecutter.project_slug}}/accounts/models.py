import unicodedata

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as AuthUserManager
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

# Who may do what. Another request can change these while this object sits in memory (a
# password change, a logout, an admin deactivating or demoting the user), so save() writes
# one only when this object changed it: a stale copy of the row never undoes them.
GUARDED_FIELDS = ("password", "is_active", "is_staff", "is_superuser")


def username_key(username):
    """The form in which two usernames are the same: "Émile", "émile" and "ÉMILE" share one.

    Python's casefold() is Unicode's caseless matching. The databases' lower() is not:
    SQLite's folds A-Z only, and PostgreSQL's depends on the database's locale.
    """
    return unicodedata.normalize("NFKC", username.casefold())


class UserQuerySet(models.QuerySet):
    def update(self, **kwargs):
        """A bulk update skips save(), so it does here what save() does: a new password or a
        deactivation ends every token (reactivating the users later brings none back), and a
        new username gets its username_key."""
        # is_active computed in SQL may be false for some rows: it ends their tokens too.
        if "password" in kwargs or kwargs.get("is_active", True) is not True:
            kwargs.setdefault("token_version", models.F("token_version") + 1)
        if "username" in kwargs:
            if not isinstance(kwargs["username"], str):
                raise TypeError("a username computed in SQL has no username_key: use save()")
            kwargs["username_key"] = username_key(kwargs["username"])
        return super().update(**kwargs)


class UserManager(AuthUserManager.from_queryset(UserQuerySet)):
    """Django's manager (create_user, create_superuser), on the queryset above."""


class User(AbstractUser):
    """The project's user: a model of its own from the start, so fields can be added later."""

    # Written into every token as the "ver" claim. Logging out increments it, which ends
    # every token issued before at once, access tokens included (see accounts/tokens.py).
    # Only ever increased in SQL (end_all_tokens): save() never writes it from memory.
    token_version = models.PositiveIntegerField(default=0, editable=False)
    # Usernames are unique without regard to case in the database itself: a unique index on
    # this copy of username_key(username), which save() keeps up to date. A check before the
    # INSERT alone lets two sign-ups of "Casey" and "casey" at the same moment both pass.
    # (bulk_create() skips save() and UserQuerySet.update(): create users one by one.)
    # casefold() can make a name up to three times longer, so the column is too.
    username_key = models.CharField(max_length=450, unique=True, editable=False)

    objects = UserManager()

    @classmethod
    def from_db(cls, db, field_names, values):
        user = super().from_db(db, field_names, values)
        user._as_loaded = user._guarded_values()
        return user

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using, fields, from_queryset)
        refreshed = {
            name: value
            for name, value in self._guarded_values().items()
            if fields is None or name in fields
        }
        self._as_loaded = {**self.__dict__.get("_as_loaded", {}), **refreshed}

    def _guarded_values(self):
        # From __dict__: reading a deferred field here would cost a query.
        return {name: self.__dict__[name] for name in GUARDED_FIELDS if name in self.__dict__}

    def _changed_guarded_fields(self):
        loaded = self.__dict__.get("_as_loaded")
        if loaded is None:  # not read from the database: every value is this object's own
            return set(self._guarded_values())
        return {name for name, value in self._guarded_values().items() if value != loaded.get(name)}

    def save(self, *args, update_fields=None, **kwargs):
        """Saves the user, but of GUARDED_FIELDS only those this object changed, and never
        token_version. A new password or a deactivation ends every token, in the same
        transaction."""
        if self._state.adding:
            self.username_key = username_key(self.username)
            super().save(*args, update_fields=update_fields, **kwargs)
            self._as_loaded = self._guarded_values()
            return
        changed = self._changed_guarded_fields()
        if update_fields is None:  # every loaded column, as Model.save() would write
            deferred = self.get_deferred_fields()
            update_fields = [
                field.attname
                for field in self._meta.concrete_fields
                if not field.primary_key and field.attname not in deferred
            ]
        fields = {
            name
            for name in update_fields
            if name != "token_version" and (name not in GUARDED_FIELDS or name in changed)
        }
        if "username" in fields:
            self.username_key = username_key(self.username)
            fields.add("username_key")
        with transaction.atomic():
            super().save(*args, update_fields=fields, **kwargs)
            if "password" in fields or ("is_active" in fields and not self.is_active):
                # Deactivation ends every token, so reactivation brings none of them back.
                self.end_all_tokens()
        self._as_loaded = {**self.__dict__.get("_as_loaded", {}), **self._guarded_values()}

    def validate_unique(self, exclude=None):
        """Forms (the admin's) refuse a name taken in another case, instead of failing on the
        unique index."""
        super().validate_unique(exclude)
        if "username" in (exclude or ()):
            return
        taken = type(self)._default_manager.filter(username_key=username_key(self.username))
        if taken.exclude(pk=self.pk).exists():
            message = self._meta.get_field("username").error_messages["unique"]
            raise ValidationError({"username": message}, code="unique")

    def end_all_tokens(self):
        """Ends every token and session of this user, now, whatever this object holds."""
        with transaction.atomic():
            # In SQL: two requests that each add one in memory would write the same number.
            type(self).objects.filter(pk=self.pk).update(
                token_version=models.F("token_version") + 1
            )
            # Inside the transaction the row is still locked: this reads our own increment.
            self.refresh_from_db(fields=["token_version"])

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
