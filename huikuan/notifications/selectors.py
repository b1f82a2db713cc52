"""Reads for the message pages: which messages and alerts a person may see, a customer's recent
letters and messages, and the outbox's lists.

Visibility follows the customers: a message about a customer is visible to whoever sees that
customer; a message to a group robot (no customer — digests, alerts) only to managers and
administrators.
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from huikuan.customers.selectors import customers_visible_to
from huikuan.documents.models import BalanceConfirmation, ConfirmationStatus, Language
from huikuan.documents.selectors import documents_for_customer
from huikuan.dunning.models import DunningLevel
from huikuan.org.models import Role

from .models import Alert, Channel, Message, MessageStatus, MessageTemplate

SEES_ROBOTS = (Role.MANAGER, Role.ADMIN)
# Statuses a person has to look at.
TROUBLE = (MessageStatus.FAILED, MessageStatus.UNKNOWN)


def sees_robot_messages(user) -> bool:
    """Managers and administrators (and superusers) see messages to group robots."""
    if user is None or not getattr(user, "is_active", False):
        return False
    return bool(user.is_superuser or user.role in SEES_ROBOTS)


def messages_visible_to(user) -> QuerySet[Message]:
    """The messages ``user`` may see: those about customers the user sees, and for managers and
    administrators also those to group robots. Newest first, without the HTML part."""
    scope = Q(customer__in=customers_visible_to(user))
    if sees_robot_messages(user):
        scope |= Q(customer__isnull=True)
    return (
        Message.objects.filter(scope)
        .select_related("customer", "document", "robot")
        .defer("body_html", "document__pdf")
        .order_by("-created_at", "-id")
    )


def messages_matching(
    *, messages: QuerySet[Message], status: str = "", channel: str = "", search: str = ""
) -> QuerySet[Message]:
    """Narrow the outbox list: one status, one channel, a customer's code or name (contains), a
    recipient or a subject."""
    if status:
        messages = messages.filter(status=status)
    if channel:
        messages = messages.filter(channel=channel)
    search = (search or "").strip()
    if search:
        messages = messages.filter(
            Q(customer__code__icontains=search)
            | Q(customer__name__icontains=search)
            | Q(recipient__icontains=search)
            | Q(subject__icontains=search)
        )
    return messages


def alerts_visible_to(user, *, open_only: bool = True) -> QuerySet[Alert]:
    """Sending alerts ``user`` may see — about a customer the user sees, or, for managers and
    administrators, with no customer — newest first; only unresolved ones unless asked."""
    scope = Q(customer__in=customers_visible_to(user))
    if sees_robot_messages(user):
        scope |= Q(customer__isnull=True)
    alerts = Alert.objects.filter(scope).select_related("customer", "message")
    if open_only:
        alerts = alerts.filter(resolved_at__isnull=True)
    return alerts.order_by("-created_at", "-id")


def open_alert_count(user) -> int:
    """For the dashboard banner: unresolved alerts, counted for managers and administrators
    only (0 for everybody else)."""
    if not sees_robot_messages(user):
        return 0
    return alerts_visible_to(user).count()


@dataclass
class CustomerLetters:
    documents: list
    messages: list
    awaiting: list  # balance confirmations sent and waiting for the reply
    failed: int


def customer_letters(*, customer, limit: int = 10) -> CustomerLetters:
    """A customer's recent letters and messages (newest first, ``limit`` each), its balance
    confirmations waiting for a reply, and how many of its messages failed or are unknown."""
    messages = (
        Message.objects.filter(customer=customer)
        .select_related("document")
        .defer("body_html", "body_text", "document__pdf")
        .order_by("-created_at", "-id")
    )
    return CustomerLetters(
        documents=list(documents_for_customer(customer=customer)[:limit]),
        messages=list(messages[:limit]),
        awaiting=list(
            BalanceConfirmation.objects.filter(customer=customer, status=ConfirmationStatus.SENT)
            .select_related("document")
            .defer("scan", "document__pdf")
            .order_by("sent_on", "pk")
        ),
        failed=messages.filter(status__in=TROUBLE).count(),
    )


def sample_customer(*, customers: QuerySet, as_of, code: str = ""):
    """A customer to preview a template with: the one with ``code`` among ``customers``, else
    one of them with money overdue on ``as_of`` (so a demand has figures), else any."""
    code = (code or "").strip()
    if code:
        return customers.filter(code=code).first()
    overdue = customers.filter(
        receivables__outstanding__gt=0, receivables__due_date__lt=as_of
    ).order_by("code")
    return overdue.first() or customers.order_by("code").first()


@dataclass
class TemplateCell:
    channel: str
    language: str
    custom: bool


def message_template_rows() -> list[tuple]:
    """Every level of the active ladders with, per channel (email, SMS) and language, whether
    its words are custom (a saved ``MessageTemplate``) or built in: ``[(level, [cells])]``."""
    custom = set(MessageTemplate.objects.values_list("level_id", "channel", "language"))
    levels = DunningLevel.objects.filter(policy__is_active=True).select_related("policy")
    rows = []
    for level in levels.order_by("policy__segment", "number"):
        cells = [
            TemplateCell(channel, language, (level.pk, channel, language) in custom)
            for channel in (Channel.EMAIL, Channel.SMS)
            for language in Language.values
        ]
        rows.append((level, cells))
    return rows
