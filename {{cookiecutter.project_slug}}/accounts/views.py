"""The token endpoints (their serializers are chosen in settings.SIMPLE_JWT), then the
account endpoints: sign-up, your own profile, password change."""

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, permissions
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework_simplejwt import views

from config.schema import ErrorSerializer

from .serializers import MeSerializer, PasswordChangeSerializer, SignUpSerializer

# Verify and logout answer 200 with an empty JSON object, {}.
EMPTY_OBJECT = OpenApiResponse(
    {"type": "object", "properties": {}, "additionalProperties": False},
    description="The token is accepted (verify) or ended (logout): an empty object.",
)


class LoginView(views.TokenObtainPairView):
    """Exchange a username and password for an access and a refresh token."""

    # Requests per client address (DJANGO_TOKEN_THROTTLE_RATE). Wrong passwords are counted
    # apart by the lockout, like those of every password check (accounts/lockout.py).
    throttle_scope = "token"


class RefreshView(views.TokenRefreshView):
    """Exchange a refresh token for a new access token and a new refresh token."""


@extend_schema(responses={200: EMPTY_OBJECT})
class VerifyView(views.TokenVerifyView):
    """Check that a token is still accepted."""


@extend_schema(responses={200: EMPTY_OBJECT})
class BlacklistView(views.TokenBlacklistView):
    """Log out: blacklist the refresh token and end every token of its user."""


SIGNUP_OFF = OpenApiResponse(ErrorSerializer, description="Sign-up is turned off")


@extend_schema(responses={201: SignUpSerializer, 404: SIGNUP_OFF})
class SignUpView(generics.CreateAPIView):
    """Create an account. Turned off (404) by DJANGO_ALLOW_SIGNUP=false."""

    serializer_class = SignUpSerializer
    permission_classes = [permissions.AllowAny]
    authentication_classes = []  # a stale token left in a client must not stand in the way
    throttle_scope = "register"  # see DJANGO_REGISTER_THROTTLE_RATE

    def initial(self, request, *args, **kwargs):
        if not settings.ALLOW_SIGNUP:
            raise NotFound  # as if the route did not exist: the project invites its users
        super().initial(request, *args, **kwargs)


class MeView(generics.RetrieveUpdateAPIView):
    """The user the token belongs to; PATCH changes the email and the names."""

    serializer_class = MeSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return self.request.user


class PasswordChangeView(generics.GenericAPIView):
    """Change your password: every token of yours ends, and a new pair comes back."""

    serializer_class = PasswordChangeSerializer
    throttle_scope = "token"  # it checks a password, like the login

    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        if isinstance(request.successful_authenticator, SessionAuthentication):
            # The browsable API's session stays signed in; every other session ends.
            update_session_auth_hash(request, request.user)
        return Response(serializer.data)
