"""Reads about the ledger as it stands, and who may write to it.

Balances here come from the stored running totals (``Receivable.outstanding``,
``Payment.allocated``): every posted document counts, whatever its date. For a balance on a given
day use ``huikuan.reports.selectors``, which rebuilds it from the allocation rows.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from huikuan.core.money import ZERO, MoneyField
from huikuan.org.models import Role

from .classes import DISTRESSED_STATUSES, DebtClass
from .models import Allocation, Payment, Receivable, Reversal, WriteOff

LEDGER_ROLES = {Role.FINANCE, Role.ADMIN}


def can_post_ledger(user) -> bool:
    """Whether ``user`` may book money: receivables, payments, credit notes, write-offs and
    reversals — and, for ERP integration, new customers.

    Finance staff and administrators (and Django superusers) book; reps and managers chase the
    money but never book it. An inactive or anonymous user books nothing.
    """
    if user is None or not getattr(user, "is_active", False):
        return False
    return bool(user.is_superuser or getattr(user, "role", None) in LEDGER_ROLES)


@dataclass(frozen=True)
class CustomerBalance:
    outstanding: Decimal
    open_receivables: int
    unapplied_credit: Decimal


def customer_balance(*, customer) -> CustomerBalance:
    """What a customer owes us and what it holds as credit, as posted.

    ``outstanding`` is the sum of its receivables' outstanding balances; ``unapplied_credit`` is
    what is left unallocated of its payments and credit notes that have not been reversed (a
    reversed payment is no longer money we hold). The two are reported side by side and never
    netted: credit settles a receivable only through an allocation.
    """
    owed = Receivable.objects.filter(customer=customer, outstanding__gt=0).aggregate(
        total=Sum("outstanding"), count=Count("pk")
    )
    credit = Payment.objects.filter(
        customer=customer, reversal__isnull=True, allocated__lt=F("amount")
    ).aggregate(total=Sum(F("amount") - F("allocated"), output_field=MoneyField()))
    return CustomerBalance(
        outstanding=owed["total"] or ZERO,
        open_receivables=owed["count"] or 0,
        unapplied_credit=credit["total"] or ZERO,
    )


def payments_with_credit(queryset: QuerySet[Payment] | None = None) -> QuerySet[Payment]:
    """Payments and credit notes annotated with ``unapplied_credit``: the amount not allocated,
    or zero once the document has been reversed — the same rule as ``customer_balance`` and the
    aging report. Their reversal and allocation lines are fetched along.
    """
    queryset = Payment.objects.all() if queryset is None else queryset
    return (
        queryset.select_related("customer", "reversal")
        .prefetch_related(
            Prefetch(
                "allocations",
                queryset=Allocation.objects.select_related(
                    "receivable", "payment", "write_off", "reversal"
                ).order_by("applied_on", "pk"),
            )
        )
        .annotate(
            unapplied_credit=Case(
                When(reversal__isnull=False, then=Value(0)),
                default=F("amount") - F("allocated"),
                output_field=MoneyField(),
            )
        )
    )


def receivables_with_lines(queryset: QuerySet[Receivable] | None = None) -> QuerySet[Receivable]:
    """Receivables with their customer and every allocation line (payments, credit notes,
    write-offs and the reversals of any of them) in the order they took effect."""
    queryset = Receivable.objects.all() if queryset is None else queryset
    return queryset.select_related("customer").prefetch_related(
        Prefetch(
            "allocations",
            queryset=Allocation.objects.select_related(
                "receivable", "payment", "write_off", "reversal"
            ).order_by("applied_on", "pk"),
        )
    )


# --- Pages: customer lists, receivable and payment lists, a customer's file ----------------------
# Like everything above, balances here are as posted; ``as_of`` only says from which day the days
# past due are counted. The point-in-time view of a past date is the aging report's job.


def days_past_due(as_of: date) -> ExpressionWrapper:
    """A ``Receivable`` expression: days from its due date to ``as_of`` (negative before it is
    due), as a ``timedelta``. One day past the due date is the first day overdue."""
    return ExpressionWrapper(
        Value(as_of, output_field=DateField()) - F("due_date"), output_field=DurationField()
    )


def _money_subquery(queryset: QuerySet, group: str, amount) -> Coalesce:
    """Sum of ``amount`` over ``queryset`` (correlated on ``group``), zero when there is none."""
    summed = queryset.order_by().values(group).annotate(s=Sum(amount, output_field=MoneyField()))
    return Coalesce(
        Subquery(summed.values("s"), output_field=MoneyField()),
        Value(0),
        output_field=MoneyField(),
    )


def customers_with_balances(*, customers: QuerySet, as_of: date, thresholds) -> QuerySet:
    """``customers`` annotated for lists and the customer page, ordered by overdue amount.

    * ``outstanding`` — the sum of its receivables' outstanding balances;
    * ``overdue`` — the part of it whose due date is before ``as_of`` (1 day past due or more);
    * ``unapplied_credit`` — unallocated money of payments and credit notes not reversed;
    * ``oldest_open_due`` — the due date of its oldest open receivable;
    * ``debt_class`` — the worst class (货款五类) of its open money on ``as_of``: ``current`` when
      nothing is past due, then ``overdue`` / ``doubtful`` / ``bad`` by the days the oldest open
      receivable is past due (``thresholds.overdue_from`` / ``doubtful_from`` / ``bad_from``),
      ``bad`` for any overdue money of an insolvent or vanished customer, and at least
      ``doubtful`` for overdue money of a customer with a live strong warning signal seen by
      ``as_of`` (``doubtful_since``) — the rule of
      ``reports.selectors.class_report``. A customer with nothing open but money written off
      (and not reinstated) is ``dead``; one with nothing open and nothing written off has ``""``.
    """
    open_items = Receivable.objects.filter(customer=OuterRef("pk"), outstanding__gt=0)
    overdue_items = open_items.filter(due_date__lt=as_of)
    credit = Payment.objects.filter(
        customer=OuterRef("pk"), reversal__isnull=True, allocated__lt=F("amount")
    )
    queryset = customers.annotate(
        outstanding=_money_subquery(open_items, "customer", "outstanding"),
        overdue=_money_subquery(overdue_items, "customer", "outstanding"),
        unapplied_credit=_money_subquery(credit, "customer", F("amount") - F("allocated")),
        oldest_open_due=Subquery(open_items.order_by("due_date").values("due_date")[:1]),
        has_write_off=Exists(
            WriteOff.objects.filter(receivable__customer=OuterRef("pk"), reversal__isnull=True)
        ),
    )

    def due_by(days: int) -> Q:
        return Q(oldest_open_due__lte=as_of - timedelta(days=days))

    return queryset.annotate(
        debt_class=Case(
            When(Q(oldest_open_due__isnull=True, has_write_off=True), then=Value(DebtClass.DEAD)),
            When(oldest_open_due__isnull=True, then=Value("")),
            When(
                Q(status__in=DISTRESSED_STATUSES) & due_by(thresholds.overdue_from),
                then=Value(DebtClass.BAD),
            ),
            When(due_by(thresholds.bad_from), then=Value(DebtClass.BAD)),
            When(due_by(thresholds.doubtful_from), then=Value(DebtClass.DOUBTFUL)),
            When(
                Q(doubtful_since__lte=as_of) & due_by(thresholds.overdue_from),
                then=Value(DebtClass.DOUBTFUL),
            ),
            When(due_by(thresholds.overdue_from), then=Value(DebtClass.OVERDUE)),
            default=Value(DebtClass.CURRENT),
            output_field=CharField(),
        )
    ).order_by("-overdue", "name", "pk")


def customer_totals(queryset: QuerySet, *, as_of: date) -> dict:
    """Totals row for a queryset from ``customers_with_balances`` (the same rules, summed over
    the ledger directly): count, outstanding, overdue on ``as_of`` and unapplied credit."""
    ids = queryset.order_by().values("pk")
    owed = Receivable.objects.filter(customer__in=ids, outstanding__gt=0).aggregate(
        total=Sum("outstanding"), late=Sum("outstanding", filter=Q(due_date__lt=as_of))
    )
    credit = Payment.objects.filter(
        customer__in=ids, reversal__isnull=True, allocated__lt=F("amount")
    ).aggregate(total=Sum(F("amount") - F("allocated"), output_field=MoneyField()))
    return {
        "count": queryset.count(),
        "outstanding": owed["total"] or ZERO,
        "overdue": owed["late"] or ZERO,
        "unapplied_credit": credit["total"] or ZERO,
    }


def receivables_for_list(
    *,
    customers: QuerySet,
    as_of: date,
    customer=None,
    status: str = "",
    overdue_only: bool = False,
    due_from: date | None = None,
    due_to: date | None = None,
    number: str = "",
) -> QuerySet[Receivable]:
    """Receivables of ``customers`` filtered for the 应收 list, annotated with ``days_overdue``.

    ``status`` is ``"open"`` (something outstanding) or ``"settled"`` (nothing outstanding);
    ``overdue_only`` keeps open receivables due before ``as_of``. Oldest due first.
    """
    queryset = Receivable.objects.filter(customer__in=customers).select_related("customer")
    if customer is not None:
        queryset = queryset.filter(customer=customer)
    if status == "open":
        queryset = queryset.filter(outstanding__gt=0)
    elif status == "settled":
        queryset = queryset.filter(outstanding=0)
    if overdue_only:
        queryset = queryset.filter(outstanding__gt=0, due_date__lt=as_of)
    if due_from is not None:
        queryset = queryset.filter(due_date__gte=due_from)
    if due_to is not None:
        queryset = queryset.filter(due_date__lte=due_to)
    if number:
        queryset = queryset.filter(number__icontains=number.strip())
    return queryset.annotate(days_overdue=days_past_due(as_of)).order_by("due_date", "pk")


def receivable_totals(queryset: QuerySet[Receivable]) -> dict:
    """Totals row for a receivable list: count, amount and outstanding."""
    totals = queryset.order_by().aggregate(
        n=Count("pk"), issued=Sum("amount"), still_owed=Sum("outstanding")
    )
    return {
        "count": totals["n"],
        "amount": totals["issued"] or ZERO,
        "outstanding": totals["still_owed"] or ZERO,
    }


def open_receivables(*, customer, as_of: date) -> QuerySet[Receivable]:
    """A customer's receivables with something outstanding, oldest due first (the order automatic
    allocation settles them in), annotated with ``days_overdue`` on ``as_of``."""
    return (
        Receivable.objects.filter(customer=customer, outstanding__gt=0)
        .annotate(days_overdue=days_past_due(as_of))
        .order_by("due_date", "issue_date", "pk")
    )


def payments_for_list(
    *,
    customers: QuerySet,
    kind: str = "",
    customer=None,
    received_from: date | None = None,
    received_to: date | None = None,
    number: str = "",
) -> QuerySet[Payment]:
    """Payments and credit notes of ``customers`` for the 回款 list, newest first, annotated with
    ``unapplied_credit`` (zero once reversed, as in ``payments_with_credit``)."""
    queryset = Payment.objects.filter(customer__in=customers)
    if kind:
        queryset = queryset.filter(kind=kind)
    if customer is not None:
        queryset = queryset.filter(customer=customer)
    if received_from is not None:
        queryset = queryset.filter(received_on__gte=received_from)
    if received_to is not None:
        queryset = queryset.filter(received_on__lte=received_to)
    if number:
        term = number.strip()
        queryset = queryset.filter(Q(number__icontains=term) | Q(reference__icontains=term))
    return _with_unapplied_credit(queryset).order_by("-received_on", "-pk")


def _with_unapplied_credit(queryset: QuerySet[Payment]) -> QuerySet[Payment]:
    """``payments_with_credit`` without the allocation lines, for lists."""
    return queryset.select_related("customer", "reversal").annotate(
        unapplied_credit=Case(
            When(reversal__isnull=False, then=Value(0)),
            default=F("amount") - F("allocated"),
            output_field=MoneyField(),
        )
    )


def payment_totals(queryset: QuerySet[Payment]) -> dict:
    """Totals row for a payment list: count, amount received and amount still unapplied (zero
    for reversed documents, as in ``payments_with_credit``)."""
    unapplied = Case(
        When(reversal__isnull=False, then=Value(0)),
        default=F("amount") - F("allocated"),
        output_field=MoneyField(),
    )
    totals = (
        Payment.objects.filter(pk__in=queryset.order_by().values("pk"))
        .order_by()
        .aggregate(
            n=Count("pk"),
            received=Sum("amount"),
            unapplied=Sum(unapplied, output_field=MoneyField()),
        )
    )
    return {
        "count": totals["n"],
        "amount": totals["received"] or ZERO,
        "unapplied_credit": totals["unapplied"] or ZERO,
    }


@dataclass(frozen=True)
class TimelineEvent:
    """One dated thing that happened on a customer's account."""

    on: date
    kind: str  # delivery | receivable | payment | credit_note | allocation | write_off | reversal
    number: str
    amount: Decimal
    note: str = ""
    receivable_id: int | None = None
    payment_id: int | None = None


