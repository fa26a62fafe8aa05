from django.contrib import admin

from .models import {{ cookiecutter.__resource_class }}


@admin.register({{ cookiecutter.__resource_class }})
class {{ cookiecutter.__resource_class }}Admin(admin.ModelAdmin):
    list_display = ["name", "owner", "created_at", "updated_at"]
    list_select_related = ["owner"]
    search_fields = ["name", "description"]
    raw_id_fields = ["owner"]
