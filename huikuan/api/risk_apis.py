"""The credit-control endpoints of the API: the order-stage credit check (``/credit-check``), the
decisions it stored (``/credit-decisions``), a customer's credit profile
(``/customers/{code}/credit-profile``), holds, exceptions and warning signals.

Same rules as the rest of the API: every object is looked up among those of the customers the
token's user may see (anything else is a 404, exactly like a missing object); the role rules
live in huikuan.risk's services, whose ``PermissionDenied`` answers 403 and whose
``ValidationError`` answers 422. Each endpoint calls one service or selector with ``actor`` set
to the token's user; business rules live there, here is only the lookup and the shape.
"""

from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.responses import Status

from huikuan.core.dates import business_today
from huikuan.customers.selectors import customers_visible_to
from huikuan.risk import services
from huikuan.risk.credit import credit_check, decision_release
from huikuan.risk.models import CreditDecision, CreditException, CreditHold, Signal
from huikuan.risk.selectors import (
    ExceptionState,
    credit_summary,
    decisions_visible_to,
    exceptions_visible_to,
    signals_visible_to,
    with_states,
)
from huikuan.risk.signals import signal_handle, signal_record

from .dunning_schemas import PageQuery
from .errors import not_found
from .risk_schemas import (
    CreditCheckIn,
    CreditDecisionOut,
    CreditDecisionsPage,
    CreditProfileIn,
    CreditProfileOut,
    DecisionChoice,
    ExceptionIn,
    ExceptionOut,
    ExceptionsPage,
    HoldIn,
    HoldOut,
    HoldReleaseIn,
    HoldsPage,
    SignalHandleIn,
    SignalIn,
    SignalKindChoice,
    SignalOut,
    SignalsPage,
    SignalStatusChoice,
)
from .schemas import READ_ERRORS, WRITE_ERRORS, Text

router = Router()


def _page(queryset, pages: PageQuery) -> tuple[list, int]:
    """One page of a queryset, and how many there are in all."""
    return list(queryset[pages.offset : pages.offset + pages.limit]), queryset.count()


def _visible(request):
    return customers_visible_to(request.auth)


def _customer(request, code: str, field: str = "customer", *, only: tuple[str, ...] = ()):
    customers = _visible(request).filter(code=code)
    customer = (customers.only(*only) if only else customers).first()
    if customer is None:
        raise not_found(field, _("There is no customer with code %(code)s.") % {"code": code})
    return customer


def _one(request, queryset, pk: int, message: str):
    """The object ``pk`` of ``queryset`` if it belongs to a customer the user may see, else 404
    on the path's ``id`` — the same answer as for an id that does not exist."""
    found = queryset.filter(customer__in=_visible(request), pk=pk).first()
    if found is None:
        raise not_found("id", message % {"id": pk})
    return found


# --- The credit check ---------------------------------------------------------------------------


def _decisions():
    return CreditDecision.objects.select_related("customer", "asked_by")


@router.post("/credit-check", response={200: CreditDecisionOut, **WRITE_ERRORS}, tags=["credit"])
def credit_checks_create(request, payload: CreditCheckIn):
    """Ask before taking an order on credit: may ``amount`` ship to ``customer`` today? Answers
    ``allow``, ``partial`` (ship ``allowed_amount``) or ``block``, always with the reasons. Open
    to whoever sees the customer; the decision is stored, and an allowed amount counts against
    the limit until ``reserved_until`` unless released."""
    # The check locks and reads the customer row itself; the answer needs only the code.
    customer = _customer(request, payload.customer, only=("pk", "code"))
    decision = credit_check(
        customer=customer,
        amount=payload.amount,
        order_ref=payload.order_ref.strip(),
        actor=request.auth,
        as_of=business_today(),
    )
    decision.customer = customer
    decision.asked_by = request.auth
    return decision


@router.get(
    "/credit-decisions", response={200: CreditDecisionsPage, **READ_ERRORS}, tags=["credit"]
)
def credit_decisions_list(
    request,
    pages: Query[PageQuery],
    customer: Text = "",
    decision: DecisionChoice | None = None,
):
    """Credit decisions you may see, newest first; ``customer`` (a code) picks one customer,
    ``decision`` one answer."""
    decisions = decisions_visible_to(request.auth, decision=decision or "")
    if customer:
        decisions = decisions.filter(customer__code=customer)
    items, count = _page(decisions, pages)
    return {"items": items, "count": count}


@router.get(
    "/credit-decisions/{id}", response={200: CreditDecisionOut, **READ_ERRORS}, tags=["credit"]
)
def credit_decision_detail(request, id: int):
    """One credit decision with its reasons."""
    return _one(request, _decisions(), id, _("There is no credit decision with id %(id)s."))


