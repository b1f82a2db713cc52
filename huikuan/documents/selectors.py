"""The figures each letter states, as of a date, and the lists the pages show.

A customer's balance on day D is what it was billed up to D less what it paid and what we wrote
off up to D, each payment or write-off counting only until it is reversed. Allocations are not
movements: they only say which bill a payment settled, so they change the open items but never
the balance. Hence the rule every statement obeys (and a test checks on random books):
closing balance = Σ open-item balances − unapplied credit.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, DateField, ExpressionWrapper, F, QuerySet, Sum, Value, When
from django.db.models import DurationField as DurationOutput

from huikuan.core.money import ZERO
from huikuan.customers.models import Contact, ContactRole, Customer
from huikuan.dunning.models import Promise, PromiseStatus
from huikuan.dunning.workdays import WorkCalendar
from huikuan.ledger.models import Payment, PaymentKind, Receivable, Reversal, WriteOff
from huikuan.reports.policy import Band, aging_bands
from huikuan.reports.selectors import aging, receivables_as_of

from .models import BalanceConfirmation, ConfirmationStatus, Document, Letterhead

# The customer is given this many days to pay an overdue notice (then the next working day).
PAY_WITHIN_DAYS = 7


def letterhead() -> Letterhead:
    """Who we are, as printed on every letter (the single row, created empty if missing)."""
    return Letterhead.objects.get_or_create(pk=1)[0]


# --- Statement of account ------------------------------------------------------------------------


class MovementKind:
    RECEIVABLE = "receivable"
    PAYMENT = "payment"
    CREDIT_NOTE = "credit_note"
    WRITE_OFF = "write_off"
    PAYMENT_REVERSAL = "payment_reversal"
    WRITE_OFF_REVERSAL = "write_off_reversal"


# Same-day movements read in the order they happen: the bill, money in, writing off, undoing.
_MOVEMENT_ORDER = {
    MovementKind.RECEIVABLE: 0,
    MovementKind.PAYMENT: 1,
    MovementKind.CREDIT_NOTE: 1,
    MovementKind.WRITE_OFF: 2,
    MovementKind.PAYMENT_REVERSAL: 3,
    MovementKind.WRITE_OFF_REVERSAL: 3,
}


@dataclass(frozen=True)
class Movement:
    """One line of the statement: a debit (we billed, or undid a credit) or a credit."""

    on: date
    kind: str
    number: str
    description: str
    debit: Decimal
    credit: Decimal
    balance: Decimal = ZERO  # the running balance after this line


@dataclass(frozen=True)
class OpenItem:
    """A bill still (partly) unpaid on the as-of date."""

    number: str
    issue_date: date
    due_date: date
    amount: Decimal
    balance: Decimal
    days_overdue: int  # 0 or less: not due yet
    bucket_key: str
    bucket: str  # the aging bucket's label: "Not due", "1–30", …

    @property
    def is_overdue(self) -> bool:
        return self.days_overdue > 0


@dataclass(frozen=True)
class BucketTotal:
    key: str
    label: str
    amount: Decimal


@dataclass
class Statement:
    """A statement of account (对账单) for [date_from, as_of]."""

    customer: Customer
    date_from: date
    as_of: date
    opening_balance: Decimal
    movements: list[Movement]
    closing_balance: Decimal
    total_debit: Decimal
    total_credit: Decimal
    open_items: list[OpenItem]
    open_total: Decimal
    overdue_total: Decimal
    unapplied_credit: Decimal
    buckets: list[BucketTotal] = field(default_factory=list)


def _sum(queryset: QuerySet, expression="amount") -> Decimal:
    return queryset.aggregate(total=Sum(expression))["total"] or ZERO


def _balance_through(customer, day: date) -> Decimal:
    """What ``customer`` owed us at the end of ``day`` (negative: we owe it)."""
    billed = _sum(Receivable.objects.filter(customer=customer, issue_date__lte=day))
    paid = _sum(Payment.objects.filter(customer=customer, received_on__lte=day))
    unpaid = _sum(
        Reversal.objects.filter(payment__customer=customer, reversed_on__lte=day),
        "payment__amount",
    )
    written_off = _sum(
        WriteOff.objects.filter(receivable__customer=customer, written_off_on__lte=day)
    )
    restored = _sum(
        Reversal.objects.filter(write_off__receivable__customer=customer, reversed_on__lte=day),
        "write_off__amount",
    )
    return billed - paid + unpaid - written_off + restored


def _movements(customer, date_from: date, as_of: date) -> list[Movement]:
    """The dated lines in [date_from, as_of], in the order they happened, without balances."""
    lines: list[Movement] = []
    receivables = Receivable.objects.filter(
        customer=customer, issue_date__gte=date_from, issue_date__lte=as_of
    )
    for r in receivables:
        lines.append(
            Movement(r.issue_date, MovementKind.RECEIVABLE, r.number, r.description, r.amount, ZERO)
        )
    payments = Payment.objects.filter(
        customer=customer, received_on__gte=date_from, received_on__lte=as_of
    )
    for p in payments:
        credit_note = p.kind == PaymentKind.CREDIT_NOTE
        kind = MovementKind.CREDIT_NOTE if credit_note else MovementKind.PAYMENT
        lines.append(Movement(p.received_on, kind, p.number, p.note, ZERO, p.amount))
    write_offs = WriteOff.objects.filter(
        receivable__customer=customer, written_off_on__gte=date_from, written_off_on__lte=as_of
    ).select_related("receivable")
    for w in write_offs:
        lines.append(
            Movement(
                w.written_off_on,
                MovementKind.WRITE_OFF,
                w.number,
                w.receivable.number,
                ZERO,
                w.amount,
            )
        )
    reversals = (
        Reversal.objects.filter(reversed_on__gte=date_from, reversed_on__lte=as_of)
        .filter(payment__customer=customer)
        .select_related("payment")
    )
    for v in reversals:
        lines.append(
            Movement(
                v.reversed_on,
                MovementKind.PAYMENT_REVERSAL,
                v.number,
                v.payment.number,
                v.payment.amount,
                ZERO,
            )
        )
    reversals = (
        Reversal.objects.filter(reversed_on__gte=date_from, reversed_on__lte=as_of)
        .filter(write_off__receivable__customer=customer)
        .select_related("write_off")
    )
    for v in reversals:
        lines.append(
            Movement(
                v.reversed_on,
                MovementKind.WRITE_OFF_REVERSAL,
                v.number,
                v.write_off.number,
                v.write_off.amount,
                ZERO,
            )
        )
    lines.sort(key=lambda m: (m.on, _MOVEMENT_ORDER[m.kind], m.number))
    return lines


def _band_of(bands: list[Band], days: int) -> Band:
    for band in bands:
        if (band.low is None or days >= band.low) and (band.high is None or days <= band.high):
            return band
    raise AssertionError(f"no aging band holds {days} days")  # the bands cover every integer


def _open_items(customer, as_of: date, bands: list[Band]) -> list[OpenItem]:
    """The customer's bills open on ``as_of`` with their balance that day, oldest due first."""
    rows = receivables_as_of(as_of=as_of, customers=Customer.objects.filter(pk=customer.pk))
    items = []
    for r in rows.order_by("due_date", "issue_date", "number"):
        days = (as_of - r.due_date).days
        band = _band_of(bands, days)
        items.append(
            OpenItem(
                number=r.number,
                issue_date=r.issue_date,
                due_date=r.due_date,
                amount=r.amount,
                balance=r.balance,
                days_overdue=days,
                bucket_key=band.key,
                bucket=band.label,
            )
        )
    return items


