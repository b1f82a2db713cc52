"""Writes of the message pages: the words of a dunning level (message templates), and sending a
letter or a dunning message from a case — each a row in the outbox, written in the same
transaction as the letter it carries, so a failure leaves neither behind.
"""

import hashlib
from datetime import date, datetime

from django.db import transaction
from django.utils.translation import gettext as _

from huikuan.audit.services import audit_record, snapshot
from huikuan.core.errors import invalid
from huikuan.documents.models import Document, Language
from huikuan.documents.services import document_issue
from huikuan.dunning.models import DunningLevel
from huikuan.dunning.selectors import current_level

from .models import Alert, AlertKind, Channel, Message, MessageStatus, MessageTemplate, Purpose
from .outbox import alert_raise, message_enqueue
from .templating import (
    MESSAGE_CHANNELS,
    document_message,
    message_for_level,
    validate_message_template,
)

_TEMPLATE_FIELDS = ["level_id", "channel", "language", "subject", "body"]


def _check_target(level, channel: str, language: str) -> None:
    if not isinstance(level, DunningLevel) or level.pk is None:
        raise invalid("level", _("Choose a dunning level."))
    if channel not in MESSAGE_CHANNELS:
        raise invalid("channel", _("A dunning message goes by email or SMS."))
    if language not in Language.values:
        raise invalid("language", _("Unknown language."))


@transaction.atomic
def message_template_save(
    *, level: DunningLevel, channel: str, language: str, subject: str = "", body: str, actor
) -> MessageTemplate:
    """Set the words of dunning ``level`` on ``channel`` in ``language``, replacing the built-in
    wording from now on. Refuses a template that does not compile (naming the line), an empty
    text, and an email without a one-line subject; an SMS keeps no subject."""
    _check_target(level, channel, language)
    subject = (subject or "").strip() if channel == Channel.EMAIL else ""
    validate_message_template(subject=subject, body=body, channel=channel)
    template = (
        MessageTemplate.objects.select_for_update()
        .filter(level=level, channel=channel, language=language)
        .first()
    )
    before = snapshot(template, _TEMPLATE_FIELDS) if template is not None else None
    if template is None:
        template = MessageTemplate(level=level, channel=channel, language=language)
    template.subject = subject
    template.body = body
    template.updated_by = actor if getattr(actor, "pk", None) else None
    template.full_clean()
    template.save()
    audit_record(
        actor=actor,
        action="message_template.save",
        obj=template,
        before=before,
        after=snapshot(template, _TEMPLATE_FIELDS),
    )
    return template


@transaction.atomic
def message_template_reset(*, level: DunningLevel, channel: str, language: str, actor) -> None:
    """Go back to the built-in wording of ``level`` on ``channel`` in ``language`` (the saved
    words are removed; the audit trail keeps them). Refuses when the built-in wording is already
    in use."""
    _check_target(level, channel, language)
    template = (
        MessageTemplate.objects.select_for_update()
        .filter(level=level, channel=channel, language=language)
        .first()
    )
    if template is None:
        raise invalid("level", _("This message already uses the built-in wording."))
    audit_record(
        actor=actor,
        action="message_template.reset",
        obj=template,
        before=snapshot(template, _TEMPLATE_FIELDS),
    )
    template.delete()


