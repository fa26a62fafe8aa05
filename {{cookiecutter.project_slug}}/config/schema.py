"""The OpenAPI schema at /api/schema/, with the errors each operation can answer.

drf-spectacular documents the success response of an operation only. Clients, generated SDKs
and schema-based test tools (Schemathesis) also need to know which errors can come back, and
that each comes as JSON.
"""

from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import permissions, serializers


class ErrorSerializer(serializers.Serializer):
    """The answer to a refused request other than invalid input (config/exceptions.py)."""

    detail = serializers.CharField(help_text="What went wrong, for people.")
    code = serializers.CharField(help_text="What went wrong, for programs: e.g. token_not_valid.")


# Invalid input: each field (or non_field_errors) with its messages, as DRF's ValidationError
# gives them; a body that cannot be parsed at all gets {"detail": "..."} instead.
VALIDATION_ERROR = ResolvedComponent(
    name="ValidationError",
    type=ResolvedComponent.SCHEMA,
    object="ValidationError",
    schema={
        "type": "object",
        "additionalProperties": {
            "oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]
        },
    },
)


# What DRF's CharField refuses beyond the length: any NUL character, and, unless blank is
# allowed, text that is only whitespace (it strips the text first). \x1c-\x1f and \x85 are
# whitespace to Python's strip() but not to the ECMA regexes of OpenAPI tools.
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = r"^[^\x00]*[^\x00\s\x1c-\x1f\x85][^\x00]*$"


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema (settings.REST_FRAMEWORK), telling what DRF refuses.

    drf-spectacular has no setting for either addition; these are the two methods where it
    describes a serializer field and where it lists the responses of an operation.
    """

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # Without a pattern, the schema promises that any string of the right length will do.
        if direction == "request" and isinstance(field, serializers.CharField):
            blank_allowed = field.allow_blank or not field.trim_whitespace
            schema.setdefault("pattern", NO_NUL if blank_allowed else NOT_BLANK)
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status_code, description in self.error_responses():
            if str(status_code) not in responses:
                responses[str(status_code)] = self.error_response(status_code, description)
        return responses

    def error_responses(self):
        has_body = self.method in ("POST", "PUT", "PATCH")
        is_list = self._is_list_view() and self.method == "GET"
        if has_body or is_list:
            yield 400, "Invalid input"
        # Every route either needs a token or checks one it is given.
        yield 401, "No valid token, or wrong credentials"
        if self.method not in permissions.SAFE_METHODS and self.get_auth():
            yield 403, "Not allowed, e.g. a change to another user's object"
        if "{" in self.path or is_list:
            yield 404, "No such object, or a cursor that is not valid"
        if has_body:
            yield 413, "Request body over DATA_UPLOAD_MAX_MEMORY_SIZE"
            yield 415, "Unsupported Content-Type"
        if getattr(self.view, "throttle_scope", None):
            yield 429, "Too many requests; try again later"

    def error_response(self, status_code, description):
        if status_code == 400:
            self.registry.register_on_missing(VALIDATION_ERROR)
            schema = VALIDATION_ERROR.ref
        else:
            schema = ErrorSerializer
        response = self._get_response_for_code(schema, str(status_code))
        response["description"] = description
        return response
