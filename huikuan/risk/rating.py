"""How a customer pays, measured from the ledger: average days paid after due, the rating A–D
with its trend, the on-time and late counts, and the new customer's ramp.

* **Days late** of a settlement is ``allocation.applied_on − receivable.due_date`` (negative when
  paid early), for the effective allocations of payments and credit notes — neither reversed nor
  themselves a reversal; write-offs are not payments. Each weighs its amount in fen. An item
  still open and overdue at a window's end counts too, weighing what was open of it then, with
  ``days = window end − due_date``. ``avg = round(Σ days·fen / Σ fen)`` (half away from zero).
* **Windows**: the current one is ``(as_of − 180, as_of]``, the previous one
  ``(as_of − 360, as_of − 180]``.
* **Rating** (``CreditPolicy``; defaults 5 / 30 / 90 days): no data → unrated (``""``);
  ``avg ≤ rating_a_max_days`` → A, ``≤ rating_b_max_days`` → B, ``≤ rating_c_max_days`` → C,
  else D. **Trend**, when both windows have data: ``avg − prev ≥ 5`` worsening, ``≤ −5``
  improving, otherwise steady.
* **On time / late**: a receivable fully settled (nothing outstanding) whose last settlement
  (payment, credit note or write-off) came at most ``on_time_grace_days`` after its due date is on
  time; later is late.

Everything is computed by grouped aggregates in the database (a handful of queries however many
customers), never by a loop over receivables.
"""

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

from django.db import NotSupportedError, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.utils import timezone

from huikuan.audit.models import AuditEntry
from huikuan.core.bulk import insert_rows, insert_values
from huikuan.core.money import ZERO, to_decimal
from huikuan.customers.models import Customer
from huikuan.ledger.models import Allocation, Receivable

from .models import CreditPolicy, CreditProfile, Rating, Trend
from .policy import credit_policy

WINDOW_DAYS = 180
# A change of the average by this many days between the windows is a trend, not noise.
TREND_DAYS = 5
# Rows per UPDATE … WHERE pk IN (…) and per audit INSERT batch (SQLite allows 32,766 parameters).
BATCH = 2000


class DaysBetween(Func):
    """``end − start`` in whole days, as an integer, for two date expressions.

    PostgreSQL subtracts dates to an integer; SQLite compares Julian day numbers. (Django's own
    date subtraction gives an interval, which cannot be multiplied by an amount and summed.)
    """

    arity = 2
    output_field = IntegerField()

    def _operands(self, compiler, connection):
        end, end_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        return end, start, (*end_params, *start_params)

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError(f"DaysBetween is not implemented for {connection.vendor}")

    def as_postgresql(self, compiler, connection, **extra_context):
        end, start, params = self._operands(compiler, connection)
        return f"(CAST({end} AS date) - CAST({start} AS date))", params

    def as_sqlite(self, compiler, connection, **extra_context):
        end, start, params = self._operands(compiler, connection)
        return f"CAST(ROUND(julianday({end}) - julianday({start})) AS INTEGER)", params


def _day(value: date) -> Value:
    return Value(value, output_field=DateField())


def _fen_sum(expression, condition: Q | None = None) -> Cast:
    """Σ ``expression`` (integer fen, or days × fen) as a plain integer, optionally only over
    rows meeting ``condition``. PostgreSQL sums BIGINT into NUMERIC; the cast brings it back."""
    if condition is not None:
        expression = Case(
            When(condition, then=expression), default=Value(0), output_field=BigIntegerField()
        )
    return Cast(Sum(expression, output_field=BigIntegerField()), output_field=BigIntegerField())


def _times(days, amount: str) -> ExpressionWrapper:
    return ExpressionWrapper(days * F(amount), output_field=BigIntegerField())


