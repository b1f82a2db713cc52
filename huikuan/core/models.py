"""The business event log: things that happened which other systems may want to hear about.

An ``Event`` row is written in the same transaction as the change it describes, so a rollback
leaves no event behind and a committed change always has its event. ``events.py`` writes them;
``huikuan.notifications.webhooks`` turns them into webhook messages (``dispatched_at``).

The core app sits below every domain app, so an event names its customer by id and code (plain
columns, not a foreign key) and its object by type and id.
"""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    PAYMENT_RECORDED = "payment.recorded", _("Payment recorded")
    PROMISE_BROKEN = "promise.broken", _("Promise to pay broken")
    CREDIT_BLOCKED = "credit.blocked", _("Credit blocked")
    CLASS_CHANGED = "customer.class_changed", _("Customer's debt class changed")
    # Sent only by an administrator's "send a test event", to one endpoint.
    WEBHOOK_TEST = "webhook.test", _("Test event")


# The kinds an endpoint may subscribe to (the test event is sent on request only).
SUBSCRIBABLE_KINDS = [kind for kind in EventKind if kind != EventKind.WEBHOOK_TEST]


class Event(models.Model):
    """One business event. Append-only: once written only ``dispatched_at`` changes (a database
    trigger refuses anything else, and deleting)."""

    kind = models.CharField(_("kind"), max_length=40, choices=EventKind.choices)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    customer_id = models.BigIntegerField(_("customer id"), null=True, blank=True)
    customer_code = models.CharField(_("customer code"), max_length=64, blank=True)
    object_type = models.CharField(_("object type"), max_length=40, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    payload = models.JSONField(_("payload"), default=dict, encoder=DjangoJSONEncoder)
    # Set when the webhook pump has queued its messages (or found no endpoint wanting it).
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)

    class Meta:
        verbose_name = _("business event")
        verbose_name_plural = _("business events")
        ordering = ["-id"]
        indexes = [
            # The pump's queue: only the few rows not dispatched yet.
            models.Index(
                fields=["id"], condition=Q(dispatched_at__isnull=True), name="event_pending_idx"
            ),
            models.Index(fields=["customer_id", "-id"], name="event_customer_idx"),
        ]

    def __str__(self):
        return f"{self.kind} #{self.pk}"
