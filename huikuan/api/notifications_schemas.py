"""Request and response shapes of the letter and message endpoints (documents, balance
confirmations, the outbox, sending alerts). Shape only: every rule lives in huikuan.documents and
huikuan.notifications.

The conventions are those of schemas.py: customers are named by code, documents by number,
messages and alerts by id; amounts are decimal strings, dates ``YYYY-MM-DD``; unknown fields in
a request body are refused.
"""

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

from huikuan.documents.models import ConfirmationStatus, DocumentKind, Language, SentVia
from huikuan.notifications.models import AlertKind, Channel, MessageStatus

from .schemas import Amount, Date, Money, RequestBody, Text

DocumentKindChoice = Literal[tuple(DocumentKind.values)]
LanguageChoice = Literal[tuple(Language.values)]
SentViaChoice = Literal[tuple(SentVia.values)]
ReplyChoice = Literal["agreed", "disagreed", "no_reply"]
ConfirmationStatusChoice = Literal[tuple(ConfirmationStatus.values)]
MessageStatusChoice = Literal[tuple(MessageStatus.values)]
ChannelChoice = Literal[tuple(Channel.values)]
SendChannelChoice = Literal["email", "sms"]
AlertKindChoice = Literal[tuple(AlertKind.values)]


def _username(user) -> str | None:
    return user.username if user is not None else None


# --- Documents ----------------------------------------------------------------------------------


class DocumentIn(RequestBody):
    kind: DocumentKindChoice = Field(
        description="statement, confirmation, overdue-notice or lawyer-letter."
    )
    customer: Text = Field(description="Customer code.")
    as_of: Date | None = Field(None, description="The day of the figures; default today.")
    language: LanguageChoice = "zh-hans"
    date_from: Date | None = Field(
        None, description="Statements only: the first day of the period (default: the 1st)."
    )


class DocumentOut(Schema):
    number: str
    kind: str
    customer: str = Field(description="Customer code.")
    as_of: dt.date
    date_from: dt.date | None
    language: str
    total: Money = Field(
        description="Closing balance (statement, confirmation) or overdue total (demands)."
    )
    template_version: int = Field(description="0: the built-in template.")
    size: int
    sha256: str
    sent_on: dt.date | None
    sent_via: str
    sent_reference: str
    url: str = Field(description="Where to download the PDF (with the same token).")
    created_at: dt.datetime

    @staticmethod
    def resolve_customer(obj) -> str:
        return obj.customer.code

    @staticmethod
    def resolve_url(obj) -> str:
        return f"/api/v1/documents/{obj.number}.pdf"


class DocumentSentIn(RequestBody):
    on: Date | None = Field(None, description="The day it was sent; default today.")
    via: SentViaChoice = Field(description="email, post, hand or fax.")
    reference: Text = Field("", max_length=255, description="Tracking number or note.")


# --- Balance confirmations ----------------------------------------------------------------------


class ReplyIn(RequestBody):
    outcome: ReplyChoice
    replied_on: Date
    their_balance: Amount | None = Field(
        None, description="Required when the customer disagrees: the balance it says it owes."
    )
    note: Text = Field("", max_length=2000)


class ConfirmationOut(Schema):
    number: str = Field(description="The confirmation letter's document number.")
    customer: str = Field(description="Customer code.")
    as_of: dt.date
    our_balance: Money
    status: str = Field(description="issued, sent, agreed, disagreed or no_reply.")
    sent_on: dt.date | None
    replied_on: dt.date | None
    their_balance: Money | None
    reply_note: str
    has_scan: bool
    scan_sha256: str
    limitation_restarted_on: dt.date | None = Field(
        description="When a signed reply restarted the limitation period."
    )
    days_waiting: int | None = Field(description="Days since sending, while the reply is awaited.")

    @staticmethod
    def resolve_number(obj) -> str:
        return obj.document.number

    @staticmethod
    def resolve_customer(obj) -> str:
        return obj.customer.code

    @staticmethod
    def resolve_has_scan(obj) -> bool:
        return bool(obj.scan_sha256)

    @staticmethod
    def resolve_limitation_restarted_on(obj) -> dt.date | None:
        event = obj.limitation_event
        return event.happened_on if event is not None else None

    @staticmethod
    def resolve_days_waiting(obj) -> int | None:
        waiting = getattr(obj, "days_waiting", None)
        return waiting.days if waiting is not None else None


class ConfirmationsPage(Schema):
    items: list[ConfirmationOut]
    count: int


# --- Messages -----------------------------------------------------------------------------------


class MessageIn(RequestBody):
    customer: Text = Field(description="Customer code.")
    channel: SendChannelChoice = Field(description="email or sms.")
    recipient: Text = Field(
        max_length=500,
        description="Email addresses (comma-separated, at most ten) or a mainland mobile number.",
    )
    document: Text | None = Field(
        None,
        description="A document number: email that letter as a PDF. Without it, the message "
        "of the customer's current dunning level is sent.",
    )
    as_of: Date | None = Field(None, description="The day of the figures; default today.")
    language: LanguageChoice = "zh-hans"


class AttemptOut(Schema):
    number: int
    worker: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    result: str = Field(description="sent, retry, failed, unknown; empty while running.")
    detail: str


class MessageOut(Schema):
    id: int
    key: str
    channel: str
    purpose: str
    status: str = Field(description="queued, sending, sent, failed, unknown or cancelled.")
    customer: str | None = Field(description="Customer code.")
    document: str | None = Field(description="Number of the attached document.")
    robot: str | None = Field(description="Name of the group robot.")
    recipient: str
    subject: str
    attempts: int
    next_attempt_at: dt.datetime
    sent_at: dt.datetime | None
    last_error: str
    created_at: dt.datetime

    @staticmethod
    def resolve_customer(obj) -> str | None:
        return obj.customer.code if obj.customer_id else None

    @staticmethod
    def resolve_document(obj) -> str | None:
        return obj.document.number if obj.document_id else None

    @staticmethod
    def resolve_robot(obj) -> str | None:
        return obj.robot.name if obj.robot_id else None


class MessageDetailOut(MessageOut):
    body_text: str
    delivery_attempts: list[AttemptOut]

    @staticmethod
    def resolve_delivery_attempts(obj) -> list:
        return list(obj.delivery_attempts.order_by("number"))


class MessagesPage(Schema):
    items: list[MessageOut]
    count: int


class BounceIn(RequestBody):
    detail: Text = Field(
        max_length=2000, description="What the mail system reported (the bounce's text)."
    )


# --- Alerts -------------------------------------------------------------------------------------


class AlertOut(Schema):
    id: int
    kind: str = Field(description="bounced, unreachable, gave_up or unknown.")
    message: int | None = Field(description="The message's id.")
    customer: str | None = Field(description="Customer code.")
    text: str
    created_at: dt.datetime
    resolved_at: dt.datetime | None
    resolved_by: str | None

    @staticmethod
    def resolve_message(obj) -> int | None:
        return obj.message_id

    @staticmethod
    def resolve_customer(obj) -> str | None:
        return obj.customer.code if obj.customer_id else None

    @staticmethod
    def resolve_resolved_by(obj) -> str | None:
        return _username(obj.resolved_by)


class AlertsPage(Schema):
    items: list[AlertOut]
    count: int
