"""Every write to the ledger. Each service is atomic, validates before it writes, locks the rows
it changes (payments first, then receivables in id order, so concurrent writers never deadlock),
and writes an audit line for each document it posts.
"""

import secrets
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from huikuan.audit.services import audit_record, snapshot
from huikuan.contracts.models import Contract, Delivery, InstallmentNode
from huikuan.core.errors import invalid
from huikuan.core.events import event_emit
from huikuan.core.models import EventKind
from huikuan.core.money import ZERO, MoneyError, money_str, to_decimal
from huikuan.customers.models import Customer

from .models import (
    Allocation,
    Payment,
    PaymentKind,
    PaymentMethod,
    Receivable,
    ReceivableKind,
    Reversal,
    WriteOff,
)

AUTO = "auto"
NONE = "none"
AllocationLines = Sequence[tuple[str | Receivable, Decimal | str | int]]


def _amount(field: str, value) -> Decimal:
    try:
        amount = to_decimal(value)
    except MoneyError:
        raise invalid(field, _("Not an amount: %(value)s.") % {"value": value}) from None
    if amount <= ZERO:
        raise invalid(field, _("The amount must be greater than zero."))
    return amount


def _document_number(prefix: str, on: date) -> str:
    return f"{prefix}{on:%Y%m%d}-{secrets.token_hex(4).upper()}"


def _save_new(obj, *, unique_field: str):
    """full_clean() then INSERT; a lost race on a unique number becomes the same field error."""
    obj.full_clean()
    try:
        with transaction.atomic():
            obj.save(force_insert=True)
    except IntegrityError:
        raise invalid(
            unique_field,
            _("%(value)s already exists.") % {"value": getattr(obj, unique_field)},
            code="unique",
        ) from None
    return obj


# --- Receivables ------------------------------------------------------------------------------


