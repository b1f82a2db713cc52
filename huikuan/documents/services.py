"""Every write about letters: issuing a document (the PDF is stored as it left the house), marking
it sent, recording the customer's reply to a balance confirmation and its signed scan, and saving
or resetting a document template.

Each service is atomic, checks everything before it writes (a refusal is ``invalid(field, …)``
and leaves the database as it was), runs ``full_clean()`` and writes an audit line. A written
demand sent, or a balance confirmation signed by the customer, restarts the limitation period
through the dunning services.
"""

import hashlib
from datetime import date

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from huikuan.audit.services import audit_record, snapshot
from huikuan.core.errors import invalid
from huikuan.core.money import MoneyError, to_decimal
from huikuan.dunning.models import Channel, InterruptionKind, Outcome
from huikuan.dunning.services import activity_log, limitation_event_record
from huikuan.org.models import Role

from .models import (
    CLOSED_CONFIRMATION,
    DEMAND_KINDS,
    BalanceConfirmation,
    ConfirmationStatus,
    Document,
    DocumentKind,
    DocumentTemplate,
    Language,
    Letterhead,
    SentVia,
)
from .render import (
    built_in_source,
    default_date_from,
    html_to_pdf,
    render_html,
    validate_template,
)

NUMBER_PREFIX = {
    DocumentKind.STATEMENT: "DZ",
    DocumentKind.CONFIRMATION: "QZ",
    DocumentKind.OVERDUE_NOTICE: "YQ",
    DocumentKind.LAWYER_LETTER: "LS",
}
SCAN_MAX_BYTES = 10 * 1024 * 1024
# A lawyer's letter commits the company to legal steps: managers and administrators send it.
LAWYER_LETTER_ROLES = {Role.MANAGER, Role.ADMIN}
# What a scan may be, told by its first bytes (a file's name proves nothing).
SCAN_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
REPLY_OUTCOMES = (
    ConfirmationStatus.AGREED,
    ConfirmationStatus.DISAGREED,
    ConfirmationStatus.NO_REPLY,
)
# Fields of a Document written to the audit trail (not the PDF bytes).
_DOCUMENT_AUDIT_FIELDS = [
    "number",
    "kind",
    "customer_id",
    "as_of",
    "date_from",
    "language",
    "template_version",
    "total",
    "size",
    "sha256",
]


def _actor(actor):
    return actor if getattr(actor, "pk", None) else None


def _save(obj):
    obj.full_clean()
    obj.save()
    return obj


def _lock_sequences() -> None:
    """Serialise numbering: whoever numbers a document or a template version holds the
    letterhead row until commit, so two issuers never take the same number."""
    Letterhead.objects.get_or_create(pk=1)
    Letterhead.objects.select_for_update().get(pk=1)


