"""Request and response shapes of the credit-control endpoints (the credit check, credit
decisions, credit profiles, holds, exceptions and warning signals). Shape only: every rule lives
in huikuan.risk (credit.py, services.py, signals.py).

The conventions are those of schemas.py: customers are named by code, the risk objects by their
id; amounts are decimal strings, dates ``YYYY-MM-DD``; unknown fields in a request body are
refused.
"""

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from huikuan.risk.credit import reason_text
from huikuan.risk.models import RECORDED_KINDS, Decision, Rating, Severity, SignalKind

from .schemas import Amount, Date, Money, RequestBody, Text

DecisionChoice = Literal[tuple(Decision.values)]
SignalKindChoice = Literal[tuple(SignalKind.values)]
# The kinds a person records; the others are computed by the daily run.
RecordedKindChoice = Literal[tuple(kind.value for kind in RECORDED_KINDS)]
SeverityChoice = Literal[tuple(Severity.values)]
HandleChoice = Literal["confirmed", "dismissed", "resolved"]
# "live": open or confirmed, the signals that still count against the customer.
SignalStatusChoice = Literal["live", "open", "confirmed", "dismissed", "resolved", "all"]
RatingChoice = Literal[tuple(["", *Rating.values])]
ExceptionStateChoice = Literal["active", "pending", "used_up", "expired", "revoked"]


def _username(user) -> str | None:
    return user.username if user is not None else None


# --- The credit check and its decisions ---------------------------------------------------------


class CreditCheckIn(RequestBody):
    customer: Text = Field(description="Customer code.")
    amount: Amount = Field(description="The order's amount on credit.")
    order_ref: Text = Field(
        "",
        max_length=64,
        description="The order's reference; asking again for the same order replaces the "
        "earlier answer (its reservation is released).",
    )


class ReasonOut(Schema):
    code: str = Field(
        description="within_limit, over_limit, ramp_limit, overdue_block, overdue_partial, "
        "promise_broken, class_block, rating_block, rating_partial, signal_strong, "
        "signal_watch, hold, supply_stopped, supply_reduced, exception_used, no_limit."
    )
    message: str = Field(description="The reason as a sentence, in the request's language.")
    params: dict[str, Any] = Field(
        description="The figures behind it; amounts as decimal strings, dates YYYY-MM-DD."
    )


class CreditDecisionOut(Schema):
    id: int
    customer: str = Field(description="Customer code.")
    order_ref: str
    amount: Money = Field(description="The amount asked for.")
    decision: DecisionChoice = Field(
        description="allow; partial (限量发货: ship allowed_amount); block (前款不结,后货不送)."
    )
    allowed_amount: Money = Field(description="What may ship on credit now.")
    reasons: list[ReasonOut] = Field(description="Why; always at least one.")
    exposure: Money = Field(description="The customer's exposure before this order.")
    credit_limit: Money = Field(description="The limit in force when it was asked.")
    exception_used: Money = Field(description="Taken from a manager's exception, if any.")
    as_of: dt.date = Field(description="The business date of the check.")
    reserved_until: dt.date | None = Field(
        description="The allowed amount counts against the limit until this day, unless "
        "released earlier; null when nothing was allowed."
    )
    released_at: dt.datetime | None
    asked_by: str | None
    asked_at: dt.datetime

    @staticmethod
    def resolve_customer(obj) -> str:
        return obj.customer.code

    @staticmethod
    def resolve_reasons(obj) -> list[dict]:
        return [
            {
                "code": reason.get("code", ""),
                "message": reason_text(reason),
                "params": reason.get("params") or {},
            }
            for reason in obj.reasons or []
        ]

    @staticmethod
    def resolve_asked_by(obj) -> str | None:
        return _username(obj.asked_by)


class CreditDecisionsPage(Schema):
    items: list[CreditDecisionOut]
    count: int


# --- Credit profiles ----------------------------------------------------------------------------


class RampOut(Schema):
    in_ramp: bool = Field(description="A new customer whose limit is still held below the grant.")
    step: int = Field(description="Doublings of the starting limit earned by on-time payments.")
    paid_to_next_step: int = Field(description="On-time payments still needed for the next one.")


