"""Aging and the five classes, as of any date, computed by aggregate queries in the database.

Point in time: the balance of a receivable on day D is its amount less every allocation (payment,
credit note, write-off, and their reversals) that took effect on or before D. Because services
only ever append allocations, that equals the stored ``outstanding`` plus the allocations dated
after D. So every figure is two grouped aggregates — one over open receivables, one over the
(few, for recent dates) allocations after D — added per group. Nothing loops over rows in Python.
"""

import gc
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import connections
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce

from huikuan.core.money import ZERO, MoneyField, quantize
from huikuan.customers.models import Customer
from huikuan.ledger.classes import DISTRESSED_STATUSES
from huikuan.ledger.models import Allocation, Payment, Receivable, WriteOff
from huikuan.org.models import Region, User

from .policy import Band, DebtClass, aging_bands, class_thresholds, recovery_curve

GROUPINGS = ("customer", "rep", "region", "portfolio")
_GROUP_FIELD = {
    "customer": "customer_id",
    "rep": "customer__owner_id",
    "region": "customer__region_id",
    "portfolio": None,
}
PORTFOLIO_KEY = "portfolio"
UNASSIGNED_KEY = "-"


def _band_q(band: Band, as_of: date, prefix: str) -> Q:
    """Rows whose days past due on ``as_of`` fall in ``band`` (days = as_of − due_date)."""
    q = Q()
    if band.high is not None:  # days <= high  <=>  due_date >= as_of - high
        q &= Q(**{f"{prefix}due_date__gte": as_of - timedelta(days=band.high)})
    if band.low is not None:  # days >= low  <=>  due_date <= as_of - low
        q &= Q(**{f"{prefix}due_date__lte": as_of - timedelta(days=band.low)})
    return q


def _fen_sum(condition: Q, field_name: str) -> Sum:
    """Σ of a money column over the rows meeting ``condition``, as integer fen.

    Sums stay in fen until the end: converting each cell to ``Decimal`` on the way out of the
    database costs more than the query itself once there are 100,000 customers.
    """
    return _as_bigint(Sum(Case(When(condition, then=F(field_name)), default=Value(0))))


def _as_bigint(total) -> Cast:
    # PostgreSQL sums BIGINT into NUMERIC, which the driver would turn into Decimal one value at
    # a time; the cast keeps the result a plain integer all the way.
    return Cast(total, output_field=BigIntegerField())


def _yuan(fen: int) -> Decimal:
    """Integer fen -> two-place Decimal (``Decimal(0).scaleb(-2)`` is ``Decimal("0.00")``)."""
    return ZERO if not fen else Decimal(fen).scaleb(-2)


def _grouped(queryset: QuerySet, key: str | None, aggregates: dict) -> list[tuple]:
    """``(group, value, …)`` rows of ``aggregates`` over ``queryset`` per ``key`` (one row for the
    whole queryset when ``key`` is None), as plain tuples of integers.

    The ORM builds the SQL; the rows are fetched straight from the cursor, because every value is
    already an integer and Django's per-value converters would otherwise cost as much as the
    query itself for 100,000 groups.
    """
    if key is None:
        row = queryset.aggregate(**aggregates)
        return [(PORTFOLIO_KEY, *(row[name] for name in aggregates))]
    grouped = queryset.values(_key=F(key)).annotate(**aggregates).order_by()
    query = grouped.values_list("_key", *aggregates).query
    selected = list(query.annotation_select)
    if selected != ["_key", *aggregates]:  # not the column order relied on below
        raise RuntimeError(f"unexpected select list {selected}")
    sql, params = query.get_compiler(using=queryset.db).as_sql()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _open_fen(
    *,
    as_of: date,
    by: str,
    columns: dict[str, Callable[[str], Q]],
    customers: QuerySet | None,
) -> dict[object, list[int]]:
    """Balances as of ``as_of`` in fen per group, one number per column condition (in the order
    of ``columns``).

    ``columns`` maps a column name to a function of a field prefix returning the row condition
    (the prefix lets the same rule apply to receivables and to allocations' receivables).
    """
    group = _GROUP_FIELD[by]
    width = len(columns)
    result: dict[object, list[int]] = {}
    sources = [
        # Stored balances of receivables issued by as_of and still open now …
        (
            Receivable.objects.filter(issue_date__lte=as_of, outstanding__gt=0),
            "",
            "outstanding",
        ),
        # … plus every allocation that took effect after as_of on receivables issued by then.
        (
            Allocation.objects.filter(applied_on__gt=as_of, receivable__issue_date__lte=as_of),
            "receivable__",
            "amount",
        ),
    ]
    for queryset, prefix, amount_field in sources:
        if customers is not None:
            queryset = queryset.filter(**{f"{prefix}customer__in": customers})
        aggregates = {
            name: _fen_sum(make_q(prefix), amount_field) for name, make_q in columns.items()
        }
        for key, *values in _grouped(queryset, prefix + group if group else None, aggregates):
            cells = result.get(key)
            if cells is None:
                result[key] = [value or 0 for value in values]
            else:
                for index in range(width):
                    cells[index] += values[index] or 0
    return result