# Same-day events read in the order they happen: goods, the bill, money in, settling, undoing.
_TIMELINE_ORDER = {
    "delivery": 0,
    "receivable": 1,
    "payment": 2,
    "credit_note": 2,
    "allocation": 3,
    "write_off": 4,
    "reversal": 5,
}


def customer_timeline(*, customer, limit: int = 200) -> list[TimelineEvent]:
    """Everything on a customer's account, newest first: deliveries (with the receivable each
    one created), other receivables, payments and credit notes, allocations, write-offs and
    reversals — the newest ``limit`` events."""
    from huikuan.contracts.models import Delivery

    events: list[TimelineEvent] = []
    deliveries = (
        Delivery.objects.filter(customer=customer)
        .select_related("receivable")
        .order_by("-delivered_on", "-pk")[:limit]
    )
    for d in deliveries:
        receivable = getattr(d, "receivable", None)
        events.append(
            TimelineEvent(
                d.delivered_on,
                "delivery",
                d.number,
                d.amount,
                d.description,
                receivable_id=receivable.pk if receivable else None,
            )
        )
    # A delivery's receivable is the delivery itself on the timeline; the others stand alone.
    receivables = Receivable.objects.filter(customer=customer, delivery__isnull=True)
    for r in receivables.order_by("-issue_date", "-pk")[:limit]:
        events.append(
            TimelineEvent(
                r.issue_date, "receivable", r.number, r.amount, r.description, receivable_id=r.pk
            )
        )
    for p in Payment.objects.filter(customer=customer).order_by("-received_on", "-pk")[:limit]:
        events.append(TimelineEvent(p.received_on, p.kind, p.number, p.amount, p.note, None, p.pk))
    allocations = (
        Allocation.objects.filter(
            receivable__customer=customer, payment__isnull=False, reverses__isnull=True
        )
        .select_related("payment", "receivable")
        .order_by("-applied_on", "-pk")[:limit]
    )
    for a in allocations:
        events.append(
            TimelineEvent(
                a.applied_on,
                "allocation",
                a.payment.number,
                a.amount,
                a.receivable.number,
                a.receivable_id,
                a.payment_id,
            )
        )
    write_offs = (
        WriteOff.objects.filter(receivable__customer=customer)
        .select_related("receivable")
        .order_by("-written_off_on", "-pk")[:limit]
    )
    for w in write_offs:
        events.append(
            TimelineEvent(
                w.written_off_on, "write_off", w.number, w.amount, w.reason, w.receivable_id
            )
        )
    reversals = (
        Reversal.objects.filter(
            Q(payment__customer=customer)
            | Q(allocation__receivable__customer=customer)
            | Q(write_off__receivable__customer=customer)
        )
        .select_related("payment", "allocation__payment", "allocation__receivable", "write_off")
        .order_by("-reversed_on", "-pk")[:limit]
    )
    for v in reversals:
        target = v.payment or v.write_off or v.allocation
        events.append(
            TimelineEvent(
                v.reversed_on,
                "reversal",
                v.number,
                target.amount,
                f"{target}: {v.reason}",
                getattr(target, "receivable_id", None),
                v.payment_id or getattr(v.allocation, "payment_id", None),
            )
        )
    events.sort(key=lambda e: (e.on, -_TIMELINE_ORDER[e.kind], e.number), reverse=True)
    return events[:limit]