class CreditProfileOut(Schema):
    customer: str = Field(description="Customer code.")
    as_of: dt.date
    credit_limit: Money = Field(description="The limit granted.")
    limit_in_force: Money = Field(description="The limit the check uses (a new customer's ramp).")
    ramp: RampOut
    first_deal_on: dt.date | None
    payment_terms_days: int
    exposure: Money = Field(
        description="Open receivables − unapplied credit + allowed orders still reserved."
    )
    headroom: Money = Field(description="limit_in_force − exposure; negative when over.")
    rating: str = Field(description="The rating in force: A–D, or empty when unrated.")
    computed_rating: str
    rating_override: str = Field(description="A rating set by hand; empty when none.")
    override_reason: str
    trend: str = Field(description="improving, steady, worsening, or empty: too little history.")
    avg_days_late: int | None = Field(
        description="Average days paid after due over the last 180 days (weighted by amount)."
    )
    prev_avg_days_late: int | None = Field(description="The same for the 180 days before.")
    on_time_count: int
    late_count: int
    computed_on: dt.date | None = Field(description="When the daily run last computed them.")
    live_holds: int
    active_exceptions: int = Field(description="Exceptions a check may draw on today.")
    live_signals: int = Field(description="Warning signals open or confirmed.")


class CreditProfileIn(RequestBody):
    credit_limit: Amount | None = Field(None, description="The new limit; omit to keep it.")
    payment_terms_days: int | None = Field(None, ge=0, le=3650)
    rating_override: RatingChoice | None = Field(
        None, description='A rating set by hand; "" clears it; omit to keep it.'
    )
    reason: Text = Field(description="Why; kept in the audit trail.")


# --- Holds --------------------------------------------------------------------------------------


class HoldIn(RequestBody):
    customer: Text = Field(description="Customer code.")
    reason: Text


class HoldReleaseIn(RequestBody):
    note: Text = Field(description="Why the hold is lifted.")


class HoldOut(Schema):
    id: int
    customer: str
    reason: str
    active: bool = Field(description="Not released: every credit check of the customer blocks.")
    placed_by: str | None
    placed_at: dt.datetime
    released_by: str | None
    released_at: dt.datetime | None
    release_note: str

    @staticmethod
    def resolve_customer(obj) -> str:
        return obj.customer.code

    @staticmethod
    def resolve_active(obj) -> bool:
        return obj.released_at is None

    @staticmethod
    def resolve_placed_by(obj) -> str | None:
        return _username(obj.placed_by)

    @staticmethod
    def resolve_released_by(obj) -> str | None:
        return _username(obj.released_by)


class HoldsPage(Schema):
    items: list[HoldOut]
    count: int


# --- Exceptions ---------------------------------------------------------------------------------


class ExceptionIn(RequestBody):
    customer: Text = Field(description="Customer code.")
    amount: Amount = Field(description="At most this much may ship despite the rules.")
    valid_from: Date | None = Field(None, description="Default today.")
    valid_until: Date
    reason: Text


class ExceptionOut(Schema):
    id: int
    customer: str
    amount: Money
    used: Money
    remaining: Money
    state: ExceptionStateChoice = Field(
        description="active (a check may draw on it), pending (valid from a later day), "
        "used_up, expired or revoked — as of today."
    )
    valid_from: dt.date
    valid_until: dt.date
    reason: str
    granted_by: str | None
    granted_at: dt.datetime
    revoked_by: str | None
    revoked_at: dt.datetime | None

    @staticmethod
    def resolve_customer(obj) -> str:
        return obj.customer.code

    @staticmethod
    def resolve_granted_by(obj) -> str | None:
        return _username(obj.granted_by)

    @staticmethod
    def resolve_revoked_by(obj) -> str | None:
        return _username(obj.revoked_by)


class ExceptionsPage(Schema):
    items: list[ExceptionOut]
    count: int


# --- Warning signals ----------------------------------------------------------------------------


class SignalIn(RequestBody):
    customer: Text = Field(description="Customer code.")
    kind: RecordedKindChoice
    evidence: Text = Field(description="What was seen or heard, where, and from whom.")
    detected_on: Date | None = Field(None, description="When it was seen; default today.")
    severity: SeverityChoice | None = Field(None, description="Default: the kind's usual one.")


class SignalHandleIn(RequestBody):
    status: HandleChoice
    note: Text = ""


class SignalOut(Schema):
    id: int
    customer: str
    kind: SignalKindChoice
    severity: SeverityChoice
    status: str = Field(description="open, confirmed, dismissed or resolved.")
    detected_on: dt.date
    evidence: str
    data: dict[str, Any] = Field(description="The figures of a computed signal.")
    computed: bool = Field(description="Raised by the daily run rather than recorded by a person.")
    recorded_by: str | None
    created_at: dt.datetime
    handled_by: str | None
    handled_at: dt.datetime | None
    handled_note: str

    @staticmethod
    def resolve_customer(obj) -> str:
        return obj.customer.code

    @staticmethod
    def resolve_computed(obj) -> bool:
        return bool(obj.key)

    @staticmethod
    def resolve_recorded_by(obj) -> str | None:
        return _username(obj.recorded_by)

    @staticmethod
    def resolve_handled_by(obj) -> str | None:
        return _username(obj.handled_by)


class SignalsPage(Schema):
    items: list[SignalOut]
    count: int