def _unapplied_credit(customer, as_of: date) -> Decimal:
    rows = aging(as_of=as_of, by="customer", customers=Customer.objects.filter(pk=customer.pk))
    return rows[0].unapplied_credit if rows else ZERO


def statement_data(*, customer, date_from: date, as_of: date) -> Statement:
    """The statement of account of ``customer`` for the days ``date_from`` to ``as_of``.

    Opening balance: everything before ``date_from``. Movements: bills issued (debit), payments
    and credit notes received and write-offs (credit), reversals of a payment or a write-off
    (debit back), each with the running balance. Open items, their aging buckets (the edges of
    HUIKUAN_AGING_EDGES) and the unapplied credit are those of ``as_of``; the closing balance
    always equals the open items less the unapplied credit.
    """
    if date_from > as_of:
        raise ValueError("date_from is after as_of")
    opening = _balance_through(customer, date_from - timedelta(days=1))
    running = opening
    movements = []
    for line in _movements(customer, date_from, as_of):
        running += line.debit - line.credit
        movements.append(
            Movement(
                line.on,
                line.kind,
                line.number,
                line.description,
                line.debit,
                line.credit,
                running,
            )
        )
    bands = aging_bands(settings.HUIKUAN_AGING_EDGES)
    items = _open_items(customer, as_of, bands)
    bucket_sums = dict.fromkeys((band.key for band in bands), ZERO)
    for item in items:
        bucket_sums[item.bucket_key] += item.balance
    return Statement(
        customer=customer,
        date_from=date_from,
        as_of=as_of,
        opening_balance=opening,
        movements=movements,
        closing_balance=running,
        total_debit=sum((m.debit for m in movements), ZERO),
        total_credit=sum((m.credit for m in movements), ZERO),
        open_items=items,
        open_total=sum((i.balance for i in items), ZERO),
        overdue_total=sum((i.balance for i in items if i.is_overdue), ZERO),
        unapplied_credit=_unapplied_credit(customer, as_of),
        buckets=[BucketTotal(b.key, b.label, bucket_sums[b.key]) for b in bands],
    )


# --- Balance confirmation and overdue notice -----------------------------------------------------


