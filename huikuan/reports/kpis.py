"""The figures a manager steers by (the dashboard), as of any date, computed in the database.

Every selector takes ``as_of`` and ``customers`` (the queryset the viewer may see — pass
``customers_visible_to(user)``; ``None`` means the whole book). Definitions, as shown to users:

* **Outstanding** — the balance of every receivable issued by ``as_of``, on that day.
  **Overdue** — the part of it past its due date (one day or more past due).
* **Collected** — money applied to receivables from payments (not credit notes, not write-offs),
  net of reversals, by the allocation's effective date.
* **Collection rate this month** (回款率) — collected from the first of ``as_of``'s month up to
  ``as_of`` on receivables due by ``as_of``, divided by what was there to collect: the balance at
  the start of the month of the receivables due by ``as_of`` (overdue money carried into the
  month plus money falling due in it; a receivable issued during the month counts at its full
  amount). Prepayments of money not yet due are left out of both sides, so the rate is 0–100 %.
* **DSO** (days sales outstanding) — outstanding on ``as_of`` ÷ the amount of receivables issued
  in the 90 days ending on ``as_of`` × 90.
* **Trend** — per calendar month, money collected vs the amount of receivables falling due.

Balances as of a past day use the same trick as ``reports.selectors``: today's stored balance plus
the allocations dated after that day, so only open items and recent movements are read.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, Min, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth

from huikuan.core.money import ZERO, MoneyField
from huikuan.customers.models import Customer
from huikuan.ledger.models import Allocation, PaymentKind, Receivable

from .policy import aging_bands
from .selectors import ClassReport, aging, class_report

DSO_DAYS = 90
TREND_MONTHS = 12
TOP_OVERDUE = 10


def _scoped(queryset: QuerySet, customers: QuerySet | None, prefix: str = "") -> QuerySet:
    if customers is None:
        return queryset
    return queryset.filter(**{f"{prefix}customer__in": customers})


def _sum(field: str = "amount", **filter_kwargs) -> Coalesce:
    aggregate = Sum(field, filter=Q(**filter_kwargs) if filter_kwargs else None)
    return Coalesce(aggregate, Value(0), output_field=MoneyField())


def _ratio(numerator: Decimal, denominator: Decimal, places: str = "0.0001") -> Decimal | None:
    if not denominator:
        return None
    return (numerator / denominator).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


# --- Outstanding, overdue and their age ---------------------------------------------------------


@dataclass
class AgingBar:
    key: str
    label: str
    amount: Decimal


@dataclass
class Totals:
    as_of: date
    outstanding: Decimal
    overdue: Decimal
    unapplied_credit: Decimal
    buckets: list[AgingBar]

    @property
    def overdue_ratio(self) -> Decimal | None:
        """Overdue ÷ outstanding (0–1), ``None`` when nothing is outstanding."""
        return _ratio(self.overdue, self.outstanding)


def portfolio_totals(*, as_of: date, customers: QuerySet | None = None) -> Totals:
    """Outstanding and overdue on ``as_of`` with the aging buckets behind them.

    Overdue is everything outside the "not due" bucket, so outstanding = Σ buckets exactly.
    """
    bands = aging_bands()
    row = aging(as_of=as_of, by="portfolio", customers=customers)[0]
    buckets = [AgingBar(band.key, band.label, row.buckets[band.key]) for band in bands]
    not_due = row.buckets[bands[0].key]
    return Totals(
        as_of=as_of,
        outstanding=row.total,
        overdue=row.total - not_due,
        unapplied_credit=row.unapplied_credit,
        buckets=buckets,
    )


# --- Collection rate ----------------------------------------------------------------------------


@dataclass
class CollectionRate:
    period_start: date
    as_of: date
    collected: Decimal
    collectible: Decimal

    @property
    def rate(self) -> Decimal | None:
        """Collected ÷ collectible (0–1, four places); ``None`` when nothing was to collect."""
        return _ratio(self.collected, self.collectible)


def collection_rate(*, as_of: date, customers: QuerySet | None = None) -> CollectionRate:
    """回款率 for the calendar month of ``as_of``, from its first day up to ``as_of``.

    collectible = Σ over receivables due on or before ``as_of`` of their balance at the start of
    the month (= stored outstanding + every allocation dated on or after the 1st);
    collected = Σ payment allocations (kind "payment", reversals netted) dated from the 1st to
    ``as_of`` on those same receivables.
    """
    start = as_of.replace(day=1)
    open_now = _scoped(Receivable.objects.filter(due_date__lte=as_of, outstanding__gt=0), customers)
    moved = _scoped(
        Allocation.objects.filter(applied_on__gte=start, receivable__due_date__lte=as_of),
        customers,
        "receivable__",
    )
    stored = open_now.aggregate(s=_sum("outstanding"))["s"]
    row = moved.aggregate(
        since_start=_sum(),
        collected=_sum(applied_on__lte=as_of, payment__kind=PaymentKind.PAYMENT),
    )
    return CollectionRate(
        period_start=start,
        as_of=as_of,
        collected=row["collected"],
        collectible=stored + row["since_start"],
    )


# --- DSO ----------------------------------------------------------------------------------------


@dataclass
class Dso:
    as_of: date
    outstanding: Decimal
    billed: Decimal
    days: int

    @property
    def value(self) -> Decimal | None:
        """Outstanding ÷ billed × days, in days with one place; ``None`` if nothing was billed."""
        if not self.billed:
            return None
        # Multiply first: 6230 × 90 ÷ 6000 is exactly 93.45, 6230 ÷ 6000 × 90 is 93.4499….
        return (self.outstanding * self.days / self.billed).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )


def dso(
    *,
    as_of: date,
    customers: QuerySet | None = None,
    days: int = DSO_DAYS,
    outstanding: Decimal | None = None,
) -> Dso:
    """Days sales outstanding on ``as_of``: outstanding ÷ (receivables issued in the ``days`` days
    ending on ``as_of``) × ``days``. Pass ``outstanding`` if already computed for the same scope."""
    if outstanding is None:
        outstanding = portfolio_totals(as_of=as_of, customers=customers).outstanding
    billed = _scoped(
        Receivable.objects.filter(
            issue_date__gt=as_of - timedelta(days=days), issue_date__lte=as_of
        ),
        customers,
    ).aggregate(s=_sum())["s"]
    return Dso(as_of=as_of, outstanding=outstanding, billed=billed, days=days)


# --- Twelve-month trend -------------------------------------------------------------------------


@dataclass
class TrendMonth:
    month: date  # the first day of the month
    collected: Decimal
    fallen_due: Decimal


def monthly_trend(
    *, as_of: date, customers: QuerySet | None = None, months: int = TREND_MONTHS
) -> list[TrendMonth]:
    """Per calendar month, oldest first, ending with ``as_of``'s month (counted up to ``as_of``):
    money collected (payment allocations, reversals netted, by effective date) and the amount of
    receivables whose due date falls in the month."""
    first = _add_months(as_of.replace(day=1), -(months - 1))
    collected = (
        _scoped(
            Allocation.objects.filter(
                applied_on__gte=first, applied_on__lte=as_of, payment__kind=PaymentKind.PAYMENT
            ),
            customers,
            "receivable__",
        )
        .annotate(m=TruncMonth("applied_on"))
        .values("m")
        .annotate(s=_sum())
        .order_by()
    )
    fallen_due = (
        _scoped(Receivable.objects.filter(due_date__gte=first, due_date__lte=as_of), customers)
        .annotate(m=TruncMonth("due_date"))
        .values("m")
        .annotate(s=_sum())
        .order_by()
    )
    by_month_collected = {row["m"]: row["s"] for row in collected}
    by_month_due = {row["m"]: row["s"] for row in fallen_due}
    result = []
    for index in range(months):
        month = _add_months(first, index)
        result.append(
            TrendMonth(
                month=month,
                collected=by_month_collected.get(month, ZERO),
                fallen_due=by_month_due.get(month, ZERO),
            )
        )
    return result


# --- Who owes the most overdue money ------------------------------------------------------------


@dataclass
class OverdueCustomer:
    customer_id: int
    code: str
    name: str
    owner: str
    overdue: Decimal
    oldest_due: date
    days_overdue: int


def top_overdue_customers(
    *, as_of: date, customers: QuerySet | None = None, limit: int = TOP_OVERDUE
) -> list[OverdueCustomer]:
    """The ``limit`` customers with the most money past due on ``as_of``, largest first, with the
    due date of their oldest overdue receivable. Ties go to the lower customer id."""
    later = (
        Allocation.objects.filter(receivable=OuterRef("pk"), applied_on__gt=as_of)
        .values("receivable")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    # Only receivables open now or moved since as_of can have had a balance on as_of.
    candidates = Receivable.objects.filter(due_date__lt=as_of).filter(
        Q(outstanding__gt=0)
        | Q(pk__in=Allocation.objects.filter(applied_on__gt=as_of).values("receivable_id"))
    )
    balance = F("outstanding") + Coalesce(Subquery(later), Value(0), output_field=MoneyField())
    rows = list(
        _scoped(candidates, customers)
        .annotate(balance=balance)
        .filter(balance__gt=0)
        .values("customer_id")
        .annotate(overdue=Sum("balance", output_field=MoneyField()), oldest=Min("due_date"))
        .order_by("-overdue", "customer_id")[:limit]
    )
    people = {
        c.pk: c
        for c in Customer.objects.filter(pk__in=[r["customer_id"] for r in rows]).select_related(
            "owner"
        )
    }
    return [
        OverdueCustomer(
            customer_id=row["customer_id"],
            code=people[row["customer_id"]].code,
            name=people[row["customer_id"]].name,
            owner=str(people[row["customer_id"]].owner or ""),
            overdue=row["overdue"],
            oldest_due=row["oldest"],
            days_overdue=(as_of - row["oldest"]).days,
        )
        for row in rows
    ]


# --- Everything on the dashboard ----------------------------------------------------------------


@dataclass
class Dashboard:
    as_of: date
    totals: Totals
    collection: CollectionRate
    dso: Dso
    classes: ClassReport
    trend: list[TrendMonth]
    top_overdue: list[OverdueCustomer]


def dashboard(*, as_of: date, customers: QuerySet | None = None) -> Dashboard:
    """Every dashboard figure for one scope and date (see the module docstring for definitions)."""
    totals = portfolio_totals(as_of=as_of, customers=customers)
    return Dashboard(
        as_of=as_of,
        totals=totals,
        collection=collection_rate(as_of=as_of, customers=customers),
        dso=dso(as_of=as_of, customers=customers, outstanding=totals.outstanding),
        classes=class_report(as_of=as_of, customers=customers),
        trend=monthly_trend(as_of=as_of, customers=customers),
        top_overdue=top_overdue_customers(as_of=as_of, customers=customers),
    )
