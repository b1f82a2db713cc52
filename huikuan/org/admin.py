from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from huikuan.core.admin import HuikuanModelAdmin, date_column

from .models import Region, Team, User

ORG_FIELDS = ("role", "region", "team", "manager")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email", "phone")}),
        (_("Role and organisation"), {"fields": ORG_FIELDS}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login_display", "date_joined_display")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Role and organisation"), {"classes": ("wide",), "fields": (*ORG_FIELDS, "phone")}),
    )
    list_display = (
        "username",
        "full_name",
        "role",
        "region",
        "team",
        "manager",
        "phone",
        "is_active",
        "is_staff",
    )
    list_filter = ("role", "region", "team", "is_active", "is_staff", "is_superuser")
    list_select_related = ("region", "team", "manager")
    search_fields = ("username", "first_name", "last_name", "email", "phone")
    autocomplete_fields = ("region", "team", "manager")
    readonly_fields = ("last_login_display", "date_joined_display")

    last_login_display = date_column(User, "last_login")
    date_joined_display = date_column(User, "date_joined")

    @admin.display(description=_("full name"), ordering="last_name")
    def full_name(self, obj):
        return f"{obj.last_name}{obj.first_name}".strip() or self.get_empty_value_display()


@admin.register(Region)
class RegionAdmin(HuikuanModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Team)
class TeamAdmin(HuikuanModelAdmin):
    list_display = ("name", "region")
    list_filter = ("region",)
    list_select_related = ("region",)
    search_fields = ("name", "region__name")
    autocomplete_fields = ("region",)