def _next_number(kind: str, on: date) -> str:
    """``<PREFIX>-<YYYYMMDD>-<6 digits>``: the day's next number for this kind of letter."""
    stem = f"{NUMBER_PREFIX[kind]}-{on:%Y%m%d}-"
    last = (
        Document.objects.filter(number__startswith=stem)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    sequence = int(last[len(stem) :]) + 1 if last else 1
    return f"{stem}{sequence:06d}"


def may_issue(user, kind: str) -> bool:
    """Whether ``user`` may issue a letter of ``kind``: anyone who sees the customer, except a
    lawyer's letter, which needs a manager or an administrator. ``None`` is the system."""
    if kind != DocumentKind.LAWYER_LETTER or user is None or getattr(user, "pk", None) is None:
        return True
    return bool(user.is_superuser or user.role in LAWYER_LETTER_ROLES)


@transaction.atomic
def document_issue(
    *,
    kind: str,
    customer,
    as_of: date,
    actor,
    language: str = Language.ZH_HANS,
    date_from: date | None = None,
) -> Document:
    """Render a letter to ``customer`` as of ``as_of`` and keep its PDF under a new number.

    The number is ``<PREFIX>-<YYYYMMDD of as_of>-<sequence>`` (DZ statement, QZ confirmation,
    YQ overdue notice, LS lawyer's letter), counting per prefix and day without gaps or
    duplicates. Refuses an unknown kind or language, a period starting after ``as_of``, and a
    demand to a customer with nothing overdue. A confirmation also opens its
    ``BalanceConfirmation`` (issued, with our balance).
    """
    if kind not in DocumentKind.values:
        raise invalid("kind", _("Unknown kind of document: %(kind)s.") % {"kind": kind})
    if not may_issue(actor, kind):
        raise PermissionDenied(_("Only managers and administrators send lawyer's letters."))
    if date_from is not None and date_from > as_of:
        raise invalid("date_from", _("The period cannot start after the as-of date."))
    # Only a statement covers a period.
    is_statement = kind == DocumentKind.STATEMENT
    date_from = (date_from or default_date_from(as_of)) if is_statement else None
    _lock_sequences()
    number = _next_number(kind, as_of)
    rendered = render_html(
        kind=kind,
        customer=customer,
        as_of=as_of,
        date_from=date_from,
        language=language,
        number=number,
    )
    pdf = html_to_pdf(rendered.html)
    document = Document(
        number=number,
        kind=kind,
        customer=customer,
        as_of=as_of,
        date_from=date_from,
        language=language,
        template_version=rendered.template_version,
        total=rendered.total,
        pdf=pdf,
        size=len(pdf),
        sha256=hashlib.sha256(pdf).hexdigest(),
        created_by=_actor(actor),
    )
    _save(document)
    audit_record(
        actor=actor,
        action="document.issue",
        obj=document,
        after=snapshot(document, _DOCUMENT_AUDIT_FIELDS),
    )
    if kind == DocumentKind.CONFIRMATION:
        confirmation = _save(
            BalanceConfirmation(
                document=document,
                customer=customer,
                as_of=as_of,
                our_balance=rendered.total,
                status=ConfirmationStatus.ISSUED,
            )
        )
        audit_record(
            actor=actor,
            action="confirmation.issue",
            obj=confirmation,
            after=snapshot(confirmation, ["document_id", "as_of", "our_balance", "status"]),
        )
    return document


def _activity_note(document: Document, via: str) -> str:
    return _("%(document)s %(number)s sent (%(via)s).") % {
        "document": document.get_kind_display(),
        "number": document.number,
        "via": SentVia(via).label,
    }


@transaction.atomic
def document_mark_sent(
    *, document: Document, on: date, via: str, actor, reference: str = ""
) -> Document:
    """Record how and when a letter left: once only. An overdue notice or lawyer's letter is a
    written demand: it is logged as a contact with the customer (a letter, or an email when sent
    by email) and restarts the limitation period from ``on``. A balance confirmation becomes
    "sent" (the reply is awaited from then) and is logged as a contact, not as a demand."""
    if via not in SentVia.values:
        raise invalid("via", _("Unknown way of sending: %(via)s.") % {"via": via})
    if on is None:
        raise invalid("on", _("Give the date it was sent."))
    document = Document.objects.defer("pdf").select_for_update().get(pk=document.pk)
    if document.sent_on is not None:
        raise invalid(
            "document",
            _("%(number)s was already marked as sent on %(date)s.")
            % {"number": document.number, "date": document.sent_on.isoformat()},
        )
    reference = (reference or "").strip()[:255]
    before = snapshot(document, ["sent_on", "sent_via", "sent_reference"])
    document.sent_on = on
    document.sent_via = via
    document.sent_reference = reference
    document.save(update_fields=["sent_on", "sent_via", "sent_reference"])
    audit_record(
        actor=actor,
        action="document.mark_sent",
        obj=document,
        before=before,
        after=snapshot(document, ["sent_on", "sent_via", "sent_reference"]),
    )
    channel = Channel.EMAIL if via == SentVia.EMAIL else Channel.LETTER
    if document.kind in DEMAND_KINDS:
        activity_log(
            customer=document.customer,
            actor=actor,
            happened_on=on,
            channel=channel,
            outcome=Outcome.REACHED,
            is_written_demand=True,
            note=_activity_note(document, via),
        )
    elif document.kind == DocumentKind.CONFIRMATION:
        confirmation = BalanceConfirmation.objects.defer("scan").select_for_update()
        confirmation = confirmation.get(document=document)
        confirmation.status = ConfirmationStatus.SENT
        confirmation.sent_on = on
        _save(confirmation)
        audit_record(
            actor=actor,
            action="confirmation.sent",
            obj=confirmation,
            after={"status": confirmation.status, "sent_on": on},
        )
        activity_log(
            customer=document.customer,
            actor=actor,
            happened_on=on,
            channel=channel,
            outcome=Outcome.REACHED,
            note=_activity_note(document, via),
        )
    return document


# --- Replies to balance confirmations ------------------------------------------------------------


def _read_scan(scan: UploadedFile) -> tuple[bytes, str, str]:
    """The scan's bytes, name and type; refuses one too large or not a PDF, JPEG or PNG."""
    size = getattr(scan, "size", None)
    if size is not None and size > SCAN_MAX_BYTES:
        raise invalid("scan", _("The scan is larger than 10 MB."))
    scan.seek(0)
    data = scan.read(SCAN_MAX_BYTES + 1)
    if len(data) > SCAN_MAX_BYTES:
        raise invalid("scan", _("The scan is larger than 10 MB."))
    for signature, content_type in SCAN_SIGNATURES:
        if data.startswith(signature):
            name = (getattr(scan, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1]
            return data, name[:255], content_type
    raise invalid("scan", _("The scan must be a PDF, JPEG or PNG file."))


def _keep_scan(confirmation: BalanceConfirmation, scan_data: tuple[bytes, str, str]) -> None:
    data, name, content_type = scan_data
    confirmation.scan = data
    confirmation.scan_name = name
    confirmation.scan_type = content_type
    confirmation.scan_sha256 = hashlib.sha256(data).hexdigest()


def _record_limitation(confirmation: BalanceConfirmation, actor) -> None:
    event = limitation_event_record(
        customer=confirmation.customer,
        actor=actor,
        kind=InterruptionKind.CONFIRMATION,
        happened_on=confirmation.replied_on,
        evidence=(
            f"询证函 {confirmation.document.number} 回函扫描件 "
            f"sha256 {confirmation.scan_sha256[:12]}"
        ),
    )
    confirmation.limitation_event = event
    confirmation.save(update_fields=["limitation_event"])


def _locked_confirmation(confirmation: BalanceConfirmation) -> BalanceConfirmation:
    return (
        BalanceConfirmation.objects.select_for_update()
        .select_related("document", "customer")
        .defer("document__pdf")
        .get(pk=confirmation.pk)
    )


def _reply_snapshot(confirmation: BalanceConfirmation) -> dict:
    return snapshot(
        confirmation,
        ["status", "replied_on", "their_balance", "reply_note", "scan_name", "scan_sha256"],
    )


@transaction.atomic
def confirmation_reply_record(
    *,
    confirmation: BalanceConfirmation,
    actor,
    replied_on: date,
    outcome: str,
    their_balance=None,
    note: str = "",
    scan: UploadedFile | None = None,
    today: date,
) -> BalanceConfirmation:
    """Record what the customer answered to a sent balance confirmation: agreed (their figure,
    if given, must be ours), disagreed (their figure, zero or more, is required) or no reply.

    Refuses a confirmation not sent yet or already answered, a reply dated before the sending
    or after ``today``, and a scan over 10 MB or that is not a PDF, JPEG or PNG. A signed reply
    — agreed or disagreed with its scan — restarts the limitation period from ``replied_on``.
    """
    if outcome not in REPLY_OUTCOMES:
        raise invalid("outcome", _("Unknown answer: %(value)s.") % {"value": outcome})
    confirmation = _locked_confirmation(confirmation)
    if confirmation.status == ConfirmationStatus.ISSUED:
        raise invalid(
            "confirmation", _("This confirmation has not been sent yet; mark it sent first.")
        )
    if confirmation.status in CLOSED_CONFIRMATION:
        raise invalid("confirmation", _("The answer to this confirmation is already recorded."))
    if replied_on is None:
        raise invalid("replied_on", _("Give the date of the reply."))
    if replied_on < confirmation.sent_on:
        raise invalid(
            "replied_on",
            _("The reply cannot be before the confirmation was sent (%(date)s).")
            % {"date": confirmation.sent_on.isoformat()},
        )
    if replied_on > today:
        raise invalid("replied_on", _("The reply date cannot be in the future."))
    figure = None
    if their_balance not in (None, ""):
        try:
            figure = to_decimal(their_balance)
        except MoneyError:
            raise invalid("their_balance", _("Give the customer's figure as an amount.")) from None
        if figure < 0:
            raise invalid("their_balance", _("The customer's figure cannot be negative."))
    if outcome == ConfirmationStatus.DISAGREED and figure is None:
        raise invalid(
            "their_balance", _("Give the balance the customer says it owes (zero or more).")
        )
    if outcome == ConfirmationStatus.AGREED:
        if figure is not None and figure != confirmation.our_balance:
            raise invalid(
                "their_balance",
                _(
                    "An agreement confirms our balance of %(balance)s; with another figure "
                    "record a disagreement."
                )
                % {"balance": f"{confirmation.our_balance:,.2f}"},
            )
        figure = confirmation.our_balance if confirmation.our_balance >= 0 else None
    if outcome == ConfirmationStatus.NO_REPLY:
        if figure is not None:
            raise invalid("their_balance", _("Without a reply there is no customer's figure."))
        if scan is not None:
            raise invalid("scan", _("Without a reply there is no signed scan."))
    scan_data = _read_scan(scan) if scan is not None else None

    before = _reply_snapshot(confirmation)
    confirmation.status = outcome
    confirmation.replied_on = replied_on
    confirmation.their_balance = figure
    confirmation.reply_note = (note or "").strip()
    confirmation.replied_by = _actor(actor)
    if scan_data is not None:
        _keep_scan(confirmation, scan_data)
    _save(confirmation)
    audit_record(
        actor=actor,
        action="confirmation.reply",
        obj=confirmation,
        before=before,
        after=_reply_snapshot(confirmation),
    )
    if scan_data is not None:
        _record_limitation(confirmation, actor)
    return confirmation


@transaction.atomic
def confirmation_scan_attach(
    *, confirmation: BalanceConfirmation, actor, scan: UploadedFile, today: date
) -> BalanceConfirmation:
    """Add the signed scan to an agreed or disagreed confirmation recorded without one; the
    limitation period then restarts from the reply date. ``today`` is the day of the attaching,
    kept in the audit trail. Refuses a confirmation with no signed reply or a scan already, and
    a scan over 10 MB or that is not a PDF, JPEG or PNG."""
    if scan is None:
        raise invalid("scan", _("Choose the scan to attach."))
    confirmation = _locked_confirmation(confirmation)
    if confirmation.status not in (ConfirmationStatus.AGREED, ConfirmationStatus.DISAGREED):
        raise invalid("confirmation", _("A scan belongs to a confirmation the customer answered."))
    if confirmation.scan_sha256:
        raise invalid("confirmation", _("This confirmation already has its signed scan."))
    scan_data = _read_scan(scan)
    before = _reply_snapshot(confirmation)
    _keep_scan(confirmation, scan_data)
    _save(confirmation)
    audit_record(
        actor=actor,
        action="confirmation.scan_attach",
        obj=confirmation,
        before=before,
        after=_reply_snapshot(confirmation),
        note=f"attached on {today.isoformat()}",
    )
    _record_limitation(confirmation, actor)
    return confirmation


# --- Templates -----------------------------------------------------------------------------------


def _check_template_target(kind: str, language: str) -> None:
    if kind not in DocumentKind.values:
        raise invalid("kind", _("Unknown kind of document: %(kind)s.") % {"kind": kind})
    if language not in Language.values:
        raise invalid("language", _("Unknown language: %(language)s.") % {"language": language})


def _new_version(*, kind: str, language: str, body: str, actor, note: str) -> DocumentTemplate:
    _lock_sequences()
    last = (
        DocumentTemplate.objects.filter(kind=kind, language=language)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    template = _save(
        DocumentTemplate(
            kind=kind,
            language=language,
            version=(last or 0) + 1,
            body=body,
            note=(note or "").strip()[:255],
            created_by=_actor(actor),
        )
    )
    audit_record(
        actor=actor,
        action="document_template.save",
        obj=template,
        after=snapshot(template, ["kind", "language", "version", "note"]),
    )
    return template


@transaction.atomic
def document_template_save(
    *, kind: str, language: str, body: str, actor, note: str = ""
) -> DocumentTemplate:
    """Save an edited template as the next version of ``kind`` in ``language``; documents issued
    from now on use it. Refuses a template that does not compile (naming the line)."""
    _check_template_target(kind, language)
    validate_template(body)
    return _new_version(kind=kind, language=language, body=body, actor=actor, note=note)


@transaction.atomic
def document_template_reset(*, kind: str, language: str, actor) -> DocumentTemplate:
    """Go back to the built-in wording: a new version whose text is the built-in file's (the
    history stays). Refuses when no edited version exists (the built-in one is in use)."""
    _check_template_target(kind, language)
    if not DocumentTemplate.objects.filter(kind=kind, language=language).exists():
        raise invalid("kind", _("This document already uses the built-in template."))
    return _new_version(
        kind=kind,
        language=language,
        body=built_in_source(kind, language),
        actor=actor,
        note=_("Reset to the built-in template."),
    )
