"""The outbox as an Excel workbook: the messages of the page exactly as its filters narrow them,
with no paging, and a second sheet with every open alert the user may see."""

from django.utils.translation import gettext as _

from huikuan.core import xlsx

from .models import MessageStatus


def _to_whom(message):
    if message.customer_id:
        return message.customer.name
    if message.robot_id:
        return message.robot.name
    return None


def _next_attempt(message):
    """When a message that failed will be tried again (the outbox's "retry at")."""
    if message.status == MessageStatus.QUEUED and message.attempts:
        return message.next_attempt_at
    return None


def message_sheets(rows, alerts, *, user, as_of, form) -> list[xlsx.Sheet]:
    """``rows``: the outbox list's queryset; ``alerts``: ``alerts_visible_to(user)``."""
    messages = xlsx.Sheet(
        name=_("Outbox"),
        title=xlsx.title_line(_("Outbox"), as_of=as_of, user=user, filters=xlsx.form_filters(form)),
        columns=[
            xlsx.moment(_("Queued"), "created_at"),
            xlsx.text(_("Customer code"), lambda m: m.customer.code if m.customer_id else None),
            xlsx.text(_("Customer"), _to_whom, 30),
            xlsx.text(_("Channel"), lambda m: m.get_channel_display(), 12),
            xlsx.text(_("To"), "recipient", 30),
            xlsx.text(_("Subject"), lambda m: m.subject or m.get_purpose_display(), 40),
            xlsx.text(_("Document"), lambda m: m.document.number if m.document_id else None),
            xlsx.text(_("Status"), lambda m: m.get_status_display(), 12),
            xlsx.integer(_("Attempts"), "attempts"),
            xlsx.moment(_("Next attempt at"), _next_attempt),
            xlsx.moment(_("Sent at"), "sent_at"),
            xlsx.text(_("Last error"), "last_error", 40),
        ],
        rows=rows,
    )
    open_alerts = xlsx.Sheet(
        name=_("Open alerts"),
        title=xlsx.title_line(_("Open alerts"), as_of=as_of, user=user),
        columns=[
            xlsx.moment(_("Raised at"), "created_at"),
            xlsx.text(_("Kind"), lambda a: a.get_kind_display(), 14),
            xlsx.text(_("Customer code"), lambda a: a.customer.code if a.customer_id else None),
            xlsx.text(_("Customer"), lambda a: a.customer.name if a.customer_id else None, 30),
            xlsx.integer(_("Message"), "message_id"),
            xlsx.text(_("What happened"), "text", 60),
        ],
        rows=alerts,
    )
    return [messages, open_alerts]


def webhook_delivery_sheet(rows, *, user, as_of, form) -> xlsx.Sheet:
    """``rows``: the webhook delivery log's queryset (``webhooks.webhook_deliveries``)."""
    return xlsx.Sheet(
        name=_("Webhook delivery log"),
        title=xlsx.title_line(
            _("Webhook delivery log"), as_of=as_of, user=user, filters=xlsx.form_filters(form)
        ),
        columns=[
            xlsx.moment(_("Queued"), "created_at"),
            xlsx.text(_("Endpoint"), lambda m: m.webhook.name if m.webhook_id else None, 24),
            xlsx.text(_("Event"), "subject", 24),
            xlsx.integer(_("X-Huikuan-Delivery"), "pk"),
            xlsx.text(_("Status"), lambda m: m.get_status_display(), 12),
            xlsx.integer(_("Attempts"), "attempts"),
            xlsx.moment(_("Next attempt at"), _next_attempt),
            xlsx.moment(_("Sent at"), "sent_at"),
            xlsx.text(_("Receiver's answer"), "provider_ref", 20),
            xlsx.text(_("Last error"), "last_error", 40),
        ],
        rows=rows,
    )
