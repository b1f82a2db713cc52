from django.contrib import admin, messages
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from huikuan.core.admin import HuikuanModelAdmin, date_column

from .models import ApiToken
from .services import api_token_revoke


def _revoke(tokens, *, actor) -> int:
    """Revoke the live ones among ``tokens`` through the service (audited); returns how many."""
    live = [token for token in tokens if not token.revoked]
    for token in live:
        api_token_revoke(token=token, actor=actor)
    return len(live)


@admin.register(ApiToken)
class ApiTokenAdmin(HuikuanModelAdmin):
    """Tokens are created with ``huikuan create-api-token``, which shows the secret once; here they
    can only be looked at and revoked. The key hash is never shown: it is all that guards them."""

    list_display = (
        "prefix_display",
        "name",
        "user",
        "created_at_display",
        "last_used_at_display",
        "revoked",
    )
    list_filter = ("revoked",)
    list_select_related = ("user",)
    search_fields = ("prefix", "name", "user__username")
    fields = (
        "prefix_display",
        "name",
        "user",
        "created_at_display",
        "last_used_at_display",
        "revoked",
    )
    actions = ["revoke_tokens"]

    created_at_display = date_column(ApiToken, "created_at")
    last_used_at_display = date_column(ApiToken, "last_used_at")

    @admin.display(description=ApiToken._meta.get_field("prefix").verbose_name, ordering="prefix")
    def prefix_display(self, obj):
        return f"{obj.prefix}…"

    def get_readonly_fields(self, request, obj=None):
        # Only the "revoked" box of a live token can be ticked; a revoked token stays revoked.
        if obj is not None and not obj.revoked:
            return self.fields[:-1]
        return self.fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # ``obj`` already carries the ticked box; the service re-reads the row and revokes it.
        if obj.revoked and "revoked" in form.changed_data:
            api_token_revoke(token=obj, actor=request.user)

    @admin.action(description=_("Revoke the selected API tokens"), permissions=["change"])
    def revoke_tokens(self, request, queryset):
        count = _revoke(list(queryset), actor=request.user)
        if count == 0:
            self.message_user(request, gettext("No live token was selected."), messages.WARNING)
            return
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count)
            % {"count": count},
            messages.SUCCESS,
        )