@router.post(
    "/credit-decisions/{id}/release",
    response={200: CreditDecisionOut, **WRITE_ERRORS},
    tags=["credit"],
)
def credit_decision_release(request, id: int):
    """The order was cancelled or invoiced: its allowed amount stops counting against the
    limit. Open to whoever sees the customer."""
    decision = _one(
        request, CreditDecision.objects.all(), id, _("There is no credit decision with id %(id)s.")
    )
    decision_release(decision=decision, actor=request.auth)
    return _decisions().get(pk=decision.pk)


# --- Credit profiles ----------------------------------------------------------------------------


def credit_profile_detail(request, code: Text):
    """A customer's credit position today: the limit granted and in force (a new customer's
    ramp), exposure and headroom, rating with trend and average days late, and how many holds,
    exceptions and warning signals are live."""
    customer = _customer(request, code, field="code")
    return _profile(customer)


def credit_profile_update(request, code: Text, payload: CreditProfileIn):
    """Set the credit limit, payment terms or a rating by hand (``""`` clears it), with a
    reason: a manager for the team's customers, finance or an administrator (403 otherwise).
    Fields left out keep their value. Answers the profile after the change."""
    customer = _customer(request, code, field="code")
    services.credit_profile_set(
        customer=customer,
        actor=request.auth,
        reason=payload.reason,
        credit_limit=payload.credit_limit,
        payment_terms_days=payload.payment_terms_days,
        rating_override=payload.rating_override,
    )
    customer.refresh_from_db()
    return _profile(customer)


def _profile(customer) -> dict:
    summary = credit_summary(customer=customer, as_of=business_today())
    profile = summary.profile
    return {
        "customer": customer.code,
        "as_of": summary.as_of,
        "credit_limit": summary.granted,
        "limit_in_force": summary.limit,
        "ramp": summary.ramp,
        "first_deal_on": customer.first_deal_on,
        "payment_terms_days": customer.payment_terms_days,
        "exposure": summary.exposure,
        "headroom": summary.headroom,
        "rating": summary.rating,
        "computed_rating": summary.computed_rating,
        "rating_override": summary.rating_override,
        "override_reason": profile.override_reason if profile else "",
        "trend": summary.trend,
        "avg_days_late": summary.avg_days_late,
        "prev_avg_days_late": summary.prev_avg_days_late,
        "on_time_count": profile.on_time_count if profile else 0,
        "late_count": profile.late_count if profile else 0,
        "computed_on": profile.computed_on if profile else None,
        "live_holds": len(summary.holds),
        "active_exceptions": sum(
            1 for exception in summary.exceptions if exception.state == ExceptionState.ACTIVE
        ),
        "live_signals": len(summary.signals),
    }


def add_customer_paths(api) -> None:
    """Register ``/customers/{code}/credit-profile`` on ``api``. Called by apis.py before it
    registers ``/customers/{code}``, whose path parameter would otherwise take the whole rest
    of the path (codes may contain ``/``) and answer for this path too."""
    path = "/customers/{path:code}/credit-profile"
    api.get(path, response={200: CreditProfileOut, **READ_ERRORS}, tags=["credit"])(
        credit_profile_detail
    )
    api.post(path, response={200: CreditProfileOut, **WRITE_ERRORS}, tags=["credit"])(
        credit_profile_update
    )


# --- Holds --------------------------------------------------------------------------------------


def _holds():
    return CreditHold.objects.select_related("customer", "placed_by", "released_by")


@router.post("/credit-holds", response={201: HoldOut, **WRITE_ERRORS}, tags=["credit"])
def credit_holds_create(request, payload: HoldIn):
    """Stop new credit sales to a customer until released: every credit check blocks, an
    exception notwithstanding. A manager for the team's customers, finance or an
    administrator."""
    customer = _customer(request, payload.customer)
    hold = services.hold_place(customer=customer, reason=payload.reason, actor=request.auth)
    return Status(201, _holds().get(pk=hold.pk))


@router.get("/credit-holds", response={200: HoldsPage, **READ_ERRORS}, tags=["credit"])
def credit_holds_list(request, pages: Query[PageQuery], customer: Text = "", active: bool = False):
    """Holds you may see, newest first; ``active=true`` keeps those not released, ``customer``
    (a code) picks one customer."""
    holds = _holds().filter(customer__in=_visible(request))
    if customer:
        holds = holds.filter(customer__code=customer)
    if active:
        holds = holds.filter(released_at__isnull=True)
    items, count = _page(holds.order_by("-placed_at", "-id"), pages)
    return {"items": items, "count": count}


