"""The order-stage credit check (前款不结,后货不送): may this customer take goods on credit for
this amount, how much of it, and why not.

The check answers ``allow``, ``partial`` (ship part: 限量发货) or ``block``, always with reasons,
and stores the answer as a ``CreditDecision``. The rules (thresholds from ``CreditPolicy``; a day
count or percentage of 0 switches a rule off):

* **Holds** block, whatever else is true; an exception does not lift a hold.
* **Blocks** (nothing may ship): no credit limit (limit in force 0); an open receivable
  overdue ``block_overdue_days`` or more; a promise to pay broken within
  ``block_broken_promise_days``; the customer's overdue money in ``block_from_class`` or worse; a
  rating in ``block_ratings``; a live strong warning signal; an approved stop-supply measure on
  the customer's open collection case.
* **Partial** (``partial_share_pct`` of the order may ship): an open receivable overdue
  ``partial_overdue_days`` or more; a rating in ``partial_ratings``; a live watch signal; an
  approved reduce-supply measure on the open case.
* **Limit**: exposure (open receivables − unapplied credit + orders allowed and still reserved)
  plus the order may not exceed the limit in force (a new customer's ramp limit, see
  ``rating.ramp_limit``). What may ship is at most the headroom ``limit − exposure``.
* **Exceptions**: an active exception (not revoked, valid on ``as_of``, something left; the one
  ending first) then lifts any result but a hold, by at most what is left of it.

An allowed amount is reserved against the limit for ``reservation_days`` (0: not reserved) unless
released earlier; a new check of the same non-empty ``order_ref`` replaces the earlier ones.

Race safety: the check starts by locking the customer row, and every writer that changes what it
reads (holds, exceptions, signals, the credit profile) takes the same lock first, so a hold
committed before a check starts is always seen by it, and concurrent checks of one customer
count each other's reservations.
"""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q, Sum, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from huikuan.audit.services import audit_record
from huikuan.core.errors import invalid
from huikuan.core.money import ZERO, MoneyError, MoneyField, money_str, quantize, to_decimal
from huikuan.customers.models import Customer
from huikuan.dunning.models import (
    Action,
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    Promise,
    PromiseStatus,
)
from huikuan.ledger.classes import DISTRESSED_STATUSES, ClassThresholds, DebtClass, class_thresholds
from huikuan.ledger.models import Receivable
from huikuan.ledger.selectors import customer_balance

from .models import (
    LIVE_STATUSES,
    CreditDecision,
    CreditException,
    CreditHold,
    CreditProfile,
    Decision,
    Severity,
    Signal,
    SignalKind,
)
from .policy import credit_policy
from .rating import ramp_limit

# Classes ``CreditPolicy.block_from_class`` may name; anything else (blank) switches the rule off.
BLOCKABLE_CLASSES = (DebtClass.OVERDUE, DebtClass.DOUBTFUL, DebtClass.BAD)
# Live signals of one customer are few; the check reads at most this many, newest first.
SIGNALS_READ = 50
SUPPLY_MEASURES = (Action.STOP_SUPPLY, Action.REDUCE_SUPPLY)


def exposure(*, customer_id: int, as_of: date) -> Decimal:
    """What the customer owes or has been promised on credit: its open receivables' outstanding
    (as posted), less its unapplied credit (unallocated money of payments and credit notes not
    reversed — the rule of ``ledger.selectors.customer_balance``), plus the allowed amounts of
    credit decisions not released and reserved until ``as_of`` or later. May be negative."""
    balance = customer_balance(customer=customer_id)
    reserved = CreditDecision.objects.filter(
        customer_id=customer_id,
        released_at__isnull=True,
        allowed_amount__gt=0,
        reserved_until__gte=as_of,
    ).aggregate(total=Sum("allowed_amount"))["total"]
    return balance.outstanding - balance.unapplied_credit + (reserved or ZERO)


