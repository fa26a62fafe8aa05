from rest_framework_simplejwt import authentication

from .tokens import current_user


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's bearer-token authentication that also refuses tokens ended by a logout."""

    def get_user(self, validated_token):
        return current_user(validated_token)
