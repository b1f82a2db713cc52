"""Putting messages into the outbox and the few things a person does with them afterwards.

``message_enqueue`` only writes a row, inside the caller's transaction: if the caller rolls back,
the message never existed, and nothing is sent until a worker (``worker.py``) finds the committed
row. The message's key makes enqueueing idempotent, so a rerun of whatever produced it (the daily
run, a double click) queues nothing new.
"""

import re
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from huikuan.audit.services import audit_record, snapshot
from huikuan.core.errors import invalid
from huikuan.documents.models import Language

from .models import (
    ROBOT_CHANNELS,
    Alert,
    AlertKind,
    Channel,
    Message,
    MessageStatus,
    Purpose,
    Robot,
    RobotPurpose,
)

MAX_EMAIL_RECIPIENTS = 10
# A mainland mobile number: 11 digits starting 13–19, optionally written with +86 in front.
MOBILE_RE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")
CANCELLABLE = (MessageStatus.QUEUED, MessageStatus.FAILED, MessageStatus.UNKNOWN)
REQUEUEABLE = (MessageStatus.FAILED, MessageStatus.UNKNOWN)
_AUDITED = ["key", "channel", "purpose", "recipient", "status", "attempts", "customer_id"]


def email_addresses(recipient: str) -> list[str]:
    """The addresses of an email message's ``recipient`` field (comma-separated)."""
    return [part.strip() for part in recipient.replace(";", ",").split(",") if part.strip()]


def normalize_mobile(value: str) -> str | None:
    """The 11-digit mainland mobile number in ``value`` (spaces, dashes and +86 allowed), or
    None when it is not one."""
    match = MOBILE_RE.match(re.sub(r"[\s\-()]", "", value or ""))
    return match.group(1) if match else None


def _clean_recipient(channel: str, recipient: str, robot: Robot | None) -> str:
    if channel in ROBOT_CHANNELS:
        if robot is None:
            raise invalid("robot", _("Choose the group robot this message goes to."))
        if robot.channel != channel:
            raise invalid("robot", _("This robot belongs to another kind of group chat."))
        if not robot.is_active:
            raise invalid("robot", _("This group robot is switched off."))
        return ""
    if robot is not None:
        raise invalid("robot", _("Only WeCom and DingTalk messages go to a group robot."))
    if channel == Channel.EMAIL:
        addresses = email_addresses(recipient)
        if not addresses:
            raise invalid("recipient", _("Give at least one email address."))
        if len(addresses) > MAX_EMAIL_RECIPIENTS:
            raise invalid(
                "recipient",
                _("An email may go to at most %(count)d addresses.")
                % {"count": MAX_EMAIL_RECIPIENTS},
            )
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                raise invalid(
                    "recipient", _("%(address)s is not an email address.") % {"address": address}
                ) from None
        return ", ".join(addresses)
    mobile = normalize_mobile(recipient)
    if mobile is None:
        raise invalid(
            "recipient",
            _("%(number)s is not a mainland mobile number (11 digits starting with 1).")
            % {"number": recipient or "—"},
        )
    return mobile