def customer_debt_class(
    *,
    status: str,
    doubtful_since: date | None,
    oldest_overdue_due: date | None,
    as_of: date,
    thresholds: ClassThresholds,
) -> str:
    """The class (货款五类) of one customer's overdue money on ``as_of``, from the due date of its
    oldest open overdue receivable — the rule of ``huikuan.ledger.classes`` (and of
    ``ledger.selectors.customers_with_balances``) for a single customer:

    nothing overdue ``overdue_from`` days → ``current``; an insolvent or vanished customer →
    ``bad``; ``bad_from`` days → ``bad``; ``doubtful_from`` days → ``doubtful``; overdue money of a
    customer with a live strong warning signal since a day on or before ``as_of``
    (``Customer.doubtful_since``) → at least ``doubtful``; otherwise ``overdue``.
    """
    if oldest_overdue_due is None:
        return DebtClass.CURRENT
    days = (as_of - oldest_overdue_due).days
    if days < thresholds.overdue_from:
        return DebtClass.CURRENT
    if status in DISTRESSED_STATUSES or days >= thresholds.bad_from:
        return DebtClass.BAD
    if days >= thresholds.doubtful_from:
        return DebtClass.DOUBTFUL
    if doubtful_since is not None and doubtful_since <= as_of:
        return DebtClass.DOUBTFUL
    return DebtClass.OVERDUE


def _reason(code: str, **params) -> dict:
    return {"code": code, "params": params}


def _day(moment) -> str:
    return timezone.localtime(moment).date().isoformat()


def _amount(value) -> Decimal:
    try:
        amount = to_decimal(value)
    except MoneyError:
        raise invalid("amount", _("Not an amount: %(value)s.") % {"value": value}) from None
    if amount <= ZERO:
        raise invalid("amount", _("The amount must be greater than zero."))
    return amount


class _Rules:
    """What the rules found for one check: block and partial reasons, in the order shown."""

    def __init__(self):
        self.blocks: list[dict] = []
        self.partials: list[dict] = []
        self.hold = False


def _hold(rules: _Rules, customer_id: int) -> None:
    hold = (
        CreditHold.objects.filter(customer_id=customer_id, released_at__isnull=True)
        .select_related("placed_by")
        .order_by("placed_at", "pk")
        .first()
    )
    if hold is not None:
        rules.hold = True
        rules.blocks.append(
            _reason(
                "hold",
                hold=hold.pk,
                reason=hold.reason,
                by=str(hold.placed_by) if hold.placed_by else "",
                date=_day(hold.placed_at),
            )
        )


def _overdue(rules: _Rules, customer, policy, as_of: date) -> None:
    """Overdue items and the class, both from the oldest open overdue receivable."""
    oldest = (
        Receivable.objects.filter(customer_id=customer.pk, outstanding__gt=0, due_date__lt=as_of)
        .order_by("due_date", "pk")
        .values("number", "due_date", "outstanding")
        .first()
    )
    if oldest is not None:
        days = (as_of - oldest["due_date"]).days
        params = {
            "number": oldest["number"],
            "days": days,
            "outstanding": money_str(oldest["outstanding"]),
            "due_date": oldest["due_date"].isoformat(),
        }
        if policy.block_overdue_days and days >= policy.block_overdue_days:
            rules.blocks.append(_reason("overdue_block", **params))
        elif policy.partial_overdue_days and days >= policy.partial_overdue_days:
            rules.partials.append(
                _reason("overdue_partial", share=policy.partial_share_pct, **params)
            )
    block_from = policy.block_from_class
    if block_from in BLOCKABLE_CLASSES:
        debt_class = customer_debt_class(
            status=customer.status,
            doubtful_since=customer.doubtful_since,
            oldest_overdue_due=oldest["due_date"] if oldest else None,
            as_of=as_of,
            thresholds=class_thresholds(),
        )
        if DebtClass.ORDER.index(debt_class) >= DebtClass.ORDER.index(block_from):
            rules.blocks.append(_reason("class_block", **{"class": debt_class}))


def _broken_promise(rules: _Rules, customer_id: int, policy, as_of: date) -> None:
    if not policy.block_broken_promise_days:
        return
    since = as_of - timedelta(days=policy.block_broken_promise_days)
    promise = (
        Promise.objects.filter(customer_id=customer_id, status=PromiseStatus.BROKEN)
        .filter(
            Q(settled_on__gte=since, settled_on__lte=as_of)
            | Q(settled_on__isnull=True, due_on__gte=since, due_on__lte=as_of)
        )
        .order_by(F("settled_on").desc(nulls_last=True), "-due_on", "-pk")
        .values("amount", "due_on", "settled_on")
        .first()
    )
    if promise is not None:
        broken_on = promise["settled_on"] or promise["due_on"]
        rules.blocks.append(
            _reason(
                "promise_broken",
                date=broken_on.isoformat(),
                amount=money_str(promise["amount"]),
                due_on=promise["due_on"].isoformat(),
            )
        )