def customer_contacts(customer) -> list[Contact]:
    """The customer's current contacts, finance people first."""
    contacts = list(Contact.objects.filter(customer=customer, is_active=True).order_by("pk"))
    contacts.sort(key=lambda c: c.role != ContactRole.FINANCE)
    return contacts


@dataclass
class Confirmation:
    """The figures of a balance confirmation (询证函)."""

    customer: Customer
    as_of: date
    our_balance: Decimal
    open_items: list[OpenItem]
    open_total: Decimal
    unapplied_credit: Decimal
    contacts: list[Contact]

    @property
    def finance_contact(self) -> Contact | None:
        """Whom the letter is addressed to: a finance contact, else any current contact."""
        return self.contacts[0] if self.contacts else None


def confirmation_data(*, customer, as_of: date) -> Confirmation:
    """What a balance confirmation asks the customer to confirm: our balance at the end of
    ``as_of`` (the statement's closing balance), the open items behind it and any unapplied
    credit, and the customer's current contacts (finance first, for the address line)."""
    statement = statement_data(customer=customer, date_from=as_of, as_of=as_of)
    return Confirmation(
        customer=customer,
        as_of=as_of,
        our_balance=statement.closing_balance,
        open_items=statement.open_items,
        open_total=statement.open_total,
        unapplied_credit=statement.unapplied_credit,
        contacts=customer_contacts(customer),
    )


@dataclass
class Overdue:
    """The figures of an overdue notice or a lawyer's letter."""

    customer: Customer
    as_of: date
    items: list[OpenItem]
    total: Decimal
    pay_by: date
    broken_promises: int
    contacts: list[Contact]

    @property
    def finance_contact(self) -> Contact | None:
        return self.contacts[0] if self.contacts else None

    @property
    def oldest_due(self) -> date | None:
        return min((item.due_date for item in self.items), default=None)


def broken_promises_count(customer, as_of: date) -> int:
    """Promises to pay the customer had broken by ``as_of`` (settled as broken by then, or
    marked broken and due before it)."""
    return (
        Promise.objects.filter(customer=customer, status=PromiseStatus.BROKEN)
        .filter(settled_on__lte=as_of)
        .count()
        + Promise.objects.filter(
            customer=customer,
            status=PromiseStatus.BROKEN,
            settled_on__isnull=True,
            due_on__lt=as_of,
        ).count()
    )


def overdue_data(*, customer, as_of: date, calendar: WorkCalendar | None = None) -> Overdue:
    """What an overdue notice demands: the bills with a balance on ``as_of`` whose due date has
    passed, with days overdue, and their total; the pay-by date (``as_of`` + 7 days, moved to
    the next working day of the Chinese calendar); how many promises the customer has broken."""
    bands = aging_bands(settings.HUIKUAN_AGING_EDGES)
    items = [item for item in _open_items(customer, as_of, bands) if item.is_overdue]
    calendar = calendar or WorkCalendar.load()
    return Overdue(
        customer=customer,
        as_of=as_of,
        items=items,
        total=sum((item.balance for item in items), ZERO),
        pay_by=calendar.next_workday(as_of + timedelta(days=PAY_WITHIN_DAYS)),
        broken_promises=broken_promises_count(customer, as_of),
        contacts=customer_contacts(customer),
    )


# --- Lists for the pages -------------------------------------------------------------------------


def documents_for_customer(*, customer) -> QuerySet[Document]:
    """The letters issued to ``customer``, newest first, without their PDF bytes (load one
    document's ``pdf`` only to download it)."""
    return (
        Document.objects.filter(customer=customer)
        .defer("pdf")
        .select_related("confirmation")
        .order_by("-created_at", "-id")
    )


def confirmations_for_list(
    *, customers: QuerySet | Iterable, status: str | None = None, as_of: date | None = None
) -> QuerySet[BalanceConfirmation]:
    """Balance confirmations of ``customers`` (already limited to what the user may see), newest
    first, optionally of one status. With ``as_of``, each sent one still waiting for the reply is
    annotated with ``days_waiting`` (a ``timedelta`` from the sending day; ``None`` otherwise),
    like ``days_overdue`` elsewhere — use ``.days`` in templates."""
    queryset = BalanceConfirmation.objects.filter(customer__in=customers).select_related(
        "customer", "document"
    )
    queryset = queryset.defer("scan", "document__pdf")
    if status:
        queryset = queryset.filter(status=status)
    if as_of is None:
        waiting = Value(None, output_field=DurationOutput())
    else:
        waiting = Case(
            When(
                status=ConfirmationStatus.SENT,
                then=ExpressionWrapper(
                    Value(as_of, output_field=DateField()) - F("sent_on"),
                    output_field=DurationOutput(),
                ),
            ),
            default=Value(None, output_field=DurationOutput()),
            output_field=DurationOutput(),
        )
    return queryset.annotate(days_waiting=waiting).order_by("-created_at", "-id")