@dataclass
class CustomerFile:
    """What the customer page shows besides the aging bar."""

    customer: object  # annotated by customers_with_balances
    open_receivables: list
    payments: list
    contacts_by_role: list  # [(role label, [Contact, …]), …] in the order of ContactRole
    process: object | None
    contracts: list
    timeline: list[TimelineEvent]


def customer_file(
    *, customer, as_of: date, thresholds, payments_limit: int = 50, timeline_limit: int = 200
) -> CustomerFile:
    """A customer's balances and class, open receivables with days past due, latest payments and
    credit notes, contacts by role, payment process, contracts with their installment plans and
    the whole account as a timeline."""
    from huikuan.contracts.models import Contract
    from huikuan.customers.models import Contact, ContactRole, Customer, PaymentProcess

    annotated = customers_with_balances(
        customers=Customer.objects.filter(pk=customer.pk).select_related("owner", "region"),
        as_of=as_of,
        thresholds=thresholds,
    ).get()
    contacts = list(Contact.objects.filter(customer=customer).order_by("-is_active", "name"))
    by_role = [
        (label, [c for c in contacts if c.role == value])
        for value, label in ContactRole.choices
        if any(c.role == value for c in contacts)
    ]
    process = (
        PaymentProcess.objects.filter(customer=customer)
        .select_related("request_recipient", "signer", "approver")
        .first()
    )
    payments = _with_unapplied_credit(Payment.objects.filter(customer=customer)).order_by(
        "-received_on", "-pk"
    )[:payments_limit]
    return CustomerFile(
        customer=annotated,
        open_receivables=list(open_receivables(customer=customer, as_of=as_of)),
        payments=list(payments),
        contacts_by_role=by_role,
        process=process,
        contracts=list(
            Contract.objects.filter(customer=customer).prefetch_related("nodes__receivable")
        ),
        timeline=customer_timeline(customer=customer, limit=timeline_limit),
    )


