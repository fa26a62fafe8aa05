from django.apps import AppConfig


class ThingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "things"
