"""The token endpoints. Their serializers are chosen in settings.SIMPLE_JWT."""

from rest_framework_simplejwt import views


class LoginView(views.TokenObtainPairView):
    """Exchange a username and password for an access and a refresh token."""

    throttle_scope = "token"  # password guessing is throttled, see DJANGO_TOKEN_THROTTLE_RATE


class RefreshView(views.TokenRefreshView):
    """Exchange a refresh token for a new access token and a new refresh token."""


class VerifyView(views.TokenVerifyView):
    """Check that a token is still accepted."""


class LogoutView(views.TokenBlacklistView):
    """Log out: blacklist the refresh token and end every token of its user."""