def customer_list(
    *,
    customers: QuerySet,
    as_of: date,
    thresholds,
    debt_class: str = "",
    overdue_only: bool = False,
    sort: str = "overdue",
) -> QuerySet:
    """The customer list: ``customers_with_balances`` narrowed to one class and/or to customers
    with overdue money, largest overdue amount first (``sort="overdue"``) or by name."""
    queryset = customers_with_balances(customers=customers, as_of=as_of, thresholds=thresholds)
    if debt_class:
        queryset = queryset.filter(debt_class=debt_class)
    if overdue_only:
        queryset = queryset.filter(overdue__gt=0)
    if sort == "name":
        queryset = queryset.order_by("name", "pk")
    return queryset


def receivable_detail(*, receivable, as_of: date) -> Receivable:
    """One receivable with its customer, ``days_overdue`` on ``as_of`` and every allocation line
    (payments, credit notes, write-offs and their reversals) in the order they took effect."""
    return receivables_with_lines(
        Receivable.objects.filter(pk=receivable.pk)
        .select_related("contract", "delivery", "installment")
        .annotate(days_overdue=days_past_due(as_of))
    ).get()


def payment_detail(*, payment) -> Payment:
    """One payment or credit note with its customer, reversal, ``unapplied_credit`` and every
    allocation line in the order they took effect."""
    return payments_with_credit(Payment.objects.filter(pk=payment.pk)).get()