@transaction.atomic
def message_enqueue(
    *,
    key: str,
    channel: str,
    purpose: str,
    now: datetime,
    recipient: str = "",
    subject: str = "",
    body_text: str,
    body_html: str = "",
    customer=None,
    document=None,
    robot: Robot | None = None,
    language: str = Language.ZH_HANS,
    actor=None,
) -> Message:
    """Queue one message, to be sent after the caller's transaction commits. The same ``key``
    again returns the message already queued under it, unchanged, even when two callers race.
    Refuses a recipient the channel cannot use: email addresses (at most ten), a mainland mobile
    number for SMS, an active robot of the right kind for WeCom/DingTalk; an attachment only by
    email."""
    key = (key or "").strip()
    if not key:
        raise invalid("key", _("A message needs a key."))
    existing = Message.objects.filter(key=key).first()
    if existing is not None:
        return existing
    if channel not in Channel.values:
        raise invalid("channel", _("Unknown channel."))
    if purpose not in Purpose.values:
        raise invalid("purpose", _("Unknown purpose."))
    if language not in Language.values:
        raise invalid("language", _("Unknown language."))
    if not (body_text or "").strip():
        raise invalid("body_text", _("The message has no text."))
    recipient = _clean_recipient(channel, (recipient or "").strip(), robot)
    if document is not None:
        if channel != Channel.EMAIL:
            raise invalid("document", _("Only an email can carry a document."))
        if customer is None:
            customer = document.customer
        elif document.customer_id != customer.pk:
            raise invalid("document", _("The document belongs to another customer."))
    message = Message(
        key=key,
        channel=channel,
        purpose=purpose,
        customer=customer,
        document=document,
        robot=robot,
        recipient=recipient,
        subject=(subject or "").strip(),
        body_text=body_text,
        body_html=body_html or "",
        language=language,
        status=MessageStatus.QUEUED,
        next_attempt_at=now,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    message.full_clean(validate_unique=False)
    try:
        # A savepoint: losing the race for the key must not spoil the caller's transaction.
        with transaction.atomic():
            message.save()
    except IntegrityError:
        existing = Message.objects.filter(key=key).first()
        if existing is None:
            raise
        return existing
    audit_record(
        actor=actor, action="message.enqueue", obj=message, after=snapshot(message, _AUDITED)
    )
    return message


def _locked(message: Message) -> Message:
    return Message.objects.select_for_update().get(pk=message.pk)


def _resolve_open_alerts(message: Message, *, actor, now: datetime) -> None:
    Alert.objects.filter(message=message, resolved_at__isnull=True).update(
        resolved_at=now, resolved_by=actor if getattr(actor, "pk", None) else None
    )


@transaction.atomic
def message_cancel(*, message: Message, actor, now: datetime | None = None) -> Message:
    """Stop a message that has not gone out: only one waiting to be sent, failed, or of unknown
    outcome can be cancelled (never one being sent or sent). Its open alerts are resolved."""
    message = _locked(message)
    if message.status not in CANCELLABLE:
        raise invalid(
            "status",
            _("A message that is %(status)s cannot be cancelled.")
            % {"status": message.get_status_display().lower()},
        )
    before = snapshot(message, _AUDITED)
    message.status = MessageStatus.CANCELLED
    message.claimed_by = ""
    message.lease_until = None
    message.save(update_fields=["status", "claimed_by", "lease_until"])
    if now is not None:
        _resolve_open_alerts(message, actor=actor, now=now)
    audit_record(
        actor=actor,
        action="message.cancel",
        obj=message,
        before=before,
        after=snapshot(message, _AUDITED),
    )
    return message


@transaction.atomic
def message_requeue(*, message: Message, actor, now: datetime) -> Message:
    """Send a failed message again, or one of unknown outcome after the person checked that it
    did not arrive. It goes back into the queue at once, keeping its attempt count (so a message
    that used up its tries gets one more); its open alerts are resolved."""
    message = _locked(message)
    if message.status not in REQUEUEABLE:
        raise invalid(
            "status",
            _("Only a failed message or one of unknown outcome can be sent again."),
        )
    before = snapshot(message, _AUDITED)
    message.status = MessageStatus.QUEUED
    message.next_attempt_at = now
    message.claimed_by = ""
    message.lease_until = None
    message.handed_over_at = None
    message.save(
        update_fields=["status", "next_attempt_at", "claimed_by", "lease_until", "handed_over_at"]
    )
    _resolve_open_alerts(message, actor=actor, now=now)
    audit_record(
        actor=actor,
        action="message.requeue",
        obj=message,
        before=before,
        after=snapshot(message, _AUDITED),
    )
    return message


@transaction.atomic
def alert_resolve(*, alert: Alert, actor, now: datetime) -> Alert:
    """Mark an alert as dealt with (once)."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.resolved_at is not None:
        raise invalid("alert", _("This alert was already resolved."))
    alert.resolved_at = now
    alert.resolved_by = actor if getattr(actor, "pk", None) else None
    alert.save(update_fields=["resolved_at", "resolved_by"])
    audit_record(
        actor=actor,
        action="alert.resolve",
        obj=alert,
        after=snapshot(alert, ["kind", "message_id", "resolved_at"]),
    )
    return alert


@transaction.atomic
def alert_raise(
    *,
    kind: str,
    text: str,
    now: datetime,
    message: Message | None = None,
    customer=None,
) -> Alert:
    """Record something about sending that a person must look at, and tell the managers: one
    ALERT message to each active alerts robot (keyed by alert and robot, so never twice). An
    alert about a message that is itself an alert is recorded but not posted again — a broken
    alerts robot must not feed on its own failures."""
    if kind not in AlertKind.values:
        raise invalid("kind", _("Unknown alert kind."))
    if customer is None and message is not None:
        customer = message.customer
    alert = Alert.objects.create(kind=kind, message=message, customer=customer, text=text)
    if message is not None and message.purpose == Purpose.ALERT:
        return alert
    robots = Robot.objects.filter(purpose=RobotPurpose.ALERTS, is_active=True).order_by("pk")
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Sending alert: %(kind)s") % {"kind": alert.get_kind_display()}
        for robot in robots:
            message_enqueue(
                key=f"alert:{alert.pk}:{robot.pk}",
                channel=robot.channel,
                purpose=Purpose.ALERT,
                now=now,
                subject=subject,
                body_text=text,
                customer=customer,
                robot=robot,
                language=settings.LANGUAGE_CODE,
            )
    return alert
