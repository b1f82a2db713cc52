"""The letter and message endpoints of the API: issuing a document and downloading its PDF,
recording that it was sent, balance confirmations and their replies, the outbox (queueing a
dunning message or a letter by email, reading a message with its delivery log, cancelling or
sending again, reporting a late bounce) and the sending alerts.

Same rules as the rest of the API: every object is looked up among those of the customers the
token's user may see (anything else is a 404, exactly like a missing object); messages to group
robots and alerts without a customer are for managers and administrators only. Lawyer's letters
are issued by managers and administrators (403 otherwise). Each endpoint calls one service or
selector with ``actor`` set to the token's user.
"""

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.responses import Status

from huikuan.core.dates import business_today
from huikuan.customers.selectors import customers_visible_to
from huikuan.documents.models import BalanceConfirmation, Document
from huikuan.documents.selectors import confirmations_for_list
from huikuan.documents.services import (
    confirmation_reply_record,
    document_issue,
    document_mark_sent,
)
from huikuan.notifications import outbox
from huikuan.notifications.models import Message
from huikuan.notifications.selectors import alerts_visible_to, messages_visible_to
from huikuan.notifications.services import (
    document_email_queue,
    dunning_message_send,
    message_bounce_report,
)

from .dunning_schemas import PageQuery
from .errors import ApiError, not_found
from .notifications_schemas import (
    AlertOut,
    AlertsPage,
    BounceIn,
    ChannelChoice,
    ConfirmationOut,
    ConfirmationsPage,
    ConfirmationStatusChoice,
    DocumentIn,
    DocumentOut,
    DocumentSentIn,
    MessageDetailOut,
    MessageIn,
    MessagesPage,
    MessageStatusChoice,
    ReplyIn,
)
from .schemas import READ_ERRORS, WRITE_ERRORS, ErrorOut, Text

router = Router()


def _page(queryset, pages: PageQuery) -> tuple[list, int]:
    return list(queryset[pages.offset : pages.offset + pages.limit]), queryset.count()


def _visible(request):
    return customers_visible_to(request.auth)


def _customer(request, code: str, field: str = "customer"):
    customer = _visible(request).filter(code=code).first()
    if customer is None:
        raise not_found(field, _("There is no customer with code %(code)s.") % {"code": code})
    return customer


def _documents(request, *, with_pdf: bool = False):
    documents = Document.objects.filter(customer__in=_visible(request)).select_related("customer")
    return documents if with_pdf else documents.defer("pdf")


def _document(request, number: str, *, with_pdf: bool = False) -> Document:
    document = _documents(request, with_pdf=with_pdf).filter(number=number).first()
    if document is None:
        raise not_found(
            "number", _("There is no document with number %(number)s.") % {"number": number}
        )
    return document


def _confirmations(request):
    return (
        BalanceConfirmation.objects.filter(customer__in=_visible(request))
        .select_related("document", "customer", "limitation_event")
        .defer("scan", "document__pdf")
    )


def _message(request, pk: int):
    message = messages_visible_to(request.auth).filter(pk=pk).first()
    if message is None:
        raise not_found("id", _("There is no message with id %(id)s.") % {"id": pk})
    return message


def _message_detail(pk: int) -> Message:
    """A message already found visible, with what its detail answer shows."""
    return (
        Message.objects.select_related("customer", "document", "robot")
        .defer("document__pdf")
        .get(pk=pk)
    )


# --- Documents ----------------------------------------------------------------------------------


@router.post("/documents", response={201: DocumentOut, **WRITE_ERRORS}, tags=["letters"])
def documents_create(request, payload: DocumentIn):
    """Issue a letter: render it with the figures of ``as_of`` and keep the PDF under a new
    number. Refused (422) for a demand to a customer with nothing overdue. Lawyer's letters
    need a manager or admin (403)."""
    customer = _customer(request, payload.customer)
    document = document_issue(
        kind=payload.kind,
        customer=customer,
        as_of=payload.as_of or business_today(),
        actor=request.auth,
        language=payload.language,
        date_from=payload.date_from,
    )
    return Status(201, _documents(request).get(pk=document.pk))


@router.get(
    "/documents/{number}.pdf",
    response={200: None, 401: ErrorOut, 404: ErrorOut},
    tags=["letters"],
)
def documents_pdf(request, number: Text):
    """The issued letter's PDF, exactly as it was issued."""
    document = _document(request, number, with_pdf=True)
    response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    return response


@router.get("/documents/{number}", response={200: DocumentOut, **READ_ERRORS}, tags=["letters"])
def documents_detail(request, number: Text):
    """One issued letter's facts (number, total, whether and how it was sent)."""
    return _document(request, number)


@router.post(
    "/documents/{number}/sent", response={200: DocumentOut, **WRITE_ERRORS}, tags=["letters"]
)
def documents_sent(request, number: Text, payload: DocumentSentIn):
    """Record that the letter left (once). A sent overdue notice or lawyer's letter restarts
    the limitation period; a sent confirmation starts waiting for its reply."""
    document = _document(request, number)
    document_mark_sent(
        document=document,
        on=payload.on or business_today(),
        via=payload.via,
        reference=payload.reference,
        actor=request.auth,
    )
    return _documents(request).get(pk=document.pk)


# --- Balance confirmations ----------------------------------------------------------------------