def _rating(rules: _Rules, rating: str, policy) -> None:
    if not rating:
        return
    if rating in policy.block_ratings:
        rules.blocks.append(_reason("rating_block", rating=rating))
    elif rating in policy.partial_ratings:
        rules.partials.append(
            _reason("rating_partial", rating=rating, share=policy.partial_share_pct)
        )


def _signals(rules: _Rules, customer_id: int, policy) -> None:
    if not (policy.block_on_strong_signal or policy.partial_on_watch_signal):
        return
    live = Signal.objects.filter(customer_id=customer_id, status__in=LIVE_STATUSES).order_by(
        "-detected_on", "-pk"
    )
    strong = watch = None
    for row in live.values("pk", "kind", "severity", "detected_on")[:SIGNALS_READ]:
        if row["severity"] == Severity.STRONG:
            strong = strong or row
        else:
            watch = watch or row
    if strong and policy.block_on_strong_signal:
        rules.blocks.append(
            _reason(
                "signal_strong",
                signal=strong["pk"],
                kind=strong["kind"],
                date=strong["detected_on"].isoformat(),
            )
        )
    if watch and policy.partial_on_watch_signal:
        rules.partials.append(
            _reason(
                "signal_watch",
                signal=watch["pk"],
                kind=watch["kind"],
                date=watch["detected_on"].isoformat(),
                share=policy.partial_share_pct,
            )
        )


def _supply_measures(rules: _Rules, customer_id: int, policy) -> None:
    """Reduce- and stop-supply measures a manager approved on the customer's open case."""
    if not policy.honour_supply_measures:
        return
    approved = (
        ApprovalRequest.objects.filter(
            customer_id=customer_id,
            kind=ApprovalKind.MEASURE,
            status=ApprovalStatus.APPROVED,
            action__in=SUPPLY_MEASURES,
            case__isnull=False,
            case__closed_on__isnull=True,
        )
        .order_by("-decided_at", "-pk")
        .values("pk", "action", "decided_at")
    )
    seen = set()
    for row in approved[:10]:
        if row["action"] in seen:
            continue
        seen.add(row["action"])
        params = {
            "approval": row["pk"],
            "date": _day(row["decided_at"]) if row["decided_at"] else "",
        }
        if row["action"] == Action.STOP_SUPPLY:
            rules.blocks.append(_reason("supply_stopped", **params))
        else:
            rules.partials.append(
                _reason("supply_reduced", share=policy.partial_share_pct, **params)
            )


def _release(decisions, now) -> int:
    """Release ``decisions`` (locked, unreleased); what they took from an exception goes back
    to it, since the order they were for is being decided again."""
    for decision in decisions:
        if decision.exception_id and decision.exception_used > ZERO:
            CreditException.objects.filter(pk=decision.exception_id).update(
                used=F("used") - Value(decision.exception_used, output_field=MoneyField())
            )
    return CreditDecision.objects.filter(pk__in=[d.pk for d in decisions]).update(released_at=now)


