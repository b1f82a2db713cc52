"""Turning a dunning level into the words of a message: the level's own template when someone
wrote one (``MessageTemplate``), else the built-in wording of its action and tone
(``defaults.py``), rendered with the customer's figures of the day.

The text is the message; the HTML part of an email is the same text, escaped, with its line
breaks kept, inside a plain layout — so what the preview shows is exactly what is sent.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.template import Context, Engine, TemplateSyntaxError
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from huikuan.core.errors import invalid
from huikuan.documents.models import DocumentKind, Language
from huikuan.documents.render import validate_template
from huikuan.documents.selectors import (
    customer_contacts,
    letterhead,
    overdue_data,
    statement_data,
)
from huikuan.dunning.models import DunningLevel

from . import defaults
from .models import Channel, MessageTemplate
from .outbox import normalize_mobile

MESSAGE_CHANNELS = (Channel.EMAIL, Channel.SMS)
# Plain text: nothing in a message is HTML-escaped (the HTML part escapes the finished text).
_PLAIN = "{% autoescape off %}"
_END = "{% endautoescape %}"


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str
    is_custom: bool  # a MessageTemplate was used rather than the built-in wording


def money(value) -> str:
    """An amount as messages show it: ``¥1,234.56`` (``-¥…`` when negative)."""
    amount = Decimal(value or 0)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


def _engine() -> Engine:
    return Engine.get_default()


def _render(source: str, context: dict, field: str = "body") -> str:
    try:
        template = _engine().from_string(f"{_PLAIN}{source}{_END}")
    except TemplateSyntaxError as exc:
        raise invalid(field, _("The template cannot be used: %(error)s") % {"error": exc}) from None
    return template.render(Context(context))


def text_to_html(*, subject: str, text: str, language: str) -> str:
    """The HTML part of an email: ``text`` escaped, paragraphs and line breaks kept."""
    return render_to_string(
        "notifications/email.html", {"subject": subject, "text": text, "language": language}
    )


def _rep(customer) -> tuple[str, str]:
    owner = customer.owner
    if owner is None:
        return "", ""
    return str(owner), owner.phone or ""


def addressee(customer, recipient: str) -> str:
    """The name of the customer's contact that ``recipient`` (email addresses or a mobile
    number) reaches first, so the greeting names the person who reads it; empty when it is
    nobody on file."""
    first = (recipient or "").split(",")[0].strip().lower()
    if not first:
        return ""
    mobile = normalize_mobile(first)
    for contact in customer.contacts.filter(is_active=True).order_by("pk"):
        if contact.email and contact.email.strip().lower() == first:
            return contact.name
        if mobile and contact.phone and normalize_mobile(contact.phone) == mobile:
            return contact.name
    return ""


def message_context(*, customer, as_of: date, recipient: str = "") -> dict:
    """What every message template may use (see ``defaults.py`` for the names): the customer's
    overdue bills on ``as_of`` and those not due yet, the pay-by date, the rep and our company.
    ``contact_name`` is the contact ``recipient`` reaches, else the customer's finance contact.
    Amounts come formatted (¥1,234.56) and dates as 2026-11-22."""
    overdue = overdue_data(customer=customer, as_of=as_of)
    statement = statement_data(customer=customer, date_from=as_of, as_of=as_of)
    upcoming = [item for item in statement.open_items if not item.is_overdue]
    head = letterhead()
    rep_name, rep_phone = _rep(customer)
    contact = overdue.finance_contact
    return {
        "customer": customer.name,
        "customer_code": customer.code,
        "contact_name": addressee(customer, recipient) or (contact.name if contact else ""),
        "amount": money(overdue.total),
        "total": overdue.total,
        "items": [
            {
                "number": item.number,
                "due": item.due_date.isoformat(),
                "balance": money(item.balance),
                "days": item.days_overdue,
            }
            for item in overdue.items
        ],
        "upcoming": [
            {
                "number": item.number,
                "due": item.due_date.isoformat(),
                "balance": money(item.balance),
            }
            for item in upcoming
        ],
        "upcoming_amount": money(sum((item.balance for item in upcoming), 0)),
        "pay_by": overdue.pay_by.isoformat(),
        "as_of": as_of.isoformat(),
        "broken_promises": overdue.broken_promises,
        "rep_name": rep_name,
        "rep_phone": rep_phone,
        "company": head.company_name,
        "company_phone": head.phone,
        "bank_name": head.bank_name,
        "bank_account": head.bank_account,
    }


def message_source(*, level: DunningLevel, channel: str, language: str) -> tuple[str, str, bool]:
    """The templates in use for ``level`` on ``channel`` in ``language``: ``(subject, body,
    is_custom)`` — the level's saved template, else the built-in wording."""
    saved = MessageTemplate.objects.filter(level=level, channel=channel, language=language).first()
    if saved is not None:
        return saved.subject, saved.body, True
    subject, body = defaults.default_wording(
        action=level.action, tone=level.tone, channel=channel, language=language
    )
    return subject, body, False