def _average(days_fen: int, fen: int) -> int | None:
    if fen <= 0:
        return None
    return int((Decimal(days_fen) / Decimal(fen)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Behaviour:
    """How one customer pays: average days late in the current and previous window (``None``
    without data) and how many receivables it settled on time and late."""

    avg_days_late: int | None
    prev_avg_days_late: int | None
    on_time_count: int
    late_count: int


def _effective(queryset):
    """Allocations that still count: not reversed and not themselves a reversal."""
    return queryset.filter(reverses__isnull=True, reversed_by__isnull=True)


def payment_behaviour(*, as_of: date, customer_ids=None) -> dict[int, Behaviour]:
    """``{customer_id: Behaviour}`` on ``as_of`` for every customer with any data (the rule in
    the module docstring), or only for ``customer_ids``.

    Open items at a window's end weigh their balance on that day: the stored outstanding plus
    every allocation dated after it (the point-in-time rule of the reports).
    """
    policy = credit_policy()
    current_from = as_of - timedelta(days=WINDOW_DAYS)  # exclusive: the previous window's end
    previous_from = as_of - timedelta(days=2 * WINDOW_DAYS)
    ids = None if customer_ids is None else list(customer_ids)

    def scoped(queryset, path: str):
        return queryset if ids is None else queryset.filter(**{f"{path}__in": ids})

    # [current days·fen, current fen, previous days·fen, previous fen]
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])

    # Settlements in either window.
    settlements = scoped(
        _effective(Allocation.objects.filter(payment__isnull=False)).filter(
            applied_on__gt=previous_from, applied_on__lte=as_of
        ),
        "receivable__customer_id",
    )
    late = DaysBetween(F("applied_on"), F("receivable__due_date"))
    current = Q(applied_on__gt=current_from)
    previous = Q(applied_on__lte=current_from)
    rows = (
        settlements.values(cid=F("receivable__customer_id"))
        .annotate(
            cd=_fen_sum(_times(late, "amount"), current),
            cf=_fen_sum(F("amount"), current),
            pd=_fen_sum(_times(late, "amount"), previous),
            pf=_fen_sum(F("amount"), previous),
        )
        .order_by()
        .values_list("cid", "cd", "cf", "pd", "pf")
    )
    for cid, *values in rows:
        cells = sums[cid]
        for index, value in enumerate(values):
            cells[index] += value or 0

    # Items open and overdue at each window's end.
    for end, slot in ((as_of, 0), (current_from, 2)):
        still_open = scoped(
            Receivable.objects.filter(outstanding__gt=0, due_date__lt=end), "customer_id"
        )
        paid_later = scoped(
            Allocation.objects.filter(applied_on__gt=end, receivable__due_date__lt=end),
            "receivable__customer_id",
        )
        sources = (
            (still_open, "customer_id", "due_date", "outstanding"),
            (paid_later, "receivable__customer_id", "receivable__due_date", "amount"),
        )
        for queryset, customer_field, due_field, amount_field in sources:
            days = DaysBetween(_day(end), F(due_field))
            rows = (
                queryset.values(cid=F(customer_field))
                .annotate(
                    d=_fen_sum(_times(days, amount_field)),
                    f=_fen_sum(F(amount_field)),
                )
                .order_by()
                .values_list("cid", "d", "f")
            )
            for cid, days_fen, fen in rows:
                sums[cid][slot] += days_fen or 0
                sums[cid][slot + 1] += fen or 0

    # Fully settled receivables, and those of them settled late.
    settled = dict(
        scoped(Receivable.objects.filter(outstanding=0, issue_date__lte=as_of), "customer_id")
        .values("customer_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("customer_id", "n")
    )
    late_counts = dict(
        scoped(
            _effective(Allocation.objects.filter(receivable__outstanding=0)),
            "receivable__customer_id",
        )
        .annotate(days_late=DaysBetween(F("applied_on"), F("receivable__due_date")))
        .filter(days_late__gt=policy.on_time_grace_days, receivable__issue_date__lte=as_of)
        .values(cid=F("receivable__customer_id"))
        .annotate(n=Count("receivable_id", distinct=True))
        .order_by()
        .values_list("cid", "n")
    )

    result = {}
    for cid in set(sums) | set(settled):
        cells = sums.get(cid, (0, 0, 0, 0))
        n_late = late_counts.get(cid, 0)
        result[cid] = Behaviour(
            avg_days_late=_average(cells[0], cells[1]),
            prev_avg_days_late=_average(cells[2], cells[3]),
            on_time_count=max(0, settled.get(cid, 0) - n_late),
            late_count=n_late,
        )
    return result


def rating_for(avg_days_late: int | None, policy: CreditPolicy) -> str:
    """The rating for an average of days late: ``""`` without data, else A/B/C/D by the
    policy's thresholds (at most that many days late on average)."""
    if avg_days_late is None:
        return ""
    if avg_days_late <= policy.rating_a_max_days:
        return Rating.A
    if avg_days_late <= policy.rating_b_max_days:
        return Rating.B
    if avg_days_late <= policy.rating_c_max_days:
        return Rating.C
    return Rating.D


def trend_for(avg: int | None, prev: int | None) -> str:
    """Worsening when the average rose by ``TREND_DAYS`` (5) or more since the previous window,
    improving when it fell by as much, steady otherwise; ``""`` unless both windows have data."""
    if avg is None or prev is None:
        return Trend.UNKNOWN
    if avg - prev >= TREND_DAYS:
        return Trend.WORSENING
    if avg - prev <= -TREND_DAYS:
        return Trend.IMPROVING
    return Trend.STEADY


# --- The new customer's ramp -----------------------------------------------------------------


@dataclass
class RampState:
    """The limit in force for a customer and where it stands on the ramp: ``step`` doublings
    earned, ``paid_to_next_step`` on-time payments still needed for the next one (0 once the
    granted limit is reached or the customer is no longer new)."""

    limit: Decimal
    in_ramp: bool
    step: int
    paid_to_next_step: int


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, kept within the month (31 Jan + 1 month = 28/29 Feb)."""
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def ramp_limit(
    *,
    granted: Decimal,
    first_deal_on: date | None,
    on_time_count: int,
    late_count: int,
    as_of: date,
    policy: CreditPolicy,
) -> RampState:
    """The credit limit in force under the new-customer ramp.

    A customer is new while ``first_deal_on`` is unknown or less than ``policy.ramp_months``
    months before ``as_of`` (``ramp_months`` 0 switches the ramp off). A new customer's limit is
    ``min(granted, ramp_start_limit × 2^step)`` with
    ``step = max(0, on_time − 2 × late) // ramp_step_paid``: each ``ramp_step_paid`` receivables
    paid on time double it, and each one paid late cancels two paid on time
    (``ramp_step_paid`` 0: no doubling). A customer that is no longer new has the granted limit.
    """
    granted = granted if granted is not None else ZERO
    in_ramp = policy.ramp_months > 0 and (
        first_deal_on is None or as_of < add_months(first_deal_on, policy.ramp_months)
    )
    if not in_ramp:
        return RampState(limit=granted, in_ramp=False, step=0, paid_to_next_step=0)
    credits = max(0, on_time_count - 2 * late_count)
    per_step = policy.ramp_step_paid
    step = credits // per_step if per_step else 0
    start = to_decimal(policy.ramp_start_limit)
    # Past 2^50 the start limit exceeds any real granted limit; stop doubling there.
    ramped = start * (2 ** min(step, 50))
    limit = min(granted, ramped)
    to_next = per_step - credits % per_step if per_step and limit < granted and start > 0 else 0
    return RampState(limit=limit, in_ramp=True, step=step, paid_to_next_step=to_next)


# --- Storing the ratings ------------------------------------------------------------------------

PROFILE_COMPUTED = (
    "avg_days_late",
    "prev_avg_days_late",
    "trend",
    "computed_rating",
    "on_time_count",
    "late_count",
    "computed_on",
)


@transaction.atomic
def ratings_recompute(*, as_of: date, customer_ids=None) -> int:
    """Recompute the credit profile of every customer (or of ``customer_ids``) and return how
    many customers' ratings changed.

    Each customer with payment data or an existing profile gets its profile upserted (averages,
    trend, computed rating, counts, ``computed_on``; the rating override and its reason are kept)
    and ``Customer.rating`` set to the override when there is one, else the computed rating.
    Every change of ``Customer.rating`` leaves an audit line (no actor, action
    ``rating_changed``, rating before and after). Customers with neither data nor a profile are
    left alone (their profile is created lazily).
    """
    policy = credit_policy()
    ids = None if customer_ids is None else list(customer_ids)
    behaviours = payment_behaviour(as_of=as_of, customer_ids=ids)
    profiles = CreditProfile.objects.all()
    customers = Customer.objects.all()
    if ids is not None:
        profiles = profiles.filter(customer_id__in=ids)
        customers = customers.filter(pk__in=ids)
    stored = {
        row[0]: row[1:]
        for row in profiles.values_list("customer_id", "rating_override", *PROFILE_COMPUTED[:-1])
    }
    scope = set(behaviours) | set(stored)
    if not scope:
        return 0

    rows = []
    new_profiles: list[tuple] = []  # customers rated for the first time: plain inserts
    wanted: dict[int, str] = {}
    nothing = Behaviour(None, None, 0, 0)
    for cid in scope:
        behaviour = behaviours.get(cid, nothing)
        avg, prev = behaviour.avg_days_late, behaviour.prev_avg_days_late
        computed = rating_for(avg, policy)
        figures = (
            avg,
            prev,
            trend_for(avg, prev),
            computed,
            behaviour.on_time_count,
            behaviour.late_count,
        )
        if cid not in stored:
            new_profiles.append((cid, "", "", as_of, *figures))
            wanted[cid] = computed
            continue
        override, *before = stored[cid]
        wanted[cid] = override or computed
        if tuple(before) != figures:
            # Plain rows for insert_rows, which reads each field's value by its name: building
            # 100,000 model instances would cost more than the upsert itself.
            rows.append(
                SimpleNamespace(
                    customer_id=cid,
                    rating_override="",
                    override_reason="",
                    computed_on=as_of,
                    **dict(zip(PROFILE_COMPUTED, figures, strict=False)),
                )
            )
    insert_rows(CreditProfile, rows, conflict="customer_id", update=PROFILE_COMPUTED)
    insert_values(
        CreditProfile,
        ("customer", "rating_override", "override_reason", "computed_on", *PROFILE_COMPUTED[:-1]),
        new_profiles,
    )
    # Profiles whose figures did not change were computed today all the same.
    profiles.exclude(computed_on=as_of).update(computed_on=as_of)

    changes: list[tuple] = []  # audit lines, as plain rows: the first run writes 100,000
    now = timezone.now()
    by_rating: dict[str, list[int]] = defaultdict(list)
    for cid, code, name, rating in customers.values_list("pk", "code", "name", "rating"):
        if cid in wanted and wanted[cid] != rating:
            by_rating[wanted[cid]].append(cid)
            changes.append(
                (
                    now,
                    None,
                    "rating_changed",
                    Customer._meta.label_lower,
                    str(cid),
                    f"{name} ({code})"[:200],
                    {"rating": rating},
                    {"rating": wanted[cid], "as_of": as_of.isoformat()},
                    "",
                )
            )
    for rating, changed in by_rating.items():
        for start in range(0, len(changed), BATCH):
            Customer.objects.filter(pk__in=changed[start : start + BATCH]).update(rating=rating)
    insert_values(
        AuditEntry,
        (
            "at",
            "actor",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "before",
            "after",
            "note",
        ),
        changes,
    )
    return len(changes)
