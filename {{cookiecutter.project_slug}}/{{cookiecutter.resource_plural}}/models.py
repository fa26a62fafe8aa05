from django.conf import settings
from django.db import models


class {{ cookiecutter.__resource_class }}(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="{{ cookiecutter.resource_plural }}",
    )
    name = models.CharField(max_length=200)
    description = models.TextField(max_length=5000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return self.name