def render_message(
    *, subject: str, body: str, channel: str, language: str, context: dict
) -> tuple[str, str, str]:
    """``(subject, text, html)`` of templates ``subject`` and ``body`` over ``context``, in
    ``language``. An SMS has neither subject nor HTML."""
    with translation.override(language):
        text = _render(body, context).strip()
        if channel != Channel.EMAIL:
            return "", text, ""
        title = " ".join(_render(subject, context, field="subject").split())[:255]
        html = text_to_html(subject=title, text=text, language=language)
    return title, text, html


def message_for_level(
    *, level: DunningLevel, channel: str, language: str, customer, as_of: date, recipient: str = ""
) -> RenderedMessage:
    """The message of dunning ``level`` to ``customer`` (greeting the contact ``recipient``
    reaches) on ``channel`` in ``language``, with the figures of ``as_of``: the level's own
    template if there is one, else the built-in wording of its action and tone."""
    if channel not in MESSAGE_CHANNELS:
        raise invalid("channel", _("A dunning message goes by email or SMS."))
    if language not in Language.values:
        raise invalid("language", _("Unknown language."))
    subject, body, custom = message_source(level=level, channel=channel, language=language)
    context = message_context(customer=customer, as_of=as_of, recipient=recipient)
    title, text, html = render_message(
        subject=subject, body=body, channel=channel, language=language, context=context
    )
    return RenderedMessage(subject=title, text=text, html=html, is_custom=custom)


def document_message(*, document, language: str, recipient: str = "") -> RenderedMessage:
    """The covering email of ``document`` to ``recipient`` (the letter itself travels as the
    PDF attachment)."""
    subject, body = defaults.document_wording(language)
    context = message_context_for_document(
        document=document, language=language, recipient=recipient
    )
    title, text, html = render_message(
        subject=subject, body=body, channel=Channel.EMAIL, language=language, context=context
    )
    return RenderedMessage(subject=title, text=text, html=html, is_custom=False)


def message_context_for_document(*, document, language: str, recipient: str = "") -> dict:
    """What the covering email of ``document`` may use: the customer and its addressee (the
    contact ``recipient`` reaches, else a finance contact), the letter's name, number, date and
    amount, the rep and our company."""
    customer = document.customer
    head = letterhead()
    rep_name, rep_phone = _rep(customer)
    contacts = customer_contacts(customer)
    return {
        "customer": customer.name,
        "contact_name": addressee(customer, recipient) or (contacts[0].name if contacts else ""),
        "document_name": defaults.document_name(document.kind, language),
        "number": document.number,
        "as_of": document.as_of.isoformat(),
        "document_amount": money(document.total),
        "is_confirmation": document.kind == DocumentKind.CONFIRMATION,
        "rep_name": rep_name,
        "rep_phone": rep_phone,
        "company": head.company_name,
    }


def validate_message_template(*, subject: str, body: str, channel: str) -> None:
    """Refuse a message template that does not compile (naming the line), an empty text, or an
    email without a subject."""
    validate_template(body)
    if channel == Channel.EMAIL:
        if not (subject or "").strip():
            raise invalid("subject", _("An email needs a subject."))
        if "\n" in subject.strip():
            raise invalid("subject", _("The subject must fit on one line."))
        try:
            validate_template(subject)
        except ValidationError as exc:
            raise invalid("subject", " ".join(exc.messages)) from None


# --- Which level a customer is at ----------------------------------------------------------------
