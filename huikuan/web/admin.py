from django.contrib import admin

from .models import LoginLock


@admin.register(LoginLock)
class LoginLockAdmin(admin.ModelAdmin):
    """Delete a row to unlock an account before its lock runs out."""

    list_display = ("username", "failures", "last_failure_at", "locked_until")
    search_fields = ("username",)
    readonly_fields = (
        "username",
        "failures",
        "first_failure_at",
        "last_failure_at",
        "locked_until",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