@transaction.atomic
def credit_check(
    *, customer, amount: Decimal, order_ref: str = "", actor=None, as_of: date
) -> CreditDecision:
    """Decide how much of an order of ``amount`` may go to ``customer`` on credit on ``as_of``
    (the rules in the module docstring) and store the decision with its reasons.

    Reasons are ``{"code": …, "params": {…}}`` with JSON-safe figures (amounts as ``"1234.56"``,
    dates ISO) and there is always at least one: ``within_limit`` when nothing stood in the way.
    """
    amount = _amount(amount)
    order_ref = (order_ref or "").strip()
    if len(order_ref) > CreditDecision._meta.get_field("order_ref").max_length:
        raise invalid("order_ref", _("The order reference is too long."))
    # Every writer of what this check reads takes this lock first (see the module docstring).
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    policy = credit_policy()
    now = timezone.now()
    if order_ref:
        earlier = list(
            CreditDecision.objects.select_for_update().filter(
                customer_id=customer.pk, order_ref=order_ref, released_at__isnull=True
            )
        )
        if earlier:
            _release(earlier, now)

    counts = (
        CreditProfile.objects.filter(customer_id=customer.pk)
        .values("on_time_count", "late_count")
        .first()
    ) or {"on_time_count": 0, "late_count": 0}
    ramp = ramp_limit(
        granted=customer.credit_limit,
        first_deal_on=customer.first_deal_on,
        on_time_count=counts["on_time_count"],
        late_count=counts["late_count"],
        as_of=as_of,
        policy=policy,
    )
    limit = ramp.limit
    owed = exposure(customer_id=customer.pk, as_of=as_of)

    rules = _Rules()
    _hold(rules, customer.pk)
    if limit <= ZERO:
        rules.blocks.append(_reason("no_limit", limit=money_str(limit)))
    _overdue(rules, customer, policy, as_of)
    _broken_promise(rules, customer.pk, policy, as_of)
    _rating(rules, customer.rating, policy)
    _signals(rules, customer.pk, policy)
    _supply_measures(rules, customer.pk, policy)
    if not policy.partial_share_pct:
        rules.partials = []  # a share of 0 % switches the partial rules off

    headroom = max(ZERO, limit - owed)
    limit_reasons = []
    figures = {
        "exposure": money_str(owed),
        "amount": money_str(amount),
        "limit": money_str(limit),
        "headroom": money_str(headroom),
    }
    if limit > ZERO and owed + amount > limit:
        limit_reasons.append(
            _reason("over_limit", over_by=money_str(owed + amount - limit), **figures)
        )
        if ramp.in_ramp and limit < customer.credit_limit:
            limit_reasons.append(
                _reason(
                    "ramp_limit",
                    limit=money_str(limit),
                    granted=money_str(customer.credit_limit),
                    step=ramp.step,
                    paid_to_next_step=ramp.paid_to_next_step,
                )
            )

    if rules.blocks:
        allowed = ZERO
    elif rules.partials:
        allowed = min(quantize(amount * policy.partial_share_pct / Decimal(100)), headroom)
    else:
        allowed = min(amount, headroom)
    reasons = rules.blocks + rules.partials + limit_reasons
    if not reasons:
        reasons.append(_reason("within_limit", **figures))

    exception, taken = None, ZERO
    if allowed < amount and not rules.hold:
        exception = (
            CreditException.objects.select_for_update(of=("self",))
            .select_related("granted_by")
            .filter(
                customer_id=customer.pk,
                revoked_at__isnull=True,
                valid_from__lte=as_of,
                valid_until__gte=as_of,
                used__lt=F("amount"),
            )
            .order_by("valid_until", "pk")
            .first()
        )
        if exception is not None:
            taken = min(amount - allowed, exception.amount - exception.used)
            exception.used += taken
            exception.save(update_fields=["used"])
            allowed += taken
            reasons.append(
                _reason(
                    "exception_used",
                    exception=exception.pk,
                    granted_by=str(exception.granted_by),
                    until=exception.valid_until.isoformat(),
                    amount=money_str(taken),
                    used=money_str(exception.used),
                    remaining=money_str(exception.amount - exception.used),
                )
            )

    if allowed == amount:
        outcome = Decision.ALLOW
    elif allowed > ZERO:
        outcome = Decision.PARTIAL
    else:
        outcome = Decision.BLOCK
    reserved_until = None
    if allowed > ZERO and policy.reservation_days:
        reserved_until = as_of + timedelta(days=policy.reservation_days)
    decision = CreditDecision(
        customer=customer,
        order_ref=order_ref,
        amount=amount,
        decision=outcome,
        allowed_amount=allowed,
        reasons=reasons,
        exposure=owed,
        credit_limit=limit,
        exception=exception if taken > ZERO else None,
        exception_used=taken,
        as_of=as_of,
        asked_by=actor if getattr(actor, "pk", None) else None,
        reserved_until=reserved_until,
    )
    # Foreign keys are the locked customer and rows just read; validating them would cost a
    # query each on the order path. The CHECK constraints guard the amounts.
    decision.clean_fields(exclude=["customer", "exception", "asked_by"])
    decision.save(force_insert=True)
    return decision


