"""Reads for the credit-control and early-warning pages: a customer's credit position, and the
signals, exceptions and credit decisions a user may see.

Visibility is the customers' one rule (``customers_visible_to``): a rep sees their own
customers' records, a manager their team's, finance and administrators everyone's.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet

from huikuan.customers.models import Customer
from huikuan.customers.selectors import customers_visible_to

from .credit import exposure, reason_text
from .models import (
    LIVE_STATUSES,
    CreditDecision,
    CreditException,
    CreditHold,
    CreditProfile,
    Rating,
    Signal,
    Trend,
)
from .policy import credit_policy
from .rating import RampState, ramp_limit

RECENT_DECISIONS = 10
LIVE = "live"  # the status filter meaning "open or confirmed"


class ExceptionState:
    """Where a credit exception stands on a day (for badges and the list's filter)."""

    ACTIVE = "active"
    PENDING = "pending"  # granted, valid from a later day
    USED_UP = "used_up"
    EXPIRED = "expired"
    REVOKED = "revoked"


def exception_state(exception: CreditException, *, as_of: date) -> str:
    """Revoked beats everything; then expired (``valid_until`` passed), not yet valid, used up,
    otherwise active — the state in which a credit check may draw on it."""
    if exception.revoked_at is not None:
        return ExceptionState.REVOKED
    if exception.valid_until < as_of:
        return ExceptionState.EXPIRED
    if exception.valid_from > as_of:
        return ExceptionState.PENDING
    if exception.used >= exception.amount:
        return ExceptionState.USED_UP
    return ExceptionState.ACTIVE


def with_states(exceptions: Iterable[CreditException], *, as_of: date) -> list:
    """The exceptions, each with ``remaining`` (amount − used) and ``state`` on ``as_of``."""
    rows = list(exceptions)
    for exception in rows:
        exception.remaining = exception.amount - exception.used
        exception.state = exception_state(exception, as_of=as_of)
    return rows


def with_reason_texts(decisions: Iterable[CreditDecision]) -> list[CreditDecision]:
    """The decisions, each with ``reason_texts``: its reasons as sentences in the active
    language (the stored reasons are codes with figures)."""
    rows = list(decisions)
    for decision in rows:
        decision.reason_texts = [
            {"code": reason.get("code", ""), "text": reason_text(reason)}
            for reason in decision.reasons or []
        ]
    return rows


@dataclass
class CreditSummary:
    """A customer's credit position on ``as_of``: what the credit panel of the customer page
    shows."""

    customer: Customer
    as_of: date
    granted: Decimal  # the limit set on the customer
    ramp: RampState  # the limit in force, and where a new customer stands on the ramp
    exposure: Decimal  # open items − unapplied credit + reserved allowed orders
    profile: CreditProfile | None  # what the daily run computed (None before its first run)
    holds: list  # live holds, newest first
    exceptions: list  # not revoked and not expired, with ``remaining`` and ``state``
    signals: list  # live signals, newest first
    decisions: list  # the last RECENT_DECISIONS, with ``reason_texts``

    @property
    def limit(self) -> Decimal:
        return self.ramp.limit

    @property
    def headroom(self) -> Decimal:
        """What may still go out on credit; negative when the exposure is over the limit."""
        return self.limit - self.exposure

    @property
    def rating(self) -> str:
        return self.customer.rating

    @property
    def rating_label(self) -> str:
        return Rating(self.rating).label if self.rating in Rating.values else ""

    @property
    def rating_override(self) -> str:
        return self.profile.rating_override if self.profile else ""

    @property
    def computed_rating(self) -> str:
        return self.profile.computed_rating if self.profile else ""

    @property
    def trend(self) -> str:
        return self.profile.trend if self.profile else ""

    @property
    def trend_label(self) -> str:
        return Trend(self.trend).label if self.trend in Trend.values else Trend.UNKNOWN.label

    @property
    def avg_days_late(self) -> int | None:
        return self.profile.avg_days_late if self.profile else None

    @property
    def prev_avg_days_late(self) -> int | None:
        return self.profile.prev_avg_days_late if self.profile else None


def credit_summary(*, customer: Customer, as_of: date) -> CreditSummary:
    """The customer's limit as granted and as in force (a new customer's ramp, by the rule in
    ``rating.ramp_limit``), exposure and headroom, rating with trend and average days late, live
    holds, exceptions still to come or running (with what remains of each), live warning signals
    and the last ten credit decisions with their reasons as sentences."""
    profile = CreditProfile.objects.filter(customer=customer).first()
    ramp = ramp_limit(
        granted=customer.credit_limit,
        first_deal_on=customer.first_deal_on,
        on_time_count=profile.on_time_count if profile else 0,
        late_count=profile.late_count if profile else 0,
        as_of=as_of,
        policy=credit_policy(),
    )
    holds = CreditHold.objects.filter(customer=customer, released_at__isnull=True).select_related(
        "placed_by"
    )
    exceptions = CreditException.objects.filter(
        customer=customer, revoked_at__isnull=True, valid_until__gte=as_of
    ).select_related("granted_by")
    signals = Signal.objects.filter(customer=customer, status__in=LIVE_STATUSES).select_related(
        "recorded_by"
    )
    decisions = CreditDecision.objects.filter(customer=customer).select_related(
        "asked_by", "exception"
    )[:RECENT_DECISIONS]
    return CreditSummary(
        customer=customer,
        as_of=as_of,
        granted=customer.credit_limit,
        ramp=ramp,
        exposure=exposure(customer_id=customer.pk, as_of=as_of),
        profile=profile,
        holds=list(holds),
        exceptions=with_states(exceptions.order_by("valid_until", "id"), as_of=as_of),
        signals=list(signals),
        decisions=with_reason_texts(decisions),
    )


def signals_visible_to(user, *, status=None, kind=None) -> QuerySet[Signal]:
    """The warning signals of the customers ``user`` may see, newest first. ``status`` is one
    status, ``"live"`` (open or confirmed) or several statuses; ``kind`` one kind; None: all."""
    rows = Signal.objects.filter(customer__in=customers_visible_to(user)).select_related(
        "customer", "customer__owner", "recorded_by", "handled_by"
    )
    if status == LIVE:
        rows = rows.filter(status__in=LIVE_STATUSES)
    elif isinstance(status, str) and status:
        rows = rows.filter(status=status)
    elif status:
        rows = rows.filter(status__in=list(status))
    if kind:
        rows = rows.filter(kind=kind)
    return rows.order_by("-detected_on", "-id")


def live_signal_count(user) -> dict:
    """``{"signals": n, "customers": m}``: live warning signals on the customers ``user`` may
    see, and on how many customers (for the worklist's banner)."""
    return Signal.objects.filter(
        customer__in=customers_visible_to(user), status__in=LIVE_STATUSES
    ).aggregate(signals=Count("id"), customers=Count("customer_id", distinct=True))


def exceptions_visible_to(user, *, active_only: bool, as_of: date) -> QuerySet[CreditException]:
    """The credit exceptions of the customers ``user`` may see, most recently granted first.
    ``active_only``: only those a credit check may draw on ``as_of`` (not revoked, valid that
    day, not used up). ``with_states`` adds what remains and the state of each."""
    rows = CreditException.objects.filter(customer__in=customers_visible_to(user)).select_related(
        "customer", "granted_by", "revoked_by"
    )
    if active_only:
        rows = rows.filter(
            revoked_at__isnull=True, valid_from__lte=as_of, valid_until__gte=as_of
        ).filter(used__lt=F("amount"))
    return rows.order_by("-granted_at", "-id")


def decisions_visible_to(user, *, decision: str = "", search: str = "") -> QuerySet:
    """The credit decisions of the customers ``user`` may see, newest first; ``decision`` keeps
    one answer (allow/partial/block), ``search`` matches the customer's code or name or the
    order reference."""
    rows = CreditDecision.objects.filter(customer__in=customers_visible_to(user)).select_related(
        "customer", "asked_by", "exception"
    )
    if decision:
        rows = rows.filter(decision=decision)
    search = (search or "").strip()
    if search:
        rows = rows.filter(
            Q(customer__code__icontains=search)
            | Q(customer__name__icontains=search)
            | Q(order_ref__icontains=search)
        )
    return rows.order_by("-asked_at", "-id")