@router.get("/confirmations", response={200: ConfirmationsPage, **READ_ERRORS}, tags=["letters"])
def confirmations_list(
    request,
    pages: Query[PageQuery],
    status: ConfirmationStatusChoice | None = None,
    customer: Text = "",
):
    """Balance confirmations you may see, newest first; ``status`` picks one status,
    ``customer`` (a code) one customer. ``days_waiting`` counts from the sending day while the
    reply is awaited."""
    customers = _visible(request)
    if customer:
        customers = customers.filter(code=customer)
    rows = confirmations_for_list(
        customers=customers, status=status or None, as_of=business_today()
    ).select_related("limitation_event")
    items, count = _page(rows, pages)
    return {"items": items, "count": count}


@router.post(
    "/confirmations/{number}/reply",
    response={200: ConfirmationOut, **WRITE_ERRORS},
    tags=["letters"],
)
def confirmations_reply(request, number: Text, payload: ReplyIn):
    """Record the customer's answer to a sent confirmation: agreed, disagreed (with their
    figure) or no reply. The signed scan is uploaded on the web page; with it, the limitation
    period restarts."""
    confirmation = _confirmations(request).filter(document__number=number).first()
    if confirmation is None:
        raise not_found(
            "number",
            _("There is no balance confirmation with number %(number)s.") % {"number": number},
        )
    confirmation_reply_record(
        confirmation=confirmation,
        actor=request.auth,
        replied_on=payload.replied_on,
        outcome=payload.outcome,
        their_balance=payload.their_balance,
        note=payload.note,
        today=business_today(),
    )
    return _confirmations(request).get(pk=confirmation.pk)


# --- Messages -----------------------------------------------------------------------------------


@router.post("/messages", response={201: MessageDetailOut, **WRITE_ERRORS}, tags=["messages"])
def messages_create(request, payload: MessageIn):
    """Queue a message to a customer: with ``document``, that letter by email as a PDF; without,
    the message of the customer's current dunning level by email or SMS. Queueing the same
    thing again answers the message already queued."""
    customer = _customer(request, payload.customer)
    now = timezone.now()
    if payload.document:
        document = _documents(request).filter(number=payload.document, customer=customer).first()
        if document is None:
            raise not_found(
                "document",
                _("There is no document with number %(number)s.") % {"number": payload.document},
            )
        if payload.channel != "email":
            raise ApiError(422, "channel", _("A letter goes by email (as a PDF) or by post."))
        message = document_email_queue(
            document=document,
            recipient=payload.recipient,
            actor=request.auth,
            now=now,
            language=payload.language,
        )
    else:
        message = dunning_message_send(
            customer=customer,
            channel=payload.channel,
            recipient=payload.recipient,
            as_of=payload.as_of or business_today(),
            actor=request.auth,
            now=now,
            language=payload.language,
        )
    return Status(201, _message_detail(message.pk))


@router.get("/messages", response={200: MessagesPage, **READ_ERRORS}, tags=["messages"])
def messages_list(
    request,
    pages: Query[PageQuery],
    status: MessageStatusChoice | None = None,
    channel: ChannelChoice | None = None,
    customer: Text = "",
):
    """Messages you may see, newest first; filter by ``status``, ``channel`` and ``customer``
    (a code)."""
    rows = messages_visible_to(request.auth)
    if status:
        rows = rows.filter(status=status)
    if channel:
        rows = rows.filter(channel=channel)
    if customer:
        rows = rows.filter(customer__code=customer)
    items, count = _page(rows, pages)
    return {"items": items, "count": count}


@router.get("/messages/{id}", response={200: MessageDetailOut, **READ_ERRORS}, tags=["messages"])
def messages_detail(request, id: int):
    """One message with its text and its delivery log (every attempt, its worker and result)."""
    return _message_detail(_message(request, id).pk)


@router.post(
    "/messages/{id}/requeue", response={200: MessageDetailOut, **WRITE_ERRORS}, tags=["messages"]
)
def messages_requeue(request, id: int):
    """Send a failed message again, or one of unknown outcome once you checked it did not
    arrive."""
    message = _message(request, id)
    outbox.message_requeue(message=message, actor=request.auth, now=timezone.now())
    return _message_detail(message.pk)


@router.post(
    "/messages/{id}/cancel", response={200: MessageDetailOut, **WRITE_ERRORS}, tags=["messages"]
)
def messages_cancel(request, id: int):
    """Stop a message that has not gone out (waiting, failed or of unknown outcome)."""
    message = _message(request, id)
    outbox.message_cancel(message=message, actor=request.auth, now=timezone.now())
    return _message_detail(message.pk)


@router.post("/messages/{id}/bounce", response={201: AlertOut, **WRITE_ERRORS}, tags=["messages"])
def messages_bounce(request, id: int, payload: BounceIn):
    """A mail system reports that a sent email bounced later: the message stays sent and a
    BOUNCED alert naming it is raised."""
    message = _message(request, id)
    alert = message_bounce_report(
        message=message, detail=payload.detail, actor=request.auth, now=timezone.now()
    )
    return Status(201, alerts_visible_to(request.auth, open_only=False).get(pk=alert.pk))


# --- Alerts -------------------------------------------------------------------------------------


@router.get("/alerts", response={200: AlertsPage, **READ_ERRORS}, tags=["messages"])
def alerts_list(request, pages: Query[PageQuery], open: bool = True):
    """Sending alerts you may see, newest first; ``open=false`` includes resolved ones."""
    rows = alerts_visible_to(request.auth, open_only=open).select_related("resolved_by")
    items, count = _page(rows, pages)
    return {"items": items, "count": count}