@transaction.atomic
def decision_release(*, decision: CreditDecision, actor) -> CreditDecision:
    """Stop an allowed amount counting against the limit (the order was cancelled or invoiced —
    once invoiced, its receivable counts instead). Releasing twice changes nothing. What the
    decision took from an exception stays used. Audited."""
    Customer.objects.select_for_update().get(pk=decision.customer_id)
    decision = CreditDecision.objects.select_for_update().get(pk=decision.pk)
    if decision.released_at is not None:
        return decision
    decision.released_at = timezone.now()
    decision.save(update_fields=["released_at"])
    audit_record(
        actor=actor,
        action="credit_decision.release",
        obj=decision,
        before={"released_at": None},
        after={"released_at": decision.released_at},
    )
    return decision


# --- Reasons as sentences -----------------------------------------------------------------------


def _money(value) -> str:
    """``"-1234.5"`` -> ``-¥1,234.50`` (the web's ``money`` filter)."""
    try:
        amount = to_decimal(value)
    except MoneyError:
        return str(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


# Each reason code's sentence; the figures come from the stored params (amounts formatted).
REASON_TEXTS = {
    "within_limit": _lazy(
        "Within the limit: exposure %(exposure)s plus this order %(amount)s stays within the "
        "limit %(limit)s."
    ),
    "over_limit": _lazy(
        "Over the limit by %(over_by)s: exposure %(exposure)s plus this order %(amount)s "
        "exceeds the limit %(limit)s."
    ),
    "ramp_limit": _lazy(
        "New customer: the limit in force is %(limit)s of the %(granted)s granted; it doubles "
        "after %(paid_to_next_step)s more receivables paid on time."
    ),
    "no_limit": _lazy("The customer has no credit limit: nothing may ship on credit."),
    "overdue_block": _lazy("Receivable %(number)s is %(days)s days overdue (%(outstanding)s)."),
    "overdue_partial": _lazy(
        "Receivable %(number)s is %(days)s days overdue (%(outstanding)s): only %(share)s%% of "
        "the order may ship."
    ),
    "promise_broken": _lazy("The promise to pay %(amount)s by %(due_on)s was broken on %(date)s."),
    "class_block": _lazy("The customer's overdue money is in class %(class)s."),
    "rating_block": _lazy("Rating %(rating)s: no goods on credit."),
    "rating_partial": _lazy("Rating %(rating)s: only %(share)s%% of the order may ship."),
    "signal_strong": _lazy("Strong warning signal: %(kind)s, seen on %(date)s."),
    "signal_watch": _lazy(
        "Warning signal: %(kind)s, seen on %(date)s: only %(share)s%% of the order may ship."
    ),
    "hold": _lazy("Credit hold placed by %(by)s on %(date)s: %(reason)s"),
    "supply_stopped": _lazy(
        "Stopping supply was approved on %(date)s for the open collection case."
    ),
    "supply_reduced": _lazy(
        "Reducing supply was approved on %(date)s: only %(share)s%% of the order may ship."
    ),
    "exception_used": _lazy(
        "Exception granted by %(granted_by)s until %(until)s: %(amount)s taken from it, "
        "%(used)s used in all, %(remaining)s left."
    ),
}
MONEY_PARAMS = (
    "exposure",
    "amount",
    "limit",
    "headroom",
    "over_by",
    "outstanding",
    "granted",
    "used",
    "remaining",
)


def reason_text(reason: dict) -> str:
    """One stored reason as a sentence in the active language, with its figures (amounts as
    ``¥1,234.00``, the class and signal kind by their names); an unknown code as itself."""
    code = reason.get("code", "")
    template = REASON_TEXTS.get(code)
    if template is None:
        return code
    params = defaultdict(str, reason.get("params") or {})
    for key in MONEY_PARAMS:
        if key in params:
            params[key] = _money(params[key])
    if "kind" in params:
        kind = params["kind"]
        params["kind"] = str(SignalKind(kind).label) if kind in SignalKind.values else kind
    if "class" in params:
        params["class"] = str(DebtClass.LABELS.get(params["class"], params["class"]))
    return str(template) % params