@transaction.atomic
def receivable_create(
    *,
    customer: Customer,
    number: str,
    issue_date: date,
    due_date: date,
    amount,
    currency: str = "CNY",
    kind: str = ReceivableKind.INVOICE,
    contract: Contract | None = None,
    delivery: Delivery | None = None,
    installment: InstallmentNode | None = None,
    description: str = "",
    actor=None,
) -> Receivable:
    """Post a receivable. Its outstanding starts at its full amount; numbers are unique."""
    amount = _amount("amount", amount)
    if due_date < issue_date:
        raise invalid("due_date", _("The due date cannot be before the issue date."))
    if contract is not None and contract.customer_id != customer.pk:
        raise invalid("contract", _("The contract belongs to another customer."))
    receivable = Receivable(
        customer=customer,
        number=(number or "").strip(),
        kind=kind,
        contract=contract,
        delivery=delivery,
        installment=installment,
        issue_date=issue_date,
        due_date=due_date,
        amount=amount,
        outstanding=amount,
        currency=currency,
        description=description,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _save_new(receivable, unique_field="number")
    audit_record(
        actor=actor, action="receivable.create", obj=receivable, after=snapshot(receivable)
    )
    return receivable


@transaction.atomic
def delivery_record(
    *,
    customer: Customer,
    number: str,
    delivered_on: date,
    amount,
    contract: Contract | None = None,
    due_date: date | None = None,
    description: str = "",
    actor=None,
) -> Receivable:
    """Record a delivery and the receivable it creates.

    Without an explicit due date, the money is due ``term_days`` after delivery under the
    contract, or after the customer's payment terms when the contract has no day count.
    """
    from datetime import timedelta

    amount = _amount("amount", amount)
    if due_date is None:
        days = contract.term_days if contract and contract.term_days is not None else None
        if days is None:
            days = customer.payment_terms_days
        due_date = delivered_on + timedelta(days=days)
    elif due_date < delivered_on:
        raise invalid("due_date", _("The due date cannot be before the delivery date."))
    delivery = Delivery(
        customer=customer,
        contract=contract,
        number=(number or "").strip(),
        delivered_on=delivered_on,
        amount=amount,
        due_date=due_date,
        description=description,
        currency=contract.currency if contract else "CNY",
    )
    _save_new(delivery, unique_field="number")
    return receivable_create(
        customer=customer,
        number=delivery.number,
        issue_date=delivered_on,
        due_date=due_date,
        amount=amount,
        currency=delivery.currency,
        kind=ReceivableKind.DELIVERY,
        contract=contract,
        delivery=delivery,
        description=description,
        actor=actor,
    )


@transaction.atomic
def installments_post(*, contract: Contract, actor=None) -> list[Receivable]:
    """Create one receivable per installment node of a contract that has none yet (idempotent)."""
    created = []
    for node in contract.nodes.filter(receivable__isnull=True).order_by("sequence"):
        created.append(
            receivable_create(
                customer=contract.customer,
                number=f"{contract.number}-{node.sequence:02d}",
                issue_date=min(contract.signed_on, node.due_date),
                due_date=node.due_date,
                amount=node.amount,
                currency=contract.currency,
                kind=ReceivableKind.INSTALLMENT,
                contract=contract,
                installment=node,
                description=node.description,
                actor=actor,
            )
        )
    return created


# --- Payments and credit notes ------------------------------------------------------------------


@transaction.atomic
def payment_record(
    *,
    customer: Customer,
    number: str,
    received_on: date,
    amount,
    kind: str = PaymentKind.PAYMENT,
    method: str = PaymentMethod.BANK_TRANSFER,
    currency: str = "CNY",
    reference: str = "",
    note: str = "",
    allocate: str | AllocationLines = AUTO,
    actor=None,
) -> Payment:
    """Post a payment or credit note and allocate it.

    ``allocate`` is ``"auto"`` (oldest due first), ``"none"`` (all of it stays as unapplied
    credit), or explicit ``(receivable or its number, amount)`` lines. Whatever is not allocated
    remains on the customer as unapplied credit. Any error posts nothing. A payment (not a
    credit note) is announced to other systems as a ``payment.recorded`` event.
    """
    amount = _amount("amount", amount)
    if kind not in PaymentKind.values:
        raise invalid("kind", _("Unknown kind: %(value)s.") % {"value": kind})
    if kind == PaymentKind.CREDIT_NOTE:
        method = ""
    elif method not in PaymentMethod.values:
        raise invalid("method", _("Unknown payment method: %(value)s.") % {"value": method})
    payment = Payment(
        customer=customer,
        kind=kind,
        number=(number or "").strip(),
        received_on=received_on,
        amount=amount,
        currency=currency,
        method=method,
        reference=reference,
        note=note,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    if Payment.objects.filter(kind=kind, number=payment.number).exists():
        raise invalid(
            "number", _("%(value)s already exists.") % {"value": payment.number}, "unique"
        )
    _save_new(payment, unique_field="number")
    audit_record(actor=actor, action=f"{kind}.record", obj=payment, after=snapshot(payment))
    if allocate == AUTO:
        payment_allocate_auto(payment=payment, actor=actor)
    elif allocate == NONE:
        pass
    elif isinstance(allocate, str):
        raise invalid("allocate", _('Use "auto", "none" or a list of receivables and amounts.'))
    else:
        payment_allocate(payment=payment, lines=allocate, actor=actor)
    payment.refresh_from_db()
    if kind == PaymentKind.PAYMENT:
        # For other systems (webhooks): one INSERT, in this transaction.
        event_emit(
            kind=EventKind.PAYMENT_RECORDED,
            obj=payment,
            customer=customer,
            payload={
                "number": payment.number,
                "received_on": payment.received_on.isoformat(),
                "amount": money_str(payment.amount),
                "currency": payment.currency,
                "method": payment.method,
                "reference": payment.reference,
                "allocated": money_str(payment.allocated),
                "unapplied": money_str(payment.amount - payment.allocated),
            },
        )
    return payment


def _lock_payment(payment: Payment) -> Payment:
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    if Reversal.objects.filter(payment=locked).exists():
        raise invalid("payment", _("%(number)s has been reversed.") % {"number": locked.number})
    return locked


def _last_movement(field: str, ids: Iterable[int]) -> dict[int, date]:
    rows = (
        Allocation.objects.filter(**{f"{field}__in": list(ids)})
        .values(field)
        .annotate(last=Max("applied_on"))
    )
    return {row[field]: row["last"] for row in rows}


def _apply(
    *, payment: Payment, pairs: list[tuple[Receivable, Decimal]], on: date, actor
) -> list[Allocation]:
    """Create allocation rows for locked ``payment`` and ``receivables`` already validated."""
    last_r = _last_movement("receivable", [r.pk for r, _amt in pairs])
    last_p = _last_movement("payment", [payment.pk]).get(payment.pk)
    created = []
    for receivable, amount in pairs:
        applied_on = max(
            d
            for d in (
                on,
                payment.received_on,
                receivable.issue_date,
                last_r.get(receivable.pk),
                last_p,
            )
            if d
        )
        before = {"outstanding": receivable.outstanding, "payment_allocated": payment.allocated}
        allocation = Allocation.objects.create(
            receivable=receivable,
            payment=payment,
            amount=amount,
            applied_on=applied_on,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        receivable.outstanding -= amount
        receivable.save(update_fields=["outstanding"])
        payment.allocated += amount
        after = {"outstanding": receivable.outstanding, "payment_allocated": payment.allocated}
        audit_record(
            actor=actor,
            action="allocation.create",
            obj=allocation,
            before=before,
            after={**after, **snapshot(allocation)},
        )
        created.append(allocation)
    payment.save(update_fields=["allocated"])
    return created


@transaction.atomic
def payment_allocate(
    *, payment: Payment, lines: AllocationLines, on: date | None = None, actor=None
) -> list[Allocation]:
    """Allocate a payment to receivables by hand.

    Each line names a receivable of the same customer and currency and an amount no larger than
    its outstanding; together they may not exceed the payment's unapplied amount.
    """
    payment = _lock_payment(payment)
    wanted: dict[str, Decimal] = {}
    for index, line in enumerate(lines):
        try:
            ref, raw_amount = line
        except (TypeError, ValueError):
            raise invalid(
                "allocate", _("Line %(n)s: give a receivable and an amount.") % {"n": index + 1}
            ) from None
        key = ref.number if isinstance(ref, Receivable) else str(ref).strip()
        if key in wanted:
            raise invalid("allocate", _("Receivable %(number)s is listed twice.") % {"number": key})
        wanted[key] = _amount("allocate", raw_amount)
    if not wanted:
        return []
    receivables = {
        r.number: r
        for r in Receivable.objects.select_for_update()
        .filter(number__in=wanted, customer_id=payment.customer_id)
        .order_by("pk")
    }
    for key in wanted:
        if key not in receivables:
            raise invalid(
                "allocate",
                _("Receivable %(number)s does not exist for this customer.") % {"number": key},
                "not_found",
            )
    total = sum(wanted.values(), ZERO)
    if total > payment.unapplied:
        raise invalid(
            "allocate",
            _("Allocations total %(total)s but only %(unapplied)s of %(number)s is unapplied.")
            % {"total": total, "unapplied": payment.unapplied, "number": payment.number},
        )
    pairs = []
    for key, amount in wanted.items():
        receivable = receivables[key]
        if receivable.currency != payment.currency:
            raise invalid("allocate", _("%(number)s is in another currency.") % {"number": key})
        if amount > receivable.outstanding:
            raise invalid(
                "allocate",
                _("%(amount)s is more than the %(outstanding)s outstanding on %(number)s.")
                % {"amount": amount, "outstanding": receivable.outstanding, "number": key},
            )
        pairs.append((receivable, amount))
    return _apply(payment=payment, pairs=pairs, on=on or payment.received_on, actor=actor)


@transaction.atomic
def payment_allocate_auto(
    *, payment: Payment, on: date | None = None, actor=None
) -> list[Allocation]:
    """Allocate what is unapplied of a payment to open receivables, oldest due first."""
    payment = _lock_payment(payment)
    remaining = payment.unapplied
    if remaining <= ZERO:
        return []
    # Lock in id order like every other writer, then walk them by due date.
    open_items = list(
        Receivable.objects.select_for_update()
        .filter(customer_id=payment.customer_id, currency=payment.currency, outstanding__gt=0)
        .order_by("pk")
    )
    open_items.sort(key=lambda r: (r.due_date, r.issue_date, r.pk))
    pairs = []
    for receivable in open_items:
        if remaining <= ZERO:
            break
        take = min(remaining, receivable.outstanding)
        pairs.append((receivable, take))
        remaining -= take
    return _apply(payment=payment, pairs=pairs, on=on or payment.received_on, actor=actor)


# --- Write-offs -----------------------------------------------------------------------------------


@transaction.atomic
def receivable_write_off(*, receivable: Receivable, on: date, reason: str, actor=None) -> WriteOff:
    """Write off everything still outstanding on a receivable as of ``on``, with a reason.

    ``on`` may not be before the issue date or before the receivable's latest movement.
    """
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reason", _("Say why the receivable is written off."))
    receivable = Receivable.objects.select_for_update().get(pk=receivable.pk)
    if receivable.outstanding <= ZERO:
        raise invalid(
            "receivable", _("%(number)s has nothing outstanding.") % {"number": receivable.number}
        )
    if on < receivable.issue_date:
        raise invalid(
            "date",
            _("The date cannot be before the issue date %(date)s.")
            % {"date": receivable.issue_date},
        )
    last = _last_movement("receivable", [receivable.pk]).get(receivable.pk)
    if last and on < last:
        raise invalid(
            "date",
            _("%(number)s has a movement on %(date)s; write it off on that day or later.")
            % {"number": receivable.number, "date": last},
        )
    write_off = WriteOff(
        receivable=receivable,
        number=_document_number("WO", on),
        written_off_on=on,
        amount=receivable.outstanding,
        reason=reason,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _save_new(write_off, unique_field="number")
    Allocation.objects.create(
        receivable=receivable,
        write_off=write_off,
        amount=write_off.amount,
        applied_on=on,
        created_by=write_off.created_by,
    )
    before = {"outstanding": receivable.outstanding}
    receivable.outstanding = ZERO
    receivable.save(update_fields=["outstanding"])
    audit_record(
        actor=actor,
        action="write_off.create",
        obj=write_off,
        before=before,
        after={"outstanding": ZERO, **snapshot(write_off)},
    )
    return write_off


# --- Reversals ------------------------------------------------------------------------------------


def _reverse_rows(*, rows: list[Allocation], reversal: Reversal, on: date, actor) -> None:
    """Add a negative row for each allocation; the caller holds the payment/write-off lock."""
    if not rows:
        return
    receivables = {
        r.pk: r
        for r in Receivable.objects.select_for_update()
        .filter(pk__in={row.receivable_id for row in rows})
        .order_by("pk")
    }
    last_r = _last_movement("receivable", receivables)
    for row in rows:
        receivable = receivables[row.receivable_id]
        latest = last_r.get(receivable.pk)
        if latest and on < latest:
            raise invalid(
                "date",
                _("%(number)s has a movement on %(date)s; reverse on that day or later.")
                % {"number": receivable.number, "date": latest},
            )
        Allocation.objects.create(
            receivable=receivable,
            payment_id=row.payment_id,
            write_off_id=row.write_off_id,
            amount=-row.amount,
            applied_on=on,
            reverses=row,
            reversal=reversal,
            created_by=reversal.created_by,
        )
        before = {"outstanding": receivable.outstanding}
        receivable.outstanding += row.amount
        receivable.save(update_fields=["outstanding"])
        audit_record(
            actor=actor,
            action="allocation.reverse",
            obj=row,
            before=before,
            after={"outstanding": receivable.outstanding, "reversal": reversal.number},
        )


def _new_reversal(*, on: date, reason: str, actor, **target) -> Reversal:
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reason", _("Say why this is reversed."))
    reversal = Reversal(
        number=_document_number("RV", on),
        reversed_on=on,
        reason=reason,
        created_by=actor if getattr(actor, "pk", None) else None,
        **target,
    )
    return _save_new(reversal, unique_field="number")


def _live_rows(**source) -> list[Allocation]:
    return list(
        Allocation.objects.filter(
            reverses__isnull=True, reversed_by__isnull=True, **source
        ).order_by("pk")
    )


@transaction.atomic
def payment_reverse(*, payment: Payment, on: date, reason: str, actor=None) -> Reversal:
    """Reverse a posted payment or credit note: undo each of its allocations, then the document.

    From ``on`` the payment counts for nothing: the receivables it settled are open again and it
    leaves no unapplied credit. A payment is reversed once; ``on`` is not before its movements.
    """
    payment = _lock_payment(payment)
    last = _last_movement("payment", [payment.pk]).get(payment.pk)
    floor = max(d for d in (payment.received_on, last) if d)
    if on < floor:
        raise invalid("date", _("Reverse on %(date)s or later.") % {"date": floor})
    reversal = _new_reversal(on=on, reason=reason, actor=actor, payment=payment)
    _reverse_rows(rows=_live_rows(payment=payment), reversal=reversal, on=on, actor=actor)
    before = {"allocated": payment.allocated}
    payment.allocated = ZERO
    payment.save(update_fields=["allocated"])
    audit_record(
        actor=actor,
        action=f"{payment.kind}.reverse",
        obj=payment,
        before=before,
        after={"allocated": ZERO, "reversal": reversal.number, "reason": reversal.reason},
    )
    return reversal


@transaction.atomic
def allocation_reverse(*, allocation: Allocation, on: date, reason: str, actor=None) -> Reversal:
    """Undo one allocation: the receivable is open again and the payment's amount unapplied."""
    if allocation.reverses_id is not None:
        raise invalid("allocation", _("A reversing entry cannot itself be reversed."))
    if allocation.write_off_id is not None:
        raise invalid("allocation", _("Reverse the write-off instead."))
    payment = _lock_payment(allocation.payment)
    allocation = Allocation.objects.get(pk=allocation.pk)
    if Allocation.objects.filter(reverses=allocation).exists():
        raise invalid("allocation", _("This allocation has already been reversed."))
    last = _last_movement("payment", [payment.pk]).get(payment.pk)
    if last and on < last:
        raise invalid("date", _("Reverse on %(date)s or later.") % {"date": last})
    reversal = _new_reversal(on=on, reason=reason, actor=actor, allocation=allocation)
    _reverse_rows(rows=[allocation], reversal=reversal, on=on, actor=actor)
    payment.allocated -= allocation.amount
    payment.save(update_fields=["allocated"])
    return reversal


@transaction.atomic
def write_off_reverse(*, write_off: WriteOff, on: date, reason: str, actor=None) -> Reversal:
    """Undo a write-off: the written-off amount is outstanding again from ``on``."""
    write_off = WriteOff.objects.select_for_update().get(pk=write_off.pk)
    if Reversal.objects.filter(write_off=write_off).exists():
        raise invalid(
            "write_off", _("%(number)s has already been reversed.") % {"number": write_off.number}
        )
    if on < write_off.written_off_on:
        raise invalid(
            "date", _("Reverse on %(date)s or later.") % {"date": write_off.written_off_on}
        )
    reversal = _new_reversal(on=on, reason=reason, actor=actor, write_off=write_off)
    receivable = write_off.receivable
    before = {"outstanding": receivable.outstanding}
    _reverse_rows(rows=_live_rows(write_off=write_off), reversal=reversal, on=on, actor=actor)
    receivable.refresh_from_db(fields=["outstanding"])
    audit_record(
        actor=actor,
        action="write_off.reverse",
        obj=write_off,
        before=before,
        after={
            "outstanding": receivable.outstanding,
            "reversal": reversal.number,
            "reason": reversal.reason,
        },
    )
    return reversal


# --- Stored balances ------------------------------------------------------------------------------


@transaction.atomic
def ledger_recompute(*, fix: bool = False) -> list[str]:
    """Compare stored ``outstanding``/``allocated`` with the allocation rows; optionally repair.

    Returns one line per disagreement (an empty list means the stored copies are right).
    """
    from django.db.models import F, OuterRef, Subquery, Sum, Value
    from django.db.models.functions import Coalesce

    from huikuan.core.money import MoneyField

    def total(**filters):
        return Coalesce(
            Subquery(
                Allocation.objects.filter(**filters)
                .values(next(iter(filters)))
                .annotate(s=Sum("amount"))
                .values("s"),
                output_field=MoneyField(),
            ),
            Value(0),
            output_field=MoneyField(),
        )

    problems = []
    receivables = Receivable.objects.annotate(applied=total(receivable=OuterRef("pk"))).exclude(
        outstanding=F("amount") - F("applied")
    )
    for r in receivables.select_for_update() if fix else receivables:
        expected = r.amount - r.applied
        problems.append(f"receivable {r.number}: outstanding {r.outstanding}, expected {expected}")
        if fix:
            r.outstanding = expected
            r.save(update_fields=["outstanding"])
    payments = Payment.objects.annotate(applied=total(payment=OuterRef("pk"))).exclude(
        allocated=F("applied")
    )
    for p in payments.select_for_update() if fix else payments:
        problems.append(f"{p.kind} {p.number}: allocated {p.allocated}, expected {p.applied}")
        if fix:
            p.allocated = p.applied
            p.save(update_fields=["allocated"])
    return problems
