"""Messages in the admin.

Administrators set up the group robots (webhook address, DingTalk secret, purpose, team) and may
edit the message templates of the dunning levels. Messages, their delivery log and the alerts
are written by the outbox and its worker, so they are shown view-only: a status changed here
would skip the exactly-once rules (cancel and requeue from the outbox page instead).

Webhook endpoints and the business events (``core.Event``) are view-only here too: endpoints
are managed on the /webhooks/ pages, whose services audit each change and cancel the waiting
messages of an endpoint switched off; events are an append-only log.
"""

from django import forms
from django.contrib import admin
from django.template import Template, TemplateSyntaxError
from django.utils.translation import gettext_lazy as _

from huikuan.core.admin import HuikuanModelAdmin, ViewOnlyAdmin, ViewOnlyInline, year_filter
from huikuan.core.models import Event

from .models import (
    Alert,
    CustomerClassSeen,
    DeliveryAttempt,
    Message,
    MessageTemplate,
    Robot,
    WebhookEndpoint,
)


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
        "webhook",
        "subject",
        "status",
        "attempts",
        "sent_at",
    )
    list_filter = (year_filter(Message, "created_at"), "status", "channel", "purpose")
    list_select_related = ("customer", "robot", "webhook")
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


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ViewOnlyAdmin):
    list_display = ("name", "url", "is_active", "created_by", "created_at")
    list_filter = ("is_active",)
    list_select_related = ("created_by",)
    search_fields = ("name", "url")
    # The secret is shown on the endpoint's page only.
    fields = ("name", "url", "events", "is_active", "created_by", "created_at", "updated_at")


@admin.register(Event)
class EventAdmin(ViewOnlyAdmin):
    list_display = (
        "pk",
        "occurred_at",
        "kind",
        "customer_code",
        "object_type",
        "object_id",
        "dispatched_at",
    )
    list_filter = ("kind",)
    search_fields = ("customer_code", "object_id")
    search_help_text = _("The customer's code or the object's id.")


@admin.register(CustomerClassSeen)
class CustomerClassSeenAdmin(ViewOnlyAdmin):
    list_display = ("customer", "debt_class", "seen_on")
    list_filter = ("debt_class",)
    list_select_related = ("customer",)
    search_fields = ("customer__code", "customer__name")