def _short(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@transaction.atomic
def document_email_send(
    *,
    kind: str,
    customer,
    as_of: date,
    recipient: str,
    actor,
    now: datetime,
    language: str = Language.ZH_HANS,
    date_from: date | None = None,
    key: str = "",
) -> Message:
    """Issue a letter to ``customer`` and queue the email that carries it as a PDF, in one
    transaction: either both exist or neither does. The letter counts as sent (a written demand,
    a confirmation awaiting its reply) only when the worker has delivered the email.

    ``key`` (a form's one-time token) makes a second submission of the same form return the
    message already queued instead of issuing a second letter. Refuses what ``document_issue``
    and ``message_enqueue`` refuse: an unknown kind, a demand with nothing overdue, a bad
    address."""
    key = f"document:{key}" if key else ""
    if key:
        existing = Message.objects.filter(key=key).first()
        if existing is not None:
            return existing
    document = document_issue(
        kind=kind,
        customer=customer,
        as_of=as_of,
        actor=actor,
        language=language,
        date_from=date_from,
    )
    message = document_email_queue(
        document=document,
        recipient=recipient,
        actor=actor,
        now=now,
        language=language,
        key=key,
    )
    if message.document_id != document.pk:
        # Another request with the same key won the race: undo this letter.
        raise invalid("key", _("This letter was already sent from the same form."))
    return message


@transaction.atomic
def document_email_queue(
    *,
    document: Document,
    recipient: str,
    actor,
    now: datetime,
    language: str | None = None,
    key: str = "",
) -> Message:
    """Queue the email that carries an issued letter as its PDF to ``recipient`` (its covering
    text in ``language``, by default the letter's). The same letter to the same addresses is
    queued once only. Refuses a bad address."""
    language = language or document.language
    words = document_message(document=document, language=language, recipient=recipient)
    return message_enqueue(
        key=key or f"document:{document.number}:{_short(recipient.strip().lower())}",
        channel=Channel.EMAIL,
        purpose=Purpose.DOCUMENT,
        now=now,
        recipient=recipient,
        subject=words.subject,
        body_text=words.text,
        body_html=words.html,
        customer=document.customer,
        document=document,
        language=language,
        actor=actor,
    )


@transaction.atomic
def dunning_message_send(
    *,
    customer,
    channel: str,
    recipient: str,
    as_of: date,
    actor,
    now: datetime,
    language: str = Language.ZH_HANS,
    level: DunningLevel | None = None,
) -> Message:
    """Queue the message of the customer's current dunning level (or ``level``) by email or SMS
    to ``recipient``, with the figures of ``as_of``. The same level, channel, recipient and day
    is queued once only (a second click returns the first message). Refuses a customer with no
    ladder, a channel other than email or SMS, and a recipient the channel cannot use."""
    if channel not in MESSAGE_CHANNELS:
        raise invalid("channel", _("A dunning message goes by email or SMS."))
    level = level or current_level(customer)
    if level is None:
        raise invalid("level", _("No dunning ladder applies to this customer."))
    words = message_for_level(
        level=level,
        channel=channel,
        language=language,
        customer=customer,
        as_of=as_of,
        recipient=recipient,
    )
    key = (
        f"dunning:{customer.pk}:{level.pk}:{channel}:{as_of.isoformat()}:"
        f"{_short((recipient or '').strip().lower())}"
    )
    return message_enqueue(
        key=key,
        channel=channel,
        purpose=Purpose.DUNNING,
        now=now,
        recipient=recipient,
        subject=words.subject,
        body_text=words.text,
        body_html=words.html,
        customer=customer,
        language=language,
        actor=actor,
    )


@transaction.atomic
def message_bounce_report(*, message: Message, detail: str, actor, now: datetime) -> Alert:
    """A mail system reports, after the fact, that a sent email bounced: the message stays
    "sent" (it did leave us) and a BOUNCED alert naming it, with the report, goes to the people
    who must find another way to reach the customer. Refuses a message that is not a sent
    email, and a report with no text."""
    detail = " ".join((detail or "").split())
    if not detail:
        raise invalid("detail", _("Say what the mail system reported."))
    if message.channel != Channel.EMAIL or message.status != MessageStatus.SENT:
        raise invalid("status", _("Only a sent email can bounce."))
    text = _("Email #%(id)s to %(to)s bounced after it was sent: %(detail)s") % {
        "id": message.pk,
        "to": message.recipient,
        "detail": detail[:1500],
    }
    alert = alert_raise(kind=AlertKind.BOUNCED, text=text, now=now, message=message)
    audit_record(
        actor=actor,
        action="message.bounce_report",
        obj=message,
        after={"alert": alert.pk, "detail": detail[:500]},
    )
    return alert
