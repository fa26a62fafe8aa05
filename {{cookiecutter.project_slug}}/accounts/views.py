"""The token endpoints. Their serializers are chosen in settings.SIMPLE_JWT."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework_simplejwt import views

# Verify and logout answer 200 with an empty JSON object, {}.
EMPTY_OBJECT = OpenApiResponse(
    {"type": "object", "properties": {}, "additionalProperties": False},
    description="The token is accepted (verify) or ended (logout): an empty object.",
)


class LoginView(views.TokenObtainPairView):
    """Exchange a username and password for an access and a refresh token."""

    # Requests per client address (DJANGO_TOKEN_THROTTLE_RATE). Wrong passwords are counted
    # apart, per address and per username, like those of every login (accounts/passwords.py).
    throttle_scope = "token"


class RefreshView(views.TokenRefreshView):
    """Exchange a refresh token for a new access token and a new refresh token."""


@extend_schema(responses={200: EMPTY_OBJECT})
class VerifyView(views.TokenVerifyView):
    """Check that a token is still accepted."""


@extend_schema(responses={200: EMPTY_OBJECT})
class LogoutView(views.TokenBlacklistView):
    """Log out: blacklist the refresh token and end every token of its user."""