def _open_sums(
    *,
    as_of: date,
    by: str,
    columns: dict[str, Callable[[str], Q]],
    customers: QuerySet | None,
) -> dict[object, dict[str, Decimal]]:
    """Balances as of ``as_of`` summed per group for each column condition, in yuan."""
    result: dict[object, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(columns, ZERO))
    for key, cells in _open_fen(as_of=as_of, by=by, columns=columns, customers=customers).items():
        result[key] = {name: _yuan(fen) for name, fen in zip(columns, cells, strict=True)}
    return result


def _unapplied_fen(*, as_of: date, by: str, customers: QuerySet | None) -> dict[object, int]:
    """Payments and credit notes received by ``as_of``, not reversed by then, less what had been
    allocated of them by then: the stored unapplied amount plus allocations dated after as_of.
    In fen per group."""
    group = _GROUP_FIELD[by]
    live = Q(received_on__lte=as_of) & (
        Q(reversal__isnull=True) | Q(reversal__reversed_on__gt=as_of)
    )
    stored = Payment.objects.filter(live, allocated__lt=F("amount"))
    later = Allocation.objects.filter(
        payment__isnull=False, applied_on__gt=as_of, payment__received_on__lte=as_of
    )
    if customers is not None:
        stored = stored.filter(customer__in=customers)
        later = later.filter(payment__customer__in=customers)
    totals: dict[object, int] = defaultdict(int)
    sums = [
        (stored, "", _as_bigint(Sum(F("amount") - F("allocated")))),
        (later, "payment__", _as_bigint(Sum("amount"))),
    ]
    for queryset, prefix, aggregate in sums:
        for key, value in _grouped(queryset, prefix + group if group else None, {"s": aggregate}):
            totals[key] += value or 0
    return totals


def _unapplied_credit(*, as_of: date, by: str, customers: QuerySet | None) -> dict[object, Decimal]:
    """:func:`_unapplied_fen` in yuan."""
    fen = _unapplied_fen(as_of=as_of, by=by, customers=customers)
    return defaultdict(lambda: ZERO, {key: _yuan(value) for key, value in fen.items()})


@dataclass
class AgingRow:
    key: str
    label: str
    buckets: dict[str, Decimal]
    total: Decimal
    unapplied_credit: Decimal
    group_id: int | None = None


# Above this many groups, labels come from one scan of the customers table rather than an IN
# list of every id (100,000 parameters cost more to send and plan than the scan).
_LABEL_IN_LIMIT = 1000


def _labels(by: str, ids, customers: QuerySet | None = None) -> dict[object, tuple[str, str]]:
    ids = [i for i in ids if i is not None and i != PORTFOLIO_KEY]
    if by == "customer":
        if len(ids) <= _LABEL_IN_LIMIT:
            source = Customer.objects.filter(pk__in=ids)
        elif customers is None:
            source = Customer.objects.all()
        else:
            source = Customer.objects.filter(pk__in=customers.values("pk"))
        rows = source.order_by().values_list("pk", "code", "name")
    elif by == "rep":
        rows = [
            (u.pk, u.username, str(u))
            for u in User.objects.filter(pk__in=ids).only("username", "first_name", "last_name")
        ]
    elif by == "region":
        rows = Region.objects.filter(pk__in=ids).values_list("pk", "code", "name")
    else:
        rows = []
    return {pk: (key, label) for pk, key, label in rows}


