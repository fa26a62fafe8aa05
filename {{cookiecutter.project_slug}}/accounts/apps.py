from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        # Registers how the token classes appear in the OpenAPI schema.
        from . import schema  # noqa: F401