@router.post("/credit-holds/{id}/release", response={200: HoldOut, **WRITE_ERRORS}, tags=["credit"])
def credit_hold_release(request, id: int, payload: HoldReleaseIn):
    """Release a hold, saying why (who may place one may release it)."""
    hold = _one(request, CreditHold.objects.all(), id, _("There is no credit hold with id %(id)s."))
    services.hold_release(hold=hold, note=payload.note, actor=request.auth)
    return _holds().get(pk=hold.pk)


# --- Exceptions ---------------------------------------------------------------------------------


def _exception_out(exception: CreditException) -> CreditException:
    exception = CreditException.objects.select_related("customer", "granted_by", "revoked_by").get(
        pk=exception.pk
    )
    return with_states([exception], as_of=business_today())[0]


@router.post("/credit-exceptions", response={201: ExceptionOut, **WRITE_ERRORS}, tags=["credit"])
def credit_exceptions_create(request, payload: ExceptionIn):
    """Let up to ``amount`` ship despite the rules (not despite a hold) between ``valid_from``
    (default today) and ``valid_until``: a manager for the team's customers or an
    administrator. Each check it lifts uses part of it."""
    customer = _customer(request, payload.customer)
    exception = services.exception_grant(
        customer=customer,
        amount=payload.amount,
        valid_from=payload.valid_from or business_today(),
        valid_until=payload.valid_until,
        reason=payload.reason,
        actor=request.auth,
    )
    return Status(201, _exception_out(exception))


@router.get("/credit-exceptions", response={200: ExceptionsPage, **READ_ERRORS}, tags=["credit"])
def credit_exceptions_list(
    request, pages: Query[PageQuery], customer: Text = "", active: bool = False
):
    """Exceptions you may see, most recently granted first, each with what remains and its
    state today; ``active=true`` keeps those a check may draw on today, ``customer`` (a code)
    picks one customer."""
    today = business_today()
    exceptions = exceptions_visible_to(request.auth, active_only=active, as_of=today)
    if customer:
        exceptions = exceptions.filter(customer__code=customer)
    items, count = _page(exceptions, pages)
    return {"items": with_states(items, as_of=today), "count": count}


@router.post(
    "/credit-exceptions/{id}/revoke",
    response={200: ExceptionOut, **WRITE_ERRORS},
    tags=["credit"],
)
def credit_exception_revoke(request, id: int):
    """Revoke an exception: later checks no longer draw on it (what was used stays used)."""
    exception = _one(
        request,
        CreditException.objects.all(),
        id,
        _("There is no credit exception with id %(id)s."),
    )
    services.exception_revoke(exception=exception, actor=request.auth)
    return _exception_out(exception)


# --- Warning signals ----------------------------------------------------------------------------


def _signals():
    return Signal.objects.select_related("customer", "recorded_by", "handled_by")


@router.post("/signals", response={201: SignalOut, **WRITE_ERRORS}, tags=["signals"])
def signals_create(request, payload: SignalIn):
    """Record a warning sign seen at a customer (dumping, 窜货, unrelated business, relocation,
    a lawsuit, force majeure, other) with its evidence; whoever sees the customer may."""
    customer = _customer(request, payload.customer)
    signal = signal_record(
        customer=customer,
        kind=payload.kind,
        evidence=payload.evidence,
        detected_on=payload.detected_on or business_today(),
        actor=request.auth,
        severity=payload.severity,
    )
    return Status(201, _signals().get(pk=signal.pk))


@router.get("/signals", response={200: SignalsPage, **READ_ERRORS}, tags=["signals"])
def signals_list(
    request,
    pages: Query[PageQuery],
    status: SignalStatusChoice = "live",
    kind: SignalKindChoice | None = None,
    customer: Text = "",
):
    """Warning signals you may see, newest first: the live ones (open or confirmed) by
    default, one status, or ``all``; ``kind`` one kind, ``customer`` (a code) one customer."""
    signals = signals_visible_to(
        request.auth, status=None if status == "all" else status, kind=kind
    )
    if customer:
        signals = signals.filter(customer__code=customer)
    items, count = _page(signals, pages)
    return {"items": items, "count": count}


@router.post("/signals/{id}/handle", response={200: SignalOut, **WRITE_ERRORS}, tags=["signals"])
def signals_handle(request, id: int, payload: SignalHandleIn):
    """Confirm, dismiss or resolve a signal, with a note: a manager for the team's customers,
    finance or an administrator."""
    signal = _one(
        request, Signal.objects.all(), id, _("There is no warning signal with id %(id)s.")
    )
    signal_handle(signal=signal, status=payload.status, note=payload.note, actor=request.auth)
    return _signals().get(pk=signal.pk)
