from django.db import models
from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """Text that must come as a string. DRF's CharField turns a number into one ("name": 5
    is stored as "5"), where the API schema promises a string and a list is refused."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose text columns take strings only (StrictCharField)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
    }


class PasswordField(StrictCharField):
    """A password exactly as typed, spaces included, at sign-up, sign-in and change alike;
    never sent back."""

    def __init__(self, **kwargs):
        kwargs.setdefault("write_only", True)
        kwargs.setdefault("trim_whitespace", False)
        kwargs.setdefault("max_length", 128)
        kwargs.setdefault("style", {"input_type": "password"})
        super().__init__(**kwargs)
