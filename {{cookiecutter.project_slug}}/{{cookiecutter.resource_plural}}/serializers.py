from rest_framework import serializers

from .models import {{ cookiecutter.__resource_class }}


class {{ cookiecutter.__resource_class }}Serializer(serializers.ModelSerializer):
    # Set from the request by the view; clients can read it but never write it.
    owner = serializers.ReadOnlyField(source="owner.username")

    class Meta:
        model = {{ cookiecutter.__resource_class }}
        fields = ["id", "owner", "name", "description", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