def aging(
    *,
    as_of: date,
    by: str = "customer",
    edges: list[int] | None = None,
    customers: QuerySet | None = None,
) -> list[AgingRow]:
    """Aging as of ``as_of`` grouped by customer, rep, region or the whole portfolio.

    Buckets always add up exactly to the group's outstanding total; unapplied credit (payments
    not yet matched to receivables) is reported beside them and never netted into a bucket.
    ``customers`` restricts the report to what the caller may see. Rows come largest total first.
    """
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {', '.join(GROUPINGS)}")
    with _collector_paused():
        return _aging(as_of=as_of, by=by, edges=edges, customers=customers)


@contextmanager
def _collector_paused():
    """Pause Python's cyclic garbage collector while a big report is built.

    A per-customer report makes a few objects per customer — 100,000 customers mean a million
    objects that live on, and the collector would rescan them all again and again as they pile
    up (about a third of the report's time). None of them form reference cycles, so nothing is
    lost by collecting once at the end instead.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _aging(*, as_of, by, edges, customers) -> list[AgingRow]:
    bands = aging_bands(edges)
    columns = {band.key: (lambda prefix, b=band: _band_q(b, as_of, prefix)) for band in bands}
    sums = _open_fen(as_of=as_of, by=by, columns=columns, customers=customers)
    credit = _unapplied_fen(as_of=as_of, by=by, customers=customers)
    keys = set(sums) | set(credit)
    if by == "portfolio":
        keys.add(PORTFOLIO_KEY)
    names = list(columns)
    nothing = [0] * len(names)
    found = []
    for group_id in keys:
        cells = sums.get(group_id, nothing)
        total = sum(cells)
        unapplied = credit.get(group_id, 0)
        if total or unapplied or by == "portfolio":
            found.append((group_id, cells, total, unapplied))
    labels = _labels(by, [group_id for group_id, *_rest in found], customers)
    rows = []
    for group_id, cells, total, unapplied in found:
        if group_id == PORTFOLIO_KEY:
            key, label = PORTFOLIO_KEY, PORTFOLIO_KEY
        elif group_id is None:
            key, label = UNASSIGNED_KEY, UNASSIGNED_KEY
        else:
            key, label = labels.get(group_id, (str(group_id), str(group_id)))
        rows.append(
            (
                -total,
                key,
                AgingRow(
                    key=key,
                    label=label,
                    buckets=dict(zip(names, map(_yuan, cells), strict=True)),
                    total=_yuan(total),
                    unapplied_credit=_yuan(unapplied),
                    group_id=group_id if isinstance(group_id, int) else None,
                ),
            )
        )
    rows.sort(key=lambda item: item[:2])
    return [row for _total, _key, row in rows]


def receivables_as_of(*, as_of: date, customers: QuerySet | None = None) -> QuerySet:
    """Receivables open on ``as_of`` annotated with ``balance`` (their balance that day) and
    ``days_overdue``-ready ``due_date``; for drill-down lists (paginate them)."""
    later = (
        Allocation.objects.filter(receivable=OuterRef("pk"), applied_on__gt=as_of)
        .values("receivable")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    queryset = Receivable.objects.filter(issue_date__lte=as_of).annotate(
        balance=ExpressionWrapper(
            F("outstanding") + Coalesce(Subquery(later), Value(0), output_field=MoneyField()),
            output_field=MoneyField(),
        )
    )
    if customers is not None:
        queryset = queryset.filter(customer__in=customers)
    return queryset.filter(balance__gt=0)


# --- The five classes ---------------------------------------------------------------------------


def _class_q(debt_class: str, as_of: date, prefix: str) -> Q:
    t = class_thresholds()
    distressed = Q(**{f"{prefix}customer__status__in": DISTRESSED_STATUSES})
    overdue = Q(**{f"{prefix}due_date__lte": as_of - timedelta(days=t.overdue_from)})
    band = {
        DebtClass.CURRENT: Band("", "", None, t.overdue_from - 1),
        DebtClass.OVERDUE: Band("", "", t.overdue_from, t.doubtful_from - 1),
        DebtClass.DOUBTFUL: Band("", "", t.doubtful_from, t.bad_from - 1),
        DebtClass.BAD: Band("", "", t.bad_from, None),
    }[debt_class]
    q = _band_q(band, as_of, prefix)
    if debt_class == DebtClass.CURRENT:
        return q
    if debt_class == DebtClass.BAD:
        return q | (distressed & overdue)
    # A live strong warning signal seen by as_of makes overdue money at least 准呆账.
    flagged = Q(**{f"{prefix}customer__doubtful_since__lte": as_of})
    not_flagged = Q(**{f"{prefix}customer__doubtful_since__isnull": True}) | Q(
        **{f"{prefix}customer__doubtful_since__gt": as_of}
    )
    if debt_class == DebtClass.DOUBTFUL:
        overdue_band = _band_q(Band("", "", t.overdue_from, t.doubtful_from - 1), as_of, prefix)
        return (q | (flagged & overdue_band)) & ~distressed
    return q & ~distressed & not_flagged


@dataclass
class ClassRow:
    key: str
    label: str
    amount: Decimal
    count: int
    expected_recovery: Decimal
    provision: Decimal


@dataclass
class ClassReport:
    as_of: date
    rows: list[ClassRow] = field(default_factory=list)

    @property
    def total_amount(self) -> Decimal:
        return sum((row.amount for row in self.rows), ZERO)

    @property
    def total_expected_recovery(self) -> Decimal:
        return sum((row.expected_recovery for row in self.rows), ZERO)

    @property
    def total_provision(self) -> Decimal:
        return sum((row.provision for row in self.rows), ZERO)


def _open_counts(*, as_of: date, customers: QuerySet | None) -> dict[str, int]:
    """How many receivables were open on ``as_of`` in each open class."""
    open_classes = DebtClass.ORDER[:-1]
    aggregates = {name: Count("pk", filter=_class_q(name, as_of, "")) for name in open_classes}
    still_open = Receivable.objects.filter(issue_date__lte=as_of, outstanding__gt=0)
    # Settled since as_of but open on it: they have allocations after as_of summing to > 0.
    settled_since = receivables_as_of(as_of=as_of, customers=customers).filter(
        outstanding=0,
        pk__in=Allocation.objects.filter(applied_on__gt=as_of).values("receivable_id"),
    )
    if customers is not None:
        still_open = still_open.filter(customer__in=customers)
    counts = dict.fromkeys(open_classes, 0)
    for queryset in (still_open, settled_since):
        for name, value in queryset.aggregate(**aggregates).items():
            counts[name] += value or 0
    return counts


def _written_off(*, as_of: date, customers: QuerySet | None) -> tuple[Decimal, int]:
    """Write-offs dated by ``as_of`` and not reversed by then: amount and count."""
    queryset = WriteOff.objects.filter(written_off_on__lte=as_of).exclude(
        reversal__reversed_on__lte=as_of
    )
    if customers is not None:
        queryset = queryset.filter(receivable__customer__in=customers)
    row = queryset.aggregate(amount=Sum("amount"), count=Count("pk"))
    return row["amount"] or ZERO, row["count"] or 0


def class_report(*, as_of: date, customers: QuerySet | None = None) -> ClassReport:
    """Amount, count, expected recovery and bad-debt provision per class (货款五类) as of a date.

    Expected recovery applies the recovery curve to each balance by its days past due and the
    provision is the rest; written-off money (死账) is off the books: no recovery, no provision.
    """
    curve = recovery_curve()
    open_classes = DebtClass.ORDER[:-1]
    columns: dict[str, Callable[[str], Q]] = {}
    for name in open_classes:
        for band, _rate in curve:
            columns[f"{name}:{band.key}"] = lambda prefix, n=name, b=band: (
                _class_q(n, as_of, prefix) & _band_q(b, as_of, prefix)
            )
    sums = _open_sums(as_of=as_of, by="portfolio", columns=columns, customers=customers)
    cells = sums[PORTFOLIO_KEY]
    counts = _open_counts(as_of=as_of, customers=customers)
    report = ClassReport(as_of=as_of)
    for name in open_classes:
        amount = ZERO
        recovery = ZERO
        for band, rate in curve:
            value = cells[f"{name}:{band.key}"]
            amount += value
            recovery += quantize(value * rate)
        report.rows.append(
            ClassRow(
                key=name,
                label=str(DebtClass.LABELS[name]),
                amount=amount,
                count=counts[name],
                expected_recovery=recovery,
                provision=amount - recovery,
            )
        )
    dead_amount, dead_count = _written_off(as_of=as_of, customers=customers)
    report.rows.append(
        ClassRow(
            key=DebtClass.DEAD,
            label=str(DebtClass.LABELS[DebtClass.DEAD]),
            amount=dead_amount,
            count=dead_count,
            expected_recovery=ZERO,
            provision=ZERO,  # already off the books: the loss is taken, not provided for
        )
    )
    return report
