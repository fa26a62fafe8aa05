"""JWT serializers in which logging out ends every token of the user, not only the one sent.

simplejwt alone blacklists the refresh token on logout, but access tokens keep working until
they expire. Here each token carries the user's `token_version` in the "ver" claim, and a
token is accepted only while that claim matches the user's current version. Checking it costs
nothing extra: the user row is read on every request anyway, to see that it is still active.
The version goes up on logout, on a new password, on deactivation, when the admin ends the
user's sessions, and when a refresh token comes back after it was used (then it was stolen).

A refresh token also carries "auth_time", when its chain began with a password: rotation
moves its expiry JWT_REFRESH_TOKEN_DAYS ahead each time, but never past
JWT_REFRESH_TOKEN_MAX_LIFETIME after that, so even a refresh token used every day ends.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from rest_framework import serializers as drf_serializers
from rest_framework_simplejwt import serializers, tokens
from rest_framework_simplejwt.exceptions import AuthenticationFailed, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.utils import datetime_to_epoch

from config.fields import PasswordField

VERSION_CLAIM = "ver"
AUTH_TIME_CLAIM = "auth_time"


def current_user(token):
    """The user a valid token belongs to; 401 unless active and not logged out since."""
    User = get_user_model()
    try:
        # get() rather than filter().first(): a quarter less ORM work, on every request.
        user = User.objects.get(pk=token.get(api_settings.USER_ID_CLAIM))
    except (User.DoesNotExist, ValueError, TypeError):
        user = None
    if user is None or not user.is_active:
        raise AuthenticationFailed("No active account found for this token.", "no_active_account")
    if token.get(VERSION_CLAIM) != user.token_version:
        raise AuthenticationFailed(
            "This token was revoked: its user logged out or was signed out.", "token_revoked"
        )
    return user


class RefreshToken(tokens.RefreshToken):
    """simplejwt's refresh token, with the absolute lifetime and without the blacklist check.

    Reading the blacklist apart from writing to it lets two requests both pass the check;
    spend() checks by writing, in one transaction.
    """

    def check_blacklist(self):
        pass  # see spend()

    def verify(self):
        super().verify()
        # Also when the lifetime was shortened after the token was made.
        if self.chain_end() <= datetime_to_epoch(self.current_time):
            raise TokenError("Token is past its absolute lifetime; log in again")

    def set_exp(self, claim="exp", from_time=None, lifetime=None):
        super().set_exp(claim, from_time, lifetime)
        self.payload[claim] = min(self.payload[claim], self.chain_end())

    def chain_end(self):
        """When the chain of refreshes that began with a password ends, as a timestamp."""
        # A new token starts its chain now; one made before this claim existed, when issued.
        now = datetime_to_epoch(self.current_time)
        started = self.payload.setdefault(AUTH_TIME_CLAIM, self.payload.get("iat", now))
        return started + int(settings.JWT_REFRESH_TOKEN_MAX_LIFETIME.total_seconds())

    def spend(self):
        """Blacklists this token; True for the one request that did, False if it was already.

        The blacklist row is unique per token, so of concurrent requests exactly one creates
        it; the others wait for that one's transaction and find the row.
        """
        with transaction.atomic():
            _, created = self.blacklist()
        return created


class TokenObtainPairSerializer(serializers.TokenObtainPairSerializer):
    token_class = RefreshToken

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # No user has a longer name; a longer one would only cost a password check.
        self.fields[self.username_field] = drf_serializers.CharField(max_length=150)
        # Checked exactly as typed: simplejwt's own field trims the spaces around it, which
        # sign-up keeps, so " correct horse " could never sign in.
        self.fields["password"] = PasswordField()

    @classmethod
    def get_token(cls, user):
        token = super().get_token(user)
        token[VERSION_CLAIM] = user.token_version  # copied into the access tokens it makes
        return token


class TokenRefreshSerializer(serializers.TokenRefreshSerializer):
    token_class = RefreshToken

    def validate(self, attrs):
        refresh = self.token_class(attrs["refresh"])  # signature, expiry and type
        user = current_user(refresh)
        if not refresh.spend():
            # Used before: the client that has it now is not the one it was given to, or
            # that one has a copy someone else used. Either way, end everything of the user.
            user.end_all_tokens()
            raise AuthenticationFailed(
                "This refresh token was used already; every token of its user is ended.",
                "token_reused",
            )
        data = {"access": str(refresh.access_token)}
        refresh.set_jti()
        refresh.set_exp()  # JWT_REFRESH_TOKEN_DAYS more, within the absolute lifetime
        refresh.set_iat()
        refresh.outstand()
        data["refresh"] = str(refresh)
        return data


class TokenVerifySerializer(serializers.TokenVerifySerializer):
    def validate(self, attrs):
        token = tokens.UntypedToken(attrs["token"])
        # simplejwt's own check answers 400 for a blacklisted token, where every other token
        # that is no longer accepted gets 401; a TokenError makes it 401 too.
        if BlacklistedToken.objects.filter(token__jti=token.get(api_settings.JTI_CLAIM)).exists():
            raise TokenError("Token is blacklisted")
        current_user(token)
        return {}


class BlacklistSerializer(serializers.TokenBlacklistSerializer):
    """Blacklists the refresh token sent and ends every other token of its user."""

    token_class = RefreshToken

    def validate(self, attrs):
        refresh = self.token_class(attrs["refresh"])
        user = current_user(refresh)
        with transaction.atomic():
            spent = refresh.spend()
            user.end_all_tokens()
        if not spent:
            raise AuthenticationFailed(
                "This refresh token was used already; every token of its user is ended.",
                "token_reused",
            )
        return {}
