"""Messages in the admin.

Administrators set up the group robots (webhook address, DingTalk secret, purpose, team) and may
edit the message templates of the dunning levels. Messages, their delivery log and the alerts
are written by the outbox and its worker, so they are shown view-only: a status changed here
would skip the exactly-once rules (cancel and requeue from the outbox page instead).
"""

from django import forms
from django.contrib import admin
from django.template import Template, TemplateSyntaxError
from django.utils.translation import gettext_lazy as _

from huikuan.core.admin import HuikuanModelAdmin, ViewOnlyAdmin, ViewOnlyInline, year_filter

from .models import Alert, DeliveryAttempt, Message, MessageTemplate, Robot


@admin.register(Robot)
class RobotAdmin(HuikuanModelAdmin):
    list_display = ("name", "channel", "purpose", "team", "is_active", "created_at")
    list_filter = ("channel", "purpose", "is_active")
    list_select_related = ("team",)
    search_fields = ("name",)
    fields = ("name", "channel", "purpose", "team", "url", "secret", "is_active")


class MessageTemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ("level", "channel", "language", "subject", "body")

    def _compiled(self, name: str) -> str:
        text = self.cleaned_data.get(name, "")
        try:
            Template(text)
        except TemplateSyntaxError as exc:
            raise forms.ValidationError(
                _("The template has an error: %(error)s"), params={"error": exc}
            ) from None
        return text

    def clean_subject(self):
        return self._compiled("subject")

    def clean_body(self):
        return self._compiled("body")


@admin.register(MessageTemplate)
class MessageTemplateAdmin(HuikuanModelAdmin):
    form = MessageTemplateForm
    list_display = ("level", "channel", "language", "subject", "updated_by", "updated_at")
    list_filter = ("channel", "language")
    list_select_related = ("level", "updated_by")

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


class DeliveryAttemptInline(ViewOnlyInline):
    model = DeliveryAttempt
    fields = ("number", "worker", "started_at", "finished_at", "result", "detail")
    show_change_link = False


@admin.register(Message)
class MessageAdmin(ViewOnlyAdmin):
    list_display = (
        "pk",
        "created_at",
        "channel",
        "purpose",
        "customer",
        "recipient",
        "robot",
        "subject",
        "status",
        "attempts",
        "sent_at",
    )
    list_filter = (year_filter(Message, "created_at"), "status", "channel", "purpose")
    list_select_related = ("customer", "robot")
    search_fields = ("key", "recipient", "subject", "customer__code", "customer__name")
    search_help_text = _("Key, recipient, subject, or the customer's code or name.")
    inlines = (DeliveryAttemptInline,)


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ViewOnlyAdmin):
    list_display = ("message", "number", "worker", "started_at", "finished_at", "result")
    list_filter = ("result",)
    list_select_related = ("message",)
    search_fields = ("worker", "message__key")


@admin.register(Alert)
class AlertAdmin(ViewOnlyAdmin):
    list_display = ("created_at", "kind", "customer", "message", "text", "resolved_at")
    list_filter = ("kind", ("resolved_at", admin.EmptyFieldListFilter))
    list_select_related = ("customer", "message")
    search_fields = ("text", "customer__code", "customer__name")
