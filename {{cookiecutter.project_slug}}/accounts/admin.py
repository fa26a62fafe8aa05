from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import F

from .models import PasswordFailure, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    actions = ["end_sessions"]

    @admin.action(description="End the selected users' sessions (every token and login)")
    def end_sessions(self, request, queryset):
        # The same switch as a logout (accounts/tokens.py): every token and browser session
        # issued before stops working at its next request.
        ended = queryset.update(token_version=F("token_version") + 1)
        messages.success(request, f"Ended every token and session of {ended} user(s).")


@admin.register(PasswordFailure)
class PasswordFailureAdmin(admin.ModelAdmin):
    """The wrong passwords of the last cool-off period; deleting some lifts the locks they make."""

    list_display = ["username", "address", "failed_at"]
    search_fields = ["username", "address"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
