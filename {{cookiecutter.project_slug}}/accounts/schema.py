"""How the token endpoints and the bearer token appear in the OpenAPI schema (/api/schema/).

drf-spectacular describes simplejwt's own classes, but matches a class exactly, not its
subclasses. These extensions give the project's subclasses the same descriptions; without them
the schema lists no way to authenticate (and `check --deploy` warns) and /api/token/ documents
no response body. AccountsConfig.ready() imports this module, which registers them.
"""

from drf_spectacular.contrib.rest_framework_simplejwt import (
    SimpleJWTScheme,
    TokenObtainPairSerializerExtension,
)


class JWTScheme(SimpleJWTScheme):
    target_class = "accounts.authentication.JWTAuthentication"


class TokenObtainPairSchema(TokenObtainPairSerializerExtension):
    target_class = "accounts.tokens.TokenObtainPairSerializer"
