import json

from django.apps import apps
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from huikuan.core.admin import ViewOnlyAdmin, date_column, year_filter

from .models import AuditEntry


class ObjectTypeFilter(admin.SimpleListFilter):
    """Filter by kind of object; the choices come from the installed models, not a table scan."""

    title = _("object type")
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        models = sorted(apps.get_models(), key=lambda model: model._meta.label_lower)
        return [(model._meta.label_lower, model._meta.verbose_name) for model in models]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(object_type=self.value())
        return queryset


def _pretty_json(model_admin, value):
    if value is None:
        return model_admin.get_empty_value_display()
    # ensure_ascii=False: customer names and reasons stay readable Chinese, not \\u escapes.
    text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)
    return format_html('<pre style="margin:0">{}</pre>', text)


@admin.register(AuditEntry)
class AuditEntryAdmin(ViewOnlyAdmin):
    """The audit trail is append-only (database triggers): it can be read here, nothing else."""

    list_display = ("at_display", "actor", "action", "object_type", "object_id", "object_repr")
    list_filter = (year_filter(AuditEntry, "at"), ObjectTypeFilter)
    list_select_related = ("actor",)
    sortable_by = ("at_display",)
    search_fields = ("action", "object_repr", "=object_id")
    fields = (
        "at_display",
        "actor",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "before_display",
        "after_display",
        "note",
    )

    at_display = date_column(AuditEntry, "at")

    @admin.display(description=AuditEntry._meta.get_field("before").verbose_name)
    def before_display(self, obj):
        return _pretty_json(self, obj.before)

    @admin.display(description=AuditEntry._meta.get_field("after").verbose_name)
    def after_display(self, obj):
        return _pretty_json(self, obj.after)
