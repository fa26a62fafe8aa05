from django.apps import AppConfig


class {{ cookiecutter.__plural_class }}Config(AppConfig):
    name = "{{ cookiecutter.resource_plural }}"
