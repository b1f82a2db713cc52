"""An in-memory ledger that follows the ledger services' rules and writes itself in bulk.

Seeding a million receivables through the services (row locks, one INSERT and one audit line per
document) would take hours, so the demo generator keeps the ledger in memory instead and writes it
in bulk. What the services guarantee, this book guarantees too, and it raises :class:`BookError`
rather than write a ledger the services could not have written:

* stored ``Receivable.outstanding`` = amount − Σ its allocations, ``Payment.allocated`` = Σ its
  allocations, within 0 … amount;
* an allocation takes effect on a day not before the payment's date, the receivable's issue date,
  or an earlier movement on the same receivable or payment (docs/ledger.md, "Point in time");
* a reversal adds negative rows pointing at the rows they undo (``reverses``) and at the
  ``Reversal`` document, exactly as ``payment_reverse``, ``allocation_reverse`` and
  ``write_off_reverse`` write them.

Ids are assigned here (from the tables' current maximum), so a row can point at another before
either is written; on PostgreSQL the id sequences are moved past them at the end.

Rows are written as plain tuples of database values — money as integer fen, which is what
``MoneyField`` stores — with ``COPY`` on PostgreSQL and ``executemany`` elsewhere. Django's
``bulk_create`` spends about ten microseconds per value building its SQL, which at a million
receivables (some forty million values) is most of ten minutes; this takes a fraction of that.
Posted documents are only ever INSERTed, which the append-only triggers allow.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from huikuan.contracts.models import Contract, Delivery, InstallmentNode
from huikuan.core.money import MoneyField
from huikuan.customers.models import Contact, Customer, PaymentProcess
from huikuan.ledger.models import Allocation, Payment, Receivable, Reversal, WriteOff


class BookError(RuntimeError):
    """The generator asked for something the ledger services would refuse: a bug, not bad input."""


def yuan(fen: int) -> Decimal:
    """Integer fen -> two-place Decimal yuan (what MoneyField expects)."""
    return Decimal(fen).scaleb(-2)


@dataclass(slots=True, eq=False)
class Rec:
    id: int
    customer_id: int
    number: str
    kind: str
    issue: date
    due: date
    amount: int
    outstanding: int
    contract_id: int | None = None
    delivery_id: int | None = None
    installment_id: int | None = None
    description: str = ""
    last: date | None = None
    disputed: bool = False

    @property
    def key(self):
        return (self.due, self.issue, self.id)


@dataclass(slots=True, eq=False)
class Pay:
    id: int
    customer_id: int
    kind: str
    number: str
    on: date
    amount: int
    method: str = ""
    reference: str = ""
    note: str = ""
    allocated: int = 0
    last: date | None = None
    reversed_on: date | None = None
    rows: list = field(default_factory=list)

    @property
    def unapplied(self) -> int:
        return 0 if self.reversed_on else self.amount - self.allocated


@dataclass(slots=True, eq=False)
class WOff:
    id: int
    receivable: Rec
    number: str
    on: date
    amount: int
    reason: str
    rows: list = field(default_factory=list)
    reversed: bool = False


@dataclass(slots=True, eq=False)
class Alloc:
    id: int
    receivable: Rec
    payment: Pay | None
    write_off: WOff | None
    amount: int
    on: date
    reverses: "Alloc | None" = None
    reversal_id: int | None = None
    reversed_by: "Alloc | None" = None

    @property
    def live(self) -> bool:
        return self.reverses is None and self.reversed_by is None


@dataclass(slots=True, eq=False)
class Rev:
    id: int
    number: str
    on: date
    reason: str
    payment_id: int | None = None
    allocation_id: int | None = None
    write_off_id: int | None = None


class Numbers:
    """Document numbers in the seller's style (XS = 销售出库, SK = 收款, HZ = 红字贷项 …),
    from one running counter so they are unique and repeatable."""

    def __init__(self, prefix: str = ""):
        self.prefix = prefix
        self.count = 0

    def __call__(self, code: str, on: date) -> str:
        self.count += 1
        return f"{self.prefix}{code}{on:%Y%m%d}{self.count:07d}"


# Written in this order, so every row's foreign keys point at rows already there.
_ORDER = (
    Customer,
    Contact,
    PaymentProcess,
    Contract,
    InstallmentNode,
    Delivery,
    Receivable,
    Payment,
    WriteOff,
    Allocation,
    Reversal,
)


class _Table:
    """One table's columns, defaults and value checks, and how to write many rows to it."""

    def __init__(self, model, now):
        fields = model._meta.concrete_fields
        self.model = model
        self.table = model._meta.db_table
        self.names = [f.attname for f in fields]
        self.columns = [f.column for f in fields]
        self.money = [f.attname for f in fields if isinstance(f, MoneyField)]
        self.defaults = {}
        for f in fields:
            if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False):
                self.defaults[f.attname] = now
            else:  # the field's default, "" for text, None otherwise
                default = f.get_default()
                if isinstance(f, MoneyField) and default is not None:
                    default = f.get_prep_value(default)
                self.defaults[f.attname] = default

    def tuples(self, rows: list[dict]):
        names, defaults, money = self.names, self.defaults, self.money
        known = set(names)
        for row in rows:
            if not known.issuperset(row):
                raise BookError(f"{self.table}: unknown columns {sorted(set(row) - known)}")
            for name in money:
                if name in row and type(row[name]) is not int:
                    raise BookError(f"{self.table}.{name}: money must be integer fen")
            yield tuple(row[n] if n in row else defaults[n] for n in names)

    def write(self, rows: list[dict]) -> None:
        if not rows:
            return
        quote = connection.ops.quote_name
        columns = ", ".join(quote(c) for c in self.columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                sql = f"COPY {quote(self.table)} ({columns}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    for values in self.tuples(rows):
                        copy.write_row(values)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                sql = f"INSERT INTO {quote(self.table)} ({columns}) VALUES ({marks})"
                cursor.executemany(sql, list(self.tuples(rows)))


class Book:
    """Documents waiting to be written, the id counters, and running totals for the summary."""

    def __init__(self, *, actor_id: int | None = None):
        self.actor_id = actor_id
        now = timezone.now()
        if connection.vendor != "postgresql":
            now = connection.ops.adapt_datetimefield_value(now)
        self._tables = {model: _Table(model, now) for model in _ORDER}
        self._next_id = {
            model: (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1 for model in _ORDER
        }
        self._rows: dict[type, list[dict]] = {model: [] for model in _ORDER}
        self._receivables: list[Rec] = []
        self._payments: list[Pay] = []
        self._write_offs: list[WOff] = []
        self._allocations: list[Alloc] = []
        self._reversing: list[Alloc] = []
        self._reversals: list[Rev] = []
        self.counts: Counter = Counter()
        self.fen: Counter = Counter()

    # --- ids and plain rows -------------------------------------------------------------------

    def new_id(self, model) -> int:
        value = self._next_id[model]
        self._next_id[model] = value + 1
        return value

    def row(self, model, **values) -> dict:
        """Queue one row of a table that is not a ledger document (customer, contact, contract,
        delivery …): attribute names as keys, money as integer fen. Returns it, with its id."""
        if "id" not in values:
            values["id"] = self.new_id(model)
        self._rows[model].append(values)
        self.counts[model._meta.model_name] += 1
        return values

    @property
    def pending(self) -> int:
        return (
            sum(map(len, self._rows.values()))
            + len(self._receivables)
            + len(self._payments)
            + len(self._allocations)
        )

    # --- ledger documents ---------------------------------------------------------------------

    def receivable(self, *, customer_id, number, kind, issue, due, fen, **extra) -> Rec:
        if fen <= 0:
            raise BookError(f"{number}: amount must be positive")
        if due < issue:
            raise BookError(f"{number}: due before issue")
        rec = Rec(self.new_id(Receivable), customer_id, number, kind, issue, due, fen, fen, **extra)
        self._receivables.append(rec)
        self.counts[f"receivable.{kind}"] += 1
        self.fen["invoiced"] += fen
        return rec

    def payment(self, *, customer_id, kind, number, on, fen, method="", reference="", note=""):
        if fen <= 0:
            raise BookError(f"{number}: amount must be positive")
        pay = Pay(self.new_id(Payment), customer_id, kind, number, on, fen, method, reference, note)
        self._payments.append(pay)
        self.counts[f"{kind}.{method}" if method else kind] += 1
        self.fen[kind] += fen
        return pay

    def allocate(self, payment: Pay, receivable: Rec, fen: int, on: date) -> Alloc:
        """Settle ``fen`` of ``receivable`` with ``payment`` on ``on`` (payment_allocate)."""
        if payment.reversed_on is not None:
            raise BookError(f"{payment.number} has been reversed")
        if payment.customer_id != receivable.customer_id:
            raise BookError(f"{payment.number} and {receivable.number}: different customers")
        if not 0 < fen <= min(receivable.outstanding, payment.amount - payment.allocated):
            raise BookError(f"{payment.number} -> {receivable.number}: {fen} fen is too much")
        self._check_date(on, payment.on, receivable.issue, receivable.last, payment.last)
        row = Alloc(self.new_id(Allocation), receivable, payment, None, fen, on)
        self._allocations.append(row)
        payment.rows.append(row)
        receivable.outstanding -= fen
        payment.allocated += fen
        receivable.last = payment.last = on
        self.counts["allocation"] += 1
        return row

    def write_off(self, receivable: Rec, *, on: date, number: str, reason: str) -> WOff:
        """Write off what is left of ``receivable`` (receivable_write_off's rules)."""
        if receivable.outstanding <= 0:
            raise BookError(f"{receivable.number} has nothing outstanding")
        if not reason.strip():
            raise BookError(f"{number}: a write-off needs a reason")
        self._check_date(on, receivable.issue, receivable.last)
        wo = WOff(
            self.new_id(WriteOff), receivable, number, on, receivable.outstanding, reason.strip()
        )
        row = Alloc(self.new_id(Allocation), receivable, None, wo, wo.amount, on)
        wo.rows.append(row)
        self._write_offs.append(wo)
        self._allocations.append(row)
        receivable.outstanding = 0
        receivable.last = on
        self.counts["write_off"] += 1
        self.counts["allocation"] += 1
        self.fen["written_off"] += wo.amount
        return wo

    def reverse_payment(self, payment: Pay, *, on: date, number: str, reason: str) -> Rev:
        """Undo every live allocation of a payment, then the payment (payment_reverse)."""
        if payment.reversed_on is not None:
            raise BookError(f"{payment.number} has been reversed")
        self._check_date(on, payment.on, payment.last)
        rev = self._reversal(number, on, reason, payment_id=payment.id)
        self._undo([row for row in payment.rows if row.live], rev)
        payment.allocated = 0
        payment.reversed_on = on
        self.counts[f"reversal.{payment.kind}"] += 1
        self.fen[f"{payment.kind}_reversed"] += payment.amount
        return rev

    def reverse_allocation(self, row: Alloc, *, on: date, number: str, reason: str) -> Rev:
        """Undo one payment allocation: open again, and unapplied again (allocation_reverse)."""
        if row.payment is None or not row.live:
            raise BookError("only a live payment allocation can be reversed")
        payment = row.payment
        if payment.reversed_on is not None:
            raise BookError(f"{payment.number} has been reversed")
        self._check_date(on, payment.last)
        rev = self._reversal(number, on, reason, allocation_id=row.id)
        self._undo([row], rev)
        payment.allocated -= row.amount
        self.counts["reversal.allocation"] += 1
        return rev

    def reverse_write_off(self, wo: WOff, *, on: date, number: str, reason: str) -> Rev:
        """Undo a write-off: the amount is outstanding again from ``on`` (write_off_reverse)."""
        if wo.reversed:
            raise BookError(f"{wo.number} has already been reversed")
        self._check_date(on, wo.on)
        rev = self._reversal(number, on, reason, write_off_id=wo.id)
        self._undo([row for row in wo.rows if row.live], rev)
        wo.reversed = True
        self.counts["reversal.write_off"] += 1
        self.fen["written_off"] -= wo.amount
        return rev

    def _reversal(self, number, on, reason, **target) -> Rev:
        if not reason.strip():
            raise BookError(f"{number}: a reversal needs a reason")
        rev = Rev(self.new_id(Reversal), number, on, reason.strip(), **target)
        self._reversals.append(rev)
        return rev

    def _undo(self, rows: list[Alloc], rev: Rev) -> None:
        for row in rows:
            receivable = row.receivable
            self._check_date(rev.on, receivable.last)
            negative = Alloc(
                self.new_id(Allocation),
                receivable,
                row.payment,
                row.write_off,
                -row.amount,
                rev.on,
                reverses=row,
                reversal_id=rev.id,
            )
            row.reversed_by = negative
            (row.payment or row.write_off).rows.append(negative)
            self._reversing.append(negative)
            receivable.outstanding += row.amount
            receivable.last = rev.on
            if row.payment is not None:
                row.payment.last = rev.on
            self.counts["allocation"] += 1

    @staticmethod
    def _check_date(on: date, *floors) -> None:
        latest = max((d for d in floors if d is not None), default=None)
        if latest is not None and on < latest:
            raise BookError(f"a movement on {on} would come before one on {latest}")

    # --- writing ------------------------------------------------------------------------------

    def flush(self) -> None:
        """Write everything queued. Call it only between customers: a customer's receivables and
        payments are written with their final balances, so nothing is ever updated afterwards."""
        actor = self.actor_id
        rows = self._rows
        for rec in self._receivables:
            self.fen["outstanding"] += rec.outstanding
            rows[Receivable].append(
                {
                    "id": rec.id,
                    "customer_id": rec.customer_id,
                    "number": rec.number,
                    "kind": rec.kind,
                    "contract_id": rec.contract_id,
                    "delivery_id": rec.delivery_id,
                    "installment_id": rec.installment_id,
                    "issue_date": rec.issue,
                    "due_date": rec.due,
                    "amount": rec.amount,
                    "outstanding": rec.outstanding,
                    "description": rec.description,
                    "created_by_id": actor,
                }
            )
        for pay in self._payments:
            self.fen["unapplied"] += pay.unapplied
            rows[Payment].append(
                {
                    "id": pay.id,
                    "customer_id": pay.customer_id,
                    "kind": pay.kind,
                    "number": pay.number,
                    "received_on": pay.on,
                    "amount": pay.amount,
                    "allocated": pay.allocated,
                    "method": pay.method,
                    "reference": pay.reference,
                    "note": pay.note,
                    "created_by_id": actor,
                }
            )
        for wo in self._write_offs:
            rows[WriteOff].append(
                {
                    "id": wo.id,
                    "receivable_id": wo.receivable.id,
                    "number": wo.number,
                    "written_off_on": wo.on,
                    "amount": wo.amount,
                    "reason": wo.reason,
                    "created_by_id": actor,
                }
            )
        rows[Allocation].extend(map(self._allocation_row, self._allocations))
        rows[Reversal].extend(
            {
                "id": rev.id,
                "number": rev.number,
                "reversed_on": rev.on,
                "reason": rev.reason,
                "payment_id": rev.payment_id,
                "allocation_id": rev.allocation_id,
                "write_off_id": rev.write_off_id,
                "created_by_id": actor,
            }
            for rev in self._reversals
        )
        for model in _ORDER:
            self._tables[model].write(rows[model])
            rows[model].clear()
        # Negative rows last: they point at the Reversal documents just written.
        self._tables[Allocation].write(list(map(self._allocation_row, self._reversing)))
        for queue in (
            self._receivables,
            self._payments,
            self._write_offs,
            self._allocations,
            self._reversing,
            self._reversals,
        ):
            queue.clear()

    def _allocation_row(self, row: Alloc) -> dict:
        return {
            "id": row.id,
            "receivable_id": row.receivable.id,
            "payment_id": row.payment.id if row.payment else None,
            "write_off_id": row.write_off.id if row.write_off else None,
            "amount": row.amount,
            "applied_on": row.on,
            "reverses_id": row.reverses.id if row.reverses else None,
            "reversal_id": row.reversal_id,
            "created_by_id": self.actor_id,
        }

    def finish(self) -> None:
        """Write what is left and move PostgreSQL's id sequences past the ids used here."""
        self.flush()
        statements = connection.ops.sequence_reset_sql(no_style(), list(_ORDER))
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
